"""Understanding-test results: every kind of bad file, the latest-attempt rule, and follow-ups closed by a later pass."""
import io

import openpyxl
import pytest

from spotcheck import imports, interview, comprehension_followups, comprehension
from spotcheck.importing import ImportRejected
from tests.factories import csv_bytes

HEADER = ["職員番号", "テスト名", "実施日", "得点", "合否"]
MY_NUMBER = "マイナンバー理解度テスト"
PRIVACY = "個人情報保護 確認テスト"


def run(db, rows, *, header=HEADER, name="理解度テスト結果.csv", encoding="utf-8-sig", user_id=None):
    plan = imports.plan(db, "test_results", csv_bytes(header, rows, encoding), name, max_rows=1000)
    imports.apply(db, plan, user_id)
    return plan


def rejected(db, rows, **kwargs):
    with pytest.raises(ImportRejected) as caught:
        run(db, rows, **kwargs)
    assert db.execute("SELECT count(*) FROM test_attempts").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM imports WHERE kind = 'test_results'").fetchone()[0] == 0
    return caught.value.messages


def attempts(db):
    return [tuple(r) for r in db.execute(
        "SELECT s.staff_no, a.test_name, a.taken_on, a.score, a.passed FROM test_attempts a"
        " JOIN staff s ON s.id = a.staff_id ORDER BY s.staff_no, a.test_name, a.taken_on")]


def followups_of(db, kind="test"):
    return [dict(r) for r in db.query("SELECT * FROM followups WHERE kind = ? ORDER BY id", [kind])]


def test_imports_attempts_from_cp932_with_aliases_and_every_pass_word(db, city):
    rows = [["101", PRIVACY.replace(" ", "\u3000"), "R6.6.1", "８０", "合格"],
            ["000102", MY_NUMBER, "令和6年5月1日", "", "×"],
            ["000102", MY_NUMBER, "2024/06/01", "90", "pass"],
            ["000103", MY_NUMBER, "2024-06-03", "40", "不合格"]]
    plan = run(db, rows, header=["staff_no", "test", "taken_on", "score", "passed"], encoding="cp932")
    assert plan.counts["new"] == 4
    assert attempts(db) == [("000101", PRIVACY, "2024-06-01", 80, 1), ("000102", MY_NUMBER, "2024-05-01", None, 0),
                            ("000102", MY_NUMBER, "2024-06-01", 90, 1), ("000103", MY_NUMBER, "2024-06-03", 40, 0)]
    assert any("先頭の 0" in n for n in plan.notices)


def test_reimporting_the_same_file_changes_nothing(db, city):
    rows = [["000101", MY_NUMBER, "2024-05-01", "40", "不合格"]]
    run(db, rows)
    again = run(db, rows)
    assert again.counts == {"new": 0, "changed": 0, "unchanged": 1, "followups_opened": 0, "followups_closed": 0}
    assert len(attempts(db)) == 1 and len(followups_of(db)) == 1


def test_xlsx_with_numbers_and_dates(db, city):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    import datetime as dt
    sheet.append([101, MY_NUMBER, dt.datetime(2024, 7, 1), 75, 1])
    out = io.BytesIO()
    book.save(out)
    plan = imports.plan(db, "test_results", out.getvalue(), "結果.xlsx", max_rows=100)
    imports.apply(db, plan, None)
    assert attempts(db) == [("000101", MY_NUMBER, "2024-07-01", 75, 1)]


