"""督促 on a tablet (1180×820): the section head's お知らせ badge and inbox, and the audit lead's 督促通知 button."""
from contextlib import closing
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from spotcheck import auth, calendar_days, campaigns, clock, followups, imports, loaded_forms, visits, wareki
from spotcheck.remind_command import run
from tests.browser.conftest import ACCOUNTS, PASSWORD, roster_csv, sections_csv
from tests.factories import change, fill_all, sign_both, soon


@pytest.fixture
def chased(empty_server):
    """A fresh city whose one 重大 follow-up (総務課, 鈴木 一郎) is 10 days late, and `flask remind` run today."""
    server = empty_server
    with closing(server.db()) as db:
        for kind, data, name in (("sections", sections_csv(), "所属一覧.csv"), ("staff", roster_csv(), "職員名簿.csv")):
            imports.apply(db, imports.plan(db, kind, data, name, max_rows=1000), None)
        with server.app.app_context():
            forms = loaded_forms.current()
        campaign_id = campaigns.create_campaign(db, "R6", "令和6年度 情報セキュリティ監査", forms, fiscal_year=2024)
        for username in ("auditor", "soumu-head", "viewer"):
            role, name, section = ACCOUNTS[username]
            auth.create_user(db, username, PASSWORD, role, display_name=name, section_code=section)
        auditor = db.execute("SELECT id FROM users WHERE username = 'auditor'").fetchone()[0]
        staff_id = db.execute("SELECT id FROM staff WHERE staff_no = '000101'").fetchone()[0]
        visit = {"id": visits.start_visit(db, campaign_id=campaign_id, staff_id=staff_id, auditor_id=auditor,
                                          reason="前回の指摘の再確認"), "auditor": auditor}
        fill_all(db, visit)
        change(db, visit, "result", "major", check="external_media", at=soon(60))
        sign_both(db, visit)
        today = clock.now().date()
        due = calendar_days.next_business_day(today - timedelta(days=10))
        if due > today - timedelta(days=7):  # the next working day came too late for the +7 step
            due = today - timedelta(days=8)
        db.execute("UPDATE followups SET due_on = ?", [due.isoformat()])
        db.conn.commit()
        assert run(db, server.app.config, today).fired == 2  # the section head: 期限日 and +7
        assert len(followups.listing(db)) == 1
    return server


@pytest.mark.browser
def test_section_head_sees_the_badge_and_reads_the_inbox(open_page, chased, log_in, screenshot):
    page = open_page(chased)
    log_in(page, "soumu-head")
    link = page.locator(".topbar [data-inbox]")
    expect(link).to_be_visible()
    expect(link).to_have_text("お知らせ 2")
    expect(link.locator("[data-unread]")).to_be_in_viewport()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("お知らせ")
    rows = page.locator("table.inbox tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("期限から 7 日が過ぎました")
    expect(rows.first).to_contain_text("USBメモリ等の外部記録媒体")
    expect(page.locator("main")).not_to_contain_text("鈴木")
    screenshot(page, "inbox-section-head")
    rows.first.get_by_role("button", name="既読にする").click()
    expect(page.locator(".flash.success")).to_contain_text("1 件を既読にしました")
    expect(page.locator(".topbar [data-unread]")).to_have_text("1")
    page.get_by_role("button", name="すべて既読にする（1）").click()
    expect(page.locator(".topbar [data-inbox]")).to_have_text("お知らせ")


@pytest.mark.browser
def test_audit_lead_prints_the_notice_from_the_follow_up_list(open_page, chased, log_in, screenshot):
    page = open_page(chased)
    log_in(page, "admin")
    page.get_by_role("navigation", name="メニュー").get_by_role("link", name="フォローアップ", exact=True).click()
    button = page.get_by_role("button", name="督促通知を印刷")
    expect(button).to_be_visible()
    expect(button).to_be_in_viewport()
    screenshot(page, "followups-notice-button")
    with page.context.expect_event("response", lambda r: r.url.endswith("/followups/notice.pdf")) as caught:
        button.click()
    response = caught.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    # Chromium shows it in its PDF viewer (a new tab); the notice was issued with its number.
    with closing(chased.db()) as db:
        issued = [tuple(row) for row in db.execute("SELECT fiscal_year, number FROM followup_notices")]
    assert issued == [(wareki.fiscal_year(clock.now().date()), 1)]
