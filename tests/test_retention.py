"""Retention: what a dry run shows is exactly what the purge removes; tallies, digests and the chain stay."""
import io
import json
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest

from spotcheck import auth, clock, council, followups, integrity, issuance, photos, retention, visits
from spotcheck.clock import TIMEZONE
from spotcheck.importing import ImportRejected
from spotcheck.sqlite import connect
from tests.factories import SELFCHECK_HEADER, answers_row, csv_bytes, import_selfcheck, jpeg
from tests.test_backup import restore_into

FIRST_DAY = date(2030, 4, 1)  # R6 is fiscal 2024: kept through the end of fiscal 2029, i.e. 2030-03-31
LAST_DAY = date(2030, 3, 31)
YEARS = {"campaign_years": 5, "retirement_years": 5}


def make_plan(app, db, today=FIRST_DAY):
    return retention.plan(db, today, instance=app.instance_path, **YEARS)


def run_purge(app, db, today=FIRST_DAY, user_id=None):
    planned = make_plan(app, db, today)
    return planned, retention.purge(db, planned, instance=app.instance_path, user_id=user_id, **YEARS)


def on(monkeypatch, day):
    """The app's clock stands at 10:00 on `day` (what `flask purge` reads as today)."""
    monkeypatch.setattr(clock, "now", lambda: datetime(day.year, day.month, day.day, 10, tzinfo=TIMEZONE))


@pytest.fixture
def printed(app, db, client, login, issued):
    """The issued sheet printed once (its PDF on disk), and a follow-up report with a photo; (visit, serial, pdf)."""
    visit, serial = issued
    login("admin")
    pdf = client.get(f"/visits/{visit['id']}/sheet.pdf").data
    assert pdf.startswith(b"%PDF") and (Path(app.instance_path) / "sheets" / f"{serial}.pdf").exists()
    head = auth.get_user(db, auth.create_user(db, "head", "long enough pw", "section_head", section_code="0101"))
    [finding] = followups.listing(db)
    stored = photos.process(jpeg((10, 120, 10)), Path(app.instance_path) / "photos")
    followups.report(db, finding["id"], head, "USB メモリを回収した（鈴木）", photo=stored)
    return visit, serial, pdf


def personal_traces(db):
    """Every place the tests' names and free texts could still hide, as one string."""
    rows = []
    for table in ("visits", "visit_results", "signatures", "visit_records", "sheets", "followups", "audit_log",
                  "selfcheck_responses", "draws"):
        rows += [str(tuple(row)) for row in db.execute(f"SELECT * FROM {table}")]
    return "\n".join(rows)


def test_the_dry_run_lists_exactly_what_the_purge_then_removes(app, db, printed):
    visit, serial, _pdf = printed
    planned = make_plan(app, db)
    instance = Path(app.instance_path)
    assert planned.campaigns == ((1, "R6"),) and planned.visits == (visit["id"],) and planned.sheets == (serial,)
    assert planned.signatures == 2 and len(planned.photos) == 1 and len(planned.followups) == 1
    assert len(planned.responses) == 1
    assert all((instance / name).exists() for name in planned.files)
    assert sorted(n.split("/")[0] for n in planned.files) == ["photos"] * 4 + ["sheets"]

    _, purge_id = run_purge(app, db)

    assert all(not (instance / name).exists() for name in planned.files)
    assert {r[0] for r in db.execute("SELECT visit_id FROM purged_visits")} == set(planned.visits)
    assert db.execute("SELECT count(*) FROM selfcheck_responses").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM photos WHERE deleted_at IS NULL").fetchone()[0] == 0
    traces = personal_traces(db)
    for text in ("鈴木", "スズキ", "000101", "監査 太郎", "未登録のUSB", "USB メモリを回収", "指摘に納得できない",
                 "前回の指摘の再確認"):
        assert text not in traces
    assert json.loads(db.execute("SELECT counts FROM purges WHERE id = ?", [purge_id]).fetchone()[0]) == planned.counts
    assert make_plan(app, db).empty  # and so a second purge has nothing left to do


def test_a_second_purge_does_nothing_and_says_so(app, db, printed, runner, monkeypatch):
    on(monkeypatch, FIRST_DAY)
    first = runner.invoke(args=["purge", "--yes"])
    assert first.exit_code == 0, first.output
    assert "廃棄しました" in first.output
    before = db.execute("SELECT count(*) FROM purges").fetchone()[0]
    second = runner.invoke(args=["purge", "--yes"])
    assert second.exit_code == 0 and "廃棄するものはありません" in second.output
    assert db.execute("SELECT count(*) FROM purges").fetchone()[0] == before == 1


