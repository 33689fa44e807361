"""The 操作履歴 screen and its CSV: admins only, filters, bad filters, and an entry for every state change."""
import csv
import io
import json

import pytest

from spotcheck import auth, campaigns
from tests.factories import PASSWORD


def entries(db, **where):
    """Audit rows matching column = value, oldest first, with before/after decoded."""
    clause = " AND ".join(f"{column} IS ?" for column in where) or "1 = 1"
    return [dict(r, before=json.loads(r["before"]) if r["before"] else None,
                 after=json.loads(r["after"]) if r["after"] else None)
            for r in db.query(f"SELECT * FROM audit_log WHERE {clause} ORDER BY id", list(where.values()))]


def csv_rows(response):
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads UTF-8 only with the BOM
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize("role", ["auditor", "viewer", "section_head"])
@pytest.mark.parametrize("url", ["/admin/audit", "/admin/audit.csv"])
def test_only_the_audit_lead_sees_the_trail(client, login, city, role, url):
    login(role, section_code="0101" if role == "section_head" else None)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", ["/admin/audit", "/admin/audit.csv"])
def test_anonymous_visitors_are_sent_to_the_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_trail_lists_who_did_what_newest_first_in_japanese(client, login, db, issued):
    login("admin")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "操作履歴" in page and 'href="/admin/audit"' in page  # the menu link
    for words in ("ログイン", "確認結果を記録", "結果票を発行", "取り込み（職員名簿）", "コマンド", "自動（署名による確定）",
                  "不適合", "令和"):
        assert words in page, words
    table = page.split("<table", 1)[1]  # the filter's options hold the codes as their values
    assert "set_result" not in table and "&#34;" not in table and '{"' not in table
    assert page.index("ログイン") < page.index("実地監査を開始")  # newest first
    assert 'class="when"' in page  # the 和暦 time column never wraps


def test_filters_narrow_the_trail(client, login, db, issued, make_user):
    admin_id = login("admin")
    client.post("/logout")
    client.post("/login", data={"username": "admin-user", "password": PASSWORD})
    page = client.get("/admin/audit?action=user.logout").get_data(as_text=True)
    assert "1 件" in page and "ログアウト" in page and "確認結果を記録" not in page.split("<table", 1)[1]
    page = client.get(f"/admin/audit?user={admin_id}&entity=user").get_data(as_text=True)
    assert "3 件" in page  # login, logout, login
    page = client.get("/admin/audit?user=none&entity=followup").get_data(as_text=True)
    assert "自動（署名による確定）" in page and "ログイン" not in page.split("<table", 1)[-1]
    assert "0 件" in client.get("/admin/audit?from=2999-01-01").get_data(as_text=True)
    today = db.execute("SELECT substr(max(created_at), 1, 10) FROM audit_log").fetchone()[0]
    page = client.get(f"/admin/audit?from={today}&to={today}&entity=sheet").get_data(as_text=True)
    assert "結果票を発行" in page and "1 件" in page


@pytest.mark.parametrize("query, message", [
    ("from=abc", "日付として読めません"),
    ("from=2024-06-02&to=2024-06-01", "より後の日付です"),
    ("entity=%3Cscript%3E", "対象の種類「&lt;script&gt;」はありません"),
    ("action=visit.nothing", "はありません"),
    ("user=999", "利用者が見つかりません"),
    ("user=abc", "利用者が見つかりません"),
])
def test_bad_filters_get_a_japanese_message_not_an_error(client, login, city, query, message):
    login("admin")
    page = client.get(f"/admin/audit?{query}")
    assert page.status_code == 400 and message in page.get_data(as_text=True)
    response = client.get(f"/admin/audit.csv?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_paging_shows_page_size_rows(app, client, login, db, city):
    app.config["PAGE_SIZE"] = 2
    login("admin")
    first = client.get("/admin/audit").get_data(as_text=True)
    assert first.count('class="when"') == 2 and "次へ" in first
    assert client.get("/admin/audit?page=2").get_data(as_text=True).count('class="when"') == 2
    assert client.get("/admin/audit?page=abc").status_code == 200


def test_csv_has_a_bom_japanese_columns_readable_changes_and_no_formulas(client, login, db, issued, make_user):
    # A display name Excel would run as a formula, if the cell were not neutralised.
    auth.create_user(db, "attacker", PASSWORD, "auditor", display_name="=HYPERLINK(\"http://x\")")
    client.post("/login", data={"username": "attacker", "password": PASSWORD})
    client.post("/logout")
    login("admin")
    response = client.get("/admin/audit.csv")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0] == ["日時（和暦）", "日時（ISO）", "利用者", "対象", "対象ID", "操作", "変更前", "変更後"]
    actors = [r[2] for r in rows[1:]]
    assert "'=HYPERLINK(\"http://x\")（attacker）" in actors and not any(a.startswith("=") for a in actors)
    result = next(r for r in rows if r[5] == "確認結果を記録" and "不適合" in r[7])
    assert result[0].startswith("令和") and result[3] == "監査記録" and "確認項目: USBメモリ等の外部記録媒体" in result[7]
    assert not any(cell.startswith("{") for r in rows for cell in r)
    # The export itself is logged, with the filters it used.
    assert entries(db, action="export", entity="audit_log")[-1]["after"] == {"filters": {}, "format": "csv"}


def test_csv_keeps_the_screens_filters(client, login, db, issued):
    login("admin")
    rows = csv_rows(client.get("/admin/audit.csv?entity=sheet"))
    assert [r[5] for r in rows[1:]] == ["結果票を発行"]


