"""Example Workbench plugin: format-compliance metrics for `workbench eval report`.

Workbench finds this module through the `workbench` entry-point group (see pyproject.toml) and
calls its `register_eval_metrics` hook. It registers `valid_json` always, and `matches_pattern`
when the environment variable WORKBENCH_REPLY_PATTERN holds a regular expression.
"""

import os

from workbench.api import hookimpl

from .metrics import PATTERN_SETTING, pattern_metric, valid_json

__version__ = "0.1.0"


@hookimpl
def register_eval_metrics(register):
    register("valid_json", valid_json)
    pattern = os.environ.get(PATTERN_SETTING)
    if pattern:
        register("matches_pattern", pattern_metric(pattern))


__all__ = ["pattern_metric", "register_eval_metrics", "valid_json"]
