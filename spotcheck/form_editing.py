"""Edits to the text of forms/*.toml through tomlkit, so comments and layout survive and the diff stays small.

Each function takes the whole file text and returns the new text; none validates the result
(form_store does that with the same validator as `flask check-forms`).
"""
from __future__ import annotations

import copy
import re
import unicodedata

import tomlkit
from tomlkit.items import AoT, Table, Whitespace

from . import texts
from .checklists import OnsiteCheck

# Long enough for any sentence a tablet screen can show; the validator itself sets no limit.
MAX_FIELD = 1000
FIELD_LABELS = {
    "code": "コード", "title": "確認項目の名前", "how": "確認の方法", "compliant": "適合とする状態",
    "noncompliant": "不適合・重大とする状態", "photo_advice": "撮影についての注意", "quick_remarks": "定型文",
    "verifies": "裏付けるセルフチェック項目", "topic": "見出し", "question": "設問",
}
_NUMBER_SEPARATORS = re.compile(r"[\s,、，]+")
_VERSION_LINE = re.compile(r"\s*version\s*=")


class EditError(ValueError):
    """The edit cannot be made (e.g. no such check); a Japanese sentence."""


def check_from_form(form, code: str) -> tuple[OnsiteCheck, list[str]]:
    """The check an edit form describes, and what in it cannot even be written to the file."""
    problems: list[str] = []
    values = {}
    for key in ("title", "how", "compliant", "noncompliant", "photo_advice"):
        values[key] = (form.get(key) or "").strip()
        if problem := texts.problem(values[key], label=FIELD_LABELS[key], limit=MAX_FIELD):
            problems.append(problem)
    verifies: list[int] = []
    # NFKC: an admin may type full-width digits (３、５) as Japanese input methods do.
    for token in _NUMBER_SEPARATORS.split(unicodedata.normalize("NFKC", form.get("verifies") or "").strip()):
        if not token:
            continue
        if not token.isdigit() or not token.isascii():
            problems.append(f"{FIELD_LABELS['verifies']}の「{token}」は項目番号ではありません（例: 3, 5）。")
        elif int(token) not in verifies:
            verifies.append(int(token))
    remarks = [line.strip() for line in (form.get("quick_remarks") or "").splitlines() if line.strip()]
    for remark in remarks:
        if problem := texts.problem(remark, label=FIELD_LABELS["quick_remarks"], limit=MAX_FIELD):
            problems.append(problem)
    if problem := texts.problem(code, label=FIELD_LABELS["code"], limit=100):
        problems.append(problem)
    check = OnsiteCheck(
        code=code, title=values["title"], verifies=tuple(verifies), applies_to=form.get("applies_to") or "",
        how=values["how"], compliant=values["compliant"], noncompliant=values["noncompliant"],
        photo=form.get("photo") or "", photo_advice=values["photo_advice"], quick_remarks=tuple(remarks),
    )
    return check, problems


def update_check(text: str, code: str, check: OnsiteCheck) -> str:
    """The file with check `code` rewritten to `check` (its code stays)."""
    doc = tomlkit.parse(text)
    _fill(_find(doc, "check", "code", code), check, keep_code=True)
    return doc.as_string()


def add_check(text: str, check: OnsiteCheck) -> str:
    """The file with a new check at the end, laid out like the others."""
    doc = tomlkit.parse(text)
    checks = _tables(doc, "check")
    if not checks:
        raise EditError("[[check]] が1つもないため、追加の見本にする確認項目がありません。「TOMLを直接編集」で追加してください。")
    table = copy.deepcopy(checks[-1])  # the layout of an existing check, every field then replaced
    _fill(table, check, keep_code=False)
    checks.append(table)
    _space_tables(checks)
    return doc.as_string()


def split_check(text: str, code: str, new_code: str) -> str:
    """The file with a copy of check `code`, named `new_code`, right after it; both are then reworded."""
    doc = tomlkit.parse(text)
    checks = _tables(doc, "check")
    index = _index(checks, "code", code)
    twin = copy.deepcopy(checks[index])
    twin["code"] = new_code
    checks.insert(index + 1, twin)
    _space_tables(checks)
    return doc.as_string()


