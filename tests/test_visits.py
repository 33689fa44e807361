"""The visit: walk data beside the self-report, autosave that survives retries, signatures, lock, amend."""
import base64
import io
import threading
from pathlib import Path

import pytest
from PIL import Image

from spotcheck import signatures, visits
from spotcheck.sqlite import connect
from tests.factories import change, fill_all, signature_url, steps_by_code, soon


def test_walk_lists_applicable_checks_with_the_persons_own_answers(db, visit):
    steps = steps_by_code(db, visit)
    assert "outsourcing_file" in steps and "counter_visibility" not in steps  # 総務課: outsourcing, no My Number
    usb = steps["external_media"]
    assert [(r.item.no, r.option.label) for r in usb.reports] == [(19, "① できている")]
    assert usb.claims_done is True


def test_over_reporting_is_marked_as_a_discrepancy(db, visit):
    change(db, visit, "result", "nonconformity")
    change(db, visit, "result", "ok", check="wire_lock")  # answered ③ but fine: not a discrepancy
    steps = steps_by_code(db, visit)
    assert steps["external_media"].discrepancy is True and steps["wire_lock"].discrepancy is False


def test_the_same_change_sent_twice_is_applied_once(db, visit):
    first = change(db, visit, "result", "major", key="a" * 20)
    again = change(db, visit, "result", "major", key="a" * 20)
    assert first == again
    logged = [e for e in visits.log_entries(db, visit["id"]) if e["action"] == "set_result"]
    assert len(logged) == 1


def test_an_older_change_replayed_after_a_newer_one_does_not_overwrite_it(db, visit):
    change(db, visit, "result", "ok", at=soon(5), key="b" * 20)
    stale = change(db, visit, "result", "major", at=soon(1), key="c" * 20)
    assert stale["applied"] is False
    assert steps_by_code(db, visit)["external_media"].result == "ok"


def test_result_and_remark_are_independent(db, visit):
    change(db, visit, "remark", "USBメモリが机上にあった", at=soon(9))
    change(db, visit, "result", "nonconformity", at=soon(1))
    step = steps_by_code(db, visit)["external_media"]
    assert step.result == "nonconformity" and step.remark == "USBメモリが机上にあった"


@pytest.mark.parametrize(
    "field, value, check, message",
    [
        ("result", "great", "external_media", "結果の選択肢にない値"),
        ("result", "ok", "counter_visibility", "この訪問に含まれない確認項目"),
        ("remark", "x" * 2001, "external_media", "2000 文字以内"),
        ("owner", "x", "external_media", "保存できない項目"),
    ],
)
def test_bad_changes_are_refused_in_japanese(db, visit, field, value, check, message):
    with pytest.raises(visits.VisitError, match=message):
        change(db, visit, field, value, check=check)


def test_signing_needs_every_result_and_both_signatures_lock_the_visit(db, visit):
    with pytest.raises(visits.VisitError, match="未入力"):
        signatures.sign(db, visit["id"], visit["auditor"], role="auditor", name="監査 太郎", data_url=signature_url())
    fill_all(db, visit)
    assert signatures.sign(db, visit["id"], visit["auditor"], role="auditor", name="監査 太郎", data_url=signature_url()) is False
    assert signatures.sign(db, visit["id"], visit["auditor"], role="auditee", name="鈴木 一郎", refused=True,
                       reason="内容に納得できない") is True
    record = visits.get_visit(db, visit["id"])
    assert record["status"] == "locked"
    with pytest.raises(visits.VisitLocked):
        change(db, visit, "result", "major", at=soon(3600))
    # Even a direct write is refused by the database.
    with pytest.raises(Exception, match="locked"):
        db.execute("UPDATE visit_results SET result = 'major' WHERE visit_id = ?", [visit["id"]])


@pytest.mark.parametrize("data_url, message", [
    (None, "署名が描かれていません"),
    ("data:image/png;base64,!!!", "壊れています"),
    ("data:image/png;base64," + base64.b64encode(b"not a png").decode(), "壊れています"),
    (signature_url(blank=True), "署名が描かれていません"),
])
def test_bad_signatures_are_refused(db, visit, data_url, message):
    fill_all(db, visit)
    with pytest.raises(visits.VisitError, match=message):
        signatures.sign(db, visit["id"], visit["auditor"], role="auditor", name="監査 太郎", data_url=data_url)


def test_refusal_needs_a_reason_and_only_the_audited_person_may_refuse(db, visit):
    fill_all(db, visit)
    with pytest.raises(visits.VisitError, match="理由"):
        signatures.sign(db, visit["id"], visit["auditor"], role="auditee", name="鈴木", refused=True, reason="")
    with pytest.raises(visits.VisitError, match="署名が描かれていません"):
        signatures.sign(db, visit["id"], visit["auditor"], role="auditor", name="監査", refused=True, reason="x")


