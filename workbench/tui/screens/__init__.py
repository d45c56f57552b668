"""One module per tab of the project window, plus the window itself and the no-project screen.

A tab is a ProjectTab subclass (screens/base.py) listed in workbench.tui.app.TABS.
"""
