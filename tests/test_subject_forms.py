"""forms/section.toml and forms/contract.toml: read like onsite.toml, errors as file:line, shown by check-forms."""
import shutil
from pathlib import Path

from spotcheck.checklists import load_checklists, validate_forms

FORMS = Path(__file__).resolve().parent.parent / "forms"


def copy_forms(tmp_path):
    target = tmp_path / "forms"
    shutil.copytree(FORMS, target)
    return target


def test_shipped_section_form_covers_items_21_to_27_and_the_contract_form_28_to_35_one_check_each():
    loaded = load_checklists(FORMS)
    covered = {no for check in loaded.section.checks for no in check.verifies}
    assert set(range(21, 28)) | {5, 7, 14} <= covered
    contract = [check.verifies for check in loaded.contract.checks]
    assert sorted(no for verifies in contract for no in verifies) == list(range(28, 36))
    for form in (loaded.section, loaded.contract):
        assert [r.code for r in form.results] == [r.code for r in loaded.onsite.results]
        for check in form.checks:
            assert check.how and check.compliant and "重大" in check.noncompliant
            assert check.photo == "none" or check.photo_advice


def test_errors_in_a_subject_form_name_file_and_line(tmp_path):
    forms = copy_forms(tmp_path)
    path = forms / "section.toml"
    lines = path.read_text(encoding="utf-8").split("\n")
    number = lines.index('code = "mn_cabinet"') + 1
    lines[number - 1] = 'code = "Cabinet!"'
    path.write_text("\n".join(lines), encoding="utf-8")
    (forms / "contract.toml").write_text((forms / "contract.toml").read_text(encoding="utf-8")
                                         .replace('kind = "contract"', 'kind = "onsite"'), encoding="utf-8")
    errors = validate_forms(forms)
    assert any(e.startswith(f"{path}:{number}: code = \"Cabinet!\"") for e in errors), errors
    assert any(e.startswith(f"{forms / 'contract.toml'}:") and 'kind は "contract" にしてください' in e
               for e in errors), errors


def test_an_absent_subject_form_is_not_offered_and_check_forms_says_so(tmp_path, runner):
    forms = copy_forms(tmp_path)
    (forms / "contract.toml").unlink()
    assert load_checklists(forms).contract is None and validate_forms(forms) == []
    result = runner.invoke(args=["check-forms", str(forms)])
    assert result.exit_code == 0
    assert "section.toml: 所属監査 確認項目（版 2024.1、確認項目 10 件）" in result.output
    assert "contract.toml: ありません" in result.output
