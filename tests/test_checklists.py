import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from spotcheck import checklists
from spotcheck.checklists import FormsError, load_checklists, validate_forms

FORMS = Path(__file__).resolve().parent.parent / "forms"
FORM_FILES = ("selfcheck.toml", "onsite.toml", "interview.toml", "coverage.toml")


@pytest.fixture
def shipped():
    return load_checklists(FORMS)


@pytest.fixture
def form_copy(tmp_path):
    """A private copy of the shipped forms that a test may break."""
    copy = tmp_path / "forms"
    copy.mkdir()
    for name in FORM_FILES:
        shutil.copy(FORMS / name, copy / name)
    return copy


def _table_span(lines, table, index):
    headers = [n for n, line in enumerate(lines) if line.startswith("[")]
    if table is None:
        return -1, headers[0]
    start = [n for n, line in enumerate(lines) if line.strip() == f"[[{table}]]"][index]
    return start, next((n for n in headers if n > start), len(lines))


def header_line(path, table, index):
    """1-based line of the index-th [[table]] header."""
    return _table_span(path.read_text(encoding="utf-8").split("\n"), table, index)[0] + 1


def set_key(path, table, index, key, value):
    """Rewrite `key = …` in the index-th [[table]] (None: top level; value None deletes it).

    Returns the line an error about it should name: the key's line, or the
    table header when the key was deleted.
    """
    lines = path.read_text(encoding="utf-8").split("\n")
    start, end = _table_span(lines, table, index)
    for n in range(start + 1, end):
        if lines[n].startswith(f"{key} ="):
            stop = n + 1
            if lines[n].rstrip().endswith("["):  # a list written over several lines
                stop = next(m for m in range(n + 1, end) if lines[m].strip() == "]") + 1
            lines[n:stop] = [] if value is None else [f"{key} = {value}"]
            path.write_text("\n".join(lines), encoding="utf-8")
            return max(start + 1, 1) if value is None else n + 1
    raise AssertionError(f"no {key} in [[{table}]] #{index} of {path}")


# ---------------------------------------------------------------- the shipped forms


def test_shipped_forms_are_valid():
    assert validate_forms(FORMS) == []


def test_selfcheck_has_35_items_in_three_groups(shipped):
    sheet = shipped.selfcheck
    assert [item.no for item in sheet.items] == list(range(1, 36))
    assert [(g.code, g.first, g.last) for g in sheet.groups] == [
        ("pc", 1, 20),
        ("my_number", 21, 27),
        ("outsourcing", 28, 35),
    ]
    assert all(item.topic and len(item.topic) <= 12 for item in sheet.items)
    assert all(item.question.endswith("。") for item in sheet.items)


@pytest.mark.parametrize(
    ("no", "wording"),
    [
        (3, "ワイヤーロック"),
        (7, "情報資産台帳"),
        (9, "ソフトウェア"),
        (10, "インターネット"),
        (17, "BCC"),
        (19, "外部記録媒体"),
    ],
)
def test_items_known_from_the_city_sheet_keep_their_subject(shipped, no, wording):
    assert wording in shipped.selfcheck.item(no).question


def test_item_lookup_and_group_of(shipped):
    sheet = shipped.selfcheck
    assert sheet.group_of(20) == "pc"
    assert sheet.group_of(21) == "my_number"
    assert sheet.group_of(28) == "outsourcing"
    with pytest.raises(KeyError):
        sheet.item(36)
    with pytest.raises(KeyError):
        sheet.answer("E")


@pytest.mark.parametrize(
    ("code", "reported"),
    [
        ("1", "done"),
        ("2", "partly"),
        ("3", "not_done"),
        ("A", "done"),
        ("B", "done"),
        ("C", "not_done"),
        ("D", "unknown_rule"),
        ("N", "na"),
        ("-", "na"),
        ("", "blank"),
    ],
)
def test_answers_say_what_they_mean_for_the_statistics(shipped, code, reported):
    assert shipped.selfcheck.answer(code).reported == reported


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("①", "1"),
        ("1", "1"),
        ("１", "1"),
        ("②", "2"),
        ("３", "3"),
        ("a", "A"),
        ("Ａ", "A"),
        ("ｄ", "D"),
        (" n ", "N"),
        ("-", "-"),
        ("－", "-"),
        ("ー", "-"),
        ("―", "-"),
        ("−", "-"),
        ("対象外", "-"),
        ("", ""),
        ("\u3000", ""),
        (None, ""),
    ],
)
def test_parse_answer_accepts_the_spellings_found_in_city_files(shipped, cell, code):
    assert shipped.selfcheck.parse_answer(cell) == code


