"""Issued sheets: the PDF of a real visit, the public verify page, tamper detection and the chain."""
import io
from pathlib import Path

import pytest
from PIL import Image

from spotcheck import integrity, issuance, photos, printing, visits
from tests.factories import fill_all, jpeg, sign_both, steps_by_code, soon
from tests.system import poppler

pytestmark = pytest.mark.usefixtures("city")


def pdf_text(data, tmp_path):
    path = tmp_path / "sheet.pdf"
    path.write_bytes(data)
    return poppler("pdftotext", "-layout", str(path), "-").decode()


def test_locking_issues_a_serial_and_chains_its_digest(db, issued):
    visit, serial = issued
    assert serial == "R6-0001"
    assert integrity.chain_digest(db, serial) == issuance.get_sheet(db, serial=serial)["digest"]
    assert integrity.verify_chain(db)[0]


def test_printed_sheet_states_the_visit(client, login, issued, tmp_path):
    visit, serial = issued
    login("auditor", "printer")
    response = client.get(f"/visits/{visit['id']}/sheet.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data, tmp_path)
    for expected in ("実地監査結果票", serial, "鈴木 一郎", "未登録のUSBメモリ", "署名拒否", "指摘に納得できない", "指摘1"):
        assert expected in text.replace(" ", "").replace("\n", "") or expected in text, expected
    assert client.get(f"/visits/{visit['id']}/sheet.pdf").data == response.data  # the same file every time


def test_verify_page_says_valid_without_any_personal_data(client, db, issued):
    visit, serial = issued
    digest = issuance.get_sheet(db, serial=serial)["digest"]
    page = client.get(f"/verify/{serial}?d={digest}").get_data(as_text=True)
    assert "有効" in page and serial in page and "総務課" in page
    for personal in ("鈴木", "000101", "監査 太郎", "USB"):
        assert personal not in page
    assert "改ざんの疑い" in client.get(f"/verify/{serial}?d={'0' * 64}").get_data(as_text=True)
    assert "ありません" in client.get("/verify/R6-9999").get_data(as_text=True)


def tamper(db, sql, params=()):
    """Change the database behind the app's back, as someone with the file could."""
    for trigger in ("visit_results_locked_update", "visits_locked_update", "photos_locked_update",
                    "signatures_locked_delete", "signatures_locked"):
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    db.execute(sql, params)


@pytest.mark.parametrize("sql", [
    "UPDATE visit_results SET remark = '問題なし' WHERE check_code = 'external_media'",
    "UPDATE visit_results SET result = 'ok' WHERE check_code = 'external_media'",
    "UPDATE visits SET overall_comment = '良好'",
    "UPDATE signatures SET png = X'89504E47' WHERE role = 'auditor'",
    "UPDATE signatures SET name = '別人' WHERE role = 'auditee'",
])
def test_any_change_to_what_the_sheet_states_is_detected(db, issued, sql):
    visit, serial = issued
    tamper(db, sql)
    assert issuance.status(db, serial)["state"] == issuance.ALTERED


def test_a_photo_file_changed_on_disk_is_detected(app, db, issued):
    visit, serial = issued
    folder = Path(app.instance_path) / "photos"
    name = db.execute("SELECT file_name FROM photos").fetchone()[0]
    check = printing.photo_checker(folder)
    assert issuance.status(db, serial, check)["state"] == issuance.VALID
    data = bytearray((folder / name).read_bytes())
    data[-10] ^= 0xFF
    (folder / name).write_bytes(bytes(data))
    assert issuance.status(db, serial, check)["state"] == issuance.ALTERED


def test_deleting_a_chain_entry_is_named_by_verify_chain(runner, db, issued, visit, city, make_user):
    # Issue a second sheet so there is a link after the deleted one.
    staff_id = db.execute("SELECT id FROM staff WHERE staff_no = '000102'").fetchone()[0]
    second = {"id": visits.start_visit(db, campaign_id=city["id"], staff_id=staff_id, auditor_id=visit["auditor"], reason="テスト"),
              "auditor": visit["auditor"]}
    fill_all(db, second)
    sign_both(db, second)
    assert runner.invoke(args=["verify-chain"]).exit_code == 0
    db.execute("DROP TRIGGER chain_no_delete")
    db.execute("DELETE FROM chain WHERE id = 1")
    result = runner.invoke(args=["verify-chain"])
    assert result.exit_code == 1 and "2 番（R6-0002）" in result.output


def test_an_amendment_supersedes_the_old_serial(db, issued, client):
    visit, serial = issued
    new_id = visits.amend(db, visit["id"], visit["auditor"], "所見の誤記")
    amended = {"id": new_id, "auditor": visit["auditor"]}
    visits.save_change(db, new_id, visit["auditor"], key="h" * 20, field="remark", value="訂正後の所見",
                       changed_at=soon(180), check_code="external_media")
    sign_both(db, amended)
    new_serial = issuance.get_sheet(db, visit_id=new_id)["serial"]
    assert new_serial == "R6-0001-v2"
    old = issuance.status(db, serial)
    assert old["state"] == issuance.SUPERSEDED and old["superseded_by"] == new_serial
    assert "R6-0001-v2" in client.get(f"/verify/{serial}").get_data(as_text=True)
    assert issuance.status(db, new_serial)["state"] == issuance.VALID
    assert steps_by_code(db, amended)["external_media"].remark == "訂正後の所見"


def test_uploaded_pdf_is_matched_exactly(client, login, issued, runner, tmp_path):
    visit, serial = issued
    login("auditor", "printer")
    data = client.get(f"/visits/{visit['id']}/sheet.pdf").data
    client.post("/logout")
    page = client.post("/verify", data={"pdf": (io.BytesIO(data), "x.pdf")}, content_type="multipart/form-data")
    assert "発行されたファイルとまったく同じ" in page.get_data(as_text=True)
    page = client.post("/verify", data={"pdf": (io.BytesIO(data + b"%edited"), "x.pdf")},
                       content_type="multipart/form-data")
    assert "一致しません" in page.get_data(as_text=True)
    (tmp_path / "ok.pdf").write_bytes(data)
    result = runner.invoke(args=["verify-sheet", str(tmp_path / "ok.pdf")])
    assert result.exit_code == 0 and "有効" in result.output
    (tmp_path / "bad.pdf").write_bytes(data[:1000] + bytes([data[1000] ^ 1]) + data[1001:])
    assert runner.invoke(args=["verify-sheet", str(tmp_path / "bad.pdf")]).exit_code == 1


def test_qr_code_on_the_printed_sheet_opens_the_verify_page(client, login, db, issued, tmp_path, app):
    zxingcpp = pytest.importorskip("zxingcpp")
    visit, serial = issued
    login("auditor", "printer")
    (tmp_path / "s.pdf").write_bytes(client.get(f"/visits/{visit['id']}/sheet.pdf").data)
    poppler("pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(tmp_path / "s.pdf"), str(tmp_path / "p"))
    [page] = list(tmp_path.glob("p*.png"))
    [code] = zxingcpp.read_barcodes(Image.open(page))
    digest = issuance.get_sheet(db, serial=serial)["digest"]
    assert code.text == f"{app.config['BASE_URL']}/verify/{serial}?d={digest}"


def test_admin_prints_a_days_sheets_as_one_pdf(client, login, db, issued):
    visit, serial = issued
    login("admin", "lead")
    day = db.execute("SELECT substr(locked_at, 1, 10) FROM visits WHERE id = ?", [visit["id"]]).fetchone()[0]
    response = client.get(f"/sheets?day={day}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "条件に合う結果票はありません" in client.get("/sheets?day=1999-01-01", follow_redirects=True).get_data(
        as_text=True)
