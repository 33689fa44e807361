"""The unmanaged device register: lifecycle and history, counts, who sees what, bad input, sweeps, the report."""
import io
import re
from pathlib import Path

import pytest

from spotcheck import audit, council, device_figures, devices, fonts, photos
from spotcheck.report import build_report
from tests.factories import jpeg
from tests.system import poppler

pytestmark = pytest.mark.usefixtures("city")


def section(db, code):
    return db.execute("SELECT id FROM sections WHERE code = ?", [code]).fetchone()[0]


def device_input(db, code="0101", **overrides):
    values = {"kind": "pc", "section_id": section(db, code), "location": "本庁舎2階 窓口の奥", "purpose": "予約受付システム",
              "lan": "yes", "internet": "unknown", "used_by": "山田 太郎"}
    return devices.DeviceInput(**{**values, **overrides})


def add(db, user_id, key, code="0101", status=None, **overrides):
    device_id, created = devices.record(db, device_input(db, code, **overrides), user_id, key)
    assert created
    if status:
        assert devices.change_status(db, device_id, user_id, expected="confirmed", status=status, note="対応済み")
    return device_id


def rows(db, table):
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# ---------------------------------------------------------------- lifecycle and history


def test_a_device_moves_on_once_with_its_history_and_every_change_audited(db, make_user):
    auditor, admin = make_user("auditor"), make_user("admin")
    device_id = add(db, auditor, "k1")
    assert devices.get(db, device_id)["status"] == "confirmed"
    assert devices.change_status(db, device_id, admin, expected="confirmed", status="managed",
                                 note="情報政策課の管理台帳に登録した")
    # The same form sent again (a double tap) and a colleague's stale form change nothing.
    assert not devices.change_status(db, device_id, admin, expected="confirmed", status="managed", note="再送")
    assert not devices.change_status(db, device_id, auditor, expected="confirmed", status="removed", note="古い画面")
    with pytest.raises(devices.DeviceError, match="この状態には変更できません"):
        devices.change_status(db, device_id, admin, expected="managed", status="removed", note="撤去した")
    history = devices.history(db, device_id)
    assert [(h["status_from"], h["status_to"], h["user_id"]) for h in history] == [
        (None, "confirmed", auditor), ("confirmed", "managed", admin)]
    assert history[1]["note"] == "情報政策課の管理台帳に登録した"
    log = audit.entries(db, "device", device_id)
    assert [e["action"] for e in log] == ["record", "set_status"]
    assert all("山田" not in (e["after"] or "") and "窓口" not in (e["after"] or "") for e in log)  # no person, no place
    assert "情報政策課の管理台帳" not in (log[1]["after"] or "")  # a note may name people: the history keeps it


def test_a_status_change_needs_a_note_and_a_known_status(db, make_user):
    user = make_user("auditor")
    device_id = add(db, user, "k1")
    for status, note, message in (("managed", "  ", "変更の理由・経緯を入力してください"), ("lost", "x", "変更後の状態"),
                                  ("removed", "あ" * 501, "500 文字以内")):
        with pytest.raises(devices.DeviceError, match=message):
            devices.change_status(db, device_id, user, expected="confirmed", status=status, note=note)
    assert devices.get(db, device_id)["status"] == "confirmed" and len(devices.history(db, device_id)) == 1


def test_bad_input_is_refused_in_japanese_with_every_problem_and_nothing_written(db, make_user):
    user = make_user("auditor")
    bad = devices.DeviceInput(kind="phone", section_id=999, location=" ", purpose="あ" * 201, lan="maybe", internet="",
                              used_by="")
    with pytest.raises(devices.DeviceError) as caught:
        devices.record(db, bad, user, "k1")
    assert str(caught.value).splitlines() == [
        "機器の種類を選んでください。", "所属を選んでください。", "設置場所を入力してください。",
        "用途・システムは 200 文字以内で入力してください。", "庁内LANへの接続を選んでください。",
        "インターネットへの接続を選んでください。"]
    assert rows(db, "devices") == rows(db, "device_events") == 0
    assert not audit.entries(db, "device", 1)


