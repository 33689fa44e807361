"""Unmanaged devices on a tablet (1180×820, touch): one recorded in the middle of a visit, back at the same check,
and a 機器の棚卸し sweep that adds devices one after another and finishes with its count.

Its own small city: devices change the dashboard's counts other browser tests read.
"""
import io
import re
from contextlib import closing

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from spotcheck import visits
from tests.browser.conftest import _install_city, menu

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def device_city(tmp_path_factory):
    """The shared small city, served for this module only."""
    server = _install_city(tmp_path_factory.mktemp("device-city") / "instance", loaded=True)
    yield server
    server.stop()


def label_photo(tmp_path):
    """A camera-like photo of a device's label."""
    image = Image.new("RGB", (1200, 900), (235, 235, 225))
    ImageDraw.Draw(image).rectangle((200, 300, 1000, 600), fill=(255, 255, 255), outline=(0, 0, 0), width=8)
    path = tmp_path / "label.jpg"
    image.save(path, "JPEG")
    return path


def one(server, sql, params=()):
    with closing(server.db()) as db:
        return db.execute(sql, list(params)).fetchone()


def assert_big(locator):
    """Every matching target is at least 44 px high and wide: a thumb on a tablet reaches it."""
    for i in range(locator.count()):
        box = locator.nth(i).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, (locator.nth(i).inner_text(), box)


def test_an_auditor_records_a_device_during_a_visit_and_returns_to_the_same_check(
        open_page, device_city, log_in, screenshot, browser_errors, tmp_path):
    with closing(device_city.db()) as db:
        auditor = db.execute("SELECT id FROM users WHERE username = 'auditor'").fetchone()[0]
        campaign = db.execute("SELECT id FROM campaigns WHERE code = 'R6'").fetchone()[0]
        staff = db.execute("SELECT id FROM staff WHERE staff_no = '000104'").fetchone()[0]
        visit_id = visits.start_visit(db, campaign_id=campaign, staff_id=staff, auditor_id=auditor,
                                      reason="管理外PCの確認")
    page = open_page(device_city)
    log_in(page, "auditor")
    page.goto(f"/visits/{visit_id}#step-3")
    expect(page.locator('section.step[data-step="3"]')).to_be_visible()
    link = page.get_by_role("link", name="管理外の機器を記録")
    assert_big(link)
    link.tap()
    page.wait_for_url(re.compile(rf"/devices/new\?visit={visit_id}&step=3$"))
    expect(page.get_by_label("所属（機器を使っている所属）")).to_have_value(
        str(one(device_city, "SELECT id FROM sections WHERE code = '0101'")[0]))  # the visited section
    camera = page.get_by_text("機器のラベルを撮影（画面は撮らない）")
    expect(camera).to_be_visible()
    assert_big(page.locator(".big-choice"))
    page.get_by_text("NAS・外付けHDD").tap()
    page.get_by_label("設置場所（例: 本庁舎3階 窓口の奥の机）").fill("本庁舎2階 総務課 書庫の棚の上")
    page.get_by_label("用途・システム（例: 予約受付システム専用）").fill("課内の共有ファイル置き場")
    page.locator("fieldset", has_text="庁内LANにつながるか").get_by_text("つながる", exact=True).tap()
    page.locator("fieldset", has_text="インターネットにつながるか").get_by_text("不明").tap()
    page.locator("input[name=photo]").set_input_files(str(label_photo(tmp_path)))
    screenshot(page, "device-during-visit-form")
    page.get_by_role("button", name="記録する").tap()
    page.wait_for_url(re.compile(rf"/visits/{visit_id}#step-3$"))
    expect(page.get_by_role("status").filter(has_text="管理外の機器を記録しました")).to_be_visible()
    expect(page.locator('section.step[data-step="3"]')).to_be_visible()  # the same check, not the first
    device = one(device_city, "SELECT id, kind, lan, internet, visit_id, photo_name FROM devices")
    assert device[1:5] == ("storage", "yes", "unknown", visit_id) and device[5]
    screenshot(page, "device-back-at-the-check")

    page.goto(f"/devices/{device[0]}")
    expect(page.get_by_role("img", name="機器のラベルの写真")).to_be_visible()
    assert page.evaluate("document.querySelector('.device-facts img').naturalWidth") == 320
    assert browser_errors == []


def test_a_sweep_adds_devices_one_after_another_and_finishes_with_the_count(
        open_page, device_city, log_in, screenshot, browser_errors):
    page = open_page(device_city)
    log_in(page, "auditor")
    menu(page, "管理外機器台帳")
    page.get_by_role("link", name="機器の棚卸しを始める").tap()
    page.get_by_label("所属").select_option(label="0201 市民課")
    page.get_by_label("場所（フロア・区域。例: 本庁舎2階 東側）").fill("本庁舎1階 市民課 執務室")
    page.get_by_role("button", name="棚卸しを始める").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("機器の棚卸し: 市民課 本庁舎1階 市民課 執務室")
    for kind, place in (("PC", "交付窓口の裏"), ("ルーター・無線LAN", "待合の柱")):
        page.get_by_text(kind, exact=True).tap()
        page.get_by_label("設置場所（例: 本庁舎3階 窓口の奥の机）").fill(place)
        page.locator("fieldset", has_text="庁内LANにつながるか").get_by_text("不明").tap()
        page.locator("fieldset", has_text="インターネットにつながるか").get_by_text("つながる", exact=True).tap()
        page.get_by_role("button", name="記録する").tap()
        expect(page.get_by_role("status").filter(has_text="管理外の機器を記録しました")).to_be_visible()
    # A bad form keeps the sweep: the error is shown in Japanese and nothing is stored.
    page.get_by_role("button", name="記録する").tap()
    expect(page.get_by_role("alert")).to_contain_text("機器の種類を選んでください。")
    expect(page.locator("[data-sweep-count]")).to_have_text("2")
    assert_big(page.get_by_role("button", name="棚卸しを終える（2 台）"))
    screenshot(page, "device-sweep")
    page.get_by_role("button", name="棚卸しを終える（2 台）").tap()
    expect(page.get_by_role("status").filter(has_text="見つかった管理外の機器: 2 台")).to_be_visible()
    assert one(device_city, "SELECT found_count FROM device_sweeps ORDER BY id DESC LIMIT 1")[0] == 2

    page.get_by_role("link", name="← 管理外機器台帳").tap()
    expect(page.locator("table[data-devices] tbody tr")).to_have_count(3)
    screenshot(page, "device-register")
    refused = f"console: Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY) [{device_city.url}/devices]"
    assert browser_errors == [refused]  # the bad form only
