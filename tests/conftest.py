"""Fixtures: a fresh instance folder per test, the app, clients, and factories for people and files."""
import csv
import io

import pytest

from spotcheck import auth, campaigns, create_app, imports, loaded_forms, migrations
from spotcheck.db import connect

PASSWORD = "correct horse battery"


@pytest.fixture
def app(tmp_path, monkeypatch):
    """An app on an empty, migrated database in its own instance folder (CSRF off for convenience)."""
    monkeypatch.setenv("SPOTCHECK_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
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


def csv_bytes(header, rows, encoding="utf-8-sig"):
    """A CSV file as Excel would save it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


SECTIONS = [
    ["0101", "総務課", "無", "有"],
    ["0201", "市民課", "有", "無"],
    ["0301", "図書館", "無", "無"],
]
STAFF = [
    ["000101", "鈴木 一郎", "スズキ イチロウ", "0101", "正規職員", "有"],
    ["000102", "髙橋 花子", "タカハシ ハナコ", "0201", "会計年度任用職員", "有"],
    ["000103", "山﨑 次郎", "ヤマザキ ジロウ", "0301", "再任用職員", "無"],
]


@pytest.fixture
def city(db, forms):
    """A tiny city: three sections, three staff and a campaign R6, imported through the real path."""
    for kind, header, rows in (
        ("sections", ["所属コード", "所属名", "特定個人情報", "業務委託システム"], SECTIONS),
        ("staff", ["職員番号", "氏名", "フリガナ", "所属コード", "任用区分", "PC使用"], STAFF),
    ):
        plan = imports.plan(db, kind, csv_bytes(header, rows), f"{kind}.csv", max_rows=1000)
        imports.apply(db, plan, None)
    campaign_id = campaigns.create_campaign(db, "R6", "令和6年度 情報セキュリティ監査", forms, fiscal_year=2024)
    return campaigns.get_campaign(db, campaign_id=campaign_id)
