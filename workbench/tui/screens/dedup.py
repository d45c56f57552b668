"""The Dedup tab (placeholder until the near and semantic dedup steps lands)."""

from .base import PlaceholderTab


class DedupTab(PlaceholderTab):
    TAB_ID = "dedup"
    TITLE = "Dedup"
    PURPOSE = "near-duplicate and semantic clusters, side by side; choose which copy survives"
    COMING_WITH = "the near and semantic dedup steps"
