"""The device register after the fact: correcting a record, and the register as CSV/XLSX."""
import io

import pytest
from openpyxl import load_workbook

from spotcheck import audit, devices
from tests.test_devices import section, two_devices  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("city")


def edit_form(db, device_id, **overrides):
    device = devices.get(db, device_id)
    return {"kind": device["kind"], "section_id": str(device["section_id"]), "location": device["location"],
            "purpose": device["purpose"], "lan": device["lan"], "internet": device["internet"],
            "used_by": device["used_by"], "expected": devices.details_token(device), **overrides}


def test_the_audit_team_corrects_a_record_and_the_log_names_fields_not_places(client, login, db, two_devices):
    own, _ = two_devices
    login("auditor")
    page = client.get(f"/devices/{own}/edit").get_data(as_text=True)
    assert "機器の記録を訂正" in page and 'value="本庁舎2階 窓口の奥"' in page and "ラベルを撮影" not in page
    form = edit_form(db, own, location="本庁舎2階 会議室", section_id=str(section(db, "0201")), used_by="")
    response = client.post(f"/devices/{own}/edit", data=form, follow_redirects=True)
    assert response.status_code == 200 and "機器の記録を訂正しました。" in response.get_data(as_text=True)
    device = devices.get(db, own)
    assert (device["location"], device["section_code"], device["used_by"], device["status"]) == (
        "本庁舎2階 会議室", "0201", "", "confirmed")
    # The same correction sent again (a double tap) is not a conflict and changes nothing.
    assert client.post(f"/devices/{own}/edit", data=form).status_code == 302
    [entry] = [e for e in audit.entries(db, "device", own) if e["action"] == "edit"]
    assert "会議室" not in entry["after"] and "窓口" not in (entry["before"] or "") and "山田" not in entry["after"]
    assert '"location"' in entry["after"] and '"used_by"' in entry["after"]


def test_a_stale_form_does_not_overwrite_a_colleagues_correction(client, login, db, two_devices):
    own, _ = two_devices
    login("auditor")
    stale = edit_form(db, own, location="古い画面の場所")
    assert client.post(f"/devices/{own}/edit", data=edit_form(db, own, location="同僚が直した場所")).status_code == 302
    response = client.post(f"/devices/{own}/edit", data=stale)
    assert response.status_code == 409 and "他の人が変更しました" in response.get_data(as_text=True)
    assert devices.get(db, own)["location"] == "同僚が直した場所"


def test_a_bad_correction_is_refused_in_japanese_and_nothing_changes(client, login, db, two_devices):
    own, _ = two_devices
    login("admin")
    before = dict(devices.get(db, own))
    response = client.post(f"/devices/{own}/edit", data=edit_form(db, own, location=" ", kind="phone", lan="maybe"))
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "設置場所を入力してください。" in text and "機器の種類を選んでください。" in text and "庁内LANへの接続を選んでください。" in text
    assert dict(devices.get(db, own)) == before


def test_only_the_audit_team_corrects_and_a_section_head_cannot_reach_another_sections_device(client, login, db,
                                                                                             two_devices):
    own, other = two_devices
    login("section_head", section_code="0101")
    assert client.get(f"/devices/{own}/edit").status_code == 403
    assert client.post(f"/devices/{own}/edit", data=edit_form(db, own, location="x")).status_code == 403
    assert "記録を訂正" not in client.get(f"/devices/{own}").get_data(as_text=True)
    client.post("/logout")
    login("viewer")
    assert client.get(f"/devices/{own}/edit").status_code == 403


def test_the_register_downloads_as_csv_and_xlsx_with_formulas_neutralised(client, login, db, make_user, two_devices):
    own, other = two_devices
    devices.record(db, devices.DeviceInput(kind="other", section_id=section(db, "0101"), location="=HYPERLINK(\"x\")",
                                           purpose="", lan="unknown", internet="no", used_by=""), make_user("auditor", "a2"),
                   "third")
    login("admin")
    response = client.get("/devices.csv")
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode())
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("台帳No.,種類,所属コード,所属,設置場所,用途・システム,庁内LAN,インターネット,使用者,状態,見つけた日時,")
    assert "見つけた日時（和暦）" in lines[0]
    assert lines[1].startswith(f"{own},PC,0101,総務課,本庁舎2階 窓口の奥,予約受付システム,つながる,不明,山田 太郎,確認済み,")
    assert "'=HYPERLINK" in lines[3] and len(lines) == 4
    sheet = load_workbook(io.BytesIO(client.get("/devices.xlsx").data)).active
    assert [c.value for c in sheet[1]][:4] == ["台帳No.", "種類", "所属コード", "所属"] and sheet.max_row == 4
    exported = db.execute("SELECT count(*) FROM audit_log WHERE entity = 'device' AND action = 'export'").fetchone()[0]
    assert exported == 2


def test_a_section_head_downloads_their_own_sections_devices_and_a_viewer_none(client, login, db, two_devices):
    own, other = two_devices
    login("section_head", section_code="0101")
    text = client.get("/devices.csv").data.decode("utf-8-sig")
    assert "本庁舎2階 窓口の奥" in text and "市民課の奥" not in text and "佐藤 花子" not in text
    client.post("/logout")
    login("viewer")
    assert client.get("/devices.csv").status_code == 403
