"""The Compare tab (placeholder until the evaluation arena lands)."""

from .base import PlaceholderTab


class CompareTab(PlaceholderTab):
    TAB_ID = "compare"
    TITLE = "Compare"
    PURPOSE = "blind A/B votes between the base and the tuned model on held-out prompts"
    COMING_WITH = "the evaluation arena"
