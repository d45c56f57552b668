"""Built-in curation steps, registered through the same hook as third-party steps."""

from ..hookspecs import hookimpl
from .balance.step import Balance
from .base import Step, StepContext, StepResult
from .categorize.step import Categorize
from .dedup.exact import ExactDedup
from .dedup.near import NearDedup
from .dedup.semantic import SemanticDedup
from .pii.step import Pii
from .synthetic_review.step import SyntheticReview
from .validate import Validate

# In their usual order in a recipe (the Dedup tab offers the dedup methods in this order too).
BUILTIN_STEPS: list[type[Step]] = [
    Validate,
    ExactDedup,
    NearDedup,
    SemanticDedup,
    Pii,
    Categorize,
    Balance,
    SyntheticReview,
]


@hookimpl
def register_steps(register):
    for step in BUILTIN_STEPS:
        register(step)


__all__ = ["Step", "StepContext", "StepResult", "BUILTIN_STEPS"]
