"""The audit year across campaigns: carry-over of open follow-ups, trends on hand-counted data, draw weights that learn.

The fixture is three campaigns of the tiny city (tests/factories.py), counted by hand:

  R5 (令和5年度, ①②③, created last but first by fiscal year)
     000101 (総務課, 28 items in scope): ① except ③ on items 3 and 5     → 2 not done
     000102 (市民課, 27 items in scope): ① except ③ on item 3            → 1 not done     3 / 55 = 5.5 %
     visit of 000101: USB media 不適合 although item 19 said ①           → 1 finding, 1 乖離, left open
  R6 (令和6年度, ①②③)
     000101 all ①; 000102 ③ on items 3 and 4                            → 2 / 55 = 3.6 %
     visit of 000102: USB media 不適合 although item 19 said ①           → 1 finding, 1 乖離, closed
  R7 (令和7年度, A〜D: the scale changed)
     000101 A except C on item 1 and D on item 2; 000102 all B           → 2 / 55 = 3.6 %
     no visit yet; R5's finding is still open and is carried over
"""
import json

import pytest

from spotcheck import auth, campaigns, carryover, council, draw, followups, subject_draw, trends, visits
from spotcheck.config import defaults
from tests.factories import (SELFCHECK_HEADER, answers_row, change, csv_bytes, fill_all, import_selfcheck, sign_both,
                             soon)


def _visit(db, campaign, staff_no, auditor):
    """A signed visit where the person's USB media broke the rule (a 不適合 on item 19, answered "done")."""
    staff_id = db.execute("SELECT id FROM staff WHERE staff_no = ?", [staff_no]).fetchone()[0]
    visit = {"id": visits.start_visit(db, campaign_id=campaign["id"], staff_id=staff_id, auditor_id=auditor,
                                      reason="年度の比較"), "auditor": auditor}
    fill_all(db, visit)
    change(db, visit, "result", "nonconformity", check="external_media", at=soon(60))
    sign_both(db, visit)
    return visit


@pytest.fixture
def years(db, city, forms, make_user):
    """R5, R6 (the city fixture) and R7 as described above; returns {code: campaign}."""
    return three_years(db, city, forms, make_user("auditor", "year-auditor"), make_user("admin", "year-lead"))


def three_years(db, city, forms, auditor, lead):
    """Add R5 and R7 to the tiny city's R6, with the answers, visits and follow-ups counted above."""
    r5 = campaigns.get_campaign(db, campaign_id=campaigns.create_campaign(
        db, "R5", "令和5年度 情報セキュリティ監査", forms, fiscal_year=2023))
    r7 = campaigns.get_campaign(db, campaign_id=campaigns.create_campaign(
        db, "R7", "令和7年度 情報セキュリティ監査", forms, fiscal_year=2025))
    import_selfcheck(db, r5, csv_bytes(SELFCHECK_HEADER, [answers_row("000101", s3="③", s5="③"),
                                                          answers_row("000102", s3="③")]))
    import_selfcheck(db, city, csv_bytes(SELFCHECK_HEADER, [answers_row("000101"),
                                                            answers_row("000102", s3="③", s4="③")]))
    import_selfcheck(db, r7, csv_bytes(SELFCHECK_HEADER, [answers_row("000101", value="A", s1="C", s2="D"),
                                                          answers_row("000102", value="B")]))
    _visit(db, r5, "000101", auditor)
    _visit(db, city, "000102", auditor)
    admin, auditor_user = auth.get_user(db, lead), auth.get_user(db, auditor)
    (closing,) = followups.listing(db, campaign_id=city["id"])
    followups.report(db, closing["id"], admin, "媒体を回収しました。")
    followups.confirm(db, closing["id"], auditor_user, fixed=True)
    return {"R5": r5, "R6": city, "R7": r7}


def _staff_id(db, staff_no):
    return db.execute("SELECT id FROM staff WHERE staff_no = ?", [staff_no]).fetchone()[0]