# ---------------------------------------------------------------- sweeps


def test_a_sweep_counts_what_it_found_and_zero_is_a_result(db, make_user):
    user = make_user("auditor")
    with pytest.raises(devices.DeviceError) as caught:
        devices.start_sweep(db, None, " ", user)
    assert str(caught.value).splitlines() == ["所属を選んでください。", "棚卸しする場所（フロア・区域）を入力してください。"]
    empty = devices.start_sweep(db, section(db, "0301"), "図書館 1階", user)
    assert devices.finish_sweep(db, empty, user) == 0
    busy = devices.start_sweep(db, section(db, "0201"), "本庁舎1階", user)
    add(db, user, "a", "0201", sweep_id=busy)
    add(db, user, "b", "0201", sweep_id=busy, kind="network")
    assert devices.finish_sweep(db, busy, user) == 2
    assert devices.finish_sweep(db, busy, user) == 2  # a second tap keeps the first count, logs nothing more
    assert [e["action"] for e in audit.entries(db, "device_sweep", busy)] == ["start", "finish"]
    with pytest.raises(devices.DeviceError, match="この棚卸しは終了しています"):
        devices.record(db, device_input(db, "0201", sweep_id=busy), user, "c")
    assert rows(db, "devices") == 2


# ---------------------------------------------------------------- counts


def test_counts_by_section_status_and_kind_match_a_hand_count(db, make_user):
    user = make_user("auditor")
    sweep = devices.start_sweep(db, section(db, "0301"), "2階", user)
    devices.finish_sweep(db, sweep, user)  # found nothing
    add(db, user, "1", "0101")                                        # 総務課 pc confirmed LAN
    add(db, user, "2", "0101", status="managed", kind="storage")      # 総務課 storage managed LAN
    add(db, user, "3", "0101", status="removed", lan="no")            # 総務課 pc removed
    add(db, user, "4", "0201", status="removed", kind="network")      # 市民課 network removed LAN
    figures = device_figures.counts(db)
    assert [(r.label, r.confirmed, r.managed, r.removed, r.total, r.lan) for r in figures.by_section] == [
        ("総務課", 1, 1, 1, 3, 2), ("市民課", 0, 0, 1, 1, 1)]
    assert [(r.label, r.confirmed, r.managed, r.removed) for r in figures.by_kind] == [
        ("pc", 1, 0, 1), ("storage", 0, 1, 0), ("network", 0, 0, 1)]
    assert (figures.total.total, figures.total.lan, figures.sweeps_finished, figures.sweeps_empty) == (4, 3, 1, 1)
    own = device_figures.counts(db, section_id=section(db, "0201"))
    assert (own.total.total, own.sweeps_finished) == (1, 0)


# ---------------------------------------------------------------- screens and roles


@pytest.fixture
def two_devices(app, db, make_user):
    """A device with a label photo in 総務課 (0101) and one in 市民課 (0201)."""
    user = make_user("auditor", "finder")
    stored = photos.process(jpeg(), Path(app.instance_path) / "photos")
    own, _ = devices.record(db, device_input(db, "0101"), user, "own",
                            devices.Photo(stored.name, stored.thumb_name, stored.sha256))
    stored = photos.process(jpeg((10, 200, 10)), Path(app.instance_path) / "photos")
    other, _ = devices.record(db, device_input(db, "0201", location="市民課の奥", used_by="佐藤 花子"), user, "other",
                              devices.Photo(stored.name, stored.thumb_name, stored.sha256))
    return own, other


