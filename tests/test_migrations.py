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


def test_widening_kinds_keeps_existing_rows_references_and_the_audit_trigger(tmp_path):
    db = connect(tmp_path / "x.sqlite")
    migrations.migrations.apply(db, stop_before="0015_contracts_and_subject_kinds")
    db.execute("INSERT INTO sections (code, name, created_at, updated_at) VALUES ('S1', '総務課', '', '')")
    db.execute("INSERT INTO users (username, display_name, password_hash, role, created_at) VALUES ('a', 'a', 'x', 'auditor', '')")
    db.execute("INSERT INTO checklists VALUES ('d1', 'selfcheck', '1', '{}', ''), ('d2', 'onsite', '1', '{}', '')")
    db.execute("INSERT INTO campaigns (code, title, selfcheck_digest, onsite_digest, created_at) VALUES ('R6', 't', 'd1', 'd2', '')")
    db.execute("INSERT INTO imports (kind, filename, sha256, campaign_id, summary, created_at) VALUES ('staff', 'f', 'h', 1, '', '')")
    db.execute(
        "INSERT INTO draws (campaign_id, kind, pool, pool_digest, seed, method, options, chosen_id, drawn_by, drawn_at)"
        " VALUES (1, 'section', '[]', 'p', 's', 'm', '{}', 1, 1, '')"
    )
    db.conn.commit()
    migrations.apply(db)
    assert [r[0] for r in db.execute("SELECT kind FROM imports")] == ["staff"]
    assert [r[0] for r in db.execute("SELECT kind FROM draws")] == ["section"]
    assert db.execute("SELECT count(*) FROM checklists").fetchone()[0] == 2
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    db.execute("INSERT INTO imports (kind, filename, sha256, summary, created_at) VALUES ('contracts', 'f', 'h', '', '')")
    db.execute("INSERT INTO checklists VALUES ('d3', 'section', '1', '{}', '')")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO imports (kind, filename, sha256, summary, created_at) VALUES ('bogus', 'f', 'h', '', '')")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO contracts (contract_no, title, contractor, section_id, subcontracting, personal_data,"
                   " created_at, updated_at) VALUES ('R6-委-1', 't', 'c', 999, 0, 1, '', '')")
    db.execute("INSERT INTO audit_log (created_at, action, entity, entity_id) VALUES ('now', 'create', 'draw', 1)")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit_log SET action = 'tampered'")