def lock(db, v):
    fill_all(db, v)
    signatures.sign(db, v["id"], v["auditor"], role="auditor", name="監査 太郎", data_url=signature_url())
    signatures.sign(db, v["id"], v["auditor"], role="auditee", name="鈴木 一郎", data_url=signature_url())


def test_amendment_creates_a_new_version_and_keeps_the_old_one(db, visit):
    lock(db, visit)
    new_id = visits.amend(db, visit["id"], visit["auditor"], "結果の入力誤り")
    new = visits.get_visit(db, new_id)
    assert new["version"] == 2 and new["status"] == "open" and new["supersedes_id"] == visit["id"]
    assert visits.get_visit(db, visit["id"])["superseded_by"] == new_id
    assert steps_by_code(db, {"id": new_id})["external_media"].result == "ok"
    with pytest.raises(visits.VisitError, match="既に訂正"):
        visits.amend(db, visit["id"], visit["auditor"], "二度目")


def test_two_auditors_saving_at_once_both_succeed(app, db, city, make_user):
    second = make_user("auditor", "second")
    ids = [db.execute("SELECT id FROM staff WHERE staff_no = ?", [no]).fetchone()[0] for no in ("000101", "000102")]
    visit_ids = [visits.start_visit(db, campaign_id=city["id"], staff_id=i, auditor_id=second, reason="テスト") for i in ids]
    errors = []

    def save_many(visit_id, tag):
        conn = connect(app.config["DATABASE"])
        try:
            for n in range(30):
                visits.save_change(conn, visit_id, second, key=f"{tag}{n:020d}", field="remark", value=f"{tag}{n}",
                                   changed_at=soon(n), check_code="clear_desk")
        except Exception as error:  # noqa: BLE001 — the test reports any failure below
            errors.append(error)
        finally:
            conn.close()

    threads = [threading.Thread(target=save_many, args=(v, t)) for v, t in zip(visit_ids, ("a", "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    remarks = [db.execute("SELECT remark FROM visit_results WHERE visit_id = ?", [v]).fetchone()[0] for v in visit_ids]
    assert remarks == ["a29", "b29"]


def test_the_same_check_saved_from_two_tabs_keeps_the_later_change(client, login, db, city):
    login("auditor")
    staff_id = db.execute("SELECT id FROM staff WHERE staff_no = '000101'").fetchone()[0]
    client.post("/visits", data={"campaign_id": city["id"], "staff_id": staff_id, "reason": "テスト"})
    visit_id = db.execute("SELECT max(id) FROM visits").fetchone()[0]
    later = {"key": "t" * 20, "field": "result", "check": "clear_desk", "value": "ok",
             "changed_at": soon(10)}
    earlier = {"key": "u" * 20, "field": "result", "check": "clear_desk", "value": "major",
               "changed_at": soon(2)}
    for body in (later, earlier, earlier, later):
        response = client.post(f"/visits/{visit_id}/changes", json=body)
        assert response.status_code == 200
    assert db.execute("SELECT result FROM visit_results WHERE visit_id = ?", [visit_id]).fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM visit_results WHERE visit_id = ?", [visit_id]).fetchone()[0] == 1


def test_section_heads_and_viewers_never_see_visits_or_draws(client, login, db, city, make_user):
    auditor = make_user("auditor")
    staff_id = db.execute("SELECT id FROM staff WHERE staff_no = '000101'").fetchone()[0]
    visit_id = visits.start_visit(db, campaign_id=city["id"], staff_id=staff_id, auditor_id=auditor, reason="テスト")
    login("section_head", section_code="0101")
    for url in ("/visits", f"/visits/{visit_id}", "/draws/1", f"/visits/{visit_id}/sign"):
        assert client.get(url).status_code == 403, url
    assert "監査" not in client.get("/").get_data(as_text=True).split("<main>")[0].replace("抜き打ち実地監査", "")


def test_walk_page_renders_self_reports_and_locked_page_is_read_only(client, login, db, visit):
    visits.add_co_auditor(db, visit["id"], visit["auditor"], login("admin"))
    page = client.get(f"/visits/{visit['id']}").get_data(as_text=True)
    assert "本人の自己申告" in page and "No.19" in page and "① できている" in page
    lock(db, visit)
    page = client.get(f"/visits/{visit['id']}").get_data(as_text=True)
    assert "読み取り専用" in page and "data-result" not in page
    log = client.get(f"/visits/{visit['id']}/log").get_data(as_text=True)
    assert "確認結果を記録" in log and "記録を確定" in log and "set_result" not in log
    response = client.post(f"/visits/{visit['id']}/changes", json={"key": "z" * 20, "field": "result",
                                                                  "check": "clear_desk", "value": "major"})
    assert response.status_code == 409 and "確定" in response.get_json()["error"]


def upload(client, visit_id, data, check="external_media", name="photo.jpg"):
    return client.post(f"/visits/{visit_id}/photos", data={"check": check, "photo": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_photo_upload_through_the_page_stores_a_clean_copy_and_serves_it_to_the_team(client, login, db, visit, app):
    visits.add_co_auditor(db, visit["id"], visit["auditor"], login("auditor", "camera"))
    out = io.BytesIO()
    Image.new("RGB", (2000, 1500), (90, 120, 200)).save(out, "JPEG")
    response = upload(client, visit["id"], out.getvalue())
    assert response.status_code == 200
    thumb = client.get(response.get_json()["thumb"])
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert "no-store" in thumb.headers["Cache-Control"]
    client.post("/logout")
    login("section_head", "head", section_code="0101")
    assert client.get(response.get_json()["thumb"]).status_code == 403


@pytest.mark.parametrize("data, check, message", [
    (b"<html><script>alert(1)</script></html>", "external_media", "JPEG または PNG"),
    (b"", "external_media", "空です"),
    (None, "password_notes", "写真を撮影しない項目"),
])
def test_hostile_or_forbidden_photos_are_refused_and_nothing_is_kept(client, login, db, visit, app, data, check,
                                                                     message):
    visits.add_co_auditor(db, visit["id"], visit["auditor"], login("auditor", "camera"))
    if data is None:
        out = io.BytesIO()
        Image.new("RGB", (100, 100)).save(out, "JPEG")
        data = out.getvalue()
    response = upload(client, visit["id"], data, check=check)
    assert response.status_code == 422 and message in response.get_json()["error"]
    folder = Path(app.instance_path) / "photos"
    assert not folder.exists() or list(folder.iterdir()) == []
    assert db["photos"].count == 0


def test_a_roster_import_waits_for_tablets_that_are_saving_and_neither_fails(app, db, visit):
    """Writers take the write lock up front (BEGIN IMMEDIATE), so the busy timeout can make them wait."""
    from spotcheck import imports
    from tests.factories import STAFF, STAFF_HEADER, csv_bytes

    errors = []

    def import_roster(n):
        conn = connect(app.config["DATABASE"])
        try:
            for i in range(n):
                rows = [[*row[:2], f"{row[2]}{i % 2}", *row[3:]] for row in STAFF]  # a kana change each time
                plan = imports.plan(conn, "staff", csv_bytes(STAFF_HEADER, rows), "staff.csv", max_rows=1000)
                imports.apply(conn, plan, None)
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            conn.close()

    def save(prefix, field, check, values):
        conn = connect(app.config["DATABASE"])
        try:
            for i in range(60):
                visits.save_change(conn, visit["id"], visit["auditor"], key=f"{prefix}{i:020d}", field=field,
                                   value=values[i % len(values)], changed_at=soon(i), check_code=check)
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            conn.close()

    threads = [threading.Thread(target=import_roster, args=(6,)),
               threading.Thread(target=save, args=("rem", "remark", "clear_desk", ["所見あ", "所見い"])),
               threading.Thread(target=save, args=("res", "result", "wire_lock", ["ok", "observation"]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_two_amendments_at_once_make_one_version_and_a_clear_conflict(app, db, visit):
    lock(db, visit)
    outcomes, start = [], threading.Barrier(2)

    def amend(reason):
        conn = connect(app.config["DATABASE"])
        try:
            start.wait()
            outcomes.append(visits.amend(conn, visit["id"], visit["auditor"], reason))
        except visits.VisitError as error:
            outcomes.append(error)
        finally:
            conn.close()

    threads = [threading.Thread(target=amend, args=(f"訂正{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(o).__name__ for o in outcomes) == ["VisitConflict", "int"]
    assert db.execute("SELECT count(*) FROM visits WHERE supersedes_id = ?", [visit["id"]]).fetchone()[0] == 1


def test_a_second_amendment_through_the_page_answers_409(client, login, db, visit):
    lock(db, visit)
    login("auditor", "corrector")
    assert client.post(f"/visits/{visit['id']}/amend", data={"reason": "誤記"}).status_code == 302
    again = client.post(f"/visits/{visit['id']}/amend", data={"reason": "誤記"})
    assert again.status_code == 409 and "既に訂正" in again.get_data(as_text=True)


def test_signing_through_the_page_needs_no_reason_field_unless_refusing(client, login, db, visit):
    """The auditor's form has no reason field at all: a missing field is an empty reason, not a bad one."""
    fill_all(db, visit)
    visits.add_co_auditor(db, visit["id"], visit["auditor"], login("auditor", "signer"))
    for role, name in (("auditor", "監査 太郎"), ("auditee", "鈴木 一郎")):
        response = client.post(f"/visits/{visit['id']}/sign", data={"role": role, "name": name,
                                                                    "signature": signature_url()})
        assert response.status_code == 302
    assert visits.get_visit(db, visit["id"])["status"] == "locked"