def test_a_section_head_sees_only_their_own_sections_devices_read_only(client, login, two_devices):
    own, other = two_devices
    login("section_head", section_code="0101")
    page = client.get("/devices").get_data(as_text=True)
    assert "本庁舎2階 窓口の奥" in page and "市民課の奥" not in page
    assert client.get("/devices?section=2").get_data(as_text=True).count("市民課の奥") == 0  # the filter cannot widen it
    assert client.get(f"/devices/{own}").status_code == 200
    assert "状況を変更" not in client.get(f"/devices/{own}").get_data(as_text=True)
    assert client.get(f"/devices/{other}").status_code == 404
    assert client.get(f"/devices/{own}/photo/full").status_code == 200
    assert client.get(f"/devices/{other}/photo/thumb").status_code == 404
    assert client.post(f"/devices/{own}/status", data={"expected": "confirmed", "status": "removed",
                                                       "note": "x"}).status_code == 403
    assert client.get("/devices/new").status_code == 403


def test_a_viewer_is_denied_the_register_and_its_photos(client, login, two_devices):
    own, _ = two_devices
    login("viewer")
    for url in ("/devices", f"/devices/{own}", f"/devices/{own}/photo/full", "/devices/sweeps/new"):
        assert client.get(url).status_code == 403, url


def test_photos_are_served_checked_and_only_to_a_logged_in_user(client, login, two_devices):
    own, _ = two_devices
    assert client.get(f"/devices/{own}/photo/full").status_code == 302  # to the login page
    login("auditor")
    response = client.get(f"/devices/{own}/photo/full")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert "no-store" in response.headers["Cache-Control"]


def test_the_audit_team_changes_a_status_from_the_device_page(client, login, db, two_devices):
    own, _ = two_devices
    login("auditor")
    form = {"expected": "confirmed", "status": "managed", "note": "管理台帳に登録した"}
    assert client.post(f"/devices/{own}/status", data=form).status_code == 302
    page = client.post(f"/devices/{own}/status", data=form, follow_redirects=True).get_data(as_text=True)
    assert "既に変更されています" in page
    assert len(devices.history(db, own)) == 2
    assert "管理台帳に登録した" in page and "山田 太郎" in page  # 使用者 is on the device page, for the team


def form_data(db, **overrides):
    return {"kind": "storage", "section_id": str(section(db, "0101")), "location": "書庫", "purpose": "共有フォルダ",
            "lan": "yes", "internet": "no", "used_by": "", "submit_key": "f" * 32, **overrides}


