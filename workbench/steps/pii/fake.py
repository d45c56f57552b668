"""Realistic stand-ins for `pseudonym_style = "fake"`, from Faker, seeded per original value."""

from __future__ import annotations

from ...errors import ConfigError

# Entity -> how Faker makes one. An entity not listed gets a numbered stand-in instead.
_MAKERS = {
    "PERSON": lambda f: f.name(),
    "EMAIL_ADDRESS": lambda f: f.email(),
    "PHONE_NUMBER": lambda f: f.phone_number(),
    "CREDIT_CARD": lambda f: f.credit_card_number(),
    "IBAN_CODE": lambda f: f.iban(),
    "US_SSN": lambda f: f.ssn(),
    "IP_ADDRESS": lambda f: f.ipv4_public(),
    "STREET_ADDRESS": lambda f: f.address().replace("\n", ", "),
    "LOCATION": lambda f: f.city(),
    "ORGANIZATION": lambda f: f.company(),
    "URL": lambda f: f.url(),
    "US_BANK_NUMBER": lambda f: f.bban(),
}

_faker = None


def available() -> bool:
    try:
        import faker  # noqa: F401
    except ImportError:
        return False
    return True


def require() -> None:
    if not available():
        raise ConfigError("pii step: pseudonym_style = \"fake\" needs the Faker package "
                          "(`pip install faker`); or use pseudonym_style = \"numbered\"")


def fake_value(entity: str, seed: int) -> str | None:
    global _faker
    maker = _MAKERS.get(entity)
    if maker is None:
        return None
    require()
    if _faker is None:
        from faker import Faker

        _faker = Faker("en_US")
    _faker.seed_instance(seed)
    return maker(_faker)
