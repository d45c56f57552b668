"""Example Workbench plugin: the `keywords` categorizer for the categorize step.

Workbench finds this module through the `workbench` entry-point group (see pyproject.toml) and
calls its hooks; this one registers a single categorizer.
"""

from workbench.api import hookimpl

from .rules import KeywordCategorizer, load_rules

__version__ = "0.1.0"


@hookimpl
def register_categorizers(register):
    register("keywords", KeywordCategorizer.from_options)


__all__ = ["KeywordCategorizer", "load_rules", "register_categorizers"]
