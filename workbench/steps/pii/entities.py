"""Entity names, defaults, and the cheap tests that tell a text cannot hold an entity.

No Presidio or spaCy import here: the step's parameters and the leak check's report use these
names without loading a model.
"""

from __future__ import annotations

import re

# Personal data that should never reach a fine-tuning set. Places, organisations, dates and
# nationalities are left out on purpose: "ship to Canada" or "since Tuesday" is the task, not
# a person, and scrubbing them costs the model the words it should learn.
DEFAULT_ENTITIES: tuple[str, ...] = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "US_ITIN",
    "US_PASSPORT",
    "US_BANK_NUMBER",
    "UK_NHS",
    "IP_ADDRESS",
    "CRYPTO",
    "MEDICAL_LICENSE",
    "STREET_ADDRESS",
)

# Entities only the spaCy model finds (Presidio's names for its labels).
NER_ENTITIES = frozenset({"PERSON", "LOCATION", "NRP", "ORGANIZATION", "DATE_TIME"})

# spaCy label -> Presidio entity (Presidio's own default mapping, organisations kept).
NER_LABELS = {
    "PER": "PERSON", "PERSON": "PERSON", "NORP": "NRP", "FAC": "LOCATION", "LOC": "LOCATION",
    "GPE": "LOCATION", "LOCATION": "LOCATION", "ORG": "ORGANIZATION", "ORGANIZATION": "ORGANIZATION",
    "DATE": "DATE_TIME", "TIME": "DATE_TIME",
}

# A text without a match here cannot hold the entity, so its recognizers are skipped. Each test
# is looser than every recognizer of that entity (a skipped text must never hide a finding).
_NEEDS: dict[str, re.Pattern[str]] = {
    "EMAIL_ADDRESS": re.compile(r"@"),
    "PHONE_NUMBER": re.compile(r"(?:\d\D{0,3}){6}\d"),
    "CREDIT_CARD": re.compile(r"(?:\d\D{0,2}){11}\d"),
    "IBAN_CODE": re.compile(r"[A-Za-z]{2}\W{0,2}\d"),
    "US_SSN": re.compile(r"(?:\d\D{0,2}){8}\d"),
    "US_ITIN": re.compile(r"(?:\d\D{0,2}){8}\d"),
    "US_BANK_NUMBER": re.compile(r"\d{8}"),
    "US_PASSPORT": re.compile(r"\d{8}"),
    "UK_NHS": re.compile(r"(?:\d\D{0,2}){9}\d"),
    "IP_ADDRESS": re.compile(r"\d\.\d|:[0-9A-Fa-f]{0,4}:"),
    "MEDICAL_LICENSE": re.compile(r"\d{7}"),
    "STREET_ADDRESS": re.compile(r"\d"),
}


def may_hold(entity: str, text: str) -> bool:
    """False only when the text certainly holds no value of this entity."""
    test = _NEEDS.get(entity)
    return test is None or test.search(text) is not None


def placeholder(entity: str) -> str:
    return f"<{entity}>"


# A stand-in the step wrote itself: <PERSON>, <PERSON_12>. The leak check skips these.
STAND_IN = re.compile(r"<[A-Z][A-Z0-9_]*?(?:_\d+)?>")
