"""The PII tab (placeholder until the PII step lands)."""

from .base import PlaceholderTab


class PiiTab(PlaceholderTab):
    TAB_ID = "pii"
    TITLE = "PII"
    PURPOSE = "personal data found in each record, highlighted in place; accept or reject each span before it is scrubbed"
    COMING_WITH = "the PII step"
