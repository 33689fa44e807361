"""An admin imports the understanding-test results on the tablet, and a person's page shows the attempts."""
from contextlib import closing

import pytest
from playwright.sync_api import expect

from spotcheck import campaigns, imports, loaded_forms
from tests.browser.conftest import roster_csv, sections_csv
from tests.factories import csv_bytes

HEADER = ["職員番号", "氏名", "テスト名", "実施日", "得点", "合否"]
ROWS = [["000101", "鈴木 一郎", "マイナンバー理解度テスト", "R6.6.14", "45", "不合格"],
        ["000101", "鈴木 一郎", "マイナンバー理解度テスト", "R6.9.10", "60", "不合格"],
        ["000102", "髙橋 花子", "マイナンバー理解度テスト", "R6.6.14", "92", "合格"],
        ["000102", "髙橋 花子", "個人情報保護　確認テスト", "2024/06/20", "", "○"]]


@pytest.fixture
def city_with_campaign(empty_server):
    with closing(empty_server.db()) as db:
        for kind, data, name in (("sections", sections_csv(), "所属一覧.csv"), ("staff", roster_csv(), "職員名簿.csv")):
            imports.apply(db, imports.plan(db, kind, data, name, max_rows=100), None)
        with empty_server.app.app_context():
            forms = loaded_forms.current()
        campaigns.create_campaign(db, "R6", "令和6年度 情報セキュリティ監査", forms, fiscal_year=2024)
    return empty_server


@pytest.mark.browser
def test_import_preview_confirm_and_the_person_page(open_page, city_with_campaign, log_in, screenshot, tmp_path):
    path = tmp_path / "理解度テスト結果_R6.csv"
    path.write_bytes(csv_bytes(HEADER, ROWS, "cp932"))
    page = open_page(city_with_campaign)
    log_in(page, "admin")
    page.goto("/admin/imports")
    page.get_by_role("radio", name="理解度テスト結果", exact=True).check()
    page.get_by_label("ファイル", exact=True).set_input_files(path)
    page.get_by_role("button", name="内容を確認する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("取り込みの確認: 理解度テスト結果")
    figures = page.locator("dl.figures").first
    expect(figures).to_contain_text("新規4")
    expect(figures).to_contain_text("開くフォローアップ1")
    expect(page.locator("ul.notices")).to_contain_text("氏名")
    screenshot(page, "tests-01-preview")
    page.get_by_role("button", name="この内容で取り込む").click()
    expect(page.locator(".flash.success")).to_have_text("理解度テスト結果「理解度テスト結果_R6.csv」を取り込みました。")

    page.goto("/tests")
    expect(page.get_by_role("heading", level=1)).to_have_text("理解度テスト（合格していない職員）")
    row = page.locator("table[data-table=not-passed] tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("鈴木 一郎")
    expect(row).to_contain_text("令和6年9月10日")
    screenshot(page, "tests-02-not-passed")
    row.get_by_role("link", name="鈴木 一郎").click()
    tests = page.locator("section.tests")
    expect(tests).to_contain_text("未合格（最新の受験が不合格）")
    expect(tests.locator("tbody tr")).to_have_count(2)
    expect(tests.locator("tbody tr").first).to_contain_text("令和6年9月10日")
    expect(page.get_by_role("link", name="理解度テスト不合格（マイナンバー理解度テスト）")).to_be_visible()
    tests.scroll_into_view_if_needed()
    screenshot(page, "tests-03-person")
    page.goto("/dashboard")
    card = page.locator("section.tests-card")
    expect(card).to_contain_text("マイナンバー理解度テスト")
    expect(card.get_by_role("link", name="合格していない職員（所属別・一覧）")).to_be_visible()
    card.scroll_into_view_if_needed()
    screenshot(page, "tests-04-dashboard")
    # Nothing on the page is wider than the tablet.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1180
