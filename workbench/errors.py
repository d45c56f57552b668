"""Errors a user reads: each says what went wrong and where, never a traceback."""

from __future__ import annotations


class WorkbenchError(Exception):
    """A problem the user can fix; the CLI prints the message and exits non-zero."""

    exit_code = 1


class InputError(WorkbenchError):
    """A file (or one line of it) that cannot be read."""

    exit_code = 2

    def __init__(self, file: str, problem: str, line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.problem = problem
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {problem}")


class ConfigError(WorkbenchError):
    """A recipe or workbench.toml setting that is missing, unknown or of the wrong type."""

    exit_code = 2


class Cancelled(WorkbenchError):
    """The user cancelled a long job."""

    exit_code = 130


class LeakFound(WorkbenchError):
    """The export contains a value that a scrubbing step should have removed."""

    exit_code = 3


class StepFailed(WorkbenchError):
    """A recipe step raised or returned something that is not a valid result; the run stopped
    before anything was written. The message names the step and the plugin it came from."""

    exit_code = 1
