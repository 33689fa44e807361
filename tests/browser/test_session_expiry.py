"""A login that expires while the tablet was offline: 署名へ進む says so and stops (instead of 「保存しています…」
for ever); once the auditor logs in again in another tab, the page renews its token and everything is sent once."""
from contextlib import closing

import pytest
from playwright.sync_api import expect

from spotcheck import auth
from tests.browser.test_offline import go_to_step, open_online
from tests.browser.test_visit import (  # noqa: F401 (visit_city is a fixture)
    applicable_codes, badge, logged_results, seed_visit, user_id, visit_city, walk_on_server,
)

pytestmark = pytest.mark.browser

SESSION_TEXT = "ログインの有効期限が切れました。入力はこの端末に残っています。別のタブでログインし直してください。"


def test_expired_login_stops_the_wait_and_a_new_login_sends_everything_once(open_page, visit_city, log_in):
    staff_no = "000204"
    visit_id = seed_visit(visit_city, staff_no)
    codes = applicable_codes(visit_city, staff_no)
    page = open_page(visit_city)
    log_in(page, "auditor")
    open_online(page, visit_id)

    page.context.set_offline(True)
    go_to_step(page, 1)
    page.locator(f'section.step[data-check="{codes[0]}"] [data-result="ok"]').tap()
    expect(badge(page)).to_have_text("未送信 1件")
    with closing(visit_city.db()) as db:  # a long time offline: the login has ended meanwhile
        auth.log_out(db, user_id(visit_city, "auditor"))
    page.context.set_offline(False)

    go_to_step(page, len(codes) + 1)
    to_sign = page.get_by_role("link", name="署名へ進む")
    to_sign.tap()
    last = page.locator(f'section.step[data-step="{len(codes) + 1}"]')
    expect(last.get_by_text(SESSION_TEXT)).to_be_visible()
    expect(to_sign).not_to_have_attribute("aria-busy", "true")
    assert page.url.split("#")[0].endswith(f"/visits/{visit_id}")
    assert walk_on_server(visit_city, visit_id)[codes[0]].result == ""

    other = page.context.new_page()
    log_in(other, "auditor")  # a new session: the walk page's token is stale and must be renewed
    other.close()
    to_sign.tap()
    page.wait_for_url(f"**/visits/{visit_id}/sign", timeout=30_000)  # a 400, a renewed token, then the change
    assert walk_on_server(visit_city, visit_id)[codes[0]].result == "ok"
    assert logged_results(visit_city, visit_id)[codes[0]] == 1
