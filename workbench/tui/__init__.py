"""The terminal UI: the only package that imports textual. Start it with workbench.tui.app.run_app."""