def test_campaigns_run_by_fiscal_year_not_by_when_they_were_entered(db, years):
    assert [year.code for year in carryover.chronology(db)] == ["R5", "R6", "R7"]
    assert carryover.earlier_ids(db, years["R7"]["id"]) == [years["R6"]["id"], years["R5"]["id"]]
    assert carryover.previous_id(db, years["R6"]["id"]) == years["R5"]["id"]
    assert carryover.previous_id(db, years["R5"]["id"]) is None
    assert council.report_data(db, years["R6"]).previous_campaign_title == "令和5年度 情報セキュリティ監査"


def test_open_findings_carry_over_until_closed(db, years, make_user):
    r5, r6, r7 = years["R5"], years["R6"], years["R7"]
    assert carryover.counts(db, r5["id"]).total == 0  # nothing before the first year
    assert carryover.counts(db, r6["id"]) == carryover.CarriedCounts(open=1, reported=0, overdue=0)
    assert carryover.counts(db, r7["id"]).total == 1  # R6's own finding was closed; R5's is still open
    section = db.execute("SELECT id FROM sections WHERE code = '0101'").fetchone()[0]
    assert carryover.by_section(db, r7["id"]) == {section: 1}
    rows = carryover.with_carried(followups.listing(db), db, r7["id"])
    assert [(row["year"], row["carried"]) for row in rows] == [("令和5年度", True)]
    # Once reported it still carries over (awaiting the re-check); once closed it no longer does.
    (row,) = rows
    followups.report(db, row["id"], auth.get_user(db, make_user("admin", "lead")), "媒体を登録しました。")
    assert carryover.counts(db, r7["id"]) == carryover.CarriedCounts(open=0, reported=1, overdue=0)
    followups.confirm(db, row["id"], auth.get_user(db, make_user("auditor", "checker")), fixed=True)
    assert carryover.counts(db, r7["id"]).total == 0
    assert carryover.with_carried(followups.listing(db), db, r7["id"]) == []


def test_overdue_carried_follow_ups_are_counted(db, years):
    from datetime import date

    (row,) = followups.listing(db, campaign_id=years["R5"]["id"])
    late = date.fromisoformat(row["due_on"]).replace(year=date.fromisoformat(row["due_on"]).year + 1)
    assert carryover.counts(db, years["R7"]["id"], today=late).overdue == 1


def test_trends_on_hand_counted_data(db, years):
    trend = trends.city(db)
    figures = {(y.code, name): getattr(y, name) for y in trend.years for name in
               ("scales", "scale_changed", "in_scope", "answered", "answers", "not_done", "visits", "findings",
                "over_reported", "closed", "still_open")}
    assert [y.code for y in trend.years] == ["R5", "R6", "R7"]
    expected = {
        "R5": (("three",), False, 2, 2, 55, 3, 1, 1, 1, 0, 1),
        "R6": (("three",), False, 2, 2, 55, 2, 1, 1, 1, 1, 0),
        "R7": (("fine",), True, 2, 2, 55, 2, 0, 0, 0, 0, 0),
    }
    names = ("scales", "scale_changed", "in_scope", "answered", "answers", "not_done", "visits", "findings",
             "over_reported", "closed", "still_open")
    for code, values in expected.items():
        assert tuple(figures[(code, name)] for name in names) == values, code
    assert [(y.previous_scales, trends.scale_text(y.scales)) for y in trend.years] == [
        ((), "①②③の3段階"), (("three",), "①②③の3段階"), (("three",), "A〜Dの細分化")]
    # The 乖離 base is the dashboard's own figure for each year.
    from spotcheck import aggregates

    for y in trend.years:
        assert y.claims_done == aggregates.summary(db, campaigns.get_campaign(db, campaign_id=y.campaign_id))["claims_done"]
        assert y.claims_done > 0 if y.visits else y.claims_done == 0


def test_a_section_s_trend_counts_only_that_section(db, years):
    section = db.execute("SELECT id FROM sections WHERE code = '0201'").fetchone()[0]  # 市民課: 000102
    trend = trends.city(db, section_id=section)
    assert [(y.code, y.answers, y.not_done, y.visits, y.findings, y.closed) for y in trend.years] == [
        ("R5", 27, 1, 0, 0, 0), ("R6", 27, 2, 1, 1, 1), ("R7", 27, 0, 0, 0, 0)]


