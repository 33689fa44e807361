"""Logging out leaves nothing of a visit on a shared tablet: no offline copy, no outbox, no service worker —
and input still waiting to be sent is never thrown away without asking."""
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from tests.browser.test_offline import go_to_step, open_online
from tests.browser.test_visit import (  # noqa: F401 (visit_city is a fixture)
    applicable_codes, badge, seed_visit, visit_city, walk_on_server,
)

pytestmark = pytest.mark.browser

LEFT_ON_TABLET_JS = """async () => ({
  caches: await caches.keys(),
  databases: (await indexedDB.databases()).map((db) => db.name),
  workers: (await navigator.serviceWorker.getRegistrations()).length,
})"""


def log_out(page):
    page.locator("form[data-logout] button").tap()


def test_logout_deletes_the_offline_copy_and_the_outbox(open_page, visit_city, log_in):
    visit_id = seed_visit(visit_city, "000202")
    page = open_page(visit_city)
    log_in(page, "auditor")
    open_online(page, visit_id)
    before = page.evaluate(LEFT_ON_TABLET_JS)
    assert f"spotcheck-visit-{visit_id}" in before["caches"] and "spotcheck" in before["databases"]
    assert before["workers"] == 1

    log_out(page)
    expect(page.get_by_text("ログアウトしました。")).to_be_visible()
    assert page.evaluate(LEFT_ON_TABLET_JS) == {"caches": [], "databases": [], "workers": 0}
    # With no network, the visit is no longer on the tablet to be read by whoever picks it up.
    page.context.set_offline(True)
    with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED"):
        page.goto(f"/visits/{visit_id}")


def test_unsent_input_is_counted_and_kept_unless_the_auditor_agrees(open_page, visit_city, log_in):
    staff_no = "000203"
    visit_id = seed_visit(visit_city, staff_no)
    first = applicable_codes(visit_city, staff_no)[0]
    page = open_page(visit_city)
    log_in(page, "auditor")
    open_online(page, visit_id)
    page.context.set_offline(True)
    go_to_step(page, 1)
    page.locator(f'section.step[data-check="{first}"] [data-result="ok"]').tap()
    expect(badge(page)).to_have_text("未送信 1件")
    # The link is back, but the change cannot get through before the auditor taps ログアウト. Refused by the server,
    # not by Playwright's routing: the service worker's requests can slip past a context route.
    with changes_refused(visit_city):
        page.context.set_offline(False)
        log_out_twice(page, visit_id)
    page.wait_for_timeout(600)  # anything still able to send would have sent by now
    assert walk_on_server(visit_city, visit_id)[first].result == ""  # discarded, as the auditor chose


@contextmanager
def changes_refused(server):
    """The server answers every /visits/…/changes with 503 (a relay that drops them), then serves again."""
    serve = server.server.application

    def refuse(environ, start_response):
        if environ["PATH_INFO"].endswith("/changes"):
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b""]
        return serve(environ, start_response)

    server.server.application = refuse
    try:
        yield
    finally:
        server.server.application = serve


def log_out_twice(page, visit_id):
    """Tap ログアウト, say no to losing the unsent input, then tap again and say yes."""
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    log_out(page)
    expect(page.locator("form[data-logout]")).to_be_visible()
    page.wait_for_timeout(300)
    assert asked == ["この端末に未送信の入力が 1 件あります。ログアウトすると消えます。ログアウトしますか？"]
    assert page.url.endswith(f"/visits/{visit_id}") or f"/visits/{visit_id}#" in page.url  # still here, still logged in
    assert "spotcheck" in page.evaluate(LEFT_ON_TABLET_JS)["databases"]

    page.once("dialog", lambda dialog: dialog.accept())
    log_out(page)
    expect(page.get_by_text("ログアウトしました。")).to_be_visible()
    assert page.evaluate(LEFT_ON_TABLET_JS)["databases"] == []
