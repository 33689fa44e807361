"""Records that hold up as evidence: frozen at lock, only what was seen, every edit or loss named."""
import io
import json
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader

from spotcheck import council, draw, followups, imports, integrity, issuance, migrations, printing, record, report, visits
from spotcheck.db import connect
from tests.factories import (SECTION_HEADER, SECTIONS, STAFF, STAFF_HEADER, change, csv_bytes, fill_all, sign_both,
                             soon)
from tests.system import poppler

pytestmark = pytest.mark.usefixtures("city")


def reimport(db, kind, header, rows):
    plan = imports.plan(db, kind, csv_bytes(header, rows), f"{kind}.csv", max_rows=1000)
    imports.apply(db, plan, None)


def sheet_text(client, visit_id, tmp_path):
    response = client.get(f"/visits/{visit_id}/sheet.pdf")
    assert response.status_code == 200
    (tmp_path / "sheet.pdf").write_bytes(response.data)
    return poppler("pdftotext", "-layout", str(tmp_path / "sheet.pdf"), "-").decode()


def staff_id(db, staff_no):
    return db.execute("SELECT id FROM staff WHERE staff_no = ?", [staff_no]).fetchone()[0]


# ---------------------------------------------------------------- 1. the frozen record


def test_a_signed_sheet_stays_valid_and_unchanged_after_a_rename_and_a_section_rename(client, login, db, issued,
                                                                                     tmp_path):
    visit, serial = issued
    login("auditor", "printer")
    before = sheet_text(client, visit["id"], tmp_path)
    renamed = [["000101", "佐藤　一郎", "サトウ イチロウ", "0101", "正規職員", "有"], *STAFF[1:]]
    reimport(db, "staff", STAFF_HEADER, renamed)
    reimport(db, "sections", SECTION_HEADER, [["0101", "総務部総務課", "有", "有"], *SECTIONS[1:]])
    assert issuance.status(db, serial)["state"] == issuance.VALID
    page = client.get(f"/verify/{serial}").get_data(as_text=True)
    assert "有効" in page and "総務課" in page and "総務部総務課" not in page
    signed = record.load(db, visit["id"])
    assert signed.subject.name == "鈴木 一郎" and signed.subject.section_name == "総務課"
    (Path(client.application.instance_path) / "sheets" / f"{serial}.pdf").unlink()  # printed again from the record
    assert sheet_text(client, visit["id"], tmp_path) == before
    [finding] = followups.listing(db)
    assert finding["person_name"] == "鈴木 一郎" and finding["section_name"] == "総務課"
    assert "鈴木 一郎" in client.get("/visits").get_data(as_text=True)


def test_an_open_visit_keeps_its_checks_when_the_my_number_flag_is_reimported(db, visit):
    checks = {s.check.code for s in record.load(db, visit["id"]).steps}
    assert "counter_visibility" not in checks  # 総務課 handles no My Number data when the visit starts
    reimport(db, "sections", SECTION_HEADER, [["0101", "総務課", "有", "無"], *SECTIONS[1:]])
    assert {s.check.code for s in record.load(db, visit["id"]).steps} == checks
    assert change(db, visit, "result", "ok", check="outsourcing_file")["applied"] is True


def test_retiring_the_person_changes_nothing_signed(db, issued):
    visit, serial = issued
    reimport(db, "staff", STAFF_HEADER, STAFF[1:])  # 000101 leaves the roster
    assert issuance.status(db, serial)["state"] == issuance.VALID
    assert issuance.verify_records(db) == []


def test_names_are_printed_exactly_as_the_roster_has_them(client, login, db, city, make_user, tmp_path):
    reimport(db, "staff", STAFF_HEADER, [["000101", "夏井　美咲", "ナツイ ミサキ", "0101", "正規職員", "有"],
                                          ["000102", "髙﨑 ①子", "タカサキ イチコ", "0201", "正規職員", "有"], *STAFF[2:]])
    auditor = make_user("auditor", "lead")
    for staff_no in ("000101", "000102"):
        v = {"id": visits.start_visit(db, campaign_id=city["id"], staff_id=staff_id(db, staff_no), auditor_id=auditor,
                                      reason="名前の印字の確認"), "auditor": auditor}
        fill_all(db, v)
        sign_both(db, v)
    login("auditor", "printer")
    ids = [row[0] for row in db.execute("SELECT id FROM visits ORDER BY id")]
    # pypdf gives the characters as drawn; pdftotext -layout turns the full-width space into spacing.
    first_pages = [PdfReader(io.BytesIO(client.get(f"/visits/{i}/sheet.pdf").data)).pages[0].extract_text() for i in ids]
    assert "夏井\u3000美咲" in first_pages[0]
    assert "髙﨑 ①子" in first_pages[1]


