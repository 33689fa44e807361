"""Campaign statistics against numbers counted by hand on a tiny city, and what viewers may see."""
import io

import openpyxl
import pytest

from spotcheck import aggregates, crosscheck
from spotcheck.campaigns import pinned_onsite
from tests.system import poppler
from tests.factories import SELFCHECK_HEADER, answers_row, change, csv_bytes, fill_all, import_selfcheck, sign_both, soon


@pytest.fixture
def campaign_data(db, city, visit):
    """Answers: 000101 ① except ③ on 3; 000102 ① except ③ on 19. One locked visit of 000101:
    external_media 重大 (said ①: over-reported), wire_lock 適合 (said ③: under-reported), the rest 適合."""
    import_selfcheck(db, city, csv_bytes(SELFCHECK_HEADER, [answers_row("000101", s3="③"), answers_row("000102", s19="③")]))
    fill_all(db, visit)
    change(db, visit, "result", "major", check="external_media", at=soon(60))
    sign_both(db, visit)
    return city


def test_answer_distribution_is_counted_per_item(db, campaign_data):
    items = {r["item"].no: r for r in aggregates.item_table(db, campaign_data)}
    assert {o.code: n for o, n in items[19]["counts"]} == {"1": 1, "3": 1}
    assert items[19]["total"] == 2 and items[19]["not_done"] == 1
    assert items[21]["total"] == 1  # My Number item: only 000102 (市民課) is in scope
    assert items[28]["total"] == 1  # outsourcing item: only 000101 (総務課)


def test_on_site_results_and_over_reporting_per_check(db, campaign_data):
    checks = {r["check"].code: r for r in aggregates.check_table(db, campaign_data, pinned_onsite(db, campaign_data))}
    usb = checks["external_media"]
    assert dict((o.code, n) for o, n in usb["counts"])["major"] == 1
    assert usb["claims_done"] == 1 and usb["over_reported"] == 1
    assert checks["wire_lock"]["classes"] == {crosscheck.UNDER: 1}
    assert checks["wire_lock"]["claims_done"] == 0


def test_split_by_employment_and_summary(db, campaign_data):
    rows = {r["key"]: r for r in aggregates.groups(db, campaign_data, by="employment")}
    assert rows["regular"]["answered"] == 1 and rows["regular"]["visits"] == 1
    assert rows["regular"]["over_reported"] == 1 and rows["regular"]["findings"] == 1
    assert rows["fiscal_year"]["answered"] == 1 and rows["fiscal_year"]["visits"] == 0
    summary = aggregates.summary(db, campaign_data)
    assert summary["answered"] == 2 and summary["visits"] == 1 and summary["over_reported"] == 1
    assert summary["staff_in_scope"] == 2  # 000103 uses no PC


def test_an_amendment_replaces_the_counts_of_the_version_it_supersedes(db, campaign_data):
    from spotcheck import visits

    old = db.execute("SELECT id, auditor_id FROM visits").fetchone()
    new_id = visits.amend(db, old[0], old[1], "誤記")
    change(db, {"id": new_id, "auditor": old[1]}, "result", "ok", check="external_media", at=soon(120))
    sign_both(db, {"id": new_id, "auditor": old[1]})
    summary = aggregates.summary(db, campaign_data)
    assert summary["visits"] == 1 and summary["over_reported"] == 0


def test_viewer_dashboard_hides_small_cells_and_names(client, login, campaign_data):
    login("viewer")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "&lt;5" in page or "<5" in page
    for personal in ("鈴木", "髙橋", "000101", "000102"):
        assert personal not in page


def test_viewer_exports_are_aggregates_only(client, login, campaign_data):
    login("viewer")
    data = client.get("/exports/sections.csv").data.decode("utf-8-sig")
    assert "<5" in data and "鈴木" not in data
    assert client.get("/exports/followups.xlsx").status_code == 404
    assert client.get("/exports/findings.csv").status_code == 404


def test_audit_team_exports_findings_with_names(client, login, campaign_data):
    login("admin")
    response = client.get("/exports/followups.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    values = [c.value for row in book.active.iter_rows() for c in row]
    assert "鈴木 一郎" in values and "重大" in values
    book.close()


def test_council_report_pdf_has_no_names_and_hides_small_cells(client, login, campaign_data, tmp_path):
    login("viewer")
    response = client.get("/reports/council.pdf")
    assert response.status_code == 200
    (tmp_path / "r.pdf").write_bytes(response.data)
    text = poppler("pdftotext", "-layout", str(tmp_path / "r.pdf"), "-").decode()
    assert "<5" in text and "結果報告" in text
    for personal in ("鈴木", "髙橋", "000101"):
        assert personal not in text


def test_filters_read_the_same_numbers_as_counted_by_hand(db, campaign_data):
    section = {code: db.execute("SELECT id FROM sections WHERE code = ?", [code]).fetchone()[0]
               for code in ("0101", "0201")}
    somu = aggregates.summary(db, campaign_data, section_id=section["0101"])
    assert (somu["answered"], somu["visits"], somu["over_reported"]) == (1, 1, 1)
    fiscal = aggregates.summary(db, campaign_data, employment="fiscal_year")
    assert (fiscal["answered"], fiscal["visits"], fiscal["claims_done"]) == (1, 0, 0)
    items = {r["item"].no: r for r in aggregates.item_table(db, campaign_data, section_id=section["0201"])}
    assert {o.code: n for o, n in items[19]["counts"]} == {"3": 1}
    both = aggregates.summary(db, campaign_data, section_id=section["0201"], employment="regular")
    assert both["answered"] == 0
    by_section = {r["key"]: r for r in aggregates.groups(db, campaign_data, by="section_id")}
    assert by_section[section["0101"]]["answers"] == 28 and by_section[section["0201"]]["not_done"] == 1


def test_a_transfer_after_the_import_moves_no_count(db, campaign_data):
    """A campaign is a snapshot: 対象者, 回答者, visits and findings stay where they were counted."""
    from spotcheck import imports
    from tests.factories import STAFF, STAFF_HEADER

    def by_section():
        names = {row[0]: row[1] for row in db.execute("SELECT id, name FROM sections")}
        return {names[r["key"]]: (r["people"], r["answered"], r["visits"], r["findings"])
                for r in aggregates.groups(db, campaign_data, by="section_id")}

    def by_employment():
        return {r["key"]: (r["people"], r["answered"], r["findings"])
                for r in aggregates.groups(db, campaign_data, by="employment")}

    before, employment_before = by_section(), by_employment()
    assert before["総務課"] == (1, 1, 1, 1)
    moved = [["000101", "鈴木 一郎", "スズキ イチロウ", "0201", "会計年度任用職員", "有"], *STAFF[1:]]
    plan = imports.plan(db, "staff", csv_bytes(STAFF_HEADER, moved), "staff.csv", max_rows=1000)
    imports.apply(db, plan, None)
    assert by_section() == before and by_employment() == employment_before
    assert aggregates.summary(db, campaign_data)["staff_in_scope"] == 2


def test_a_large_citys_section_tables_are_drawn_when_asked_for(client, login, campaign_data, monkeypatch):
    from spotcheck.views import reports

    login("admin")
    monkeypatch.setattr(reports, "SECTIONS_INLINE", 1)  # the tiny city plays a city of 300 sections
    page = client.get("/dashboard").get_data(as_text=True)
    assert "所属別の表（3所属）を表示" in page and "確定 1件・実施中 0件（1所属）" in page
    page = client.get("/dashboard?sections=all").get_data(as_text=True)
    assert "所属別の表" not in page and "総務課" in page
