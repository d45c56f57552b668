import os
import sqlite3
import subprocess
import sys

from workbench.store import SCHEMA_VERSION, Store


def test_store_is_wal_and_versioned(tmp_path):
    store = Store(tmp_path / "wb.db")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.version == SCHEMA_VERSION
    store.close()
    # Reopening does not migrate again or lose anything.
    again = Store(tmp_path / "wb.db")
    assert again.version == SCHEMA_VERSION


def test_newest_decision_wins_and_revert_withdraws_it(tmp_path):
    store = Store(tmp_path / "wb.db")
    store.decisions.decide("exact_dedup", "r1", "keep", rater="ana")
    store.decisions.decide("exact_dedup", "r1", "drop", reason="wrong answer", rater="ben")
    standing = store.decisions.standing("exact_dedup")
    assert standing[("exact_dedup", "r1", "")].action == "drop"
    assert standing[("exact_dedup", "r1", "")].rater == "ben"
    store.decisions.decide("exact_dedup", "r1", "revert", rater="ben")
    assert store.decisions.standing("exact_dedup") == {}
    # Nothing is ever deleted: all three rows remain in the history.
    assert [r["action"] for r in store.decisions.history("r1")] == ["keep", "drop", "revert"]


def test_decision_survives_a_killed_process(tmp_path):
    db = tmp_path / "wb.db"
    code = (
        "import os, sys; from workbench.store import Store\n"
        f"s = Store({str(db)!r})\n"
        "s.decisions.decide('pii', 'rec9', 'reject', reason='not a name', target='0:5', rater='cli')\n"
        "os._exit(9)  # no close, no cleanup: as if the terminal died\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=os.environ.copy())
    assert proc.returncode == 9
    store = Store(db)
    d = store.decisions.standing("pii")[("pii", "rec9", "0:5")]
    assert (d.action, d.reason, d.rater) == ("reject", "not a name", "cli")


def test_unknown_action_is_refused_and_nothing_written(tmp_path):
    store = Store(tmp_path / "wb.db")
    try:
        store.decisions.decide("x", "r1", "obliterate")
    except ValueError as e:
        assert "obliterate" in str(e)
    else:
        raise AssertionError("an unknown action was accepted")
    assert store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0


def test_audit_log_records_who(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_RATER", "dana")
    store = Store(tmp_path / "wb.db")
    store.log("exported", {"rows": 3})
    (row,) = store.audit("exported")
    assert row["who"] == "dana"


def test_newer_schema_is_refused(tmp_path):
    db = tmp_path / "wb.db"
    Store(db).close()
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    con.commit()
    con.close()
    try:
        Store(db)
    except Exception as e:
        assert "newer" in str(e)
    else:
        raise AssertionError("a newer schema was opened")


def test_a_semicolon_in_a_migration_comment_does_not_split_its_statement():
    from workbench.store import sql_statements

    script = """
    CREATE TABLE t (
        a TEXT,  -- one; or two
        b TEXT DEFAULT 'x;y'
    );
    CREATE INDEX t_a ON t(a);
    """
    statements = sql_statements(script)
    assert len(statements) == 2 and statements[0].startswith("CREATE TABLE") and "'x;y'" in statements[0]