def test_a_person_s_trend(db, years):
    trend = trends.person(db, _staff_id(db, "000101"))
    assert [(y.code, y.answers, y.not_done, y.visits, y.findings, y.over_reported, y.still_open, y.scale_changed)
            for y in trend.years] == [("R5", 28, 2, 1, 1, 1, 1, False), ("R6", 28, 0, 0, 0, 0, 0, False),
                                      ("R7", 28, 2, 0, 0, 0, 0, True)]
    # Nobody's trend lists a year that never concerned them: 000103 uses no PC and was never visited.
    assert trends.person(db, _staff_id(db, "000103")).years == ()


def test_last_year_s_over_reporting_and_open_findings_raise_a_person_s_weight(db, years, make_user):
    weights = defaults()["DRAW_WEIGHTS"]
    section = db.execute("SELECT id FROM sections WHERE code = '0101'").fetchone()[0]
    (r6_pool,) = draw.staff_pool(db, years["R6"]["id"], section, weights)  # 000101, visited in R5
    assert r6_pool.weight == 1 + weights["over_reported"] + weights["open_findings"]
    assert r6_pool.reasons == ("前回のキャンペーンで過大申告（乖離）あり +2", "前年度以前の指摘が未完了 +2")
    (r7_pool,) = draw.staff_pool(db, years["R7"]["id"], section, weights)  # R6 was not R5: no 乖離 the year before
    assert r7_pool.reasons == ("③（できていない）・C・D の回答あり +2", "前年度以前の指摘が未完了 +2")
    (r5_pool,) = draw.staff_pool(db, years["R5"]["id"], section, weights, exclude_visited=False)
    assert r5_pool.weight == 1 + weights["not_done"]  # the first year has nothing to learn from
    # Turned off by a setting of 0, and the draw record still re-computes.
    quiet = dict(weights, over_reported=0, open_findings=0)
    assert draw.staff_pool(db, years["R6"]["id"], section, quiet)[0].weight == 1
    draw_id, chosen = draw.record_draw(db, campaign_id=years["R6"]["id"], kind="staff", section_id=section,
                                       pool=[r6_pool], options={}, user_id=make_user("auditor", "drawer"))
    assert draw.verify(db, draw_id)[0]
    assert json.loads(draw.get_draw(db, draw_id)["pool"]) == [[chosen, 5, list(r6_pool.reasons)]]


def test_sections_learn_too(db, years, make_user):
    weights = defaults()["SECTION_DRAW_WEIGHTS"]
    pool = {c.id: c for c in subject_draw.section_pool(db, years["R7"]["id"], weights)}
    codes = dict(db.execute("SELECT code, id FROM sections"))
    somu, shimin, library = pool[codes["0101"]], pool[codes["0201"]], pool[codes["0301"]]
    assert somu.weight == 1 + weights["outsourced"] + weights["open_findings"]  # R5's finding still open
    assert shimin.weight == 1 + weights["my_number"] + weights["findings"] + weights["over_reported"]  # R6's 乖離
    assert "前回のキャンペーンで過大申告（乖離）あり +1" in shimin.reasons
    assert library.weight == 1
    draw_id, _chosen = draw.record_draw(db, campaign_id=years["R7"]["id"], kind="section", section_id=None,
                                        pool=list(pool.values()), options={"subject": "section"},
                                        user_id=make_user("auditor", "drawer"))
    assert draw.verify(db, draw_id) == (True, ["抽選記録は正しく、再計算した結果と一致します。"])
    # The person-visit flow's section draw learns from the same facts, with DRAW_WEIGHTS.
    person_weights = defaults()["DRAW_WEIGHTS"]
    by_id = {c.id: c for c in draw.section_pool(db, years["R7"]["id"], person_weights)}
    assert by_id[codes["0201"]].weight == 1 + person_weights["my_number"] + person_weights["over_reported"]
    assert by_id[codes["0101"]].weight == 1 + person_weights["open_findings"]


