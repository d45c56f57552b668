"""PII: finding personal data with Presidio, replacing it, and proving none is left.

Nothing here imports Presidio or spaCy at module level; the scan loads them when it is built.
"""

from .entities import DEFAULT_ENTITIES, NER_ENTITIES

__all__ = ["DEFAULT_ENTITIES", "NER_ENTITIES"]
