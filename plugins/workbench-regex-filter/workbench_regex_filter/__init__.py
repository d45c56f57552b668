"""Example Workbench plugin: the `regex_filter` curation step.

Workbench finds this module through the `workbench` entry-point group (see pyproject.toml) and
calls its hooks; this one registers a single step.
"""

from workbench.api import hookimpl

from .step import RegexFilter

__version__ = "0.1.0"


@hookimpl
def register_steps(register):
    register(RegexFilter)


__all__ = ["RegexFilter", "register_steps"]
