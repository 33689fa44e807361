"""The walk with one hand: one tap per compliant check, every result in view at three tablet sizes, messages next to
their control, 署名へ進む that waits instead of refusing, and double taps that never undo a result.

Runs on test_visit's city (情報政策課 0401, where all 16 on-site checks apply to 000201)."""
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.test_visit import (  # noqa: F401 (visit_city is a fixture)
    applicable_codes, badge, logged_results, one, seed_visit, visit_city, walk_on_server,
)

pytestmark = pytest.mark.browser

PERSON = "000201"
VIEWPORTS = {"landscape": {"width": 1180, "height": 820}, "portrait": {"width": 820, "height": 1180},
             "small": {"width": 768, "height": 1024}}

# Where every result button, the self-report and the 前へ/次へ bar are on the check shown, at the top of the page.
IN_VIEW_JS = """() => {
  const step = document.querySelector('section.step:not([hidden])');
  const bar = document.querySelector('.walk-nav').getBoundingClientRect();
  const boxes = [...step.querySelectorAll('[data-result]'), step.querySelector('.selfreport')]
    .map(e => e.getBoundingClientRect());
  return {check: step.dataset.check, scrollY: window.scrollY, barTop: bar.top, height: innerHeight, width: innerWidth,
          boxes: boxes.map(b => [b.left, b.top, b.right, b.bottom]),
          guideOpen: step.querySelector('details.guide').open};
}"""


def current_check(page):
    return page.locator("section.step:not([hidden])").get_attribute("data-check")


def test_compliant_checks_take_one_tap_each(open_page, visit_city, log_in, screenshot, browser_errors):
    codes = applicable_codes(visit_city, PERSON)
    visit_id = seed_visit(visit_city, PERSON)
    page = open_page(visit_city)
    log_in(page, "auditor")
    page.goto(f"/visits/{visit_id}")
    notice = page.locator("[data-advanced]")
    taps = {}
    for number, code in enumerate(codes, start=1):
        assert current_check(page) == code
        expect(page.locator(".step-count")).to_have_text(f"{number} / {len(codes)}")
        step = page.locator(f'section.step[data-check="{code}"]')
        time.sleep(0.45)  # a person's pace: taps come after the check has settled
        if code == "external_media":  # a result that needs a remark stays and opens the remark field
            step.locator('[data-result="nonconformity"]').tap()
            remark = step.locator("[data-remark]")
            expect(remark).to_be_focused()
            assert current_check(page) == code
            step.locator('[data-result="nonconformity"]').tap()  # tapped again: still 不適合, never cleared
            expect(step.locator('[data-result="nonconformity"]')).to_have_attribute("aria-pressed", "true")
            remark.fill("私物のUSBメモリが挿さっていた")
            page.locator("[data-next]").tap()
            continue
        step.locator('[data-result="ok"]').tap()
        taps[code] = 1
        if number == 1:
            expect(notice).to_be_visible()
            expect(notice).to_contain_text("次へ進みました")
            screenshot(page, "one-tap-01-advanced")
            notice.get_by_role("button", name="元に戻す").tap()  # undo: back, the result stays
            assert current_check(page) == code
            expect(step.locator('[data-result="ok"]')).to_have_attribute("aria-pressed", "true")
            expect(notice).to_be_hidden()
            page.locator("[data-next]").tap()
    expect(page.locator("section.summary")).to_be_visible()
    assert max(taps.values()) <= 1 and len(taps) == len(codes) - 1
    # The badge can still read 保存済み in the moment before the last tap's change is queued: wait for the server.
    wanted = {c: "nonconformity" if c == "external_media" else "ok" for c in codes}
    deadline = time.monotonic() + 15
    while (results := {c: s.result for c, s in walk_on_server(visit_city, visit_id).items()}) != wanted:
        assert time.monotonic() < deadline, results
        time.sleep(0.1)
    expect(badge(page)).to_have_text("保存済み")
    assert set(logged_results(visit_city, visit_id).values()) == {1}
    assert not browser_errors


