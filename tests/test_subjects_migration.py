"""Step 0017: visits and follow-ups rebuilt for section and contract subjects, keeping every row, trigger and index."""
import sqlite3

import pytest

from spotcheck import migrations
from spotcheck.db import connect


def _old_city(db):
    """A database as 0015 left it, with a locked person visit, its rows and a follow-up."""
    migrations.migrations.apply(db, stop_before="0017_visit_subjects")
    db.execute("INSERT INTO sections (code, name, created_at, updated_at) VALUES ('S1', '市民課', '', '')")
    db.execute("INSERT INTO staff (staff_no, name, section_id, employment, uses_pc, search_key, created_at, updated_at)"
               " VALUES ('001', '鈴木', 1, 'regular', 1, 'x', '', '')")
    db.execute("INSERT INTO users (username, display_name, password_hash, role, created_at)"
               " VALUES ('a', 'a', 'x', 'auditor', '')")
    db.execute("INSERT INTO checklists VALUES ('d1', 'selfcheck', '1', '{}', ''), ('d2', 'onsite', '1', '{}', '')")
    db.execute("INSERT INTO campaigns (code, title, selfcheck_digest, onsite_digest, created_at)"
               " VALUES ('R6', 't', 'd1', 'd2', '')")
    db.execute("INSERT INTO visits (campaign_id, section_id, staff_id, auditor_id, status, started_at, scope,"
               " selection_reason) VALUES (1, 1, 1, 1, 'open', '2024-06-01', '{\"checks\": [\"usb\"]}', '再確認')")
    db.execute("INSERT INTO visit_results (visit_id, check_code, result, updated_at) VALUES (1, 'usb', 'major', '')")
    db.execute("INSERT INTO visit_auditors (visit_id, user_id, role, added_at) VALUES (1, 1, 'lead', '')")
    db.execute("INSERT INTO visit_records (visit_id, body, frozen_at) VALUES"
               " (1, '{\"subject\": {\"name\": \"鈴木（署名時）\", \"staff_no\": \"001\"}}', '')")
    db.execute("UPDATE visits SET status = 'locked', locked_at = '2024-06-01'")
    db.execute("INSERT INTO followups (visit_id, campaign_id, section_id, staff_id, check_code, check_title, severity,"
               " finding, state, due_on, created_at, updated_at, employment)"
               " VALUES (1, 1, 1, 1, 'usb', 'USB', 'major', '見た', 'open', '2024-06-08', '', '', 'regular')")
    db.conn.commit()


def test_existing_visits_and_followups_survive_as_person_visits_with_their_triggers(tmp_path):
    db = connect(tmp_path / "x.sqlite")
    _old_city(db)
    before = db.execute("SELECT id, campaign_id, section_id, staff_id, status, scope, selection_reason FROM visits").fetchall()
    migrations.apply(db)
    assert db.execute("SELECT id, campaign_id, section_id, staff_id, status, scope, selection_reason FROM visits").fetchall() == before
    assert db.execute("SELECT subject_kind, contract_id FROM visits").fetchall() == [("person", None)]
    assert db.execute("SELECT staff_id, employment, state FROM followups").fetchall() == [(1, "regular", "open")]
    assert db.execute("SELECT person_name, section_name FROM visit_people").fetchall() == [("鈴木（署名時）", "市民課")]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE tbl_name IN ('visits', 'followups')")}
    assert {"visits_locked_update", "visits_locked_subject", "visits_campaign_section", "visits_staff",
            "followups_section", "followups_staff", "followups_employment"} <= names
    # The locked visit is still read-only, and the triggers of other tables still find it.
    with pytest.raises(sqlite3.IntegrityError, match="visit is locked"):
        db.execute("UPDATE visits SET overall_comment = 'tampered'")
    with pytest.raises(sqlite3.IntegrityError, match="visit is locked"):
        db.execute("UPDATE visit_results SET result = 'ok'")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO followups (visit_id, campaign_id, section_id, staff_id, check_code, check_title,"
                   " severity, finding, state, due_on, created_at, updated_at) VALUES (99, 1, 1, NULL, 'x', 'x',"
                   " 'major', 'x', 'open', '', '', '')")


def test_section_and_contract_visits_need_their_subject(tmp_path):
    db = connect(tmp_path / "x.sqlite")
    _old_city(db)
    migrations.apply(db)
    db.execute("INSERT INTO contracts (contract_no, title, contractor, section_id, subcontracting, personal_data,"
               " created_at, updated_at) VALUES ('R6-1', '住基保守', '株式会社A', 1, 1, 1, '', '')")
    insert = ("INSERT INTO visits (campaign_id, section_id, staff_id, auditor_id, started_at, subject_kind, contract_id)"
              " VALUES (1, 1, ?, 1, '', ?, ?)")
    db.execute(insert, [None, "section", None])
    db.execute(insert, [None, "contract", 1])
    assert db.execute("SELECT person_name FROM visit_people WHERE visit_id = 2").fetchone() == (None,)
    for bad in ([None, "person", None], [None, "contract", None], [None, "section", 1], [None, "team", None]):
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(insert, bad)
    db.execute("UPDATE visits SET status = 'locked' WHERE id = 3")
    with pytest.raises(sqlite3.IntegrityError, match="visit is locked"):
        db.execute("UPDATE visits SET contract_id = NULL, subject_kind = 'section' WHERE id = 3")
    assert db.execute("SELECT section_digest, contract_digest FROM campaigns").fetchall() == [(None, None)]
