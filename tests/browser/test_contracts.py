"""An admin imports the city's contract register through the import screen and reads it on 委託契約一覧."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_imports import choose_file, confirm, figures, menu
from tests.factories import csv_bytes

HEADER = ["契約番号", "契約名", "委託先", "所管課コード", "システム名", "契約期間開始", "契約期間終了", "再委託",
          "個人情報の取扱い"]
REGISTER = [
    ["R6-委-001", "住民記録システム保守業務委託", "㈱緑ヶ丘情報サービス", "0201", "住民記録システム", "R6.4.1", "R7.3.31", "有", "有"],
    ["R6-委-002", "庁内LAN保守業務委託", "髙﨑ネットワーク㈱", "0101", "庁内LAN", "2024/04/01", "2025/03/31", "無", "無"],
    ["R6-委-003", "機密文書廃棄処理業務委託", "山﨑リサイクル㈱", "0301", "", "R6.5.1", "R7.3.31", "無", "有"],
]


@pytest.mark.browser
def test_admin_uploads_previews_confirms_and_reads_the_register(page, log_in, screenshot, tmp_path):
    log_in(page, "admin")
    first = tmp_path / "委託契約一覧_R6.4.1.csv"
    first.write_bytes(csv_bytes(HEADER, REGISTER, "cp932"))
    later = tmp_path / "委託契約一覧_R6.10.1.csv"
    later.write_bytes(csv_bytes(HEADER, REGISTER[:2]))

    menu(page, "委託契約一覧")
    expect(page.get_by_role("heading", level=1)).to_have_text("委託契約一覧")
    expect(page.get_by_text("委託契約一覧はまだ取り込まれていません。")).to_be_visible()
    page.get_by_role("link", name="委託契約一覧を取り込む").click()
    expect(page.get_by_role("radio", name="委託契約一覧", exact=True)).to_be_checked()

    choose_file(page, "委託契約一覧", first)
    assert figures(page) == {"新規": "3", "変更": "0", "変更なし": "0", "終了扱い": "0"}
    screenshot(page, "contracts-01-preview")
    confirm(page, "委託契約一覧", first)

    choose_file(page, "委託契約一覧", later)
    assert figures(page) == {"新規": "0", "変更": "0", "変更なし": "2", "終了扱い": "1"}
    confirm(page, "委託契約一覧", later)
    expect(page.locator("table tbody tr").first).to_contain_text("終了扱い 1")

    menu(page, "委託契約一覧")
    expect(page.get_by_text("契約中 2 件・終了 1 件。", exact=False)).to_be_visible()
    rows = page.locator("table.contracts tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("R6-委-002")  # in force first, by section code
    expect(rows.nth(1)).to_contain_text("住民記録システム保守業務委託")
    expect(rows.nth(1)).to_contain_text("市民課")
    expect(rows.nth(1)).to_contain_text("令和6年4月1日")
    expect(rows.nth(1)).to_contain_text("令和7年3月31日")
    cells = rows.nth(2).get_by_role("cell")
    expect(cells.nth(0)).to_have_text("R6-委-003")
    expect(cells.nth(2)).to_have_text("山﨑リサイクル㈱")
    expect(cells.nth(8)).to_contain_text("終了")
    expect(rows.nth(0).get_by_role("cell").nth(8)).to_have_text("契約中")
    screenshot(page, "contracts-02-register")


@pytest.mark.browser
def test_a_section_head_has_no_register(open_page, live_server, log_in):
    page = open_page(live_server)
    log_in(page, "soumu-head")
    expect(page.get_by_role("navigation", name="メニュー").get_by_role("link", name="委託契約一覧")).to_have_count(0)
    response = page.goto("/contracts")
    assert response.status == 403
