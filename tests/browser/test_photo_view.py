"""The full-size photo view during a visit (issue 11): tap a thumbnail, see the stored photo, pinch or tap to zoom.

Runs on its own small city: the visit it opens would mark a person of the shared city as visited.
"""
import pytest
from playwright.sync_api import expect

from bench.camera import camera_like_jpeg
from tests.browser.conftest import LANDSCAPE, SCREENS, _install_city
from tests.browser.test_visit import at_top, badge, seed_visit

pytestmark = pytest.mark.browser

PHOTO_CHECK = "external_media"


@pytest.fixture(scope="module")
def photo_city(tmp_path_factory):
    server = _install_city(tmp_path_factory.mktemp("photo-city") / "instance", loaded=True)
    yield server
    server.stop()


def shot(page, name):
    """What the tablet's screen shows (the dialog covers the viewport, so not a full-page picture)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"))


def natural_size(image):
    return image.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")


def test_a_thumbnail_opens_the_full_photo_with_pinch_zoom(open_page, photo_city, log_in, browser_errors, tmp_path):
    visit_id = seed_visit(photo_city, "000101")
    camera = tmp_path / "IMG_0001.jpg"
    camera.write_bytes(camera_like_jpeg(11))  # 4000×3000, held upright (EXIF orientation 6)
    page = open_page(photo_city)
    assert page.viewport_size == LANDSCAPE
    log_in(page, "auditor")
    page.goto(f"/visits/{visit_id}")
    step = page.locator(f'section.step[data-check="{PHOTO_CHECK}"]')
    page.goto(f"/visits/{visit_id}#step-{step.get_attribute('data-step')}")
    expect(step).to_be_visible()

    step.locator("input[data-photo-input]").set_input_files(camera)
    thumb = step.locator("[data-thumbs] li img")
    expect(thumb).to_have_count(1)
    expect(badge(page)).to_have_text("保存済み")
    thumb.scroll_into_view_if_needed()
    expect(thumb).to_have_attribute("role", "button")  # a thumbnail added after the page loaded is tappable too

    dialog = page.locator("dialog[data-photo-view]")
    expect(dialog).to_be_hidden()
    thumb.tap()
    expect(dialog).to_be_visible()
    photo = dialog.locator("[data-photo-frame] img")
    expect(photo).to_have_attribute("src", thumb.get_attribute("src").replace("/thumb", "/full"))
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    assert natural_size(photo) == [True, 1200, 1600]  # the stored photo itself: long side 1600, upright
    box = photo.bounding_box()  # fitted: the whole photo on screen below the bar, as large as the screen allows
    bar = dialog.locator(".photo-view-bar").bounding_box()
    assert box["y"] >= bar["y"] + bar["height"] - 0.5 and box["y"] + box["height"] <= LANDSCAPE["height"] + 0.5
    assert box["height"] >= LANDSCAPE["height"] - bar["height"] - 1
    frame = dialog.locator("[data-photo-frame]")
    # pinch-zoom is allowed on the photo and on every element above it (the browser needs all of them to agree)
    touch = frame.evaluate("el => { const all = []; for (; el; el = el.parentElement) all.push("
                           "getComputedStyle(el).touchAction); return all; }")
    assert touch[0] == "manipulation" and set(touch) <= {"auto", "manipulation"}, touch
    expect(dialog.get_by_text("2本指で拡大・写真をタップで原寸")).to_be_visible()
    close = dialog.get_by_role("button", name="閉じる")
    assert close.bounding_box()["height"] >= 44
    shot(page, "photo-view-1-fitted")

    photo.tap()  # one photo pixel per screen pixel, scrollable
    expect(dialog).to_have_class("photo-view actual")
    box = photo.bounding_box()
    assert (round(box["width"]), round(box["height"])) == (1200, 1600)
    assert frame.evaluate("el => el.scrollHeight > el.clientHeight && el.scrollTop > 0")  # the tapped spot stays
    shot(page, "photo-view-2-actual-size")

    close.tap()
    expect(dialog).to_be_hidden()
    page.wait_for_function("img => !img.hasAttribute('src')", arg=photo.element_handle())  # the decoded photo is let go

    page.reload()  # a thumbnail the server rendered opens the same way (keyboard too)
    thumb = step.locator("[data-thumbs] li img")
    thumb.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    at_top(page)
    assert browser_errors == []  # no CSP violation, no script error


def test_an_auditor_outside_the_team_cannot_open_the_photo(open_page, photo_city, log_in, browser_errors, tmp_path):
    visit_id = seed_visit(photo_city, "000104")
    page = open_page(photo_city)
    log_in(page, "auditor")
    page.goto(f"/visits/{visit_id}")
    step = page.locator(f'section.step[data-check="{PHOTO_CHECK}"]')
    page.goto(f"/visits/{visit_id}#step-{step.get_attribute('data-step')}")
    camera = tmp_path / "IMG_0002.jpg"
    camera.write_bytes(camera_like_jpeg(12))
    step.locator("input[data-photo-input]").set_input_files(camera)
    thumb = step.locator("[data-thumbs] li img")
    expect(thumb).to_have_count(1)
    sent = step.locator("[data-thumbs] li[data-photo]")  # shown from the tablet's outbox until the server has it
    expect(sent).to_have_count(1)
    full = f"{photo_city.url}/visits/{visit_id}/photos/{sent.get_attribute('data-photo')}/full"
    assert page.request.get(full).status == 200
    outsider = open_page(photo_city)
    log_in(outsider, "auditor3")
    assert outsider.request.get(full).status == 403