# ---------------------------------------------------------------- 2. only what was seen


def test_a_finding_without_a_remark_cannot_be_signed(db, visit):
    fill_all(db, visit)
    change(db, visit, "result", "major", check="wire_lock", at=soon(60))
    with pytest.raises(visits.VisitError, match="所見.*未記入.*ワイヤーロック"):
        sign_both(db, visit, remark=None)
    assert visits.get_visit(db, visit["id"])["status"] == "open"


def test_the_sheet_and_follow_up_state_the_remark_and_never_the_criterion(client, login, db, issued, tmp_path):
    visit, serial = issued
    signed = record.load(db, visit["id"])
    criterion = signed.checklist.check("external_media").noncompliant
    login("auditor", "printer")
    text = "".join(sheet_text(client, visit["id"], tmp_path).split())
    assert "未登録のUSBメモリが挿さったままだった" in text and "".join(criterion.split()) not in text
    [followup] = followups.listing(db)
    assert followup["finding"] == "未登録のUSBメモリが挿さったままだった"


def test_a_legacy_finding_without_a_remark_prints_that_none_was_written(db, visit):
    checklist = record.load(db, visit["id"]).checklist
    step = record.Step(checklist.check("wire_lock"), "major", "重大", "", (), (), checklist)
    assert step.fact == "（所見の記載なし）"


def test_the_signing_screen_shows_the_facts_the_sheet_will_print(client, login, db, visit):
    fill_all(db, visit)
    change(db, visit, "result", "nonconformity", check="wire_lock", at=soon(60))
    visits.add_co_auditor(db, visit["id"], visit["auditor"], login("auditor", "second"))
    page = client.get(f"/visits/{visit['id']}/sign").get_data(as_text=True)
    # The pads are on the page for signing offline, but hidden until nothing is missing.
    assert "未記入" in page and "data-signature-form hidden" in page
    change(db, visit, "remark", "ワイヤーが机の脚に掛かっていなかった", check="wire_lock", at=soon(90))
    page = client.get(f"/visits/{visit['id']}/sign").get_data(as_text=True)
    assert "事実: ワイヤーが机の脚に掛かっていなかった" in page and "data-signature-form >" in page


# ---------------------------------------------------------------- 3. the chain proves itself


def second_sheet(db, city, auditor):
    v = {"id": visits.start_visit(db, campaign_id=city["id"], staff_id=staff_id(db, "000102"), auditor_id=auditor,
                                  reason="二件目"), "auditor": auditor}
    fill_all(db, v)
    sign_both(db, v)
    return issuance.get_sheet(db, visit_id=v["id"])["serial"]


@pytest.mark.parametrize("tamper, named", [
    ("UPDATE visit_results SET result = 'ok' WHERE check_code = 'external_media'", "external_media の result"),
    ("UPDATE visit_results SET remark = '問題なし' WHERE check_code = 'external_media'", "external_media の remark"),
    ("UPDATE photos SET sha256 = 'x' || substr(sha256, 2)", "external_media の photos"),
    ("UPDATE signatures SET png = x'89504e470d0a1a0a' WHERE role = 'auditor'", "signatures"),
    ("UPDATE visits SET overall_comment = '問題なし'", "comment"),
    ("UPDATE visit_records SET body = replace(body, '鈴木 一郎', '別人')", "person"),
    ("UPDATE visits SET status = 'open'", "確定していない状態"),
])
def test_verify_chain_names_an_edit_made_in_the_database_file(runner, db, issued, tamper, named):
    for trigger in ("visits_locked_update", "visit_results_locked_update", "photos_locked_update",
                    "visit_records_no_update"):
        db.execute(f"DROP TRIGGER {trigger}")
    assert runner.invoke(args=["verify-chain"]).exit_code == 0
    db.execute(tamper)
    db.conn.commit()
    result = runner.invoke(args=["verify-chain"])
    assert result.exit_code == 1 and "R6-0001" in result.output and named in result.output, result.output