def test_the_screens_show_carry_over_and_trends(client, login, db, years):
    login("admin")
    r7 = years["R7"]["id"]
    page = client.get(f"/dashboard?campaign={r7}").get_data(as_text=True)
    assert "前年度からの継続" in page and "1件" in page
    assert "年度別の推移" in page and "令和7年度から回答の尺度が変わりました" in page
    trend = page[page.index('<thead>', page.index('id="trend"')):]
    assert trend.index("令和5年度") < trend.index("令和6年度") < trend.index("令和7年度")  # oldest first, side by side
    listing = client.get(f"/followups?campaign={r7}").get_data(as_text=True)
    assert "継続" in listing and "令和5年度" in listing and "USBメモリ" in listing
    everything = client.get("/followups").get_data(as_text=True)
    assert "令和6年度" in everything and "令和5年度" in everything  # every year, each labelled
    staff = client.get(f"/staff/{_staff_id(db, '000101')}").get_data(as_text=True)
    assert "年度別の推移" in staff and "尺度変更" in staff


def test_section_heads_see_the_carried_list_but_no_trend(client, login, db, years):
    login("section_head", section_code="0101")
    listing = client.get(f"/followups?campaign={years['R7']['id']}").get_data(as_text=True)
    assert "継続" in listing
    person = client.get(f"/staff/{_staff_id(db, '000101')}").get_data(as_text=True)
    assert "年度別の推移" not in person and "令和5年度" in person  # the finding's 年度, not the audit team's trend
    assert client.get("/dashboard").status_code == 403


def test_the_council_report_counts_carried_findings(runner, years, tmp_path):
    from tests.system import poppler

    for flag in ((), ("--public",)):
        out = tmp_path / f"r7{len(flag)}.pdf"
        result = runner.invoke(args=["council-report", "R7", *flag, "-o", str(out)])
        assert result.exit_code == 0, result.output
        text = "".join(poppler("pdftotext", "-layout", str(out), "-").decode().split())
        assert "前年度以前の指摘のうち1件が未完了" in text
        assert "前年度からの継続：前年度以前の指摘のうち未完了のものが1件" in text


def test_viewers_see_the_carried_count_and_the_draw_record_names_the_learned_reasons(client, login, db, years):
    auditor = login("auditor")
    section = db.execute("SELECT id FROM sections WHERE code = '0101'").fetchone()[0]
    pool = draw.staff_pool(db, years["R6"]["id"], section, defaults()["DRAW_WEIGHTS"])
    draw_id, _chosen = draw.record_draw(db, campaign_id=years["R6"]["id"], kind="staff", section_id=section, pool=pool,
                                        options={}, user_id=auditor)
    record = client.get(f"/draws/{draw_id}").get_data(as_text=True)
    assert "前回のキャンペーンで過大申告（乖離）あり +2" in record and "前年度以前の指摘が未完了 +2" in record
    client.post("/logout")
    login("viewer")
    page = client.get(f"/dashboard?campaign={years['R7']['id']}").get_data(as_text=True)
    assert "前年度からの継続" in page and "1件" in page


def test_an_employment_type_s_trend(db, years):
    # 000102 is 会計年度任用職員: only their answers, visit and finding.
    assert [(y.code, y.answers, y.not_done, y.visits, y.findings) for y in trends.city(db, employment="fiscal_year").years] == [
        ("R5", 27, 1, 0, 0), ("R6", 27, 2, 1, 1), ("R7", 27, 0, 0, 0)]


def test_the_followup_export_of_a_year_includes_the_carried_ones(client, login, years):
    login("admin")
    lines = client.get(f"/exports/followups.csv?campaign={years['R7']['id']}").get_data().decode("utf-8-sig").splitlines()
    assert lines[0].endswith(",年度,前年度からの継続")
    assert len(lines) == 2 and lines[1].endswith(",令和5年度,継続")
    r6 = client.get(f"/exports/followups.csv?campaign={years['R6']['id']}").get_data().decode("utf-8-sig").splitlines()
    assert sorted(line.rsplit(",", 2)[1:] for line in r6[1:]) == [["令和5年度", "継続"], ["令和6年度", ""]]
