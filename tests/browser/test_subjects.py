"""Section (所属) and contract (委託契約) visits on a tablet at 1180×820: draw → walk → sign → sheet → follow-up.

Own city (`subject_city`): the shared small city, a section head for 市民課, two contracts of which one has
ended, and self-check answers for items 21 and 30. The section draw here weighs only My Number work, so the
one such section (市民課) is drawn; the one running contract is the only one in its pool.
"""
import io
import re
import tempfile
import time
from contextlib import closing
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from spotcheck import auth, campaigns, imports
from tests.browser.conftest import PASSWORD, _install_city
from tests.browser.test_visit import INKED_PIXELS_JS, LOADED_JS, at_top, badge, camera_jpeg, sign_by_touch
from tests.factories import SELFCHECK_HEADER, add_contract, answers_row, csv_bytes

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def subject_city(tmp_path_factory):
    server = _install_city(tmp_path_factory.mktemp("subject-city") / "instance", loaded=True)
    server.app.config["SECTION_DRAW_WEIGHTS"] = {"base": 0, "my_number": 1}
    with closing(server.db()) as db:
        auth.create_user(db, "shimin-head", PASSWORD, "section_head", display_name="市民 課長", section_code="0201")
        add_contract(db, "R6-委-021", section_code="0101", title="文書管理システム保守", contractor="株式会社あおば通信",
                     system="文書管理システム", subcontracting=1)
        add_contract(db, "R5-委-003", section_code="0101", title="旧システム移行", ended_at="2024-03-31T00:00:00+00:00")
        campaign = campaigns.get_campaign(db, code="R6")
        rows = [answers_row("000102", s21="③"), answers_row("000101", s30="③"), answers_row("000104")]
        imports.apply(db, imports.plan(db, "selfcheck", csv_bytes(SELFCHECK_HEADER, rows), "追加回答.csv",
                                       campaign=campaign, max_rows=100), None)
    yield server
    server.stop()


def walk(page, *, failing, photo=None):
    """Tap 適合 on every check, 不適合 with its first quick remark on `failing`, a photo on `photo`."""
    count = page.locator("section.step[data-check]").count()
    for number in range(1, count + 1):
        screen = page.locator(f'section.step[data-step="{number}"]')
        expect(screen).to_be_visible()
        code = screen.get_attribute("data-check")
        time.sleep(0.45)  # a person's pace: a tap while the check slides in is taken as a double tap
        if code == photo:
            screen.locator("input[data-photo-input]").set_input_files(photo_file(page))
            thumb = screen.locator("[data-thumbs] li img")
            expect(thumb).to_have_count(1)
            page.wait_for_function(LOADED_JS, arg=thumb.element_handle())
        if code == failing:
            screen.locator('[data-result="nonconformity"]').tap()
            screen.locator(".chip").first.tap()
            page.locator("[data-next]").tap()
        else:
            screen.locator('[data-result="ok"]').tap()
        if number < count:
            expect(screen).to_be_hidden()
    expect(badge(page)).to_have_text(re.compile("保存済み|すべて送信しました"), timeout=10_000)
    return count


PHOTO = {}


def photo_file(page):
    if "path" not in PHOTO:
        PHOTO["path"] = camera_jpeg(Path(tempfile.mkdtemp()) / "ledger.jpg", (90, 120, 160))
    return PHOTO["path"]


def sign_both(page, auditee_name=None):
    page.locator("[data-to-sign]").tap()
    page.wait_for_url(re.compile(r"/sign$"))
    cards = page.locator("section.signature-card")
    cdp = page.context.new_cdp_session(page)
    if auditee_name:
        cards.nth(1).get_by_label("氏名").fill(auditee_name)
    for card in (cards.nth(0), cards.nth(1)):
        sign_by_touch(cdp, card.locator("canvas[data-pad]"))
        assert card.locator("canvas[data-pad]").evaluate(INKED_PIXELS_JS) > 200
    return cards, cdp


def sheet_text(page):
    href = page.get_by_role("link", name="結果票を印刷").get_attribute("href")
    response = page.request.get(href)
    assert response.ok and response.body().startswith(b"%PDF")
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)


def log_out(page):
    with page.expect_navigation():
        page.locator("form[action$='/logout'] button").tap()


def start_kind(page, button, screenshot=None):
    page.get_by_role("navigation", name="メニュー").get_by_role("link", name="実地監査", exact=True).tap()
    if screenshot:
        screenshot(page, "subjects-00-visits")
    page.get_by_role("button", name=button).tap()


