"""Finding people and reading their self-check answers; who may see whom."""
from contextlib import closing

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import menu

# What 髙橋 花子 (000102) wrote in the self-check file: ① everywhere but item 3 ②, item 19 ③, item 17 blank.
TAKAHASHI_SHOWN = {n: "① できている" for n in range(1, 21)} | {3: "② 一部できている", 19: "③ できていない", 17: "未回答"}


def staff_id(server, staff_no):
    with closing(server.db()) as db:
        return db.execute("SELECT id FROM staff WHERE staff_no = ?", [staff_no]).fetchone()[0]


def search(page, text):
    page.get_by_label("氏名・フリガナ・職員番号").fill(text)
    page.get_by_role("button", name="検索", exact=True).click()


def names_listed(page):
    return page.locator("table.list tbody tr td:nth-child(2) a").all_inner_texts()


def assert_no_sideways_scroll(page):
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"{page.url}: the page scrolls sideways ({widths[0]} px wide in {widths[1]} px)"


@pytest.mark.browser
def test_staff_search_and_person_page(page, open_page, live_server, log_in, screenshot):
    log_in(page, "auditor")
    menu(page, "職員")
    expect(page.get_by_role("heading", level=1)).to_have_text("職員")
    expect(page.locator(".count")).to_have_text("5 人")

    # Hiragana finds the katakana フリガナ, and so 髙橋 (and 高橋).
    search(page, "たかはし")
    expect(page.locator(".count")).to_have_text("2 人")
    assert sorted(names_listed(page)) == ["高橋 健太", "髙橋 花子"]

    page.get_by_label("任用区分").select_option(label="会計年度任用職員")
    page.get_by_role("button", name="検索", exact=True).click()
    expect(page.locator(".count")).to_have_text("1 人")
    row = page.locator("table.list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("000102")
    expect(row).to_contain_text("タカハシ ハナコ")
    expect(row).to_contain_text("市民課")
    expect(row).to_contain_text("会計年度任用職員")
    # the filters stay as chosen
    expect(page.get_by_label("氏名・フリガナ・職員番号")).to_have_value("たかはし")
    expect(page.get_by_label("任用区分")).to_have_value("fiscal_year")
    assert_no_sideways_scroll(page)
    screenshot(page, "08-staff-search")

    page.get_by_role("link", name="髙橋 花子").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("髙橋 花子")
    expect(page.get_by_role("heading", level=1)).to_contain_text("タカハシ ハナコ")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("000102")
    expect(facts).to_contain_text("0201 市民課")
    expect(facts).to_contain_text("会計年度任用職員")
    expect(facts).to_contain_text("在職")
    campaign = page.locator("section.card").filter(has=page.get_by_role("heading", level=3))
    expect(campaign.get_by_role("heading", level=3)).to_contain_text("令和6年度 情報セキュリティ監査")
    expect(campaign.get_by_role("heading", level=3)).to_contain_text("回答日: 令和6年1月16日")

    sheet = live_server.app.extensions["checklists"].selfcheck
    rows = campaign.locator("table.answers tbody tr")
    expect(rows).to_have_count(20)
    cells = rows.evaluate_all("rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")
    for cell_texts, (no, shown) in zip(cells, sorted(TAKAHASHI_SHOWN.items())):
        item = sheet.item(no)
        assert cell_texts == [str(no), item.topic, item.question, shown], cell_texts
    assert_no_sideways_scroll(page)
    screenshot(page, "09-staff-person-landscape")

    # The same page on a tablet held upright.
    upright = open_page(live_server, portrait=True)
    log_in(upright, "auditor")
    upright.goto(f"/staff/{staff_id(live_server, '000102')}")
    expect(upright.get_by_role("heading", level=1)).to_contain_text("髙橋 花子")
    expect(upright.locator("table.answers tbody tr").nth(18)).to_contain_text("③ できていない")
    assert_no_sideways_scroll(upright)
    screenshot(upright, "10-staff-person-portrait")
    upright.goto("/staff?q=たかはし")
    expect(upright.locator(".count")).to_have_text("2 人")
    assert_no_sideways_scroll(upright)
    screenshot(upright, "11-staff-search-portrait")


@pytest.mark.browser
def test_section_head_sees_only_own_section(page, live_server, log_in, screenshot):
    log_in(page, "soumu-head")
    nav = page.get_by_role("navigation", name="メニュー")
    expect(nav.get_by_role("link")).to_have_text(["ホーム", "フォローアップ", "職員", "管理外機器台帳"])

    menu(page, "職員")
    expect(page.locator(".count")).to_have_text("3 人")
    assert sorted(names_listed(page)) == sorted(["鈴木 一郎", "高橋 健太", "佐藤 美咲"])
    expect(page.locator("table.list tbody td:nth-child(4)")).to_have_text(["総務課"] * 3)
    expect(page.get_by_label("所属", exact=True)).to_have_count(0)  # no section filter to widen the view
    screenshot(page, "12-section-head-staff")

    search(page, "たかはし")
    assert names_listed(page) == ["高橋 健太"]  # 髙橋 花子 is in 市民課

    # Asking for another section in the URL changes nothing.
    with closing(live_server.db()) as db:
        shimin = db.execute("SELECT id FROM sections WHERE code = '0201'").fetchone()[0]
    page.goto(f"/staff?section={shimin}")
    expect(page.locator(".count")).to_have_text("3 人")
    assert "髙橋 花子" not in names_listed(page)

    # A person of another section does not exist for them.
    response = page.goto(f"/staff/{staff_id(live_server, '000102')}")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("エラー（404）")
    expect(page.get_by_text("ページが見つかりません。")).to_be_visible()
    expect(page.get_by_text("髙橋")).to_have_count(0)
    # their own people open
    response = page.goto(f"/staff/{staff_id(live_server, '000101')}")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text("鈴木 一郎")

    response = page.goto("/sections")
    assert response.status == 403


@pytest.mark.browser
def test_viewer_cannot_open_staff(page, live_server, log_in, screenshot):
    log_in(page, "viewer")
    expect(page.get_by_role("navigation", name="メニュー").get_by_role("link")).to_have_text(["ホーム", "集計"])
    expect(page.get_by_role("link", name="職員を探す")).to_have_count(0)
    expect(page.get_by_text("最近の取り込み")).to_have_count(0)

    for url in ("/staff", f"/staff/{staff_id(live_server, '000102')}", "/sections", "/admin/imports", "/admin/users"):
        response = page.goto(url)
        assert response.status == 403, url
        expect(page.locator("html")).to_have_attribute("lang", "ja")
        expect(page.get_by_role("heading", level=1)).to_have_text("エラー（403）")
        expect(page.get_by_text("この画面を開く権限がありません。")).to_be_visible()
        expect(page.get_by_text("髙橋")).to_have_count(0)
    page.goto("/staff")
    screenshot(page, "13-viewer-403")
    page.get_by_role("link", name="ホームに戻る").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ホーム")
