"""The Review tab (placeholder until synthetic review lands)."""

from .base import PlaceholderTab


class ReviewTab(PlaceholderTab):
    TAB_ID = "review"
    TITLE = "Review"
    PURPOSE = "synthetic examples one at a time; accept or reject each with a single key and resume where you stopped"
    COMING_WITH = "synthetic review"