@pytest.mark.parametrize("cell", ["4", "E", "◎", "⑪", "はい", "AB", "1.0"])
def test_parse_answer_rejects_cells_on_no_scale(shipped, cell):
    assert shipped.selfcheck.parse_answer(cell) is None


def test_onsite_has_one_check_per_evidence_row(shipped):
    assert [check.code for check in shipped.onsite.checks] == [
        "wire_lock",
        "asset_ledger_match",
        "unattended_screen",
        "clear_desk",
        "password_notes",
        "cabinet_locking",
        "external_media",
        "installed_software",
        "antivirus_status",
        "outgoing_group_mail",
        "takeout_log",
        "counter_visibility",
        "scrap_paper",
        "lan_devices",
        "three_question_quiz",
        "outsourcing_file",
    ]


def test_every_check_verifies_existing_selfcheck_items(shipped):
    numbers = {item.no for item in shipped.selfcheck.items}
    for check in shipped.onsite.checks:
        assert check.verifies and set(check.verifies) <= numbers, check.code
    assert shipped.onsite.check("outsourcing_file").verifies == tuple(range(28, 36))


def test_result_scale_is_the_six_codes_and_only_failures_open_findings(shipped):
    results = shipped.onsite.results
    assert [r.code for r in results] == list(checklists.RESULT_CODES)
    assert [r.label for r in results] == ["適合", "観察事項", "不適合", "重大", "該当なし", "確認不可"]
    assert [r.code for r in results if r.finding] == ["nonconformity", "major"]
    assert shipped.onsite.result("major").severity > shipped.onsite.result("nonconformity").severity


def test_password_notes_are_never_photographed(shipped):
    check = shipped.onsite.check("password_notes")
    assert check.photo == "never"
    assert "絶対に撮影しない" in check.photo_advice


def test_checks_that_allow_photos_carry_privacy_advice(shipped):
    for check in shipped.onsite.checks:
        assert check.photo in ("allowed", "never", "none")
        if check.photo != "none":
            assert check.photo_advice, check.code
        assert 3 <= len(check.quick_remarks) <= 5, check.code


@pytest.mark.parametrize(
    ("flags", "included", "excluded"),
    [
        (
            {"uses_pc": False, "my_number": False, "outsourced": False},
            {"clear_desk", "cabinet_locking", "three_question_quiz"},
            {"wire_lock", "counter_visibility", "outsourcing_file"},
        ),
        (
            {"uses_pc": True, "my_number": False, "outsourced": False},
            {"clear_desk", "wire_lock", "external_media", "antivirus_status"},
            {"counter_visibility", "scrap_paper", "outsourcing_file"},
        ),
        (
            {"uses_pc": False, "my_number": True, "outsourced": False},
            {"clear_desk", "counter_visibility", "scrap_paper"},
            {"wire_lock", "outsourcing_file"},
        ),
        (
            {"uses_pc": False, "my_number": False, "outsourced": True},
            {"clear_desk", "outsourcing_file"},
            {"wire_lock", "counter_visibility"},
        ),
    ],
)
def test_applicable_filters_checks_by_pc_use_and_section(shipped, flags, included, excluded):
    codes = {check.code for check in shipped.onsite.applicable(**flags)}
    assert included <= codes
    assert not excluded & codes


def test_applicable_keeps_checklist_order_and_everything_applies_to_everyone_flagged(shipped):
    every = shipped.onsite.applicable(uses_pc=True, my_number=True, outsourced=True)
    assert every == shipped.onsite.checks