def move_check(text: str, code: str, step: int) -> str:
    """The file with check `code` moved `step` places (-1 up, +1 down); unchanged at either end."""
    doc = tomlkit.parse(text)
    checks = _tables(doc, "check")
    index = _index(checks, "code", code)
    other = index + step
    if 0 <= other < len(checks):
        first, second = checks[index], checks[other]
        checks[index], checks[other] = second, first
        _space_tables(checks)
    return doc.as_string()


def delete_check(text: str, code: str) -> str:
    """The file without check `code`."""
    doc = tomlkit.parse(text)
    checks = _tables(doc, "check")
    del checks[_index(checks, "code", code)]
    _space_tables(checks)
    return doc.as_string()


def update_item(text: str, no: int, topic: str, question: str) -> tuple[str, list[str]]:
    """The self-check file with item `no` reworded, and what cannot be written."""
    topic, question = topic.strip(), question.strip()
    problems = [p for p in (texts.problem(topic, label=FIELD_LABELS["topic"], limit=MAX_FIELD),
                            texts.problem(question, label=FIELD_LABELS["question"], limit=MAX_FIELD)) if p]
    doc = tomlkit.parse(text)
    table = _find(doc, "item", "no", no)
    _set(table, "topic", topic)
    _set(table, "question", question)
    return doc.as_string(), problems


def set_version(text: str, version: str) -> str:
    """The file with its top-level version replaced (added after kind when missing)."""
    doc = tomlkit.parse(text)
    if doc.get("version") != version:
        doc["version"] = version
    return doc.as_string()


def version_line(text: str) -> int:
    """The line of `version =` at the top of the file (1 when none), for 'file:line' messages."""
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith("["):
            break
        if _VERSION_LINE.match(line):
            return number
    return 1


def _tables(doc, name: str) -> AoT:
    found = doc.get(name)
    if not isinstance(found, AoT):
        raise EditError(f"[[{name}]] の表が読み取れません。「TOMLを直接編集」で確かめてください。")
    return found


def _index(tables: AoT, key: str, value) -> int:
    for index, table in enumerate(tables):
        if table.get(key) == value:
            return index
    raise EditError(f"{key} = {value} の項目が見つかりません。")


def _find(doc, name: str, key: str, value) -> Table:
    tables = _tables(doc, name)
    return tables[_index(tables, key, value)]


def _fill(table: Table, check: OnsiteCheck, *, keep_code: bool) -> None:
    """Write the check's fields into a table, touching only the values that differ."""
    if not keep_code:
        _set(table, "code", check.code)
    for key in ("title", "applies_to", "how", "compliant", "noncompliant", "photo"):
        _set(table, key, getattr(check, key))
    if check.photo_advice or "photo_advice" in table:
        _set(table, "photo_advice", check.photo_advice)
    if list(table.get("verifies", ())) != list(check.verifies):
        table["verifies"] = list(check.verifies)  # one line, as the file writes it: [5, 23]
    if list(table.get("quick_remarks", ())) != list(check.quick_remarks):
        table["quick_remarks"] = _text_list(check.quick_remarks)


def _set(table: Table, key: str, value) -> None:
    # An unchanged value is left alone, so its quoting and any comment beside it stay as written.
    if table.get(key) != value:
        table[key] = value


def _text_list(values) -> object:
    """A list of strings laid out as the file does: one per line, two spaces, trailing comma."""
    if not values:
        return tomlkit.array()
    body = "".join(f"  {tomlkit.string(value).as_string()},\n" for value in values)
    return tomlkit.parse(f"x = [\n{body}]\n")["x"]


def _space_tables(tables: AoT) -> None:
    """One blank line between [[…]] tables and none after the last, whatever moved where."""
    for index, table in enumerate(tables):
        body = table.value.body
        while body and body[-1][0] is None and isinstance(body[-1][1], Whitespace):
            body.pop()
        if index < len(tables) - 1:
            table.add(tomlkit.nl())