def test_the_command_line_dry_run_prints_the_same_counts_the_purge_prints_and_changes_nothing(app, db, printed, runner,
                                                                                             monkeypatch):
    on(monkeypatch, FIRST_DAY)
    dry = runner.invoke(args=["purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "令和12年3月31日" in dry.output and "令和6年度以前" in dry.output and "何も変更していません" in dry.output
    assert db.execute("SELECT count(*) FROM purges").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM selfcheck_responses").fetchone()[0] == 1
    refused = runner.invoke(args=["purge"], input="n\n")
    assert refused.exit_code == 1 and db.execute("SELECT count(*) FROM purges").fetchone()[0] == 0
    done = runner.invoke(args=["purge"], input="y\n")
    assert done.exit_code == 0, done.output
    counts = [line for line in dry.output.splitlines() if line.endswith(" 件") or "件（" in line]
    assert counts and all(line in done.output.splitlines() for line in counts)


@pytest.mark.parametrize("day, purged", [(LAST_DAY, False), (FIRST_DAY, True)])
def test_nothing_goes_before_the_end_of_the_last_fiscal_year_kept(app, db, printed, day, purged):
    planned = make_plan(app, db, day)
    assert planned.empty is not purged
    assert planned.cutoff == date(day.year if day.month >= 4 else day.year - 1, 3, 31)


def test_the_council_report_figures_of_a_purged_campaign_do_not_move(app, db, printed, city):
    before = council.report_data(db, city)
    run_purge(app, db)
    assert council.report_data(db, city) == before


def test_the_chain_and_every_record_still_verify_after_a_purge(app, db, printed, runner):
    run_purge(app, db)
    result = runner.invoke(args=["verify-chain"])
    assert result.exit_code == 0, result.output
    assert integrity.verify_chain(db)[0] and issuance.verify_records(db) == []


def test_a_purged_sheet_verifies_as_purged_by_link_and_by_its_pdf(app, db, printed, client):
    _visit, serial, pdf = printed
    run_purge(app, db)
    digest = issuance.get_sheet(db, serial=serial)["digest"]
    for page in (client.get(f"/verify/{serial}?d={digest}"),
                 client.post("/verify", data={"pdf": (io.BytesIO(pdf), "sheet.pdf")},
                             content_type="multipart/form-data")):
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "保存期間満了により廃棄済み" in text and serial in text and "改ざん" not in text
        assert "見つかりません" not in text and "ありません" not in text
    wrong = client.get(f"/verify/{serial}?d={'0' * 64}").get_data(as_text=True)
    assert "改ざんの疑い" in wrong  # a paper stating another digest is still caught


def test_the_purged_pdf_verifies_on_the_command_line(app, db, printed, runner, tmp_path):
    _visit, serial, pdf = printed
    run_purge(app, db)
    (tmp_path / "copy.pdf").write_bytes(pdf)
    result = runner.invoke(args=["verify-sheet", str(tmp_path / "copy.pdf")])
    assert result.exit_code == 0 and "保存期間満了により廃棄済み" in result.output


def test_the_purge_is_recorded_with_when_who_and_what(app, db, printed, make_user):
    admin = make_user("admin", "purger")
    planned, purge_id = run_purge(app, db, user_id=admin)
    row = db.execute("SELECT user_id, cutoff, plan_digest FROM purges WHERE id = ?", [purge_id]).fetchone()
    assert row == (admin, "2030-03-31", planned.digest)
    entry = db.execute("SELECT user_id, after FROM audit_log WHERE action = 'purge' AND entity = 'retention'"
                       " AND entity_id = ?", [purge_id]).fetchone()
    assert entry[0] == admin and json.loads(entry[1])["visits"] == 1
    # The log still says who signed when; only the names went.
    assert db.execute("SELECT count(*) FROM audit_log WHERE action IN ('sign', 'refuse_signature')").fetchone()[0] == 2


def test_a_plan_that_no_longer_matches_the_data_is_refused_and_nothing_changes(app, db, printed, visit):
    planned = make_plan(app, db)
    visits.start_visit(db, campaign_id=1, staff_id=2, auditor_id=visit["auditor"], reason="計画後に始めた監査")
    with pytest.raises(retention.RetentionError, match="変わりました"):
        retention.purge(db, planned, instance=app.instance_path, **YEARS)
    assert db.execute("SELECT count(*) FROM purges").fetchone()[0] == 0


def test_a_locked_visit_that_was_not_purged_still_cannot_be_changed(db, printed):
    visit, _serial, _pdf = printed
    with pytest.raises(sqlite3.IntegrityError, match="locked"):
        db.execute("UPDATE visits SET overall_comment = 'x' WHERE id = ?", [visit["id"]])
    with pytest.raises(sqlite3.IntegrityError, match="frozen"):
        db.execute("UPDATE visit_records SET body = '{}' WHERE visit_id = ?", [visit["id"]])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit_log SET after = NULL")


def test_a_purged_visit_cannot_be_amended_and_its_result_codes_cannot_change(app, db, printed):
    visit, _serial, _pdf = printed
    run_purge(app, db)
    with pytest.raises(visits.VisitError, match="廃棄済み"):
        visits.amend(db, visit["id"], visit["auditor"], "廃棄後の訂正")
    with pytest.raises(sqlite3.IntegrityError, match="locked"):
        db.execute("UPDATE visit_results SET result = 'ok' WHERE visit_id = ?", [visit["id"]])
    with pytest.raises(sqlite3.IntegrityError, match="locked"):
        db.execute("UPDATE visits SET status = 'open' WHERE id = ?", [visit["id"]])


def test_a_retired_person_loses_name_and_number_after_their_own_period(app, db, city):
    db.execute("UPDATE staff SET retired_at = '2024-03-31T17:00:00+09:00' WHERE staff_no = '000103'")  # fiscal 2023
    assert make_plan(app, db, date(2029, 3, 31)).staff == ()
    planned = make_plan(app, db, date(2029, 4, 1))
    assert len(planned.staff) == 1 and planned.campaigns == ()
    retention.purge(db, planned, instance=app.instance_path, **YEARS)
    row = db.execute("SELECT staff_no, name, kana FROM staff WHERE id = ?", [planned.staff[0]]).fetchone()
    assert row[0].startswith("#") and row[1:] == ("", "")


def test_screens_show_purged_people_as_purged(app, db, printed, client):
    visit, _serial, _pdf = printed
    run_purge(app, db)
    [finding] = followups.listing(db)
    placeholder = db.execute("SELECT staff_id FROM visits WHERE id = ?", [visit["id"]]).fetchone()[0]
    for url in ("/visits", f"/visits/{visit['id']}", "/followups", f"/followups/{finding['id']}",
                f"/staff/{placeholder}", "/staff?retired=1"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "（保存期間満了により廃棄）" in page.get_data(as_text=True), url
    sheet = client.get(f"/visits/{visit['id']}/sheet.pdf")
    assert sheet.status_code == 302 and not (Path(app.instance_path) / "sheets" / f"{_serial}.pdf").exists()


def test_a_backup_of_a_purged_instance_restores_and_passes_every_check(app, db, printed, runner, tmp_path,
                                                                         monkeypatch):
    run_purge(app, db)
    assert runner.invoke(args=["backup", "-o", str(tmp_path / "backup.zip")]).exit_code == 0
    result, other = restore_into(tmp_path, monkeypatch, tmp_path / "backup.zip")
    assert result.exit_code == 0, result.output
    restored = connect(other.config["DATABASE"])
    assert restored.execute("SELECT count(*) FROM purged_visits").fetchone()[0] == 1
    restored.close()


def test_a_purged_campaign_takes_no_new_self_check_answers_nor_visits(app, db, printed, city, visit):
    run_purge(app, db)
    with pytest.raises(ImportRejected, match="廃棄済み"):
        import_selfcheck(db, city, csv_bytes(SELFCHECK_HEADER, [answers_row("000102")]))
    with pytest.raises(visits.VisitError, match="廃棄済み"):
        visits.start_visit(db, campaign_id=city["id"], staff_id=2, auditor_id=visit["auditor"], reason="廃棄後")


def test_settled_devices_lose_who_used_them_notes_and_photo_and_open_ones_keep_everything(app, db, city, make_user,
                                                                                          monkeypatch):
    from spotcheck import device_figures, devices
    from tests.test_devices import device_input
    user = make_user("auditor")
    folder = Path(app.instance_path) / "photos"
    on(monkeypatch, date(2024, 6, 3))
    stored = photos.process(jpeg((200, 200, 200)), folder)
    photo = devices.Photo(stored.name, stored.thumb_name, stored.sha256)
    removed, _ = devices.record(db, device_input(db, used_by="山田 太郎"), user, "k1", photo=photo)
    assert devices.change_status(db, removed, user, expected="confirmed", status="removed", note="山田さんが持ち帰った")
    still_open, _ = devices.record(db, device_input(db, used_by="佐藤 花子"), user, "k2")
    on(monkeypatch, date(2025, 6, 3))  # settled in fiscal 2025: kept one year longer than the first
    later, _ = devices.record(db, device_input(db, used_by="高橋 一郎"), user, "k3")
    assert devices.change_status(db, later, user, expected="confirmed", status="managed", note="高橋さんから移管")
    counts = device_figures.counts(db)

    planned = make_plan(app, db)
    assert planned.devices == (removed,)
    assert sorted(planned.files) == sorted(f"photos/{name}" for name in (stored.name, stored.thumb_name))
    run_purge(app, db)

    row = db.execute("SELECT used_by, photo_name, photo_thumb, photo_sha256, status FROM devices WHERE id = ?",
                     [removed]).fetchone()
    assert tuple(row) == ("", None, None, None, "removed")
    assert not (folder / stored.name).exists() and not (folder / stored.thumb_name).exists()
    notes = {r[0] for r in db.execute("SELECT note FROM device_events WHERE device_id = ?", [removed])}
    assert notes == {""}
    log = " ".join(str(tuple(r)) for r in db.execute("SELECT before, after FROM audit_log WHERE entity = 'device'"))
    assert "山田さんが持ち帰った" not in log and "高橋さんから移管" not in log  # notes live in the history only
    kept = {r[0]: r[1] for r in db.execute("SELECT id, used_by FROM devices WHERE id <> ?", [removed])}
    assert kept == {still_open: "佐藤 花子", later: "高橋 一郎"}
    assert device_figures.counts(db) == counts  # the register's figures do not move
    assert make_plan(app, db).devices == ()
    assert make_plan(app, db, date(2031, 4, 1)).devices == (later,)
