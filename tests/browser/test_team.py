"""Who may audit whom, and what the sheet will say: a person picked by hand needs a reason, a finding needs the
auditor's own words before anyone signs, and a visit belongs to its team of auditors.

These tests run on their own copy of the visit city (`visit_city` from test_visit, module-scoped, so a fresh one
here): 情報政策課 (0401), where all 16 on-site checks apply. Each test audits a different person of 0401.
"""
import io
import re
from contextlib import closing

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.test_visit import (  # noqa: F401 — visit_city is a fixture
    CHECK_COUNT, INKED_PIXELS_JS, all_ok, at_top, badge, failed_load, one, seed_visit, sign_by_touch, staff_id,
    unexpected_errors, user_id, visit_city, walk_on_server,
)

pytestmark = pytest.mark.browser

REASON_LABEL = "抽選によらず選ぶ理由（必須・結果票に印字されます）"
NO_REASON = "抽選によらず選んだ理由を入力してください（例：前回の指摘の再確認）。"
NOT_MEMBER = "この実地監査の担当ではないため、入力できません。主担当の監査員に共同監査員として加えてもらってください。"
NOT_APPLIED = "別の端末でより新しい入力が保存されています。画面を再読み込みしてください。"
NOT_MEMBER_API = "この実地監査の担当ではありません。主担当の監査員に共同監査員として加えてもらってください。"
MISSING_REMARK = "未記入（必須）"
USB = "external_media"
LOCK = "wire_lock"


SMALL_TAPS_JS = """main => [...main.querySelectorAll('a[href], button, select, input:not([type=hidden]), textarea, summary')]
  .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
  .map(el => {
    const box = ((el.type === 'checkbox' || el.type === 'radio') && el.closest('label') || el).getBoundingClientRect();
    return [(el.innerText || el.name || el.tagName).trim().slice(0, 30), Math.round(box.width), Math.round(box.height)];
  })
  .filter(([, width, height]) => width < 44 || height < 44)"""


def fits_a_finger(page):
    """Every visible control of the page's main part is at least 44×44 px, and nothing runs off the side."""
    small = page.locator("main").evaluate(SMALL_TAPS_JS)
    assert not small, f"tap targets under 44 px on {page.url}: {small}"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"sideways scroll on {page.url}"


def visit_count(server):
    return one(server, "SELECT count(*) FROM visits")


def open_section(page, section="0401 情報政策課"):
    """実地監査 → campaign and section → the page to draw or pick a person."""
    page.get_by_role("navigation", name="メニュー").get_by_role("link", name="実地監査", exact=True).tap()
    page.locator("select[name=campaign]").select_option(label="R6 令和6年度 情報セキュリティ監査")
    page.locator("select[name=section]").select_option(label=section)
    page.get_by_role("button", name="職員を選ぶ・抽選する").tap()
    expect(page.get_by_role("heading", level=1)).to_contain_text(section.split()[1])


def person_button(page, name):
    return page.locator("ul.people button.person").filter(has_text=name)


def walk_by_hand(page, results=None, remarks=None):
    """From the screen shown to the summary: tap each result (適合 unless told), type remarks, then 次へ."""
    results, remarks = results or {}, remarks or {}
    while not page.locator("section.summary").is_visible():
        code = page.locator("section.step[data-check]:visible").get_attribute("data-check")
        screen = page.locator(f'section.step[data-check="{code}"]')
        result = results.get(code, "ok")
        button = screen.locator(f'[data-result="{result}"]')
        if code in remarks:
            screen.locator("[data-remark]").fill(remarks[code])
        if button.get_attribute("aria-pressed") != "true":
            page.wait_for_timeout(400)  # taps within 0.4 s of a move are taken as a double tap and ignored
            button.tap()  # a result that needs no remark moves on by itself
        if screen.is_visible():
            page.locator("[data-next]").tap()
    expect(badge(page)).to_have_text("保存済み")
    return page.locator("section.summary")


def go_to_summary(page):
    while not page.locator("section.summary").is_visible():
        page.locator("[data-next]").tap()
    return page.locator("section.summary")


