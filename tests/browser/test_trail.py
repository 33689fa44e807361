"""The audit lead reads 操作履歴: who did what and when, filtered, in 和暦 that stays on one line."""
import pytest
from playwright.sync_api import expect
from tests.browser.conftest import menu


@pytest.mark.browser
def test_admin_reads_and_filters_the_audit_trail(page, live_server, log_in, screenshot, tmp_path):
    log_in(page, "admin")
    menu(page, "操作履歴")
    expect(page.get_by_role("heading", level=1)).to_have_text("操作履歴")
    rows = page.locator("table.trail tbody tr")
    expect(rows.first).to_contain_text("ログイン")  # this very login, newest first
    expect(rows.first).to_contain_text("監査 一郎（admin）")
    expect(page.locator("table.trail")).to_contain_text("取り込み（職員名簿）")
    expect(page.locator("table.trail")).to_contain_text("コマンド")  # the city was loaded by commands

    when = page.locator("table.trail td.when").first
    expect(when).to_contain_text("令和")
    lines = page.evaluate("e => e.getClientRects().length", when.locator("time").element_handle())
    assert lines == 1, f"the 和暦 time wraps onto {lines} lines"
    screenshot(page, "trail-admin")

    page.get_by_label("対象の種類").select_option(label="利用者")
    page.get_by_role("button", name="絞り込む").click()
    expect(page).to_have_url(page.url)  # the filter is in the query string, so the page can be bookmarked
    assert "entity=user" in page.url
    entities = page.locator("table.trail tbody td:nth-child(3)").all_inner_texts()
    assert entities and all(text.startswith("利用者") for text in entities)

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV で書き出す").click()
    data = (tmp_path / "trail.csv")
    download.value.save_as(data)
    text = data.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff日時（和暦）,日時（ISO）,利用者,対象,対象ID,操作,変更前,変更後")

    page.goto("/admin/audit?from=yesterday")
    expect(page.locator(".flash.error")).to_contain_text("期間（から）: 日付として読めません")