def test_a_frozen_record_edited_into_nonsense_reads_as_altered_not_as_an_error(client, runner, db, issued):
    _visit, serial = issued
    db.execute("DROP TRIGGER visit_records_no_update")
    db.execute("UPDATE visit_records SET body = '{\"format\": 2}'")
    db.conn.commit()
    page = client.get(f"/verify/{serial}")
    assert page.status_code == 200 and "改ざんの疑い" in page.get_data(as_text=True)
    result = runner.invoke(args=["verify-chain"])
    assert result.exit_code == 1 and "読めません" in result.output


def test_deleting_the_newest_chain_entries_is_caught(runner, db, issued, city, visit):
    second_sheet(db, city, visit["auditor"])
    head = integrity.head(db)
    db.execute("DROP TRIGGER chain_no_delete")
    db.execute("DELETE FROM chain WHERE id = (SELECT max(id) FROM chain)")
    db.conn.commit()
    assert integrity.verify_chain(db)[0]  # what is left still links up…
    result = runner.invoke(args=["verify-chain"])
    assert result.exit_code == 1 and "R6-0002" in result.output and "発行の記録がない" in result.output


def test_a_written_down_head_proves_that_nothing_after_it_was_lost(runner, db, issued, city, visit):
    written = runner.invoke(args=["chain-head"])
    assert written.exit_code == 0 and "第1号" in written.output
    short = written.output.split("--head ")[1].strip()
    second_sheet(db, city, visit["auditor"])
    assert runner.invoke(args=["verify-chain", "--head", short]).exit_code == 0
    # An attacker removes everything about the second sheet and rebuilds the chain from scratch.
    for statement in ("DROP TRIGGER chain_no_delete", "DROP TRIGGER chain_no_update", "DELETE FROM chain"):
        db.execute(statement)
    db.execute("DELETE FROM sheets WHERE serial = 'R6-0002'")
    db.execute("DROP TRIGGER visits_locked_update")
    db.execute("UPDATE visits SET status = 'open' WHERE id = (SELECT max(id) FROM visits)")
    sheet = issuance.get_sheet(db, serial="R6-0001")
    db["chain"].insert({"serial": "R6-0001", "kind": "issue", "digest": sheet["digest"], "created_at": "2026-01-01",
                        "prev_hash": integrity.GENESIS,
                        "entry_hash": integrity.entry_hash(integrity.GENESIS, "R6-0001", "issue", sheet["digest"],
                                                           "2026-01-01")})
    db.conn.commit()
    assert runner.invoke(args=["verify-chain"]).exit_code == 0  # self-consistent again…
    result = runner.invoke(args=["verify-chain", "--head", short])
    assert result.exit_code == 1 and "見つかりません" in result.output  # …but not with the paper in hand


def test_verify_chain_rejects_a_malformed_head(runner, issued):
    result = runner.invoke(args=["verify-chain", "--head", "not-a-hash"])
    assert result.exit_code == 1 and "16〜64 桁" in result.output


def test_each_sheet_prints_its_chain_entry_and_the_one_before(client, login, db, issued, city, visit, tmp_path):
    first = integrity.link_of(db, "R6-0001")
    second_sheet(db, city, visit["auditor"])
    login("auditor", "printer")
    text = sheet_text(client, db.execute("SELECT max(id) FROM visits").fetchone()[0], tmp_path)
    assert "第2号" in text and f"直前 {first.short}" in text
    assert f"第1号 {first.short}" in client.get("/verify/R6-0001").get_data(as_text=True)  # the same value, online


def test_the_council_report_prints_the_chain_head(db, issued, city):
    data = council.report_data(db, city)
    assert integrity.head(db).entry_hash in data.chain_head


# ---------------------------------------------------------------- 4. how the person was chosen


def test_a_hand_picked_visit_needs_a_reason(db, city, make_user):
    with pytest.raises(visits.VisitError, match="理由"):
        visits.start_visit(db, campaign_id=city["id"], staff_id=staff_id(db, "000101"), auditor_id=make_user("auditor"))


def test_a_draw_starts_only_the_visit_of_the_person_it_chose(db, city, make_user):
    auditor = make_user("auditor")
    section = db.execute("SELECT id FROM sections WHERE code = '0101'").fetchone()[0]
    pool = draw.staff_pool(db, city["id"], section, {"base": 1}, pc_only=False)
    draw_id, chosen = draw.record_draw(db, campaign_id=city["id"], kind="staff", section_id=section, pool=pool,
                                       options={}, user_id=auditor)
    other = staff_id(db, "000102")
    with pytest.raises(visits.VisitError, match="抽選"):
        visits.start_visit(db, campaign_id=city["id"], staff_id=other, auditor_id=auditor, draw_id=draw_id)
    visit_id = visits.start_visit(db, campaign_id=city["id"], staff_id=chosen, auditor_id=auditor, draw_id=draw_id)
    assert record.load(db, visit_id).selection.label == f"抽選（抽選記録 No.{draw_id}）"
    with pytest.raises(visits.VisitError, match="既に"):
        visits.start_visit(db, campaign_id=city["id"], staff_id=chosen, auditor_id=auditor, draw_id=draw_id)


