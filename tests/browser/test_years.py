"""The audit year on a tablet: last year's open finding carried into this year's dashboard, and the trend."""
from contextlib import closing

import pytest
from playwright.sync_api import expect

from spotcheck import auth, campaigns, imports, loaded_forms
from tests.factories import PASSWORD, SECTION_HEADER, SECTIONS, STAFF, STAFF_HEADER, csv_bytes
from tests.test_years import three_years


@pytest.fixture
def three_year_city(empty_server):
    """The tiny city with R5, R6 and R7 (tests/test_years.py counts them by hand)."""
    with closing(empty_server.db()) as db:
        for kind, header, rows in (("sections", SECTION_HEADER, SECTIONS), ("staff", STAFF_HEADER, STAFF)):
            imports.apply(db, imports.plan(db, kind, csv_bytes(header, rows), f"{kind}.csv", max_rows=1000), None)
        with empty_server.app.app_context():
            forms = loaded_forms.current()
        city = campaigns.get_campaign(db, campaign_id=campaigns.create_campaign(
            db, "R6", "令和6年度 情報セキュリティ監査", forms, fiscal_year=2024))
        auditor = auth.create_user(db, "auditor", PASSWORD, "auditor", display_name="検査 花子")
        lead = db.execute("SELECT id FROM users WHERE username = 'admin'").fetchone()[0]
        three_years(db, city, forms, auditor, lead)
    return empty_server


@pytest.mark.browser
def test_this_year_s_dashboard_shows_last_year_s_open_finding_and_the_trend(open_page, three_year_city, log_in,
                                                                          screenshot):
    page = open_page(three_year_city)
    log_in(page, "admin")
    page.get_by_role("navigation", name="メニュー").get_by_role("link", name="集計", exact=True).click()
    # R7 is the newest campaign: its own findings are none yet, but R5's is still open.
    expect(page.locator("select[name=campaign]")).to_have_value(
        page.locator("select[name=campaign] option", has_text="R7").get_attribute("value"))
    carried = page.locator("#carried")
    expect(carried).to_contain_text("前年度からの継続")
    expect(carried.locator("dd")).to_have_text("1件")
    trend = page.locator("#trend")
    expect(trend.get_by_role("heading")).to_have_text("年度別の推移")
    expect(trend.locator("thead th")).to_contain_text(["項目", "令和5年度", "令和6年度", "令和7年度"])
    expect(trend).to_contain_text("令和7年度から回答の尺度が変わりました（①②③の3段階 → A〜Dの細分化）")
    rate_row = trend.locator("tbody tr", has_text="「できていない」回答の割合")
    expect(rate_row.locator("td")).to_have_text(["「できていない」回答の割合（③・C・D）", "5.5%", "3.6%", "3.6%"])
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], "the dashboard scrolls sideways"
    screenshot(page, "years-dashboard")
    # The link beside the figure opens this year's follow-ups, last year's marked 継続.
    page.get_by_role("link", name="継続分を含む一覧").click()
    row = page.locator("table.list tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_have_text("令和5年度 継続")
    screenshot(page, "years-followups")


@pytest.mark.browser
def test_the_person_page_shows_their_years_side_by_side(open_page, three_year_city, log_in, screenshot):
    page = open_page(three_year_city)
    log_in(page, "auditor")
    with closing(three_year_city.db()) as db:
        staff_id = db.execute("SELECT id FROM staff WHERE staff_no = '000101'").fetchone()[0]
    page.goto(f"/staff/{staff_id}")
    trend = page.locator("section.trend")
    expect(trend.locator("thead th")).to_contain_text(["項目", "令和5年度", "令和6年度", "令和7年度"])
    expect(trend.locator("tbody tr", has_text="「できていない」回答").locator("td")).to_have_text(
        ["「できていない」回答（③・C・D）", "2 / 28", "0 / 28", "2 / 28"])
    expect(trend.locator("tbody tr", has_text="未完了").locator("td")).to_have_text(["未完了（継続中）", "1", "0", "0"])
    expect(trend).to_contain_text("令和7年度から回答の尺度が変わりました")
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], "the person page scrolls sideways"
    screenshot(page, "years-person")