def sign_both(page, visit_id):
    """Both sides sign with a finger on the sign page; the second signature locks the record."""
    page.wait_for_url(re.compile(rf"/visits/{visit_id}/sign$"))
    cards = page.locator("section.signature-card")
    cdp = page.context.new_cdp_session(page)
    sign_by_touch(cdp, cards.nth(0).locator("canvas[data-pad]"))
    assert cards.nth(0).locator("canvas[data-pad]").evaluate(INKED_PIXELS_JS) > 200
    cards.nth(0).get_by_role("button", name="署名を確定する").tap()
    expect(page.get_by_text("署名を保存しました。")).to_be_visible()
    sign_by_touch(cdp, cards.nth(1).locator("canvas[data-pad]"))
    cards.nth(1).get_by_role("button", name="署名を確定する").tap()
    page.wait_for_url(re.compile(rf"/visits/{visit_id}$"))
    expect(page.get_by_text("両者の署名がそろい、監査記録を確定しました。")).to_be_visible()


def sheet_text(page, visit_id):
    """The findings sheet as the browser downloads it, its text without any spacing or line breaks."""
    response = page.request.get(f"/visits/{visit_id}/sheet.pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    return re.sub(r"\s", "", text)


def post_from_page(page, url, body=None, photo=False):
    """A request sent by hand from the page, as a curious user could with the developer tools: its status."""
    return page.evaluate(
        """async ([url, body, photo]) => {
          const token = document.querySelector('meta[name="csrf-token"]').content;
          let init = {method: 'POST', credentials: 'same-origin', headers: {'X-CSRFToken': token}};
          if (photo) {
            const canvas = document.createElement('canvas');
            canvas.width = 320; canvas.height = 240;
            canvas.getContext('2d').fillRect(0, 0, 160, 120);
            const jpeg = await new Promise(done => canvas.toBlob(done, 'image/jpeg', 0.9));
            const form = new FormData();
            form.append('check', 'clear_desk');
            form.append('photo', jpeg, 'photo.jpg');
            init.body = form;
          } else {
            init.headers['Content-Type'] = 'application/json';
            init.body = JSON.stringify(body);
          }
          const response = await fetch(url, init);
          return [response.status, (await response.json()).error];
        }""",
        [url, body, photo],
    )


# ---------------------------------------------------------------- a person picked by hand


def test_picking_a_person_by_hand_needs_a_reason(open_page, visit_city, log_in, screenshot, browser_errors):
    page = open_page(visit_city)
    log_in(page, "auditor")
    open_section(page)
    choose_url = page.url
    reason = page.get_by_label(REASON_LABEL)
    expect(reason).to_be_visible()
    expect(reason).to_have_value("")
    # Each person's button names them with their 職員番号, so two people of one name cannot be confused.
    for no, name in (("000201", "田中 真理子"), ("000203", "伊藤 さくら"), ("000204", "中村 勇")):
        expect(person_button(page, name)).to_contain_text(f"職員番号 {no}")
    before = visit_count(visit_city)

    # 1. No reason: the browser itself holds the form back (the field is required); nothing starts.
    person_button(page, "伊藤 さくら").tap()
    assert reason.evaluate("el => el.validity.valueMissing")
    assert reason.evaluate("el => el.validationMessage")  # the browser's own bubble, in the tablet's language
    page.wait_for_load_state("networkidle")
    assert page.url == choose_url
    assert visit_count(visit_city) == before

    # 2. Only spaces satisfy the browser, but not the server: the page comes back with a Japanese message.
    reason.fill("　 ")
    person_button(page, "伊藤 さくら").tap()
    expect(page.locator("p.flash.error:visible")).to_have_text(NO_REASON)
    assert page.url == choose_url
    expect(page.get_by_label(REASON_LABEL)).to_be_visible()
    assert visit_count(visit_city) == before
    screenshot(page, "team-01-choose-no-reason")
    fits_a_finger(page)

    # 3. Enter in the reason field must not start a visit of whoever happens to be listed first.
    reason.fill("所属長からの依頼")
    reason.press("Enter")
    page.wait_for_load_state("networkidle")
    assert page.url == choose_url, "Enter in the reason field started a visit of the first person listed"
    assert visit_count(visit_city) == before

    # 4. With a reason, the visit of the person tapped starts.
    reason.fill("所属長からの依頼")
    person_button(page, "伊藤 さくら").tap()
    page.wait_for_url(re.compile(r"/visits/\d+(#step-1)?$"))
    visit_id = int(re.search(r"/visits/(\d+)", page.url).group(1))
    expect(page.get_by_role("heading", level=1)).to_contain_text("伊藤 さくら")
    assert visit_count(visit_city) == before + 1
    assert one(visit_city, "SELECT staff_id FROM visits WHERE id = ?", [visit_id]) == staff_id(visit_city, "000203")
    assert one(visit_city, "SELECT selection_reason FROM visits WHERE id = ?", [visit_id]) == "所属長からの依頼"

    summary = walk_by_hand(page)
    team = summary.locator("section.team")
    expect(team.locator("li")).to_have_text(["検査 花子（主担当）"])
    expect(team).to_contain_text("対象者の選定: 任意選定（理由：所属長からの依頼）")
    summary.get_by_role("link", name="署名へ進む").tap()
    page.wait_for_url(re.compile(rf"/visits/{visit_id}/sign$"))
    expect(page.get_by_text("指摘事項はありません。")).to_be_visible()
    expect(page.get_by_text("監査員: 検査 花子・対象者の選定: 任意選定（理由：所属長からの依頼）")).to_be_visible()
    sign_both(page, visit_id)

    # The signed record and the printed sheet both say how the person came to be audited.
    team = page.locator("section.team")
    expect(team).to_contain_text("対象者の選定: 任意選定（理由：所属長からの依頼）")
    expect(team.locator("select, button")).to_have_count(0)  # locked: no one joins any more
    text = sheet_text(page, visit_id)
    assert "任意選定（理由：所属長からの依頼）" in text, text
    assert "伊藤さくら" in text and "検査花子" in text
    assert re.search(r"検証ログ第\d+号本票[0-9a-f]{16}直前", text), text
    assert not browser_errors


# ---------------------------------------------------------------- a finding needs the auditor's words


def test_finding_cannot_be_signed_without_a_remark(open_page, visit_city, log_in, screenshot, browser_errors):
    results = all_ok(visit_city, "000202") | {USB: "", LOCK: ""}
    visit_id = seed_visit(visit_city, "000202", results={c: r for c, r in results.items() if r})
    codes = list(walk_on_server(visit_city, visit_id))
    titles = {code: step.check.title for code, step in walk_on_server(visit_city, visit_id).items()}
    page = open_page(visit_city)
    log_in(page, "auditor")
    page.goto(f"/visits/{visit_id}#step-{codes.index(LOCK) + 1}")
    expect(page.locator(f'section.step[data-check="{LOCK}"]')).to_be_visible()

    # 重大 on the wire lock and 不適合 on the USB check, with no remark typed.
    summary = walk_by_hand(page, results={LOCK: "major", USB: "nonconformity"})
    remark_cells = {code: summary.locator(f'tr[data-summary-for="{code}"] [data-summary-remark]') for code in codes}
    for code, cell in remark_cells.items():
        expect(cell).to_have_text(MISSING_REMARK if code in (LOCK, USB) else "")
    expect(summary.locator(f'tr[data-summary-for="{USB}"] [data-summary-result]')).to_have_text("不適合")
    expect(summary.locator(f'tr[data-summary-for="{LOCK}"] [data-summary-result]')).to_have_text("重大")
    screenshot(at_top(page), "team-02-summary-missing-remark")
    fits_a_finger(page)

    # The sign page refuses: the problem in red, and no signature pad to sign on.
    summary.get_by_role("link", name="署名へ進む").tap()
    page.wait_for_url(re.compile(rf"/visits/{visit_id}/sign$"))
    silent = "、".join(titles[c] for c in codes if c in (LOCK, USB))
    expect(page.locator("p.flash.error:visible")).to_have_text(
        [f"不適合・重大の所見（見たこと）が未記入の確認項目があります: {silent}"])
    expect(page.locator("form[data-signature-form]:visible")).to_have_count(0)
    expect(page.locator("canvas[data-pad]:visible")).to_have_count(0)
    expect(page.get_by_role("button", name="署名を確定する")).to_have_count(0)
    expect(page.get_by_role("heading", name="指摘事項（結果票にこのとおり印字されます）")).to_be_visible()
    expect(page.locator("dl.finding dd")).to_have_text(["事実: （所見の記載なし）"] * 2)
    screenshot(page, "team-03-sign-missing-remark")
    fits_a_finger(page)

    # Back to the summary, to each finding from its row, and the remark typed there.
    remarks = {
        LOCK: "ワイヤーロックが外され、ノートPCが窓口横の机に置かれていた",
        USB: "机上に私物のUSBメモリ（32GB）が挿さったままだった。\n本人は「<業務用>」と説明 & 上長は未承認",
    }
    page.get_by_role("link", name="← まとめに戻る").tap()
    summary = page.locator("section.summary")
    expect(summary).to_be_visible()
    for code, typed in remarks.items():
        summary.locator(f'tr[data-summary-for="{code}"] a').tap()
        screen = page.locator(f'section.step[data-check="{code}"]')
        expect(screen).to_be_visible()
        expect(screen.get_by_label(re.compile(r"^所見"))).to_have_value("")
        screen.get_by_label(re.compile(r"^所見")).fill(typed)
        summary = go_to_summary(page)
        expect(remark_cells[code]).to_have_text("")  # updated on the tablet, before any reload
    for cell in remark_cells.values():
        expect(cell).to_have_text("")
    expect(badge(page)).to_have_text("保存済み")
    summary.get_by_role("link", name="署名へ進む").tap()

    page.wait_for_url(re.compile(rf"/visits/{visit_id}/sign$"))
    expect(page.locator("p.flash.error:visible")).to_have_count(0)
    findings = page.locator("dl.finding")
    expect(findings.locator("dt")).to_have_text([f"指摘{n}　{titles[c]}（{label}）" for n, (c, label) in
                                                 enumerate(((LOCK, "重大"), (USB, "不適合")), start=1)])
    # Exactly as typed: line break kept, nothing escaped twice, nothing trimmed inside.
    assert findings.locator("dd").all_inner_texts() == [f"事実: {remarks[LOCK]}", f"事実: {remarks[USB]}"]
    assert {c: s.remark for c, s in walk_on_server(visit_city, visit_id).items() if s.remark} == remarks
    sign_both(page, visit_id)
    usb = page.locator("table.list tbody tr").filter(has_text=titles[USB])
    expect(usb).to_contain_text("不適合")
    expect(usb.locator(".prewrap")).to_have_text(remarks[USB])
    assert one(visit_city, "SELECT status FROM visits WHERE id = ?", [visit_id]) == "locked"
    assert not browser_errors


# ---------------------------------------------------------------- two auditors, two tablets, one visit


def test_two_auditors_share_a_visit_and_others_cannot_write(open_page, visit_city, log_in, screenshot,
                                                            browser_errors):
    left_open = ("clear_desk", USB)  # for the co-auditor to record
    visit_id = seed_visit(visit_city, "000201", reason="二人で確認する",
                          results={c: r for c, r in all_ok(visit_city, "000201").items() if c not in left_open})
    codes = list(walk_on_server(visit_city, visit_id))
    summary_hash = f"#step-{len(codes) + 1}"
    assert len(codes) == CHECK_COUNT

    # 1. The lead opens the summary and adds 調査 次郎 as co-auditor.
    lead = open_page(visit_city)
    log_in(lead, "auditor")
    lead.goto(f"/visits/{visit_id}{summary_hash}")
    team = lead.locator("section.team")
    expect(team).to_be_visible()
    expect(team.get_by_role("heading", level=2)).to_have_text("監査チーム")
    expect(team.locator("li")).to_have_text(["検査 花子（主担当）"])
    expect(team).to_contain_text("対象者の選定: 任意選定（理由：二人で確認する）")
    choice = team.get_by_label("共同監査員を加える")
    expect(choice.locator("option")).to_have_text(
        ["選んでください", "監査 一郎（admin）", "調査 次郎（auditor2）", "点検 三郎（auditor3）"])
    choice.select_option(label="調査 次郎（auditor2）")
    team.get_by_role("button", name="加える").tap()
    # Back on the summary (not on the first check), with the team grown.
    lead.wait_for_url(re.compile(rf"/visits/{visit_id}{summary_hash}$"))
    expect(lead.get_by_text("共同監査員を加えました。")).to_be_visible()
    expect(lead.locator("section.summary")).to_be_visible()
    team = lead.locator("section.team")
    expect(team.locator("li")).to_have_text(["検査 花子（主担当）", "調査 次郎（共同監査員）"])
    expect(team.get_by_label("共同監査員を加える").locator("option")).to_have_text(
        ["選んでください", "監査 一郎（admin）", "点検 三郎（auditor3）"])
    screenshot(at_top(lead), "team-04-team-card")
    fits_a_finger(lead)

    # 2. On a second tablet, the co-auditor finds the visit in the list and records the two checks left.
    co = open_page(visit_city)
    log_in(co, "auditor2")
    co.get_by_role("navigation", name="メニュー").get_by_role("link", name="実地監査", exact=True).tap()
    co.locator("table.list tbody tr").filter(has_text="田中 真理子").get_by_role("link").first.tap()
    co.wait_for_url(re.compile(rf"/visits/{visit_id}(#step-1)?$"))
    expect(co.get_by_text(NOT_MEMBER)).to_have_count(0)
    usb_remark = "未登録のUSBメモリが机上にあった"
    co.goto(f"/visits/{visit_id}#step-{codes.index('clear_desk') + 1}")
    walk_by_hand(co, results={"clear_desk": "observation", USB: "nonconformity"}, remarks={USB: usb_remark})
    saved = walk_on_server(visit_city, visit_id)
    assert (saved["clear_desk"].result, saved[USB].result, saved[USB].remark) == (
        "observation", "nonconformity", usb_remark)
    assert one(visit_city, "SELECT updated_by FROM visit_results WHERE visit_id = ? AND check_code = ?",
               [visit_id, USB]) == user_id(visit_city, "auditor2")

    # 3. Back on the lead's tablet, a reload shows what the co-auditor recorded.
    lead.reload()
    lead.goto(f"/visits/{visit_id}#step-{codes.index('clear_desk') + 1}")
    step = lead.locator('section.step[data-check="clear_desk"]')
    expect(step).to_be_visible()
    expect(step.locator('[data-result="observation"]')).to_have_attribute("aria-pressed", "true")
    expect(lead.locator(f'section.step[data-check="{USB}"] [data-result="nonconformity"]')).to_have_attribute(
        "aria-pressed", "true")
    expect(lead.locator(f'section.step[data-check="{USB}"] [data-remark]')).to_have_value(usb_remark)

    # 4. Both type a remark on the same check; the co-auditor's tablet is offline, so its older words
    #    arrive last. They must lose, and the co-auditor must be told rather than shown 保存済み.
    log_code = "takeout_log"
    co.goto(f"/visits/{visit_id}#step-{codes.index(log_code) + 1}")
    co_remark = co.locator(f'section.step[data-check="{log_code}"] [data-remark]')
    expect(co_remark).to_be_visible()
    co.context.set_offline(True)
    co_remark.fill("持出記録簿は未確認")
    co_remark.blur()
    expect(badge(co)).to_have_text("未送信 1件")
    lead.goto(f"/visits/{visit_id}#step-{codes.index(log_code) + 1}")
    lead_remark = lead.locator(f'section.step[data-check="{log_code}"] [data-remark]')
    expect(lead_remark).to_be_visible()
    with lead.expect_response(lambda r: r.url.endswith(f"/visits/{visit_id}/changes") and r.ok):
        lead_remark.fill("持出記録簿に当月分の記入漏れなし")
        lead_remark.blur()
    expect(badge(lead)).to_have_text("保存済み")
    with co.expect_response(lambda r: r.url.endswith(f"/visits/{visit_id}/changes")) as arrived:
        co.context.set_offline(False)
    assert arrived.value.json()["applied"] is False
    expect(co.locator("[data-error]")).to_have_text(NOT_APPLIED)
    expect(co.locator("[data-error]")).to_be_visible()
    assert walk_on_server(visit_city, visit_id)[log_code].remark == "持出記録簿に当月分の記入漏れなし"
    co.reload()
    expect(co.locator(f'section.step[data-check="{log_code}"] [data-remark]')).to_have_value(
        "持出記録簿に当月分の記入漏れなし")

    # 5. An auditor who is not on the team sees the visit but may not write to it.
    outsider = open_page(visit_city)
    log_in(outsider, "auditor3")
    outsider.goto(f"/visits/{visit_id}")
    expect(outsider.get_by_role("heading", level=1)).to_contain_text("田中 真理子")
    expect(outsider.locator("p.flash.error")).to_have_text(NOT_MEMBER)
    expect(outsider.locator("[data-result]")).to_have_count(0)
    expect(outsider.locator("textarea, input[type=file]")).to_have_count(0)
    expect(outsider.locator("section.team li")).to_have_text(["検査 花子（主担当）", "調査 次郎（共同監査員）"])
    expect(outsider.get_by_role("button", name="加える")).to_have_count(0)  # cannot put themselves on the team
    screenshot(outsider, "team-05-not-a-member")
    fits_a_finger(outsider)
    before = {c: (s.result, s.remark) for c, s in walk_on_server(visit_city, visit_id).items()}
    changes, photos = f"/visits/{visit_id}/changes", f"/visits/{visit_id}/photos"
    status, body = post_from_page(outsider, changes, {"key": "d" * 32, "field": "result", "check": "clear_desk",
                                                      "value": "major", "changed_at": "2099-01-01T00:00:00.000Z"})
    assert (status, body) == (403, NOT_MEMBER_API), (status, body)
    status, body = post_from_page(outsider, photos, photo=True)
    assert (status, body) == (403, NOT_MEMBER_API), (status, body)
    assert {c: (s.result, s.remark) for c, s in walk_on_server(visit_city, visit_id).items()} == before
    # Nor are they offered the signature pads, which would only refuse them after the person had signed.
    outsider.goto(f"/visits/{visit_id}/sign")
    expect(outsider.locator("p.flash.error:visible")).to_have_text([NOT_MEMBER])
    expect(outsider.locator("form[data-signature-form], canvas[data-pad]")).to_have_count(0)

    # 6. The lead signs with the person; the signed record names the whole team.
    lead.goto(f"/visits/{visit_id}{summary_hash}")
    summary = lead.locator("section.summary")
    expect(summary.locator(f'tr[data-summary-for="{USB}"] [data-summary-result]')).to_have_text("不適合")
    expect(summary.locator("[data-summary-remark]")).to_have_text([""] * len(codes))
    summary.get_by_role("link", name="署名へ進む").tap()
    lead.wait_for_url(re.compile(rf"/visits/{visit_id}/sign$"))
    expect(lead.get_by_text("監査員: 検査 花子、調査 次郎・対象者の選定: 任意選定（理由：二人で確認する）")).to_be_visible()
    expect(lead.locator("dl.finding dd")).to_have_text([f"事実: {usb_remark}"])
    sign_both(lead, visit_id)
    team = lead.locator("section.team")
    expect(team.locator("li")).to_have_text(["検査 花子（主担当）", "調査 次郎（共同監査員）"])
    expect(team.locator("select, button")).to_have_count(0)
    screenshot(lead, "team-06-locked-record")
    text = sheet_text(lead, visit_id)
    assert "検査花子" in text and "調査次郎" in text, text
    assert "任意選定（理由：二人で確認する）" in text, text

    url = visit_city.url
    allowed = [failed_load(f"{url}{changes}", r"the server responded with a status of 403 \(FORBIDDEN\)"),
               failed_load(f"{url}{photos}", r"the server responded with a status of 403 \(FORBIDDEN\)"),
               failed_load(f"{url}{changes}", "net::ERR_INTERNET_DISCONNECTED"),
               failed_load(f"{url}/static/favicon.svg", "net::ERR_INTERNET_DISCONNECTED")]
    assert not unexpected_errors(browser_errors, *allowed), browser_errors