def test_the_sheet_and_report_say_how_people_were_chosen(client, login, db, issued, city, tmp_path):
    visit, _serial = issued
    login("auditor", "printer")
    assert "任意選定（理由：前回の指摘の再確認）" in "".join(sheet_text(client, visit["id"], tmp_path).split())
    data = council.report_data(db, city)
    assert data.drawn_visits == 0 and data.visits == 1
    assert "0人（0.0%）は記録に残る抽選で選び、1人は理由を記録して任意に選びました" in report.selection_text(data)


# ---------------------------------------------------------------- 5. teams


def test_only_the_team_can_change_an_open_visit(client, login, db, visit):
    outsider = login("auditor", "outsider")
    response = client.post(f"/visits/{visit['id']}/changes", json={"key": "o" * 20, "field": "result",
                                                                  "check": "clear_desk", "value": "major"})
    assert response.status_code == 403 and "担当ではありません" in response.get_json()["error"]
    assert db.execute("SELECT count(*) FROM visit_results").fetchone()[0] == 0
    assert "担当ではない" in client.get(f"/visits/{visit['id']}").get_data(as_text=True)
    with pytest.raises(visits.VisitNotMember):
        visits.add_co_auditor(db, visit["id"], outsider, outsider)  # nobody joins a team by themselves


def test_a_co_auditor_continues_on_a_second_tablet_and_every_change_names_its_author(client, login, db, visit, app,
                                                                                   runner, tmp_path):
    co = login("auditor", "somu")
    visits.add_co_auditor(db, visit["id"], visit["auditor"], co)
    response = client.post(f"/visits/{visit['id']}/changes", json={"key": "p" * 20, "field": "result",
                                                                  "check": "clear_desk", "value": "ok"})
    assert response.status_code == 200 and response.get_json()["applied"] is True
    by = {e["after"]["check"]: e["user_id"] for e in visits.log_entries(db, visit["id"]) if e["action"] == "set_result"}
    assert by == {"clear_desk": co}
    fill_all(db, visit)
    sign_both(db, visit)
    signed = record.load(db, visit["id"])
    assert [(a.name, a.lead) for a in signed.auditors] == [("auditor-user", True), ("somu", False)]
    assert "somu（共同）" in "".join(sheet_text(client, visit["id"], tmp_path).split())


def test_a_co_auditor_must_be_an_active_audit_account(db, visit, make_user):
    with pytest.raises(visits.VisitError, match="監査員のアカウント"):
        visits.add_co_auditor(db, visit["id"], visit["auditor"], make_user("viewer"))


# ---------------------------------------------------------------- 6. clocks and keys


def test_a_tablet_clock_far_in_the_future_does_not_block_later_real_edits(db, visit):
    change(db, visit, "result", "major", at="9999-12-31T23:59:59.000Z")
    later = change(db, visit, "result", "ok", at=visits.client_now())  # a tablet with a right clock, a moment later
    assert later["applied"] is True
    assert db.execute("SELECT result FROM visit_results WHERE check_code = 'external_media'").fetchone()[0] == "ok"
    notes = [e for e in visits.log_entries(db, visit["id"]) if e["action"] == "clock_distrusted"]
    assert notes and notes[0]["after"]["client_time"] == "9999-12-31T23:59:59.000Z"


def test_a_stamp_from_before_the_bound_was_enforced_never_wins(db, visit):
    change(db, visit, "result", "major")
    db.execute("UPDATE visit_results SET result_changed_at = '9999-12-31T23:59:59.000Z'")
    assert change(db, visit, "result", "ok", at=soon(5))["applied"] is True


def test_a_clock_a_day_behind_is_not_trusted_either(db, visit):
    yesterday = (datetime.now(timezone.utc) - timedelta(days=2)).isoformat(timespec="milliseconds")
    change(db, visit, "remark", "新しい所見", at=yesterday.replace("+00:00", "Z"))
    stored = db.execute("SELECT remark_changed_at FROM visit_results").fetchone()[0]
    assert stored > soon(-60)