@pytest.mark.parametrize("row, message", [
    (["009999", MY_NUMBER, "2024-05-01", "80", "合格"], "結果.csv:2: 職員番号: 009999 は職員名簿にありません。"),
    (["000101", MY_NUMBER, "2024-13-01", "80", "合格"], "結果.csv:2: 実施日:"),
    (["000101", MY_NUMBER, "", "80", "合格"], "結果.csv:2: 実施日: 空欄です。"),
    (["000101", MY_NUMBER, "2999-01-01", "80", "合格"], "結果.csv:2: 実施日: 2999-01-01 は今日より後の日付です。"),
    (["000101", MY_NUMBER, "2024-05-01", "80", "まあまあ"], "結果.csv:2: 合否: 「まあまあ」は 合格/不合格 として読めません"),
    (["000101", MY_NUMBER, "2024-05-01", "八十", "合格"], "結果.csv:2: 得点: 「八十」は得点（0 以上の整数）として読めません。"),
    (["000101", MY_NUMBER, "2024-05-01", "=1+1", "合格"], "結果.csv:2: 得点: 「=1+1」は得点"),
    (["000101", '=HYPERLINK("http://evil.example","x")', "2024-05-01", "80", "合格"], "結果.csv:2: テスト名: 「=HYPERLINK"),
    (["000101", "", "2024-05-01", "80", "合格"], "結果.csv:2: テスト名: 空欄です。"),
    (["000101", "テスト\u202e", "2024-05-01", "80", "合格"], "結果.csv:2: テスト名: テスト名に使えない制御文字"),
])
def test_a_bad_row_rejects_the_whole_file(db, city, row, message):
    good = ["000102", MY_NUMBER, "2024-05-01", "80", "合格"]
    messages = rejected(db, [row, good], name="結果.csv")
    assert messages[0].startswith(message), messages


def test_every_bad_row_is_listed_with_its_line(db, city):
    rows = [["000101", MY_NUMBER, "2024-05-01", "80", "合格"], ["000999", MY_NUMBER, "x", "", "?"],
            ["000101", MY_NUMBER, "2024-05-01", "81", "合格"]]
    messages = rejected(db, rows, name="t.csv")
    assert messages == [
        "t.csv:3: 職員番号: 000999 は職員名簿にありません。",
        messages[1],
        "t.csv:3: 合否: 「?」は 合格/不合格 として読めません（合格・不合格・○・×・1・0・pass・fail）。",
        "t.csv:4: 実施日: 同じ職員・テスト・実施日の行が 2 行目にもあります（1 日 1 回の受験として記録します）。",
    ]
    assert messages[1].startswith("t.csv:3: 実施日:")


def test_missing_column_and_wrong_encoding_are_refused(db, city):
    assert rejected(db, [["000101", MY_NUMBER, "80", "合格"]], header=["職員番号", "テスト名", "得点", "合否"])[0] \
        == "理解度テスト結果.csv:1: 実施日: 必須の列「実施日」（taken_on）がありません。"
    with pytest.raises(ImportRejected) as caught:
        imports.plan(db, "test_results", "職員番号,テスト名".encode("utf-16"), "x.csv", max_rows=10)
    assert caught.value.messages


def test_latest_attempt_decides_and_a_later_pass_closes_the_followup(db, city, make_user):
    admin = make_user("admin")
    first = run(db, [["000101", MY_NUMBER, "2024-05-01", "40", "不合格"],
                     ["000102", MY_NUMBER, "2024-05-01", "40", "不合格"],
                     ["000102", MY_NUMBER, "2024-05-20", "90", "合格"]], user_id=admin)
    assert first.counts["followups_opened"] == 1  # 000102 passed later in the same file
    [opened] = followups_of(db)
    assert (opened["state"], opened["test_name"], opened["visit_id"], opened["campaign_id"]) == \
        ("open", MY_NUMBER, None, city["id"])
    assert opened["due_on"] == "2024-05-31"
    again = run(db, [["000101", MY_NUMBER, "2024-06-01", "50", "不合格"]], user_id=admin)
    assert again.counts["followups_opened"] == 0 and len(followups_of(db)) == 1  # still the one
    passed = run(db, [["000101", MY_NUMBER, "2024-07-01", "85", "合格"]], user_id=admin)
    assert passed.counts["followups_closed"] == 1
    [closed] = followups_of(db)
    assert closed["state"] == "closed" and closed["confirmed_by"] == admin
    assert "令和6年7月1日実施）に合格したため完了" in closed["confirmation"]
    attempt = db.execute("SELECT id FROM test_attempts WHERE taken_on = '2024-07-01'").fetchone()[0]
    assert closed["closed_by_attempt"] == attempt
    log = [r["action"] for r in db.query("SELECT action FROM audit_log WHERE entity = 'followup' ORDER BY id")]
    assert log == ["open_test", "close_passed"]


def test_an_older_pass_imported_later_does_not_close_a_newer_failure(db, city):
    run(db, [["000101", MY_NUMBER, "2024-06-01", "40", "不合格"]])
    plan = run(db, [["000101", MY_NUMBER, "2024-05-01", "90", "合格"]])
    assert plan.counts["followups_closed"] == 0
    assert [f["state"] for f in followups_of(db)] == ["open"]