def test_a_section_visit_drawn_walked_signed_printed_and_answered_by_the_section(
        open_page, subject_city, log_in, screenshot):
    page = open_page(subject_city)
    log_in(page, "auditor")
    start_kind(page, "所属を選ぶ・抽選する", screenshot)
    expect(page.get_by_role("heading", level=1)).to_contain_text("所属の監査")
    screenshot(page, "subjects-01-choose-section")
    page.get_by_role("button", name="抽選する", exact=True).tap()
    expect(page.locator("p.flash.success")).to_have_text("抽選記録は正しく、再計算した結果と一致します。")
    expect(page.locator("tr.chosen td").first).to_have_text("市民課")
    expect(page.locator("dl.facts")).to_contain_text("所属（所属の監査）")
    expect(page.locator("tr.chosen")).to_contain_text("特定個人情報を扱う所属 +1")
    screenshot(page, "subjects-02-section-draw")
    page.get_by_role("link", name="この所属の監査を始める").tap()

    expect(page.get_by_role("heading", level=1)).to_contain_text("市民課")
    first = page.locator('section.step[data-step="1"]')
    expect(first.get_by_role("heading", level=2)).to_contain_text("事務取扱担当者の明確化")
    panel = first.locator(".selfreport")
    expect(panel.get_by_role("heading", level=3)).to_have_text("所属の職員の自己申告（集計）")
    expect(panel.locator("li")).to_contain_text(["No.21 事務取扱担当者: ③ できていない 1人"])
    screenshot(at_top(page), "subjects-03-section-walk")
    steps = walk(page, failing="mn_takeout_ledger", photo="mn_cabinet")

    cards, cdp = sign_both(page)
    expect(cards.get_by_role("heading", level=2)).to_have_text(["監査員の署名", "所属長（又は事務取扱責任者）の署名"])
    screenshot(at_top(page), "subjects-04-section-sign")
    cards.nth(0).get_by_role("button", name="署名を確定する").tap()
    expect(page.get_by_text("署名を保存しました。")).to_be_visible()
    cards.nth(1).get_by_label("氏名").fill("市民 課長")  # typed: a section has no one person to prefill
    sign_by_touch(cdp, cards.nth(1).locator("canvas[data-pad]"))
    cards.nth(1).get_by_role("button", name="署名を確定する").tap()
    expect(page.get_by_text("両者の署名がそろい、監査記録を確定しました。")).to_be_visible()
    expect(page.locator("table.list tbody tr")).to_have_count(steps)
    expect(page.locator("table.list tbody")).to_contain_text("③ できていない 1人")
    screenshot(page, "subjects-05-section-locked")
    text = sheet_text(page)
    for words in ("被監査所属", "市民課", "所属（所属の監査）", "所属の自己申告（集計）", "所属長（又は事務取扱責任者）",
                  "市民 課長", "特定個人情報の持出し簿"):
        assert words in text.replace("\n", ""), words

    log_out(page)
    log_in(page, "shimin-head")
    page.get_by_role("navigation", name="メニュー").get_by_role("link", name=re.compile("フォローアップ")).tap()
    row = page.locator("table.list tbody tr").filter(has_text="特定個人情報の持出し簿")
    expect(row).to_contain_text("所属の監査")
    row.get_by_role("link").first.tap()
    expect(page.locator("dl.facts")).to_contain_text("所属の監査")
    page.get_by_label("講じた措置").fill("持出し簿に返却欄を設け、課内で周知しました。")
    page.get_by_role("button", name="改善報告を提出する").tap()
    expect(page.locator("dl.facts")).to_contain_text("改善報告済み")
    screenshot(page, "subjects-06-section-followup")


