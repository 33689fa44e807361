"""Coverage: every self-check item is checked on site, asked in the interview, or listed as not checked on site."""
import shutil
from pathlib import Path

import pytest

from spotcheck import coverage
from spotcheck.checklists import load_checklists, validate_forms
from tests.test_checklists import set_key

ROOT = Path(__file__).resolve().parent.parent
FORMS = ROOT / "forms"


@pytest.fixture
def forms_copy(tmp_path):
    copy = tmp_path / "forms"
    shutil.copytree(FORMS, copy)
    return copy


def drop_covers(path, item):
    """Take `item` out of every question's covers (a question left with none loses its place too)."""
    text = path.read_text(encoding="utf-8")
    for before, after in ((f"covers = [{item}]", "covers = [1]"), (f"[{item}, ", "["), (f", {item}]", "]")):
        text = text.replace(before, after)
    path.write_text(text, encoding="utf-8")


def test_shipped_forms_cover_every_item():
    forms = load_checklists(FORMS)
    rows, problems = coverage.load(FORMS, forms)
    assert problems == [] and [row.no for row in rows] == list(range(1, 36))
    by_no = {row.no: row for row in rows}
    for no in (1, 2, 8, 10, 12, 15, 16):  # nothing to look at: only the interview tests these
        assert by_no[no].questions and not by_no[no].checks
    for no in (21, 25, 27):  # asked of the person, and checked in the section's room and ledgers
        assert by_no[no].questions and {c.kind for c in by_no[no].checks} == {"section"}
    assert [c.code for c in by_no[3].checks] == ["wire_lock"]


def test_check_forms_prints_the_coverage_table(runner):
    result = runner.invoke(args=["check-forms", str(FORMS)])
    assert result.exit_code == 0, result.output
    assert "セルフチェック項目の実地での確認範囲:" in result.output
    assert "  No. 3 ワイヤーロック: 職員の確認「ワイヤーロック」" in result.output
    assert "  No.12 不審メールへの対応: 聞き取り suspicious_mail_action・suspicious_mail_opened・suspicious_mail_signs" in result.output
    assert "  No.25 目的外利用の禁止: 所属の確認「照会・閲覧の記録の点検」、聞き取り my_number_lookup・my_number_log" in result.output


def test_an_item_neither_checked_nor_asked_nor_listed_fails_in_japanese(runner, forms_copy):
    drop_covers(forms_copy / "interview.toml", 12)
    path = forms_copy / "coverage.toml"
    last = len(path.read_text(encoding="utf-8").rstrip("\n").split("\n"))
    message = (f"{path}:{last}: セルフチェックの項目 No.12 は、実地の確認項目（verifies）にも聞き取りの質問（covers）にもなく、"
               "「実地では確認しない」にも書かれていません。確認項目か質問を加えるか、[[not_onsite]] に理由とともに書いてください")
    assert validate_forms(forms_copy) == [message]
    result = runner.invoke(args=["check-forms", str(forms_copy)])
    assert result.exit_code == 1 and message in result.output


def test_an_item_listed_as_not_checked_on_site_is_shown_with_its_reason(runner, forms_copy):
    drop_covers(forms_copy / "interview.toml", 12)
    with open(forms_copy / "coverage.toml", "a", encoding="utf-8") as handle:
        handle.write('\n[[not_onsite]]\nno = 12\nreason = "標的型メール訓練の結果で確認するため"\n')
    assert validate_forms(forms_copy) == []
    result = runner.invoke(args=["check-forms", str(forms_copy)])
    assert "  No.12 不審メールへの対応: 実地では確認しない（標的型メール訓練の結果で確認するため）" in result.output


def test_listing_an_item_that_is_checked_on_site_is_an_error(forms_copy):
    path = forms_copy / "coverage.toml"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('\n[[not_onsite]]\nno = 3\nreason = "不要"\n')
    line = len(path.read_text(encoding="utf-8").split("\n")) - 2
    assert validate_forms(forms_copy) == [
        f"{path}:{line}: No.3 ワイヤーロック は実地で確認しています（職員の確認「ワイヤーロック」）。[[not_onsite]] から外してください"]


def test_removing_an_onsite_check_uncovers_its_items(forms_copy):
    path = forms_copy / "onsite.toml"
    set_key(path, "check", 0, "verifies", "[4]")  # the wire lock no longer says it verifies item 3
    errors = validate_forms(forms_copy)
    assert len(errors) == 1 and "項目 No.3 は" in errors[0]


def test_every_onsite_kind_counts():
    """A section or contract checklist (another visit kind) covers items just as the person's does."""
    import dataclasses
    forms = load_checklists(FORMS)
    only_three = dataclasses.replace(forms.onsite, checks=(forms.onsite.check("wire_lock"),))
    with_section = dataclasses.replace(forms, section=only_three, contract=None)
    assert [c.kind for c in coverage.table(with_section, {})[2].checks] == ["onsite", "section"]


def test_readme_shows_the_current_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = coverage.load(FORMS, load_checklists(FORMS))[0]
    assert coverage.with_table(readme, rows) == readme, "flask --app app check-forms --readme README.md で表を更新してください"
