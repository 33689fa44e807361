"""実施計画 in the browser: the audit lead makes a section group, a team and a plan row, and sees a signed visit count."""
from contextlib import closing

import pytest
from playwright.sync_api import expect

from spotcheck import visits
from spotcheck.clock import now
from tests.browser.conftest import _install_city
from tests.factories import fill_all, sign_both

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def plan_city(tmp_path_factory):
    """The small city with one signed visit of 髙橋 花子 (市民課), served for this module only."""
    server = _install_city(tmp_path_factory.mktemp("plan-city") / "instance", loaded=True)
    with closing(server.db()) as db:
        auditor = db.execute("SELECT id FROM users WHERE username = 'auditor'").fetchone()[0]
        campaign = db.execute("SELECT id FROM campaigns WHERE code = 'R6'").fetchone()[0]
        staff = db.execute("SELECT id FROM staff WHERE staff_no = '000102'").fetchone()[0]
        visit = {"id": visits.start_visit(db, campaign_id=campaign, staff_id=staff, auditor_id=auditor,
                                          reason="実施計画の確認"), "auditor": auditor}
        fill_all(db, visit)
        sign_both(db, visit)
    yield server
    server.stop()


def test_the_lead_plans_a_group_with_a_team_and_sees_the_signed_visit_counted(
        open_page, plan_city, log_in, screenshot, browser_errors):
    page = open_page(plan_city)
    log_in(page, "admin")
    page.get_by_role("link", name="実地監査", exact=True).click()
    page.get_by_role("link", name="実施計画", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("実施計画")
    # Nothing planned yet; the signed visit is counted under the sections in no group.
    expect(page.locator("[data-completion]")).to_have_text("—")
    expect(page.locator(".plan-table tbody tr")).to_have_count(1)
    expect(page.locator(".plan-table tbody tr")).to_contain_text("グループ外の所属")

    groups = page.locator("#group-form")
    groups.get_by_label("所属グループ名").fill("市民部")
    groups.get_by_label("市民課").check()
    groups.get_by_role("button", name="所属グループを保存").click()
    expect(page.get_by_text("所属グループを保存しました。")).to_be_visible()
    expect(page.locator("#groups table")).to_contain_text("市民課")

    team = page.locator("#team-form")
    team.get_by_label("班の名前").fill("A班")
    team.get_by_label("監査員（1人目）").select_option(label="検査 花子")
    team.get_by_label("監査員（2人目）").select_option(label="調査 次郎")
    team.get_by_label("その監査員の所属").first.select_option(label="総務課")
    team.get_by_label("その監査員の所属").last.select_option(label="総務課")
    team.get_by_role("button", name="班を作成").click()
    expect(page.get_by_text("班を作成しました。")).to_be_visible()
    expect(page.get_by_text("2 人とも同じ所属です。できるだけ別の所属の 2 人で組んでください。")).to_be_visible()
    expect(page.locator("#teams table")).to_contain_text("検査 花子（総務課）・調査 次郎（総務課）")

    month = now().month  # the signed visit started today
    plan = page.locator("#plan-form")
    plan.get_by_label("所属グループ").select_option(label="市民部")
    plan.get_by_label("対象").select_option(label="職員")
    plan.locator("select[name=month]").select_option(label=f"{month}月")
    plan.get_by_label("計画数").fill("2")
    plan.get_by_label("監査班").select_option(label="A班")
    plan.get_by_role("button", name="計画を保存").click()
    expect(page.get_by_text("計画を保存しました。")).to_be_visible()

    expect(page.locator("[data-planned]")).to_have_text("2")
    expect(page.locator("[data-done]")).to_have_text("1")
    expect(page.locator("[data-completion]")).to_have_text("50%")
    row = page.locator(".plan-table tbody tr").first
    expect(row).to_contain_text("市民部")
    expect(row.locator("td.due")).to_contain_text("1/2")
    expect(row.locator("td.due")).to_contain_text("A班")
    expect(page.locator("#by-group tbody tr").first).to_contain_text("50%")
    # The year's table fits the landscape tablet: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1180
    screenshot(page, "plans-01-plan")
    assert browser_errors == []


@pytest.mark.parametrize("username", ["soumu-head", "viewer"])
def test_section_heads_and_viewers_get_no_plan(open_page, plan_city, log_in, username):
    page = open_page(plan_city)
    log_in(page, username)
    expect(page.get_by_role("link", name="実施計画")).to_have_count(0)
    response = page.goto("/plan")
    assert response.status == 403
    expect(page.get_by_text("この画面を開く権限がありません。")).to_be_visible()
