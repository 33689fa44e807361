"""Fixtures: a fresh instance folder per test, the app, clients, and factories for people and files."""
from pathlib import Path

import pytest

from spotcheck import auth, campaigns, create_app, imports, issuance, loaded_forms, migrations, photos, visits
from spotcheck.db import connect
from tests.factories import (PASSWORD, SECTION_HEADER, SECTIONS, SELFCHECK_HEADER, STAFF, STAFF_HEADER, answers_row,
                             csv_bytes, fill_all, import_selfcheck, jpeg, sign_both, soon)


@pytest.fixture
def app_settings():
    """Settings a test module adds to the app's (override this fixture, e.g. to point FORMS_DIR elsewhere)."""
    return {}


@pytest.fixture
def app(tmp_path, monkeypatch, app_settings):
    """An app on an empty, migrated database in its own instance folder (CSRF off for convenience)."""
    monkeypatch.setenv("SPOTCHECK_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, **app_settings})
    with app.app_context():
        db = connect(app.config["DATABASE"])
        migrations.apply(db)
        db.close()
    return app


@pytest.fixture
def db(app):
    """A connection to the app's database."""
    conn = connect(app.config["DATABASE"])
    yield conn
    conn.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def forms(app):
    """The checklists loaded from forms/."""
    with app.app_context():
        return loaded_forms.current()


@pytest.fixture
def make_user(db):
    """Create an account: make_user("auditor") → user id."""

    def make(role="admin", username=None, section_code=None):
        return auth.create_user(db, username or f"{role}-user", PASSWORD, role, section_code=section_code)

    return make


@pytest.fixture
def login(client, make_user):
    """Log the test client in with a new account of the given role; returns the user id."""

    def do_login(role="admin", username=None, section_code=None):
        user_id = make_user(role, username, section_code)
        response = client.post("/login", data={"username": username or f"{role}-user", "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user_id

    return do_login


@pytest.fixture
def city(db, forms):
    """A tiny city: three sections, three staff and a campaign R6, imported through the real path."""
    for kind, header, rows in (("sections", SECTION_HEADER, SECTIONS), ("staff", STAFF_HEADER, STAFF)):
        plan = imports.plan(db, kind, csv_bytes(header, rows), f"{kind}.csv", max_rows=1000)
        imports.apply(db, plan, None)
    campaign_id = campaigns.create_campaign(db, "R6", "令和6年度 情報セキュリティ監査", forms, fiscal_year=2024)
    return campaigns.get_campaign(db, campaign_id=campaign_id)


@pytest.fixture
def visit(db, city, make_user):
    """An open visit of 000101 (総務課: PC user, outsourcing section) who answered ① except ③ on item 3."""
    import_selfcheck(db, city, csv_bytes(SELFCHECK_HEADER, [answers_row("000101", s19="①", s3="③")]))
    auditor = make_user("auditor")
    staff_id = db.execute("SELECT id FROM staff WHERE staff_no = '000101'").fetchone()[0]
    visit_id = visits.start_visit(db, campaign_id=city["id"], staff_id=staff_id, auditor_id=auditor,
                                  reason="前回の指摘の再確認")
    return {"id": visit_id, "auditor": auditor}


@pytest.fixture
def issued(app, db, visit):
    """A locked visit with a finding, a discrepancy and a photo; returns (visit, serial)."""
    stored = photos.process(jpeg(), Path(app.instance_path) / "photos")
    visits.add_photo(db, visit["id"], visit["auditor"], "external_media", stored)
    fill_all(db, visit)
    visits.save_change(db, visit["id"], visit["auditor"], key="f" * 20, field="result", value="nonconformity",
                       changed_at=soon(60), check_code="external_media")
    visits.save_change(db, visit["id"], visit["auditor"], key="g" * 20, field="remark",
                       value="未登録のUSBメモリが挿さったままだった", changed_at=soon(60),
                       check_code="external_media")
    sign_both(db, visit, refusal="指摘に納得できない")
    return visit, issuance.get_sheet(db, visit_id=visit["id"])["serial"]


