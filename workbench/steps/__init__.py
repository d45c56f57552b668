"""Built-in curation steps, registered through the same hook as third-party steps."""

from ..hookspecs import hookimpl
from .base import Step, StepContext, StepResult
from .balance import Balance
from .categorize import Categorize
from .exact_dedup import ExactDedup
from .near_dedup import NearDedup
from .pii import Pii
from .semantic_dedup import SemanticDedup
from .synthetic_review import SyntheticReview
from .validate import Validate

# In their usual order in a recipe.
BUILTIN_STEPS: list[type[Step]] = [
    Validate, ExactDedup, NearDedup, SemanticDedup, Pii, Categorize, Balance, SyntheticReview,
]


@hookimpl
def register_steps(register):
    for step in BUILTIN_STEPS:
        register(step)


__all__ = ["Step", "StepContext", "StepResult", "BUILTIN_STEPS"]
