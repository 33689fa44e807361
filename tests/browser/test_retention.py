"""After the retention period: the public check says 廃棄済み, the record page says what went and does not break."""
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from spotcheck import issuance, retention, visits
from tests.browser.conftest import _install_city
from tests.factories import fill_all, sign_both


@pytest.fixture
def purged_server(tmp_path_factory):
    """The small city with one signed visit of 鈴木 一郎 in R6, purged on 令和12年4月1日; (server, visit id, serial)."""
    server = _install_city(tmp_path_factory.mktemp("purged-city") / "instance", loaded=True)
    with closing(server.db()) as db:
        auditor = db.execute("SELECT id FROM users WHERE username = 'auditor'").fetchone()[0]
        staff_id = db.execute("SELECT id FROM staff WHERE staff_no = '000101'").fetchone()[0]
        visit = {"id": visits.start_visit(db, campaign_id=1, staff_id=staff_id, auditor_id=auditor, reason="再確認"),
                 "auditor": auditor}
        fill_all(db, visit)
        sign_both(db, visit)
        years = {"campaign_years": 5, "retirement_years": 5}
        planned = retention.plan(db, date(2030, 4, 1), instance=Path(server.app.instance_path), **years)
        retention.purge(db, planned, instance=Path(server.app.instance_path), **years)
        sheet = issuance.get_sheet(db, visit_id=visit["id"])
    yield server, visit["id"], sheet
    server.stop()


@pytest.mark.browser
def test_a_purged_sheet_reads_as_disposed_of_and_its_record_as_purged(open_page, purged_server, log_in, screenshot):
    server, visit_id, sheet = purged_server
    page = open_page(server)
    page.goto(f"/verify/{sheet['serial']}?d={sheet['digest']}")
    expect(page.locator(".verdict")).to_contain_text("保存期間満了により廃棄済み")
    expect(page.locator("dl.facts")).to_contain_text(sheet["serial"])
    expect(page.locator("dl.facts")).to_contain_text("令和")
    expect(page.get_by_text("改ざん")).to_have_count(0)
    screenshot(page, "verify-purged")

    log_in(page, "auditor")
    page.goto(f"/visits/{visit_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("（保存期間満了により廃棄）")
    expect(page.locator(".flash.info")).to_contain_text("保存期間満了により廃棄されました")
    expect(page.get_by_text("鈴木")).to_have_count(0)
    expect(page.get_by_role("link", name="結果票を印刷")).to_have_count(0)
    screenshot(page, "visit-purged")