def test_a_key_reused_on_another_visit_or_field_is_a_clear_conflict(client, login, db, visit, city):
    visits.add_co_auditor(db, visit["id"], visit["auditor"], login("auditor", "tablet"))
    body = {"key": "k" * 20, "field": "result", "check": "clear_desk", "value": "ok", "changed_at": soon()}
    assert client.post(f"/visits/{visit['id']}/changes", json=body).status_code == 200
    assert client.post(f"/visits/{visit['id']}/changes", json=body).get_json()["applied"] is True  # a retry
    for other in (dict(body, field="remark"), dict(body, check="wire_lock")):
        response = client.post(f"/visits/{visit['id']}/changes", json=other)
        assert response.status_code == 409 and "別の入力" in response.get_json()["error"]
    assert db.execute("SELECT count(*) FROM visit_results").fetchone()[0] == 1


# ---------------------------------------------------------------- 7. first print


def test_ten_simultaneous_first_prints_store_one_file_that_verifies(app, db, issued, runner):
    visit, serial = issued
    folder = Path(app.instance_path) / "sheets"
    results, errors = [], []
    start = threading.Barrier(10)

    def print_once():
        conn = connect(app.config["DATABASE"])
        try:
            with app.app_context():
                start.wait()
                results.append(printing.pdf(conn, serial, folder=folder, fonts=app.extensions["fonts"],
                                            base_url=app.config["BASE_URL"],
                                            photo_folder=Path(app.instance_path) / "photos",
                                            basis=app.config["AUDIT_BASIS"], due_days=app.config["FOLLOWUP_DAYS"]))
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            conn.close()

    threads = [threading.Thread(target=print_once) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(results) == 10 and len(set(results)) == 1
    assert [p.name for p in folder.iterdir()] == [f"{serial}.pdf"]
    result = runner.invoke(args=["verify-sheet", str(folder / f"{serial}.pdf")])
    assert result.exit_code == 0 and "有効" in result.output


# ---------------------------------------------------------------- migration of records locked before 0008


def test_sheets_issued_before_frozen_records_still_verify(db, issued, runner):
    """A sheet as the released app issued it (no frozen record; digest over fewer keys) is rebuilt by 0008."""
    visit, serial = issued
    released = {k: v for k, v in json.loads(issuance.get_sheet(db, serial=serial)["content"]).items()
                if k not in ("format", "kana", "auditors", "selection", "answered_on")}
    digest = integrity.digest(released)
    for trigger in ("sheets_content_fixed", "chain_no_delete", "visit_records_no_delete"):
        db.execute(f"DROP TRIGGER {trigger}")
    db.execute("UPDATE sheets SET content = ?, digest = ?", [json.dumps(released, ensure_ascii=False), digest])
    db.execute("DELETE FROM chain")
    db.execute("DELETE FROM visit_records")
    integrity.append(db, serial, "issue", digest)
    db.conn.commit()
    assert issuance.status(db, serial)["state"] == issuance.ALTERED  # without a frozen record it reads live rows

    migrations.freeze_legacy(db)
    assert record.load(db, visit["id"]).format == 1
    assert issuance.status(db, serial)["state"] == issuance.VALID
    assert runner.invoke(args=["verify-chain"]).exit_code == 0


def test_every_output_reads_the_signed_record_after_a_transfer(client, login, db, issued, city, tmp_path):
    """Renamed, moved to 市民課 and re-employed after signing: the sheet, follow-up and report do not follow."""
    visit, serial = issued
    moved = [["000101", "佐藤　一郎", "サトウ イチロウ", "0201", "会計年度任用職員", "有"], *STAFF[1:]]
    reimport(db, "staff", STAFF_HEADER, moved)
    login("admin")
    [followup] = followups.listing(db)
    page = client.get(f"/followups/{followup['id']}").get_data(as_text=True)
    assert "鈴木 一郎" in page and "佐藤" not in page
    assert "未登録のUSBメモリが挿さったままだった" in page
    assert "有効" in client.get(f"/verify/{serial}").get_data(as_text=True)
    text = "".join(sheet_text(client, visit["id"], tmp_path).split())
    assert "鈴木一郎" in text and "0101総務課" in text and "正規職員" in text
    by_section = {row.label: row.visits for row in council.report_data(db, city).by_section}
    assert by_section.get("総務課") == 1 and not by_section.get("市民課")
    assert client.get("/dashboard").status_code == 200