@pytest.mark.parametrize(
    ("part", "from_dict"),
    [("selfcheck", checklists.selfcheck_from_dict), ("onsite", checklists.onsite_from_dict)],
)
def test_snapshot_round_trips_through_json_unchanged(shipped, part, from_dict):
    original = getattr(shipped, part)
    stored = json.loads(json.dumps(checklists.to_dict(original), ensure_ascii=False))
    restored = from_dict(stored)
    assert restored == original
    assert checklists.digest(restored) == checklists.digest(original) == checklists.digest(stored)


def test_restored_snapshot_still_parses_answers(shipped):
    stored = json.loads(json.dumps(checklists.to_dict(shipped.selfcheck)))
    assert checklists.selfcheck_from_dict(stored).parse_answer("①") == "1"


def test_digest_is_sha256_of_canonical_json(shipped):
    canonical = json.dumps(
        checklists.to_dict(shipped.onsite), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    assert checklists.digest(shipped.onsite) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_digest_changes_when_wording_changes(shipped):
    sheet = shipped.selfcheck
    reworded = dataclasses.replace(sheet, title=sheet.title + "（改訂）")
    assert checklists.digest(reworded) != checklists.digest(sheet)


def test_loaded_checklists_cannot_be_modified(shipped):
    with pytest.raises(dataclasses.FrozenInstanceError):
        shipped.selfcheck.items[0].question = "書き換え"


# ---------------------------------------------------------------- broken forms


@pytest.mark.parametrize(
    ("name", "table", "index", "key", "value", "message"),
    [
        pytest.param(
            "selfcheck.toml", "item", 34, "no", "36", "項目番号 36 は 1〜35 の範囲外です",
            id="item-out-of-range",
        ),
        pytest.param(
            "selfcheck.toml", "item", 11, "no", "11", "項目番号 11 が重複しています",
            id="item-duplicate",
        ),
        pytest.param(
            "selfcheck.toml", "item", 4, "no", '"5"', "no は整数で書いてください",
            id="item-number-as-text",
        ),
        pytest.param(
            "selfcheck.toml", "item", 2, "group", '"pcs"',
            'group = "pcs" は [[group]] に定義されていません',
            id="item-unknown-group",
        ),
        pytest.param(
            "selfcheck.toml", "item", 21, "group", '"pc"',
            '項目番号 22 の group = "pc" は、同じグループの項目と番号が続いていません',
            id="item-group-not-contiguous",
        ),
        pytest.param(
            "selfcheck.toml", "item", 0, "question", '""', "question が空です",
            id="item-empty-question",
        ),
        pytest.param(
            "selfcheck.toml", "item", 0, "question", None, "question がありません",
            id="item-missing-question",
        ),
        pytest.param(
            "selfcheck.toml", "item", 2, "topic", '"デスクトップパソコンのワイヤーロック"',
            "topic は 12 文字以内にしてください（18 文字あります）",
            id="item-topic-too-long",
        ),
        pytest.param(
            "selfcheck.toml", None, 0, "kind", '"onsite"',
            'kind は "selfcheck" にしてください（"onsite" と書かれています）',
            id="selfcheck-wrong-kind",
        ),
        pytest.param(
            "selfcheck.toml", None, 0, "version", None, "version がありません",
            id="selfcheck-missing-version",
        ),
        pytest.param(
            "selfcheck.toml", "group", 1, "code", '"mynumber"',
            'code = "mynumber" は使えません（"pc"、"my_number"、"outsourcing" のいずれかにしてください）',
            id="group-unknown-code",
        ),
        pytest.param(
            "selfcheck.toml", "answer", 4, "code", '"A"', 'code = "A" が他の回答と重複しています',
            id="answer-duplicate-code",
        ),
        pytest.param(
            "selfcheck.toml", "answer", 3, "aliases", '["A", "１"]',
            '別名 "１"（正規化すると "1"）は回答 "1" の別名と重なっています',
            id="answer-alias-clash-after-nfkc",
        ),
        pytest.param(
            "selfcheck.toml", "answer", 0, "reported", '"ok"',
            'reported = "ok" は使えません（"done"、"partly"、"not_done"、"unknown_rule"、"na"、"blank"'
            " のいずれかにしてください）",
            id="answer-unknown-reported",
        ),
        pytest.param(
            "onsite.toml", None, 0, "kind", '"selfcheck"',
            'kind は "onsite" にしてください（"selfcheck" と書かれています）',
            id="onsite-wrong-kind",
        ),
        pytest.param(
            "onsite.toml", "check", 0, "code", '"Wire-Lock"',
            'code = "Wire-Lock" は英小文字・数字・_ だけの snake_case で書いてください（例 "wire_lock"）',
            id="check-code-not-snake-case",
        ),
        pytest.param(
            "onsite.toml", "check", 1, "code", '"wire_lock"',
            'code = "wire_lock" が他の確認項目と重複しています',
            id="check-duplicate-code",
        ),
        pytest.param(
            "onsite.toml", "check", 0, "verifies", "[3, 36]",
            "verifies の 36 はセルフチェックの項目番号（1〜35）にありません",
            id="check-verifies-unknown-item",
        ),
        pytest.param(
            "onsite.toml", "check", 0, "verifies", '["3"]',
            "verifies は整数のリスト（[1, 2]）で書いてください",
            id="check-verifies-as-text",
        ),
        pytest.param(
            "onsite.toml", "check", 0, "applies_to", '"everyone"',
            'applies_to = "everyone" は使えません（"all"、"pc"、"my_number"、"outsourcing"'
            " のいずれかにしてください）",
            id="check-unknown-applies-to",
        ),
        pytest.param(
            "onsite.toml", "check", 0, "photo", '"sometimes"',
            'photo = "sometimes" は使えません（"allowed"、"never"、"none" のいずれかにしてください）',
            id="check-unknown-photo",
        ),
        pytest.param(
            "onsite.toml", "check", 0, "photo_advice", '""',
            'photo = "allowed" のときは photo_advice（撮影についての注意）を書いてください',
            id="check-photo-without-advice",
        ),
        pytest.param(
            "onsite.toml", "check", 0, "photo_advice", None,
            'photo = "allowed" のときは photo_advice（撮影についての注意）を書いてください',
            id="check-photo-advice-missing",
        ),
        pytest.param(
            "onsite.toml", "check", 0, "quick_remarks", '"鍵が挿したままだった"',
            'quick_remarks は文字列のリスト（["…", "…"]）で書いてください',
            id="check-remarks-not-a-list",
        ),
        pytest.param(
            "onsite.toml", "result", 2, "code", '"minor"',
            'code = "minor" は使えません（"ok"、"observation"、"nonconformity"、"major"、"na"、'
            '"unverifiable" のいずれかにしてください）',
            id="result-unknown-code",
        ),
        pytest.param(
            "onsite.toml", "result", 3, "finding", '"yes"', "finding は true か false で書いてください",
            id="result-finding-not-bool",
        ),
        pytest.param(
            "onsite.toml", "result", 0, "severity", "true", "severity は整数で書いてください",
            id="result-severity-bool",
        ),
        pytest.param(
            "onsite.toml", "result", 1, "finding", "true",
            'code = "observation" は指摘事項にできません。finding = true にできるのは "nonconformity"、"major" だけです'
            "（改善報告の追跡がこの2つを前提にしています）",
            id="result-finding-only-nonconformity-or-major",
        ),
    ],
)
def test_bad_form_is_rejected_with_file_and_line(form_copy, name, table, index, key, value, message):
    path = form_copy / name
    line = set_key(path, table, index, key, value)
    errors = validate_forms(form_copy)
    assert f"{path}:{line}: {message}" in errors
    with pytest.raises(FormsError) as raised:
        load_checklists(form_copy)
    assert raised.value.errors == errors


def test_item_36_is_rejected_with_line_number(form_copy):
    path = form_copy / "selfcheck.toml"
    line = set_key(path, "item", 34, "no", "36")
    assert validate_forms(form_copy) == [
        f"{path}:{header_line(path, 'item', 34)}: 項目番号 35 がありません",
        f"{path}:{line}: 項目番号 36 は 1〜35 の範囲外です",
    ]


def test_duplicate_item_number_also_names_the_gap_where_it_belongs(form_copy):
    path = form_copy / "selfcheck.toml"
    line = set_key(path, "item", 11, "no", "11")
    assert validate_forms(form_copy) == [
        f"{path}:{line}: 項目番号 11 が重複しています",
        f"{path}:{header_line(path, 'item', 12)}: 項目番号 12 がありません",
    ]


def test_missing_result_code_is_named(form_copy):
    path = form_copy / "onsite.toml"
    set_key(path, "result", 2, "code", '"minor"')
    errors = validate_forms(form_copy)
    assert f'{path}:{header_line(path, "result", 0)}: 結果区分 "nonconformity" がありません' in errors


def test_wrong_kind_stops_checking_that_file_only(form_copy):
    path = form_copy / "selfcheck.toml"
    line = set_key(path, None, 0, "kind", '"onsite"')
    assert validate_forms(form_copy) == [
        f'{path}:{line}: kind は "selfcheck" にしてください（"onsite" と書かれています）'
    ]


def test_misspelt_key_is_reported_as_unknown(form_copy):
    path = form_copy / "selfcheck.toml"
    lines = path.read_text(encoding="utf-8").split("\n")
    n = next(n for n, line in enumerate(lines) if line.startswith("question ="))
    lines[n] = lines[n].replace("question =", "questoin =")
    path.write_text("\n".join(lines), encoding="utf-8")
    assert validate_forms(form_copy) == [
        f"{path}:{header_line(path, 'item', 0)}: question がありません",
        f"{path}:{n + 1}: 不明なキー questoin があります（書き間違いではありませんか）",
    ]


def test_toml_syntax_error_reports_its_line(form_copy):
    path = form_copy / "onsite.toml"
    line = set_key(path, None, 0, "title", '"実地監査 確認項目')  # closing quote lost
    errors = validate_forms(form_copy)
    assert len(errors) == 1
    assert errors[0].startswith(f"{path}:{line}: TOML の書式エラー: ")


def test_missing_file_is_reported(form_copy):
    (form_copy / "onsite.toml").unlink()
    assert validate_forms(form_copy) == [f"{form_copy / 'onsite.toml'}: ファイルが見つかりません"]


def test_file_saved_as_shift_jis_is_rejected(form_copy):
    path = form_copy / "selfcheck.toml"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp932", errors="replace"))
    assert validate_forms(form_copy) == [
        f"{path}:1: 文字コードが UTF-8 ではありません。UTF-8 で保存し直してください"
    ]


def test_file_saved_with_a_bom_is_accepted(form_copy):
    path = form_copy / "onsite.toml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert validate_forms(form_copy) == []


def test_all_problems_in_both_files_are_reported_together(form_copy):
    selfcheck, onsite = form_copy / "selfcheck.toml", form_copy / "onsite.toml"
    topic = set_key(selfcheck, "item", 5, "topic", '""')
    reported = set_key(selfcheck, "answer", 1, "reported", '"half"')
    applies = set_key(onsite, "check", 3, "applies_to", '"desk"')
    verifies = set_key(onsite, "check", 7, "verifies", "[0]")
    with pytest.raises(FormsError) as raised:
        load_checklists(form_copy)
    errors = raised.value.errors
    assert [error.split(": ")[0] for error in errors] == [
        f"{selfcheck}:{reported}",
        f"{selfcheck}:{topic}",
        f"{onsite}:{applies}",
        f"{onsite}:{verifies}",
    ]
    assert str(raised.value) == "\n".join(errors)


def test_errors_name_the_path_as_given(form_copy, monkeypatch):
    monkeypatch.chdir(form_copy.parent)
    set_key(form_copy / "selfcheck.toml", "item", 34, "no", "36")
    errors = validate_forms("forms")
    assert errors and all(e.startswith(f"{Path('forms', 'selfcheck.toml')}:") for e in errors)
