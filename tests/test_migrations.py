"""Schema steps: apply cleanly to an empty database, and a second time change nothing."""
import sqlite3

import pytest

from spotcheck import migrations
from spotcheck.db import connect


def schema(db):
    return sorted(db.execute("SELECT type, name, sql FROM sqlite_master").fetchall(), key=str)


def test_migrations_apply_to_an_empty_database_and_twice_change_nothing(tmp_path):
    db = connect(tmp_path / "x.sqlite")
    migrations.apply(db)
    first = schema(db)
    migrations.apply(db)
    assert schema(db) == first
    assert {"sections", "staff", "users", "campaigns", "selfcheck_answers", "audit_log"} <= set(db.table_names())


def test_every_connection_enforces_foreign_keys_and_uses_wal(tmp_path):
    db = connect(tmp_path / "x.sqlite")
    migrations.apply(db)
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO staff (staff_no, name, section_id, employment, uses_pc, search_key, created_at, updated_at)"
            " VALUES ('1', 'x', 999, 'regular', 1, 'x', '', '')"
        )


def test_audit_log_refuses_updates_and_deletes(tmp_path):
    db = connect(tmp_path / "x.sqlite")
    migrations.apply(db)
    db.execute("INSERT INTO audit_log (created_at, action, entity) VALUES ('now', 'create', 'user')")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit_log SET action = 'tampered'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM audit_log")
