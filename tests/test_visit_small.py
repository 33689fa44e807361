"""Issue 11 (visit-small): people told apart in every list, the record's 文書番号, and who may see a visit's photos."""
import re
from datetime import date
from pathlib import Path

from spotcheck import imports, photos, visits, wareki
from tests.factories import STAFF, STAFF_HEADER, csv_bytes, jpeg

TWINS = [  # two people of the same name in one section; only the number and the kana tell them apart
    ["000201", "渡邊　さくら", "ワタナベ サクラ", "0101", "正規職員", "有"],
    ["000202", "渡邊　さくら", "ワタナベ サクラ", "0101", "会計年度任用職員", "有"],
]


def add_twins(db):
    """Import the roster again with the two 渡邊　さくら added to 総務課."""
    plan = imports.plan(db, "staff", csv_bytes(STAFF_HEADER, STAFF + TWINS), "staff.csv", max_rows=1000)
    imports.apply(db, plan, None)
    return {no: db.execute("SELECT id FROM staff WHERE staff_no = ?", [no]).fetchone()[0] for no in ("000201", "000202")}


def text(response):
    """The page's text with tags dropped and spaces folded, as a reader sees it."""
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_choose_list_tells_two_people_of_the_same_name_apart(client, login, db, city):
    add_twins(db)
    login("auditor", "chooser")
    section = db.execute("SELECT id FROM sections WHERE code = '0101'").fetchone()[0]
    page = text(client.get(f"/visits/new?campaign={city['id']}&section={section}"))
    assert page.count("渡邊　さくら ワタナベ サクラ") == 2
    assert "職員番号 000201" in page and "職員番号 000202" in page


def test_visit_and_followup_lists_show_staff_number_and_kana(client, login, db, city, issued):
    twins = add_twins(db)
    auditor = login("auditor", "lister")
    for staff_id in twins.values():
        visits.start_visit(db, campaign_id=city["id"], staff_id=staff_id, auditor_id=auditor, reason="再確認")
    page = text(client.get("/visits"))
    assert "渡邊　さくら 職員番号 000201・ワタナベ サクラ" in page
    assert "渡邊　さくら 職員番号 000202・ワタナベ サクラ" in page
    assert "鈴木 一郎 職員番号 000101・スズキ イチロウ" in page
    assert "鈴木 一郎 職員番号 000101・スズキ イチロウ" in text(client.get("/followups"))


def test_the_signed_record_shows_its_document_number_and_issue_date_in_wareki(client, login, db, issued):
    visit, serial = issued
    login("auditor", "reader")  # a signed record is open to every auditor
    page = text(client.get(f"/visits/{visit['id']}"))
    locked_at = db.execute("SELECT locked_at FROM visits WHERE id = ?", [visit["id"]]).fetchone()[0]
    issued_on = wareki.format_date(date.fromisoformat(locked_at[:10]))
    assert re.fullmatch(r"R6-\d{4}", serial)
    assert f"文書番号 {serial} ・発行日 {issued_on}" in page
    # near the title: before the checks table
    assert page.index(serial) < page.index("確認項目")


def test_an_open_visits_photos_are_served_to_its_team_and_the_admin_only(client, login, db, visit, app):
    stored = photos.process(jpeg(), Path(app.instance_path) / "photos")
    photo_id = visits.add_photo(db, visit["id"], visit["auditor"], "external_media", stored)
    urls = [f"/visits/{visit['id']}/photos/{photo_id}/{size}" for size in ("thumb", "full")]
    login("auditor", "outsider")  # an auditor on no team of this visit
    assert [client.get(url).status_code for url in urls] == [403, 403]
    client.post("/logout")
    visits.add_co_auditor(db, visit["id"], visit["auditor"], login("auditor", "member"))
    full = client.get(urls[1])
    assert full.status_code == 200 and full.mimetype == "image/jpeg" and "no-store" in full.headers["Cache-Control"]
    assert full.data == (Path(app.instance_path) / "photos" / stored.name).read_bytes()
    client.post("/logout")
    login("admin")
    assert [client.get(url).status_code for url in urls] == [200, 200]
    client.post("/logout")
    login("viewer")
    assert [client.get(url).status_code for url in urls] == [403, 403]


def test_a_locked_records_photos_stay_open_to_every_auditor(client, login, issued, db):
    visit, _serial = issued
    photo_id = db.execute("SELECT id FROM photos WHERE visit_id = ?", [visit["id"]]).fetchone()[0]
    login("auditor", "later")
    assert client.get(f"/visits/{visit['id']}/photos/{photo_id}/full").status_code == 200