def test_a_pass_in_one_test_does_not_close_another_tests_followup(db, city):
    run(db, [["000101", MY_NUMBER, "2024-06-01", "40", "不合格"], ["000101", PRIVACY, "2024-07-01", "90", "合格"]])
    assert [f["state"] for f in followups_of(db)] == ["open"]


def test_failures_without_a_campaign_open_nothing_and_say_so(db):
    from tests.factories import SECTION_HEADER, SECTIONS, STAFF, STAFF_HEADER
    for kind, header, rows in (("sections", SECTION_HEADER, SECTIONS), ("staff", STAFF_HEADER, STAFF)):
        imports.apply(db, imports.plan(db, kind, csv_bytes(header, rows), "f.csv", max_rows=100), None)
    plan = run(db, [["000101", MY_NUMBER, "2024-06-01", "40", "不合格"]])
    assert followups_of(db) == [] and any("キャンペーンがないため" in n for n in plan.notices)


def test_a_knowledge_followup_closes_on_a_test_passed_after_it_opened(db, city, make_user):
    staff_id = db.execute("SELECT id, section_id FROM staff WHERE staff_no = '000101'").fetchone()
    auditor = make_user("auditor")
    from spotcheck import visits
    visit_id = visits.start_visit(db, campaign_id=city["id"], staff_id=staff_id[0], auditor_id=auditor, reason="テスト")
    db["followups"].insert({"visit_id": visit_id, "campaign_id": city["id"], "section_id": staff_id[1],
                            "staff_id": staff_id[0], "check_code": interview.CODE_PREFIX + "policy_where",
                            "check_title": "知識不足", "severity": "nonconformity", "finding": "…", "state": "open",
                            "due_on": "2024-07-01", "kind": "knowledge", "created_at": "2024-06-01T10:00:00+09:00",
                            "updated_at": "2024-06-01T10:00:00+09:00"})
    plan = run(db, [["000101", PRIVACY, "2024-05-01", "90", "合格"]])  # before the finding: not a later pass
    assert plan.counts["followups_closed"] == 0
    plan = run(db, [["000101", PRIVACY, "2024-06-10", "90", "合格"]])
    assert plan.counts["followups_closed"] == 1
    [row] = followups_of(db, "knowledge")
    assert row["state"] == "closed" and "個人情報保護 確認テスト（令和6年6月10日実施）" in row["confirmation"]


def test_followup_screens_show_a_test_followup(client, login, db, city):
    run(db, [["000101", MY_NUMBER, "2024-05-01", "40", "不合格"]])
    login("admin")
    [row] = followups_of(db)
    page = client.get(f"/followups/{row['id']}").get_data(as_text=True)
    assert "理解度テスト不合格（マイナンバー理解度テスト）" in page and "鈴木 一郎" in page
    assert "理解度テスト不合格" in client.get("/followups").get_data(as_text=True)
    # Chased like a finding, but not counted as one: the council's 指摘 are what the audit found.
    from spotcheck import council, followups
    assert followups.counts(db, campaign_id=city["id"])["open"] == 1
    assert followups.counts(db, campaign_id=city["id"], audit_only=True)["open"] == 0
    data = council.report_data(db, city)
    assert data.findings == 0 and data.followups.open == 0


