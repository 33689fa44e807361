"""Codes in the code, labels from the campaign's pinned forms: findings, "not done", and 申告対象外だが違反あり."""
from dataclasses import replace

import pytest

from spotcheck import aggregates, campaigns, council, crosscheck, draw, followups, visits
from tests.factories import SELFCHECK_HEADER, answers_row, change, csv_bytes, fill_all, import_selfcheck, sign_both
from tests.system import poppler

RENAMED = {"observation": "気付き", "major": "重大な不備"}


@pytest.fixture
def strict(db, city, forms):
    """Campaign R7, pinned with a form where only `major` is a finding and two results are renamed."""
    results = tuple(replace(r, finding=r.code == "major" and r.finding, label=RENAMED.get(r.code, r.label))
                    for r in forms.onsite.results)
    campaign_id = campaigns.create_campaign(db, "R7", "令和7年度 情報セキュリティ監査",
                                            replace(forms, onsite=replace(forms.onsite, results=results)),
                                            fiscal_year=2025)
    return campaigns.get_campaign(db, campaign_id=campaign_id)


def audited(db, campaign, auditor, staff_no="000101", **results):
    """A signed visit of `staff_no` in `campaign`: ok everywhere except `results` (check code → result)."""
    staff_id = db.execute("SELECT id FROM staff WHERE staff_no = ?", [staff_no]).fetchone()[0]
    v = {"id": visits.start_visit(db, campaign_id=campaign["id"], staff_id=staff_id, auditor_id=auditor,
                                  reason="確認"), "auditor": auditor}
    fill_all(db, v)
    for code, result in results.items():
        change(db, v, "result", result, check=code)
    sign_both(db, v)
    return v


def pdf_text(data, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(data)
    return "".join(poppler("pdftotext", "-enc", "UTF-8", str(path), "-").decode("utf-8").split())


def test_only_results_the_pinned_form_marks_as_findings_open_follow_ups(db, city, strict, make_user):
    auditor = make_user("auditor")
    audited(db, strict, auditor, external_media="nonconformity", wire_lock="major")
    audited(db, city, auditor, staff_no="000102", external_media="nonconformity", wire_lock="major")

    opened = {(f["campaign_id"], f["check_code"], f["severity"]) for f in followups.listing(db)}
    assert opened == {(strict["id"], "wire_lock", "major"),  # 不適合 is no finding in R7's form
                      (city["id"], "external_media", "nonconformity"), (city["id"], "wire_lock", "major")}


def test_every_screen_and_page_words_a_result_as_its_campaigns_form(client, login, db, city, strict, tmp_path):
    auditor = login("auditor")
    new = audited(db, strict, auditor, external_media="nonconformity", wire_lock="major")
    old = audited(db, city, auditor, staff_no="000102", wire_lock="major")

    sheet = pdf_text(client.get(f"/visits/{new['id']}/sheet.pdf").data, tmp_path, "new.pdf")
    assert "区分■重大な不備" in sheet and "□不適合" not in sheet  # the tick boxes are R7's findings only
    old_sheet = pdf_text(client.get(f"/visits/{old['id']}/sheet.pdf").data, tmp_path, "old.pdf")
    assert "区分□不適合■重大" in old_sheet and "重大な不備" not in old_sheet

    listing = client.get("/followups").get_data(as_text=True)
    assert "重大な不備" in listing and ">重大<" in listing  # each follow-up in its own campaign's words
    login("admin", username="boss")
    report = pdf_text(client.get(f"/reports/council.pdf?campaign={strict['id']}").data, tmp_path, "report.pdf")
    assert "気付き" in report and "重大な不備" in report and "観察事項" not in report
    assert "実地で「重大な不備」だったもの" in report and "うち重大な不備" in report


def test_a_declared_not_applicable_item_broken_on_site_is_its_own_class(client, login, db, city, tmp_path):
    # Item 19 (USB memory) answered N 該当しない; item 3 (wire lock) answered B.
    import_selfcheck(db, city, csv_bytes(SELFCHECK_HEADER, [answers_row("000101", value="A", s19="N", s3="B")]))
    auditor = login("auditor")
    v = audited(db, city, auditor, external_media="nonconformity", wire_lock="ok")

    classes = {row["check_code"]: row["class"] for row in db.query(
        "SELECT check_code, class FROM observations WHERE visit_id = ?", [v["id"]])}
    assert classes["external_media"] == crosscheck.OUT_OF_SCOPE_VIOLATION
    assert classes["wire_lock"] == crosscheck.MATCH_OK
    rows = {r["item"].no: r for r in aggregates.item_table(db, city)}
    assert rows[19]["classes"][crosscheck.OUT_OF_SCOPE_VIOLATION] == 1  # not 未回答 (another check of 19 was ok)

    dashboard = client.get(f"/dashboard?campaign={city['id']}").get_data(as_text=True)
    assert "申告対象外だが違反あり" in dashboard
    exported = client.get(f"/exports/items.csv?campaign={city['id']}").get_data(as_text=True).splitlines()
    assert exported[0].rstrip().endswith("過大申告,申告対象外だが違反あり")
    item19 = next(line for line in exported if line.startswith("19,"))
    assert item19.rstrip().endswith(",0,1")  # not over-reported, but declared out of scope and broken
    # The council report counts it apart from over-reporting (「該当しない」 is no claim of "done").
    data = council.report_data(db, city)
    assert data.out_of_scope_violations == 1 and data.over_reported == 0
    login("admin", username="boss")
    report = "".join(pdf_text(client.get(f"/reports/council.pdf?campaign={city['id']}").data, tmp_path, "r.pdf").split())
    assert "実地で確認し、「不適合」又は「重大」だったもの（申告対象外だが違反あり）が1件ありました。" in report


def test_not_done_is_what_selfcheck_toml_says_in_the_draw_and_the_tallies(db, city):
    rows = [answers_row("000101", value="A", s3="C"), answers_row("000102", value="B", s3="D", s19="N")]
    import_selfcheck(db, city, csv_bytes(SELFCHECK_HEADER, rows))

    sheet = campaigns.pinned_selfcheck(db, city)
    assert sheet.not_done_codes == {"3", "C", "D"}
    assert {r["item"].no: r["not_done"] for r in aggregates.item_table(db, city)}[3] == 2
    section_of = dict(db.execute("SELECT s.staff_no, s.section_id FROM staff s"))
    for staff_no in ("000101", "000102"):
        [person] = [p for p in draw.staff_pool(db, city["id"], section_of[staff_no], {"base": 1, "not_done": 2})]
        assert person.weight == 3, staff_no  # C and D each count as "not done", N does not
