"""The Balance tab (placeholder until the balance step lands)."""

from .base import PlaceholderTab


class BalanceTab(PlaceholderTab):
    TAB_ID = "balance"
    TITLE = "Balance"
    PURPOSE = "rows per task category against the taxonomy targets; relabel categories and see what balancing keeps"
    COMING_WITH = "the balance step"
