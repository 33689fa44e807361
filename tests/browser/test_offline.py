"""A whole visit in a room with no signal: opened online once, then every check, two photos, a reload, a closed
and reopened tab and both signatures offline; back online, everything reaches the server exactly once, the visit
locks and its sheet is issued. Plus: a photo queued offline survives a reload, downscaled on the tablet.
"""
import re
import time

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.browser.test_visit import (  # noqa: F401 (visit_city is a fixture)
    applicable_codes, badge, logged_results, one, seed_visit, sign_by_touch, visit_city, walk_on_server,
)

pytestmark = pytest.mark.browser

STAFF_NO = "000201"
PHOTO_CHECKS = ("wire_lock", "clear_desk")
FINDING = ("nonconformity", "机の上に私物のUSBメモリが置かれていた")  # on the last check
COMMENT = "電波の届かない書庫で実施。"

KEPT_JS = """async ([visit, sign]) => {
  if (!navigator.serviceWorker.controller) return false;
  const cache = await caches.open(`spotcheck-visit-${visit}`);
  return Boolean(await cache.match(sign)) && Boolean(await cache.match(`/visits/${visit}`));
}"""

# The photos waiting in the outbox, as the tablet stored them: [type, width, height].
QUEUED_PHOTOS_JS = """() => new Promise((resolve) => {
  indexedDB.open("spotcheck").onsuccess = (event) => {
    const request = event.target.result.transaction("outbox").objectStore("outbox").getAll();
    request.onsuccess = async () => resolve(await Promise.all(request.result
      .filter((item) => item.kind === "photo" && !item.sent)
      .map(async (item) => { const b = await createImageBitmap(item.blob); return [item.blob.type, b.width, b.height]; })));
  };
})"""


def camera_photo(path, colour):
    """A 3200×2400 JPEG, larger than the tablet keeps (long side 1600 px)."""
    image = Image.new("RGB", (3200, 2400), colour)
    draw = ImageDraw.Draw(image)
    for i in range(0, 3200, 90):
        draw.line([(i, 0), (3200 - i, 2400)], fill=(250, 250, 250), width=9)
    image.save(path, "JPEG", quality=88)
    return path


def open_online(page, visit_id):
    """Open the visit with the network, and wait until the tablet keeps its pages for offline use."""
    page.goto(f"/visits/{visit_id}")
    expect(badge(page)).to_have_text("保存済み")
    deadline = time.monotonic() + 10
    while not page.evaluate(KEPT_JS, [visit_id, f"/visits/{visit_id}/sign"]):
        assert time.monotonic() < deadline, "the service worker never kept the visit's pages"
        time.sleep(0.1)


def go_to_step(page, number):
    page.evaluate(f"location.hash = '#step-{number}'")
    expect(page.locator(f'section.step[data-step="{number}"]')).to_be_visible()
    page.wait_for_timeout(450)  # a tap within 400 ms of a move is taken for a double tap and ignored


def photos_on_server(server, visit_id):
    return one(server, "SELECT count(*) FROM photos WHERE visit_id = ? AND deleted_at IS NULL", [visit_id])


