"""Events the Workbench screens send each other, named for what happened."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from .records_view import RecordsView
    from .summary import PipelineSummary


@dataclass
class SnapshotLoaded(Message):
    """A snapshot's records were read and are ready to show (first open or after a run).

    `total` is set when `view` holds only the opening rows of a big snapshot; the whole
    snapshot follows in another SnapshotLoaded.
    """

    view: RecordsView
    summary: PipelineSummary
    total: int | None = None


@dataclass
class SnapshotLoadFailed(Message):
    """The snapshot could not be read; `problem` says why in the user's words."""

    problem: str


@dataclass
class RowsFiltered(Message):
    """A search or category filter finished; `view` holds the matching rows."""

    view: RecordsView


@dataclass
class RecordHighlighted(Message):
    """The table cursor landed on a record (None when the view is empty)."""

    record: dict[str, Any] | None
    index: int


@dataclass
class RecipeProgressed(Message):
    """The running recipe reported progress on one step."""

    label: str
    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        # Only the newest progress matters; a slow screen should not replay every tick.
        return isinstance(message, RecipeProgressed)


@dataclass
class RecipeFinished(Message):
    """The recipe ran to the end and wrote snapshot `snapshot_id` with `rows_out` rows."""

    snapshot_id: str
    rows_in: int
    rows_out: int


@dataclass
class RecipeStopped(Message):
    """The recipe did not finish: cancelled by the user, or a problem the user can fix."""

    problem: str
    cancelled: bool = False


class FilterDismissed(Message):
    """The user pressed escape in the search or category filter: back to the table."""
