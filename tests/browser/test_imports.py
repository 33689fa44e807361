"""An admin brings the city's files in through the import screen, as they would on their first day."""
import re

import pytest
from playwright.sync_api import expect

from tests.factories import csv_bytes
from tests.browser.conftest import menu  # noqa: F401 (test_contracts imports it from here)

CAMPAIGN_TITLE = "令和6年度 情報セキュリティ監査"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def figures(page):
    """The preview's (or home page's first) counts as {label: number text}."""
    return page.locator("dl.figures").first.evaluate(
        """dl => Object.fromEntries([...dl.querySelectorAll(':scope > div')].map(
               d => [d.querySelector('dt').textContent.trim(), d.querySelector('dd').textContent.trim()]))"""
    )




def choose_file(page, kind_label, path, campaign=None):
    """On 取り込み: pick the kind, (the campaign), the file, and press 内容を確認する."""
    page.get_by_role("radio", name=kind_label, exact=True).check()
    if campaign:
        page.get_by_label("キャンペーン（セルフチェック結果のみ）").select_option(label=campaign)
    page.get_by_label("ファイル", exact=True).set_input_files(path)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/admin/imports")) as posted:
        page.get_by_role("button", name="内容を確認する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"取り込みの確認: {kind_label}")
    expect(page.get_by_text(path.name, exact=True)).to_be_visible()
    return posted.value


def confirm(page, kind_label, path):
    page.get_by_role("button", name="この内容で取り込む").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ファイルの取り込み")
    expect(page.locator(".flash.success")).to_have_text(f"{kind_label}「{path.name}」を取り込みました。")


@pytest.mark.browser
def test_admin_imports_the_city_files_through_the_ui(open_page, empty_server, log_in, screenshot, city_files):
    page = open_page(empty_server)
    log_in(page, "admin")

    # キャンペーン: create R6.
    menu(page, "キャンペーン")
    expect(page.get_by_role("heading", level=1)).to_have_text("監査キャンペーン")
    page.get_by_label("コード", exact=True).fill("R6")
    page.get_by_label("名称", exact=True).fill(CAMPAIGN_TITLE)
    page.get_by_label("年度（西暦）").fill("2024")
    page.get_by_role("button", name="作成する").click()
    expect(page.locator(".flash.success")).to_have_text("キャンペーン「R6」を作成しました。")
    row = page.get_by_role("row").filter(has_text="R6")
    expect(row).to_contain_text(CAMPAIGN_TITLE)
    expect(row.get_by_role("cell").nth(2)).to_have_text("令和6年度")
    screenshot(page, "01-campaign-created")

    # 取り込み: 所属一覧 (UTF-8 with BOM).
    menu(page, "取り込み")
    expect(page.get_by_role("heading", level=1)).to_have_text("ファイルの取り込み")
    expect(page.get_by_text("まだ取り込みはありません。")).to_be_visible()
    response = choose_file(page, "所属一覧", city_files["sections"])
    assert response.status == 200
    assert figures(page) == {"新規": "3", "変更": "0", "変更なし": "0"}
    screenshot(page, "02-preview-sections")
    confirm(page, "所属一覧", city_files["sections"])

    # 職員名簿 (CP932, with 髙 and 﨑).
    choose_file(page, "職員名簿", city_files["staff"])
    assert figures(page) == {"新規": "5", "変更": "0", "変更なし": "0", "退職扱い": "0", "新しい所属": "0"}
    screenshot(page, "03-preview-staff")
    confirm(page, "職員名簿", city_files["staff"])

    # セルフチェック結果 (.xlsx) for R6; one staff number lost its zeros in Excel.
    choose_file(page, "セルフチェック結果", city_files["selfcheck"], campaign=f"R6 {CAMPAIGN_TITLE}")
    assert figures(page) == {"新規": "4", "変更": "0", "変更なし": "0"}
    expect(page.locator("ul.notices")).to_contain_text("職員番号 1 件の先頭の 0 を補いました（6 桁にそろえました）。")
    screenshot(page, "04-preview-selfcheck")
    confirm(page, "セルフチェック結果", city_files["selfcheck"])

    # The list of imports: newest first, with who ran them and what changed.
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("セルフチェック結果（R6）")
    expect(rows.nth(0)).to_contain_text(city_files["selfcheck"].name)
    expect(rows.nth(1)).to_contain_text(city_files["staff"].name)
    expect(rows.nth(1)).to_contain_text("新規 5")
    expect(rows.nth(2)).to_contain_text("所属一覧")
    for index in range(3):
        expect(rows.nth(index).get_by_role("cell").nth(0)).to_contain_text("令和")
        expect(rows.nth(index).get_by_role("cell").nth(4)).to_have_text("admin")
    screenshot(page, "05-imports-list")

    # The names came through the CP932 file intact.
    menu(page, "職員")
    expect(page.get_by_role("link", name="髙橋 花子")).to_be_visible()
    expect(page.get_by_role("link", name="山﨑 次郎")).to_be_visible()
    menu(page, "ホーム")
    assert figures(page) == {"所属": "3", "在職": "5", "退職扱い": "0"}
    campaigns = page.locator("section.card").filter(has=page.get_by_role("heading", name="監査キャンペーン"))
    expect(campaigns.get_by_role("row").filter(has_text="R6")).to_contain_text("4 人")
    screenshot(page, "06-home-after-imports")


BAD_ROSTER = [
    ["000201", "渡辺 一", "ワタナベ ハジメ", "0101", "正規職員", "有"],
    ["000202", "伊藤 結衣", "イトウ ユイ", "0301", "会計年度任用職員", "有"],
    ["000201", "中村 三郎", "ナカムラ サブロウ", "0201", "正規職員", "有"],  # line 4: duplicate 職員番号
    ["000204", "小林 四季", "コバヤシ シキ", "0999", "正規職員", "無"],  # line 5: unknown 所属コード
]


@pytest.mark.browser
def test_bad_file_shows_every_error_and_imports_nothing(page, log_in, screenshot, tmp_path):
    log_in(page, "admin")
    before = figures(page)
    path = tmp_path / "職員名簿_誤りあり.csv"
    path.write_bytes(csv_bytes(["職員番号", "氏名", "フリガナ", "所属コード", "任用区分", "PC使用"], BAD_ROSTER, "cp932"))

    menu(page, "取り込み")
    imports_before = page.locator("table tbody tr").count()
    response = choose_file(page, "職員名簿", path)
    assert response.status == 422

    expect(page.get_by_role("alert")).to_have_text(
        "このファイルには誤りがあるため、何も取り込んでいません。次の箇所を直してから、もう一度選んでください。"
    )
    errors = page.locator("ol.errors li").all_inner_texts()
    assert len(errors) == 2, errors
    for error in errors:
        assert re.match(rf"^{re.escape(path.name)}:\d+: [^:]+: .+", error), error
        assert JAPANESE.search(error.split(": ", 2)[2]), error
    assert errors[0].startswith(f"{path.name}:4: 職員番号: ") and "000201" in errors[0] and "重複" in errors[0]
    assert errors[1].startswith(f"{path.name}:5: 所属コード: ") and "0999" in errors[1]
    expect(page.get_by_role("button", name="この内容で取り込む")).to_have_count(0)
    expect(page.get_by_role("link", name="ファイルを選び直す")).to_be_visible()
    screenshot(page, "07-preview-errors")

    page.get_by_role("link", name="ファイルを選び直す").click()
    expect(page.locator("table tbody tr")).to_have_count(imports_before)
    expect(page.get_by_text(path.name)).to_have_count(0)
    menu(page, "ホーム")
    assert figures(page) == before


@pytest.mark.browser
def test_a_roster_that_would_retire_most_staff_asks_for_a_tick_first(open_page, empty_server, log_in, screenshot,
                                                                       city_files, tmp_path):
    page = open_page(empty_server)
    log_in(page, "admin")
    menu(page, "取り込み")
    for kind, label in (("sections", "所属一覧"), ("staff", "職員名簿")):
        choose_file(page, label, city_files[kind])
        confirm(page, label, city_files[kind])
    one_person = tmp_path / "職員名簿_総務課のみ.csv"
    one_person.write_bytes(csv_bytes(["職員番号", "氏名", "フリガナ", "所属コード", "任用区分", "PC使用"],
                                     [["000101", "鈴木 一郎", "スズキ イチロウ", "0101", "正規職員", "有"]]))

    choose_file(page, "職員名簿", one_person)
    assert figures(page)["退職扱い"] == "4"
    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("この名簿を取り込むと 4 人（80%）が退職扱いになります。")
    expect(warning).to_contain_text("在職者 5 人の 20% を超えています。")
    tick = page.get_by_label("4 人を退職扱いにすることを確認しました")
    expect(tick).not_to_be_checked()
    screenshot(page, "08-preview-mass-retire")
    page.get_by_role("button", name="この内容で取り込む").click()  # the browser holds the unticked form back
    expect(page.get_by_role("heading", level=1)).to_have_text("取り込みの確認: 職員名簿")
    tick.check()
    confirm(page, "職員名簿", one_person)
    menu(page, "ホーム")
    assert figures(page) == {"所属": "3", "在職": "1", "退職扱い": "4"}