def test_cli_dry_run_writes_nothing_and_import_writes(app, runner, db, city, tmp_path):
    path = tmp_path / "理解度テスト結果.csv"
    path.write_bytes(csv_bytes(HEADER, [["000101", MY_NUMBER, "2024-05-01", "40", "不合格"]]))
    result = runner.invoke(args=["import-tests", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "新規 1 件" in result.output and "開くフォローアップ 1 件" in result.output
    assert attempts(db) == []
    result = runner.invoke(args=["import-tests", str(path)])
    assert result.exit_code == 0 and "取り込みました" in result.output
    assert len(attempts(db)) == 1
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(HEADER, [["000101", MY_NUMBER, "2024-05-01", "40", "たぶん"]]))
    result = runner.invoke(args=["import-tests", str(bad)])
    assert result.exit_code == 1 and "bad.csv:2: 合否:" in result.output


def test_test_name_is_compared_after_normalising_spaces():
    assert comprehension.test_name(" 個人情報保護\u3000\u3000確認テスト ") == PRIVACY
    assert comprehension_followups.CODE_PREFIX == "test:"


def test_person_page_and_not_passed_list(client, login, db, city):
    run(db, [["000101", MY_NUMBER, "2024-05-01", "40", "不合格"], ["000102", MY_NUMBER, "2024-05-01", "90", "合格"],
             ["000101", PRIVACY, "2024-05-02", "", "合格"]])
    login("admin")
    staff_id = db.execute("SELECT id FROM staff WHERE staff_no = '000101'").fetchone()[0]
    page = client.get(f"/staff/{staff_id}").get_data(as_text=True)
    assert "未合格（最新の受験が不合格）" in page and "令和6年5月1日" in page
    listing = client.get("/tests").get_data(as_text=True)
    assert "鈴木 一郎" in listing and "髙橋 花子" not in listing
    assert "鈴木 一郎" not in client.get(f"/tests?test={PRIVACY}").get_data(as_text=True)
    dashboard = client.get(f"/dashboard?campaign={city['id']}").get_data(as_text=True)
    assert "理解度テスト" in dashboard and "合格していない職員" in dashboard


@pytest.mark.parametrize("role, status", [("section_head", 403), ("viewer", 403), ("auditor", 200)])
def test_not_passed_list_is_for_the_audit_team(client, login, city, role, status):
    login(role, section_code="0101" if role == "section_head" else None)
    assert client.get("/tests").status_code == status


def test_retention_removes_old_attempts_and_the_persons_trace_in_test_followups(app, db, city):
    from datetime import date

    from spotcheck import retention
    run(db, [["000101", MY_NUMBER, "2024-05-01", "40", "不合格"], ["000102", MY_NUMBER, "2024-05-01", "90", "合格"]])
    years = {"campaign_years": 5, "retirement_years": 5}
    assert retention.plan(db, date(2030, 3, 31), instance=app.instance_path, **years).tests == ()
    planned = retention.plan(db, date(2030, 4, 1), instance=app.instance_path, **years)
    assert len(planned.tests) == 2 and len(planned.followups) == 1 and planned.counts["tests"] == 2
    retention.purge(db, planned, instance=app.instance_path, **years)
    assert db.execute("SELECT count(*) FROM test_attempts").fetchone()[0] == 0
    [row] = followups_of(db)
    person = db.execute("SELECT staff_no FROM staff WHERE id = ?", [row["staff_id"]]).fetchone()[0]
    assert row["finding"] == "" and person.startswith("#section-") and row["state"] == "open"
    assert retention.plan(db, date(2030, 4, 1), instance=app.instance_path, **years).empty


def test_the_followup_due_date_follows_the_configured_days(app, db, city):
    app.config["FOLLOWUP_DAYS"] = {"nonconformity": 10, "major": 3}
    with app.app_context():
        run(db, [["000101", MY_NUMBER, "2024-05-01", "40", "不合格"]])
    assert followups_of(db)[0]["due_on"] == "2024-05-11"


@pytest.mark.parametrize("data, name", [
    (b"\x00\x01\x02garbage\xff\xfe" * 50, "結果.csv"),
    (b"PK\x03\x04not really a workbook", "結果.xlsx"),
    ("職員番号,テスト名,実施日,得点,合否\r\n000101,テスト,2024-05-01,80,合格\r\n".encode("utf-16"), "結果.csv"),
])
def test_hostile_or_unreadable_files_import_nothing(db, city, data, name):
    with pytest.raises(ImportRejected) as caught:
        imports.plan(db, "test_results", data, name, max_rows=100)
    assert caught.value.messages and all(isinstance(m, str) for m in caught.value.messages)
    assert db.execute("SELECT count(*) FROM test_attempts").fetchone()[0] == 0


def test_a_formula_in_an_xlsx_cell_is_refused_not_run(db, city):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["000101", "=HYPERLINK(\"http://evil.example\",\"テスト\")", "2024-05-01", 80, "合格"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ImportRejected) as caught:
        imports.plan(db, "test_results", out.getvalue(), "結果.xlsx", max_rows=100)
    assert any("テスト名" in m or "数式" in m for m in caught.value.messages), caught.value.messages