def test_whole_visit_offline_then_sent_once(open_page, visit_city, log_in, screenshot, tmp_path):
    visit_id = seed_visit(visit_city, STAFF_NO)
    codes = applicable_codes(visit_city, STAFF_NO)
    page = open_page(visit_city)
    context = page.context
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, "auditor")
    open_online(page, visit_id)
    context.set_offline(True)

    half = len(codes) // 2
    for number, code in enumerate(codes[:half], start=1):
        go_to_step(page, number)
        page.locator(f'section.step[data-check="{code}"] [data-result="ok"]').tap()
    for code, colour in zip(PHOTO_CHECKS, [(40, 90, 160), (160, 120, 40)]):
        go_to_step(page, codes.index(code) + 1)
        step = page.locator(f'section.step[data-check="{code}"]')
        step.locator("input[data-photo-input]").set_input_files(camera_photo(tmp_path / f"{code}.jpg", colour))
        expect(step.locator("[data-thumbs] li img")).to_have_count(1)
    # A third photo taken by mistake and withdrawn before it was ever sent.
    wrong = page.locator(f'section.step[data-check="{PHOTO_CHECKS[1]}"]')
    wrong.locator("input[data-photo-input]").set_input_files(camera_photo(tmp_path / "wrong.jpg", (10, 10, 10)))
    expect(wrong.locator("[data-thumbs] li")).to_have_count(2)
    wrong.locator("[data-thumbs] li").nth(1).get_by_role("button", name="削除").tap()
    expect(wrong.locator("[data-thumbs] li")).to_have_count(1)
    expect(badge(page)).to_have_text(f"未送信 {half + 2}件（写真 2枚）")

    # A reload with no signal: the page comes from the tablet, with every tap and both photos.
    page.reload()
    expect(badge(page)).to_have_text(f"未送信 {half + 2}件（写真 2枚）")
    for code in codes[:half]:
        expect(page.locator(f'section.step[data-check="{code}"] [data-result="ok"]')).to_have_attribute(
            "aria-pressed", "true")
    for code in PHOTO_CHECKS:
        go_to_step(page, codes.index(code) + 1)
        thumb = page.locator(f'section.step[data-check="{code}"] [data-thumbs] li img')
        expect(thumb).to_have_count(1)
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    screenshot(page, "offline-01-reloaded")

    # The tab is closed; a new one opens the visit, still offline, and the walk goes on.
    page.close()
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"/visits/{visit_id}#step-{half + 1}")
    expect(badge(page)).to_have_text(f"未送信 {half + 2}件（写真 2枚）")
    for number, code in enumerate(codes[half:], start=half + 1):
        go_to_step(page, number)
        step = page.locator(f'section.step[data-check="{code}"]')
        step.locator(f'[data-result="{FINDING[0] if code == codes[-1] else "ok"}"]').tap()
        if code == codes[-1]:
            step.locator("[data-remark]").fill(FINDING[1])
            step.locator("[data-remark]").blur()
    go_to_step(page, len(codes) + 1)
    page.locator("[data-comment]").fill(COMMENT)
    page.get_by_role("link", name="署名へ進む").tap()

    # The sign page, from the tablet: ready, since every result waits on it; both sign.
    page.wait_for_url(re.compile(rf"/visits/{visit_id}/sign$"))
    expect(page.locator("[data-problems] p")).to_have_count(0)
    # The copy was kept before any input: what it shows now comes from the inputs waiting on the tablet.
    expect(page.locator("dl.finding dd")).to_have_text([f"事実: {FINDING[1]}"])
    expect(page.locator("[data-comment-text]")).to_have_text(COMMENT)
    cards = page.locator("section.signature-card")
    cdp = context.new_cdp_session(page)
    for index in (0, 1):
        sign_by_touch(cdp, cards.nth(index).locator("canvas[data-pad]"))
        cards.nth(index).get_by_role("button", name="署名を確定する").tap()
        expect(cards.nth(index).locator("[data-sign-waiting]")).to_be_visible()
    expect(page.locator("[data-sync]")).to_have_text("署名済み・送信待ち")
    screenshot(page, "offline-02-signed-waiting")
    assert one(visit_city, "SELECT count(*) FROM signatures WHERE visit_id = ?", [visit_id]) == 0

    # Back online: the outbox drains in order, the second signature locks the visit, the record opens.
    context.set_offline(False)
    page.wait_for_url(re.compile(rf"/visits/{visit_id}$"), timeout=20_000)
    expect(page.get_by_text("両者の署名がそろい、監査記録を確定しました。")).to_be_visible()
    screenshot(page, "offline-03-locked")

    saved = walk_on_server(visit_city, visit_id)
    assert {code: step.result for code, step in saved.items()} == {
        code: FINDING[0] if code == codes[-1] else "ok" for code in codes}
    assert saved[codes[-1]].remark == FINDING[1]
    assert logged_results(visit_city, visit_id) == {code: 1 for code in codes}
    assert one(visit_city, "SELECT count(*) FROM photos WHERE visit_id = ?", [visit_id]) == 2
    assert {code: len(saved[code].photos) for code in PHOTO_CHECKS} == {code: 1 for code in PHOTO_CHECKS}
    assert one(visit_city, "SELECT overall_comment FROM visits WHERE id = ?", [visit_id]) == COMMENT
    assert one(visit_city, "SELECT count(*) FROM signatures WHERE visit_id = ? AND png IS NOT NULL", [visit_id]) == 2
    assert one(visit_city, "SELECT status FROM visits WHERE id = ?", [visit_id]) == "locked"
    assert one(visit_city, "SELECT count(*) FROM sheets WHERE visit_id = ?", [visit_id]) == 1
    # The signed visit's pages are no longer kept on the tablet.
    deadline = time.monotonic() + 5
    while page.evaluate(f"caches.has('spotcheck-visit-{visit_id}')"):
        assert time.monotonic() < deadline, "the locked visit's pages are still kept"
        time.sleep(0.1)


def test_queued_photo_survives_a_reload(open_page, visit_city, log_in, tmp_path):
    visit_id = seed_visit(visit_city, STAFF_NO)
    codes = applicable_codes(visit_city, STAFF_NO)
    page = open_page(visit_city)
    log_in(page, "auditor")
    open_online(page, visit_id)
    page.context.set_offline(True)
    go_to_step(page, codes.index("wire_lock") + 1)
    step = page.locator('section.step[data-check="wire_lock"]')
    step.locator("input[data-photo-input]").set_input_files(camera_photo(tmp_path / "lock.jpg", (90, 60, 30)))
    expect(badge(page)).to_have_text("未送信 1件（写真 1枚）")
    # Downscaled on the tablet before it waits: a JPEG with a long side of 1600 px.
    assert page.evaluate(QUEUED_PHOTOS_JS) == [["image/jpeg", 1600, 1200]]

    page.reload()
    expect(badge(page)).to_have_text("未送信 1件（写真 1枚）")
    expect(step.locator("[data-thumbs] li img")).to_have_count(1)
    assert photos_on_server(visit_city, visit_id) == 0

    page.context.set_offline(False)
    expect(badge(page)).to_have_text("すべて送信しました", timeout=10_000)
    assert photos_on_server(visit_city, visit_id) == 1
    assert page.evaluate(QUEUED_PHOTOS_JS) == []