def test_double_tap_never_clears_or_skips(open_page, visit_city, log_in, browser_errors):
    codes = applicable_codes(visit_city, "000203")
    visit_id = seed_visit(visit_city, "000203")
    page = open_page(visit_city)
    log_in(page, "auditor")
    page.goto(f"/visits/{visit_id}")
    expect(badge(page)).to_have_text("保存済み")
    button = page.locator(f'section.step[data-check="{codes[0]}"] [data-result="ok"]')
    box = button.bounding_box()
    for _ in range(2):  # two taps 120 ms apart on the same spot: the second lands while the next check slides in
        page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(120)
    expect(page.locator(".step-count")).to_have_text(f"2 / {len(codes)}")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f'section.step[data-check="{codes[1]}"] [data-result].selected')).to_have_count(0)
    deadline = time.monotonic() + 15  # as above: the server, not the badge, says the tap arrived
    while walk_on_server(visit_city, visit_id)[codes[0]].result != "ok":
        assert time.monotonic() < deadline, "the tap never reached the server"
        time.sleep(0.1)
    expect(badge(page)).to_have_text("保存済み")
    page.wait_for_timeout(300)  # and no second tap follows it
    saved = walk_on_server(visit_city, visit_id)
    assert saved[codes[0]].result == "ok" and not saved[codes[1]].result
    assert not browser_errors


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_result_is_in_view_on_every_check(open_page, visit_city, log_in, screenshot, viewport, browser_errors):
    codes = applicable_codes(visit_city, PERSON)
    assert len(codes) == 16  # every check of forms/onsite.toml
    visit_id = seed_visit(visit_city, PERSON)
    page = open_page(visit_city)
    page.set_viewport_size(VIEWPORTS[viewport])
    log_in(page, "auditor")
    page.goto(f"/visits/{visit_id}")
    hidden = []
    for number, code in enumerate(codes, start=1):
        expect(page.locator(".step-count")).to_have_text(f"{number} / {len(codes)}")
        page.wait_for_timeout(200)  # the slide-in has ended
        seen = page.evaluate(IN_VIEW_JS)
        assert seen["check"] == code and seen["scrollY"] == 0 and not seen["guideOpen"]
        for left, top, right, bottom in seen["boxes"]:
            if not (0 <= left and right <= seen["width"] and 0 <= top and bottom <= seen["barTop"]):
                hidden.append((code, (left, top, right, bottom), seen["barTop"]))
        if number in (1, 8):
            screenshot(page, f"one-tap-check-{number}-{viewport}")
        page.locator("[data-next]").tap()
    assert not hidden, hidden
    page.locator(f'section.step[data-check="{codes[0]}"] details.guide summary').count()
    assert not browser_errors


def test_refused_photo_message_sits_next_to_the_camera(open_page, visit_city, log_in, screenshot, browser_errors, tmp_path):
    codes = applicable_codes(visit_city, PERSON)
    visit_id = seed_visit(visit_city, PERSON)
    number = codes.index("wire_lock") + 1
    page = open_page(visit_city)
    log_in(page, "auditor")
    page.goto(f"/visits/{visit_id}#step-{number}")
    step = page.locator('section.step[data-check="wire_lock"]')
    camera = step.locator("label.camera")
    camera.scroll_into_view_if_needed()
    evil = tmp_path / "evil.jpg"
    evil.write_text("これは写真ではありません\n", encoding="utf-8")
    step.locator("input[data-photo-input]").set_input_files(evil)
    message = step.locator("[data-msg]")
    expect(message).to_have_text("JPEG または PNG の写真を選んでください。")
    expect(message).to_have_attribute("role", "alert")
    expect(page.locator("[data-error]")).to_be_hidden()
    near, at = camera.bounding_box(), message.bounding_box()
    bar = page.locator(".walk-nav").bounding_box()
    assert 0 <= at["y"] and at["y"] + at["height"] <= bar["y"], (at, bar)  # in view, not under the 前へ/次へ bar
    assert 0 <= at["y"] - (near["y"] + near["height"]) <= 40, (near, at)  # right under 写真を撮る
    screenshot(page, "one-tap-photo-refused")
    page.locator("[data-next]").tap()
    expect(message).to_be_hidden()
    expect(page.locator("[data-msg]:visible")).to_have_count(0)
    base = visit_city.url
    refused = (f"console: Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY) "
               f"[{base}/visits/{visit_id}/photos]")
    assert browser_errors == [refused]


def test_sign_waits_for_the_comment_typed_a_moment_ago(open_page, visit_city, log_in, browser_errors):
    codes = applicable_codes(visit_city, "000202")
    visit_id = seed_visit(visit_city, "000202", results={c: "ok" for c in codes})
    page = open_page(visit_city)
    log_in(page, "auditor")
    page.goto(f"/visits/{visit_id}#step-{len(codes) + 1}")
    summary = page.locator("section.summary")
    slow = []

    def slow_changes(route):  # a slow access point: the save takes a moment, so 保存しています… must show
        slow.append(1)
        time.sleep(0.4)
        route.continue_()

    page.route(re.compile(rf"/visits/{visit_id}/changes$"), slow_changes)
    summary.locator("[data-comment]").fill("指摘事項なし。")
    page.wait_for_timeout(100)
    summary.get_by_role("link", name="署名へ進む").tap()
    expect(summary.locator("[data-msg]")).to_have_text("保存しています…")
    page.wait_for_url(re.compile(rf"/visits/{visit_id}/sign$"))
    expect(page.get_by_text("指摘事項なし。")).to_be_visible()
    assert one(visit_city, "SELECT overall_comment FROM visits WHERE id = ?", [visit_id]) == "指摘事項なし。"
    assert slow and not browser_errors