def test_a_contract_visit_signed_by_the_contractors_representative(open_page, subject_city, log_in, screenshot):
    page = open_page(subject_city)
    log_in(page, "auditor")
    start_kind(page, "委託契約を選ぶ・抽選する")
    expect(page.get_by_role("heading", level=1)).to_contain_text("委託契約の監査")
    expect(page.locator("ul.people li")).to_have_count(1)  # the ended contract is not offered
    screenshot(page, "subjects-07-choose-contract")
    page.get_by_role("button", name="抽選する", exact=True).tap()
    expect(page.locator("p.flash.success")).to_have_text("抽選記録は正しく、再計算した結果と一致します。")
    expect(page.locator("tr.chosen")).to_contain_text("R6-委-021 文書管理システム保守（株式会社あおば通信）")
    expect(page.locator("tr.chosen")).to_contain_text("再委託あり +2")
    page.get_by_role("link", name="この委託契約の監査を始める").tap()

    expect(page.get_by_role("heading", level=1)).to_contain_text("文書管理システム保守")
    expect(page.locator(".visit-head .meta")).to_contain_text("委託先 株式会社あおば通信")
    third = page.locator('section.step[data-check="subcontract_approval"] .selfreport')
    expect(third.locator("h3")).to_have_text("所管課の職員の自己申告（集計）")  # a later check: hidden yet
    expect(third).to_contain_text("③ できていない 1人")
    screenshot(at_top(page), "subjects-08-contract-walk")
    walk(page, failing="subcontract_approval")

    cards, cdp = sign_both(page, auditee_name="株式会社あおば通信 代表取締役 青葉 一")
    expect(cards.get_by_role("heading", level=2)).to_have_text(["監査員の署名", "受託者の代表者の署名"])
    expect(cards.nth(1)).to_contain_text("受託者の代表者（又は現場の責任者）の氏名を入力し")
    screenshot(at_top(page), "subjects-09-contract-sign")
    cards.nth(0).get_by_role("button", name="署名を確定する").tap()
    expect(page.get_by_text("署名を保存しました。")).to_be_visible()
    cards.nth(1).get_by_label("氏名").fill("株式会社あおば通信 代表取締役 青葉 一")
    sign_by_touch(cdp, cards.nth(1).locator("canvas[data-pad]"))
    cards.nth(1).get_by_role("button", name="署名を確定する").tap()
    expect(page.get_by_text("両者の署名がそろい、監査記録を確定しました。")).to_be_visible()
    screenshot(page, "subjects-10-contract-locked")
    text = sheet_text(page).replace("\n", "")
    for words in ("所管課", "総務課", "R6-委-021", "株式会社あおば通信", "文書管理システム保守（文書管理システム）",
                  "受託者の代表者", "代表取締役 青葉 一", "再委託の承認"):
        assert words in text, words

    log_out(page)
    log_in(page, "soumu-head")
    page.get_by_role("navigation", name="メニュー").get_by_role("link", name=re.compile("フォローアップ")).tap()
    row = page.locator("table.list tbody tr").filter(has_text="再委託の承認")
    expect(row).to_contain_text("R6-委-021 文書管理システム保守")
    row.get_by_role("link").first.tap()
    page.get_by_label("講じた措置").fill("再委託の承認申請を受け、承認通知を発出しました。")
    page.get_by_role("button", name="改善報告を提出する").tap()
    expect(page.locator("dl.facts")).to_contain_text("改善報告済み")
    screenshot(page, "subjects-11-contract-followup")


@pytest.mark.parametrize("viewport", ["landscape", "portrait", "small"])
@pytest.mark.parametrize("kind", ["section", "contract"])
def test_every_result_is_in_view_on_every_section_and_contract_check(open_page, subject_city, log_in, kind, viewport):
    """As for a person's walk (test_one_tap): all six results above the 前へ/次へ bar, no scrolling, every check."""
    from spotcheck import subject_visits
    from tests.browser.test_one_tap import IN_VIEW_JS, VIEWPORTS

    with closing(subject_city.db()) as db:
        campaign = campaigns.get_campaign(db, code="R6")
        auditor = db.execute("SELECT id FROM users WHERE username = 'auditor'").fetchone()[0]
        subject = db.execute("SELECT id FROM sections WHERE code = '0201'" if kind == "section" else
                             "SELECT id FROM contracts WHERE contract_no = 'R6-委-021'").fetchone()[0]
        visit_id = subject_visits.start(db, campaign_id=campaign["id"], kind=kind, subject_id=subject,
                                        auditor_id=auditor, forms=subject_city.app.extensions["checklists"],
                                        reason="表示の確認")
    page = open_page(subject_city)
    page.set_viewport_size(VIEWPORTS[viewport])
    log_in(page, "auditor")
    page.goto(f"/visits/{visit_id}")
    checks = page.locator("section.step[data-check]").count()
    assert checks == (10 if kind == "section" else 8)  # every check of forms/section.toml or contract.toml
    hidden = []
    for number in range(1, checks + 1):
        expect(page.locator(".step-count")).to_have_text(f"{number} / {checks}")
        page.wait_for_timeout(200)  # the slide-in has ended
        seen = page.evaluate(IN_VIEW_JS)
        assert seen["scrollY"] == 0 and not seen["guideOpen"]
        for left, top, right, bottom in seen["boxes"]:
            if not (0 <= left and right <= seen["width"] and 0 <= top and bottom <= seen["barTop"]):
                hidden.append((seen["check"], (left, top, right, bottom), seen["barTop"]))
        page.locator("[data-next]").tap()
    assert not hidden, hidden
