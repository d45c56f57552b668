"""Example Workbench plugin: an EMPLOYEE_ID recognizer for the `pii` step.

Workbench finds this module through the `workbench` entry-point group (see pyproject.toml) and
calls `register_pii_recognizers`. The recognizer is registered as a factory, so Presidio is
imported only when a PII scan is set up, never when a plain `workbench export` loads plugins.
"""

from workbench.api import hookimpl

__version__ = "0.1.0"

ENTITY = "EMPLOYEE_ID"
# Quillfield-style staff numbers: EMP-204518, emp 204518, E-204518 (six digits).
PATTERN = r"\b(?:EMP|E)[- ]?\d{6}\b"
CONTEXT = ["employee", "staff", "badge", "emp", "id", "agent", "technician"]


def employee_id_recognizer():
    """A Presidio PatternRecognizer for EMPLOYEE_ID (built when a scan needs it)."""
    from presidio_analyzer import Pattern, PatternRecognizer

    return PatternRecognizer(
        supported_entity=ENTITY,
        name="EmployeeIdRecognizer",
        patterns=[Pattern("employee id", PATTERN, 0.6)],
        context=CONTEXT,
    )


# What the factory will find, so the pii step can list the entity without importing Presidio.
employee_id_recognizer.supported_entities = [ENTITY]
employee_id_recognizer.name = "EmployeeIdRecognizer"


@hookimpl
def register_pii_recognizers(register):
    register(employee_id_recognizer)


__all__ = ["employee_id_recognizer", "register_pii_recognizers", "ENTITY"]