# Every visible a/button/input/select/summary smaller than 44 px in either direction (an input inside a label counts
# the label, which is what the finger hits; hidden file inputs are tapped through their label).
SMALL_TARGETS_JS = """() => [...document.querySelectorAll('a[href], button, input, select, textarea, summary')]
  .filter(e => e.type !== 'hidden' && e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
  .map(e => [e, (e.matches('input[type=checkbox], input[type=radio], input[type=file]') && e.closest('label')) || e])
  .map(([e, t]) => [e, t.getBoundingClientRect()])
  .filter(([e, r]) => r.width && (r.height < 44 || r.width < 44))
  .map(([e, r]) => `${e.tagName.toLowerCase()} 「${(e.innerText || e.value || e.name || '').trim().slice(0, 20)}」 ${Math.round(r.width)}×${Math.round(r.height)}`)"""


def test_tap_targets_and_one_line_top_bar(open_page, visit_city, log_in, browser_errors):
    from spotcheck import auth
    from tests.factories import PASSWORD
    from contextlib import closing
    with closing(visit_city.db()) as db:
        auth.create_user(db, "longname", PASSWORD, "admin", display_name="情報政策課 監査担当 長谷川")
    codes = applicable_codes(visit_city, PERSON)
    visit_id = seed_visit(visit_city, PERSON)
    page = open_page(visit_city)  # 1180×820
    log_in(page, "longname")
    small, tall = {}, {}
    screens = ["/", "/visits", "/visits/new", f"/visits/{visit_id}", f"/visits/{visit_id}#step-{len(codes) + 1}",
               f"/visits/{visit_id}/sign", "/followups", "/staff", "/sections", "/dashboard", "/admin/users", "/nowhere"]
    for url in screens:
        page.goto(url)
        page.wait_for_load_state("load")
        found = page.evaluate(SMALL_TARGETS_JS)
        if found:
            small[url] = found
        height = page.locator("header.topbar").bounding_box()["height"]
        if height > 70:
            tall[url] = height
        if page.locator("nav.mainnav").evaluate("e => e.scrollWidth > e.clientWidth"):
            tall[url] = "the menu scrolls sideways"  # the admin's longest menu fits, その他 holding the rest
    # the draw page, with its 重み links
    page.goto("/visits/new")
    page.locator("select[name=section]").select_option(label="0101 総務課")  # no one there visited by this module
    page.locator("select[name=campaign]").select_option(label="R6 令和6年度 情報セキュリティ監査")
    page.get_by_role("button", name="職員を選ぶ・抽選する").tap()
    expect(page.locator("ul.people li").first).to_be_visible()
    for label in ("choose", "draw"):  # the people to choose from (重み), then the draw record
        found = page.evaluate(SMALL_TARGETS_JS)
        if found:
            small[label] = found
        if label == "choose":
            page.get_by_role("button", name="抽選する", exact=True).tap()
            expect(page.get_by_role("heading", level=1)).to_contain_text("抽選記録 No.")
    name = page.locator(".who > span")
    assert name.evaluate("e => e.scrollWidth > e.clientWidth")  # cut with …, not wrapped
    assert not small, small
    assert not tall, tall
    assert [e for e in browser_errors if "/nowhere" not in e] == []


def test_small_tablet_menu_puts_every_item_in_view_without_sideways_scrolling(open_page, visit_city, log_in):
    page = open_page(visit_city)
    page.set_viewport_size(VIEWPORTS["small"])
    log_in(page, "admin")  # the longest menu
    for url in ("/", "/dashboard"):
        page.goto(url)
        nav = page.locator("nav.mainnav")
        assert nav.evaluate("e => e.scrollWidth <= e.clientWidth"), "the menu scrolls sideways"
        nav.locator("[data-nav-more] > summary").tap()  # その他 unfolds the rest
        for link in nav.locator("a").all():
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORTS["small"]["width"], link.inner_text()
            assert box["y"] + box["height"] <= VIEWPORTS["small"]["height"], link.inner_text()
            assert box["height"] >= 44
    page.locator("nav.mainnav").get_by_role("link", name="チェックリスト編集").tap()  # the last item, two taps away
    expect(page).to_have_url(re.compile(r"/admin/forms/?$"))
