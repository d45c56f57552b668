"""What every command module shares: the stderr console and one way to run a command.

A module of its own so the command modules can import it at the top: the package's __init__
imports them all to build the `workbench` group, and would be a cycle.
"""

from __future__ import annotations

import click

from ..errors import Cancelled, WorkbenchError


def err_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def run_command(command: click.Command, argv: list[str] | None, prog_name: str) -> int:
    """Run a click command with the CLI's error handling: a message and an exit code, no traceback."""
    try:
        command.main(args=argv, prog_name=prog_name, standalone_mode=False)
    except WorkbenchError as e:
        from rich.markup import escape

        label = "[yellow]cancelled:[/]" if isinstance(e, Cancelled) else "[red]error:[/]"
        err_console().print(f"{label} {escape(str(e))}", soft_wrap=True)
        return e.exit_code
    except click.exceptions.Abort:  # click's form of Ctrl-C (and of a "no" to a confirmation)
        err_console().print("interrupted")
        return 130
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except KeyboardInterrupt:
        err_console().print("interrupted")
        return 130
    return 0
