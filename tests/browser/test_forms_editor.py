"""チェックリスト編集 in the browser: reword a check, preview it as the tablet shows it, save a new version."""
import re
import shutil
from contextlib import closing
from pathlib import Path

import pytest
from playwright.sync_api import expect

from spotcheck import auth, create_app, migrations
from spotcheck.checklists import validate_forms
from spotcheck.db import connect
from tests.browser.conftest import ACCOUNTS, LiveServer, menu
from tests.factories import PASSWORD

REPO_FORMS = Path(__file__).resolve().parents[2] / "forms"


@pytest.fixture
def forms_server(tmp_path):
    """A city with an admin whose app reads a temporary copy of forms/ (set in instance/config.py, as a city would)."""
    forms_dir = tmp_path / "forms"
    shutil.copytree(REPO_FORMS, forms_dir)
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(f"FORMS_DIR = {str(forms_dir)!r}\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPOTCHECK_INSTANCE", str(instance))
        app = create_app()
    with closing(connect(app.config["DATABASE"])) as db:
        migrations.apply(db)
        role, display_name, _section = ACCOUNTS["admin"]
        auth.create_user(db, "admin", PASSWORD, role, display_name=display_name)
    server = LiveServer(app)
    server.forms_dir = forms_dir
    yield server
    server.stop()


@pytest.mark.browser
def test_admin_rewords_a_check_and_saves_a_new_version(open_page, forms_server, log_in, screenshot):
    page = open_page(forms_server)
    log_in(page, "admin")
    menu(page, "チェックリスト編集")
    expect(page.get_by_role("heading", level=1)).to_have_text("チェックリスト編集")

    page.locator("#onsite-list").get_by_role("link", name="ワイヤーロック", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("wire_lock")
    # A number the self-check sheet does not have: check-forms' own message beside the form, nothing kept.
    page.get_by_label(re.compile("^裏付けるセルフチェック項目")).fill("3, 36")
    page.get_by_role("button", name="下書きに反映").click()
    expect(page.locator(".form-errors .errors li")).to_have_text(
        [re.compile(r"onsite\.toml:\d+: verifies の 36 はセルフチェックの項目番号（1〜35）にありません$")])
    screenshot(page, "39-forms-editor-error")
    page.get_by_label(re.compile("^裏付けるセルフチェック項目")).fill("3")
    page.get_by_label("確認項目の名前").fill("ワイヤーロックと鍵の保管")
    page.get_by_role("button", name="反映してプレビュー").click()

    # The preview: the check as one tablet step, with the self-report it verifies and the result buttons.
    expect(page.get_by_role("heading", level=2)).to_have_text("1 ワイヤーロックと鍵の保管")
    expect(page.locator(".selfreport")).to_contain_text("No.3")
    expect(page.locator(".results button")).to_have_count(6)
    expect(page.locator(".quick .chip").first).to_have_text("鍵が挿したままだった")
    screenshot(page, "40-forms-editor-preview")

    page.get_by_role("link", name="編集に戻る").click()
    page.locator("a.back").click()
    save = page.locator("#onsite-save")
    expect(save.locator("pre.diff")).to_contain_text('+title = "ワイヤーロックと鍵の保管"')
    expect(save.get_by_label("新しい版の名前")).to_have_value("2024.2")
    screenshot(page, "41-forms-editor-draft")
    save.get_by_role("button", name="新しい版として保存").click()

    expect(page.locator(".flash.success")).to_contain_text("版 2024.2 として保存しました")
    expect(page.locator("#onsite-save")).to_contain_text("保存済みの版: 2024.2")
    expect(page.locator("#onsite-save .tag")).to_have_text("下書きなし")
    text = (forms_server.forms_dir / "onsite.toml").read_text(encoding="utf-8")
    assert 'title = "ワイヤーロックと鍵の保管"' in text and 'version = "2024.2"' in text
    assert validate_forms(forms_server.forms_dir) == []
    assert re.search(r"onsite-2024\.1-\d{8}T\d{6}\.toml", page.locator(".flash.success").inner_text())
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"the editor scrolls sideways ({widths[0]} px in {widths[1]} px)"
    screenshot(page, "42-forms-editor-saved")
