"""The Report tab (placeholder until the evaluation report lands)."""

from .base import PlaceholderTab


class ReportTab(PlaceholderTab):
    TAB_ID = "report"
    TITLE = "Report"
    PURPOSE = "win rates per task category with confidence intervals, and what was removed and why"
    COMING_WITH = "the evaluation report"