def test_logins_failed_logins_and_logouts_leave_entries_without_passwords(client, make_user, db):
    user_id = make_user("auditor", "kensa")
    client.post("/login", data={"username": "kensa", "password": "wrong password 1"})
    client.post("/login", data={"username": "correct horse typed as name", "password": "x"})
    client.post("/login", data={"username": "kensa", "password": PASSWORD})
    client.post("/logout")
    failed = entries(db, action="login_failed")
    assert [(e["user_id"], e["entity_id"], e["after"]) for e in failed] == [
        (None, user_id, {"reason": "rejected", "username": "kensa"}),
        (None, None, {"reason": "rejected"}),  # a name no account has may be a mistyped password: not kept
    ]
    assert [e["action"] for e in entries(db, user_id=user_id)] == ["login", "logout"]
    stored = " ".join(str(r) for r in db.execute("SELECT * FROM audit_log"))
    assert "wrong password" not in stored and "correct horse" not in stored and PASSWORD not in stored


def test_the_failure_that_locks_a_name_says_so(app, client, make_user, db):
    make_user("auditor", "kensa")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"username": "kensa", "password": "wrong password"})
    client.post("/login", data={"username": "kensa", "password": PASSWORD})  # refused while locked: not logged
    failed = entries(db, action="login_failed")
    assert len(failed) == app.config["LOGIN_MAX_FAILURES"] and failed[-1]["after"]["lock"] is True


def test_an_idle_timeout_is_logged(app, client, login, db):
    user_id = login("auditor")
    with client.session_transaction() as session:
        session["last_seen"] = "2000-01-01T00:00:00+09:00"
    client.get("/")
    assert entries(db, user_id=user_id)[-1]["action"] == "session_expired"


def test_issuing_and_printing_a_sheet_leave_entries(client, login, db, issued):
    visit, serial = issued
    issue = entries(db, entity="sheet", action="issue")
    assert len(issue) == 1 and issue[0]["entity_id"] == visit["id"] and issue[0]["after"]["serial"] == serial
    assert issue[0]["user_id"] == visit["auditor"]
    user_id = login("auditor", "printer")
    assert client.get(f"/visits/{visit['id']}/sheet.pdf").status_code == 200
    printed = entries(db, entity="sheet", action="print")
    assert [(e["user_id"], e["entity_id"], e["after"]) for e in printed] == [(user_id, visit["id"], {"serial": serial})]


def test_the_visit_log_shows_the_sheet_and_reads_like_the_trail(client, login, db, issued):
    visit, serial = issued
    login("admin")
    page = client.get(f"/visits/{visit['id']}/log").get_data(as_text=True)
    assert "結果票を発行" in page and serial in page and "確認項目: USBメモリ等の外部記録媒体" in page and "不適合" in page
    assert "set_result" not in page and '{"' not in page


def test_exports_of_reports_are_logged(client, login, db, issued):
    user_id = login("auditor", "exporter")
    assert client.get("/exports/findings.csv").status_code == 200
    assert client.get("/exports/items.xlsx").status_code == 200
    assert client.get("/reports/council.pdf?edition=public").status_code == 200
    logged = [(e["user_id"], e["after"]["table"], e["after"]["format"]) for e in entries(db, entity="report")]
    assert logged == [(user_id, "findings", "csv"), (user_id, "items", "xlsx"), (user_id, "public", "pdf")]


def test_a_refused_export_is_not_logged_as_one(client, login, db, city):
    login("viewer")
    assert client.get("/exports/findings.csv").status_code == 404
    assert entries(db, entity="report") == []


def test_batch_printing_is_logged_with_the_serials(client, login, db, issued):
    _visit, serial = issued
    user_id = login("admin")
    day = db.execute("SELECT substr(locked_at, 1, 10) FROM visits").fetchone()[0]
    assert client.get(f"/sheets?day={day}").status_code == 200
    (batch,) = entries(db, action="print_batch")
    assert batch["user_id"] == user_id and batch["after"]["serials"] == [serial]


def test_saving_report_texts_is_logged_with_before_and_after(db, city, make_user):
    user_id = make_user("admin")
    campaigns.save_report_texts(db, city["id"], user_id, {"summary": "初版", "next_steps": ""})
    campaigns.save_report_texts(db, city["id"], user_id, {"summary": "第二版", "next_steps": ""})
    campaigns.save_report_texts(db, city["id"], user_id, {"summary": "第二版", "next_steps": ""})  # no change
    logged = entries(db, action="save_report_texts")
    assert [(e["before"], e["after"]) for e in logged] == [({"summary": ""}, {"summary": "初版"}),
                                                           ({"summary": "初版"}, {"summary": "第二版"})]


def test_backup_and_restore_by_command_are_logged_with_no_user(app, db, city, runner, tmp_path, monkeypatch):
    from tests.test_backup import restore_into

    assert runner.invoke(args=["backup", "-o", str(tmp_path / "b.zip")]).exit_code == 0
    (made,) = entries(db, action="backup")
    assert made["user_id"] is None and made["after"]["file"] == "b.zip"
    result, other = restore_into(tmp_path, monkeypatch, tmp_path / "b.zip")
    assert result.exit_code == 0, result.output
    from spotcheck.sqlite import connect

    restored = connect(other.config["DATABASE"])
    try:
        (done,) = entries(restored, action="restore")
        assert done["user_id"] is None and done["after"] == {"file": "b.zip", "files": 1, "ok": True}
    finally:
        restored.close()


def test_council_report_by_command_is_logged(db, city, runner, tmp_path):
    assert runner.invoke(args=["council-report", "R6", "-o", str(tmp_path / "r.pdf")]).exit_code == 0
    (logged,) = entries(db, entity="report")
    assert logged["user_id"] is None and logged["after"] == {"campaign": "R6", "format": "pdf", "table": "council"}