def test_recording_during_a_visit_returns_to_the_same_check(client, login, db, visit):
    login("auditor", "walker")
    page = client.get(f"/devices/new?visit={visit['id']}&step=3").get_data(as_text=True)
    assert f'<option value="{section(db, "0101")}" selected>' in page  # the visited section, preselected
    assert "機器のラベルを撮影（画面は撮らない）" in page
    response = client.post("/devices", data=form_data(db, visit_id=str(visit["id"]), step="3"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/visits/{visit['id']}#step-3")
    assert db.execute("SELECT visit_id FROM devices").fetchone()[0] == visit["id"]
    assert client.get("/devices/new?visit=99999").status_code == 404


def test_a_second_tap_stores_one_device_and_one_photo(app, client, login, db):
    login("auditor")
    for _ in range(2):
        response = client.post("/devices", data={**form_data(db), "photo": (io.BytesIO(jpeg()), "label.jpg")},
                               content_type="multipart/form-data")
        assert response.status_code == 302
    assert rows(db, "devices") == 1
    assert len(list((Path(app.instance_path) / "photos").iterdir())) == 2  # one photo and its thumbnail


def test_a_refused_form_keeps_what_was_typed_and_stores_no_photo(app, client, login, db):
    login("auditor")
    response = client.post("/devices", data={**form_data(db, kind="", location="", purpose="予約システム"),
                                             "photo": (io.BytesIO(jpeg()), "label.jpg")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "機器の種類を選んでください。" in page and "設置場所を入力してください。" in page
    assert 'value="予約システム"' in page
    bad_photo = client.post("/devices", data={**form_data(db), "photo": (io.BytesIO(b"not a photo"), "x.jpg")},
                            content_type="multipart/form-data")
    assert bad_photo.status_code == 422 and "JPEG または PNG の写真を選んでください。" in bad_photo.get_data(as_text=True)
    assert rows(db, "devices") == 0
    assert not (Path(app.instance_path) / "photos").exists() or not list((Path(app.instance_path) / "photos").iterdir())


def test_a_sweep_on_screen_adds_devices_one_after_another_and_finishes_with_its_count(client, login, db):
    login("auditor")
    response = client.post("/devices/sweeps/new", data={"section_id": section(db, "0201"), "area": "本庁舎1階"})
    sweep_url = response.headers["Location"]
    sweep_id = int(sweep_url.rsplit("/", 1)[1])
    for n in range(2):
        r = client.post("/devices", data=form_data(db, sweep_id=str(sweep_id), submit_key=f"{n}" * 32))
        assert r.headers["Location"].endswith(sweep_url)
    page = client.post(f"/devices/sweeps/{sweep_id}/finish", follow_redirects=True).get_data(as_text=True)
    assert "見つかった管理外の機器: 2 台" in page
    refused = client.post("/devices/sweeps/new", data={"section_id": "", "area": ""})
    assert refused.status_code == 422 and "棚卸しする場所（フロア・区域）を入力してください。" in refused.get_data(as_text=True)


def test_the_dashboard_shows_the_counts_to_viewers_without_places_or_people(client, login, db, make_user):
    user = make_user("auditor", "finder")
    add(db, user, "1", "0101", status="managed")
    add(db, user, "2", "0201")
    login("viewer")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "管理外の機器（情報政策課が管理していない機器）" in page
    section_rows = re.findall(r"<tr><td>(総務課|市民課)</td>((?:<td class=\"num\">\d+</td>)+)", page)
    assert [(name, re.findall(r"\d+", cells)) for name, cells in section_rows] == [
        ("総務課", ["0", "1", "0", "1", "1"]), ("市民課", ["1", "0", "0", "1", "1"])]
    assert "山田" not in page and "窓口の奥" not in page


# ---------------------------------------------------------------- the council report


@pytest.mark.parametrize("public", [False, True])
def test_both_report_editions_print_the_counts_and_no_person(db, city, make_user, tmp_path, public):
    user = make_user("auditor", "finder")
    add(db, user, "1", "0101", status="managed")
    add(db, user, "2", "0101", kind="storage")
    add(db, user, "3", "0201", status="removed", lan="no")
    sweep = devices.start_sweep(db, section(db, "0301"), "1階", user)
    devices.finish_sweep(db, sweep, user)
    data = council.report_data(db, city, public=public)
    path = tmp_path / "report.pdf"
    path.write_bytes(build_report(data, fonts.register_fonts()))
    text = poppler("pdftotext", "-layout", str(path), "-").decode()
    flat = "".join(text.split())
    assert "７管理外の機器（情報政策課が管理していない機器）" in flat
    lines = {" ".join(line.split()[:1]): line.split()[1:] for line in text.splitlines() if line.strip()}
    assert lines["総務課"][-5:] == ["1", "1", "0", "2", "2"]  # 確認済み 管理へ移行 撤去 計 庁内LAN
    assert lines["市民課"][-5:] == ["0", "0", "1", "1", "0"]
    assert lines["合計"][-5:] == ["1", "1", "1", "3", "2"]
    assert "機器の棚卸しを1回行い、うち1回は管理外の機器が見つかりませんでした。" in flat
    for hidden in ("山田", "太郎", "窓口の奥", "予約受付"):
        assert hidden not in flat, hidden


def test_a_label_photo_is_known_to_the_crash_sweep_and_stays_where_it_is(app, db, two_devices):
    import time

    from spotcheck import sweep

    report = sweep.sweep(db, app.instance_path, now=time.time() + 3600)
    assert report.quarantined == () and len(list((Path(app.instance_path) / "photos").iterdir())) == 4
