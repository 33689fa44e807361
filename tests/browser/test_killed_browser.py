"""The browser killed mid-sentence (battery out, the tablet's OS reclaiming it): text typed a moment before,
with no pause and no page event, is on the tablet at the next start and reaches the server then."""
import os
import signal
import time
from contextlib import suppress
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LANDSCAPE
from tests.browser.test_offline import go_to_step, open_online
from tests.browser.test_visit import (  # noqa: F401 (visit_city is a fixture)
    applicable_codes, badge, seed_visit, visit_city, walk_on_server,
)

pytestmark = pytest.mark.browser

REMARK = "施錠されていない書庫の鍵が机上にあった"


def kill_chromium_using(profile: Path):
    """SIGKILL every Chromium process of this profile: no unload, no pagehide, nothing flushed on the way out."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path("/proc", pid, "cmdline").read_bytes()
        except OSError:
            continue
        if str(profile).encode() in command:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass


def tablet(browser, profile, server):
    """A Chromium of its own with a profile on disk (the session's browser keeps nothing across a kill)."""
    context = browser.browser_type.launch_persistent_context(
        profile, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, base_url=server.url, viewport=LANDSCAPE,
        has_touch=True, locale="ja-JP")
    context.set_default_timeout(10_000)
    return context, context.pages[0] if context.pages else context.new_page()


def test_text_typed_just_before_the_browser_is_killed_is_sent_at_the_next_start(browser, visit_city, log_in, tmp_path):
    staff_no = "000201"
    visit_id = seed_visit(visit_city, staff_no)
    first = applicable_codes(visit_city, staff_no)[0]
    profile = tmp_path / "profile"
    context, page = tablet(browser, profile, visit_city)
    log_in(page, "auditor")
    open_online(page, visit_id)
    page.context.set_offline(True)  # and no network to send it to either
    go_to_step(page, 1)
    remark = page.locator(f'section.step[data-check="{first}"] [data-remark]')
    remark.tap()
    page.keyboard.insert_text(REMARK)  # one input event, then nothing: no pause of 0.6 s, no blur
    page.wait_for_timeout(150)
    kill_chromium_using(profile)
    time.sleep(0.5)
    with suppress(Exception):  # the browser is already dead, as intended: closing what is left may fail
        context.close()

    assert walk_on_server(visit_city, visit_id)[first].remark == ""
    context, page = tablet(browser, profile, visit_city)
    try:
        log_in(page, "auditor")  # the killed browser's session cookie went with it
        page.goto(f"/visits/{visit_id}")
        expect(badge(page)).to_have_text("すべて送信しました", timeout=10_000)
        expect(page.locator(f'section.step[data-check="{first}"] [data-remark]')).to_have_value(REMARK)
    finally:
        context.close()
    assert walk_on_server(visit_city, visit_id)[first].remark == REMARK
