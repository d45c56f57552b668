"""The project store: SQLite in WAL mode holding every human decision and the audit log.

`Store` (in db.py) is the connection, schema, transactions and audit log; each kind of data is a
part of it: `store.decisions` (decisions.py), `store.inputs` (inputs.py), `store.pii` (pii.py),
`store.evals` (evals.py) and `store.arena` (arena.py).
"""

from .arena import ArenaPairs
from .base import Part, default_rater, now
from .db import LOCK_POLL_S, LOCK_TIMEOUT_ENV, Store, print_waiting
from .decisions import HUMAN_ACTIONS, Decisions
from .evals import Evals
from .inputs import Inputs
from .pii import PiiFindings
from .schema import MIGRATIONS, SCHEMA_VERSION, sql_statements

__all__ = [
    "HUMAN_ACTIONS", "LOCK_POLL_S", "LOCK_TIMEOUT_ENV", "MIGRATIONS", "SCHEMA_VERSION", "ArenaPairs", "Decisions",
    "Evals", "Inputs", "Part", "PiiFindings", "Store", "default_rater", "now", "print_waiting", "sql_statements",
]
