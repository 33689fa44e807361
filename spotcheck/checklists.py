"""Load and validate the checklist definitions in forms/*.toml into frozen dataclasses."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, fields, is_dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # interview_bank imports _FormFile from here
    from .interview_bank import InterviewBank

# Fixed in code rather than in forms/: the city's result files have columns
# 1..35, and imports, the draw and the reports all refer to these numbers.
ITEM_COUNT = 35
TOPIC_MAX_CHARS = 12  # topics are column headings on the tablet and in reports

# The app maps a person to these (PC user, section flags), so they are fixed too.
GROUP_CODES = ("pc", "my_number", "outsourcing")
APPLIES_TO = ("all", *GROUP_CODES)
SCALES = ("three", "fine", "special")
REPORTED = ("done", "partly", "not_done", "unknown_rule", "na", "blank")
# The one rule for "not done" (③, C, D): an answer whose `reported` meaning is one of these.
NOT_DONE_REPORTED = ("not_done", "unknown_rule")
# Cross-checks and follow-ups are keyed by these codes; forms/ may relabel them only.
RESULT_CODES = ("ok", "observation", "nonconformity", "major", "na", "unverifiable")
# The follow-up table and its due dates know only these two, so only they may be marked `finding`.
FINDING_CODES = ("nonconformity", "major")
PHOTO = ("allowed", "never", "none")
PHOTO_NEEDS_ADVICE = ("allowed", "never")

_SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


@dataclass(frozen=True)
class AnswerOption:
    """One answer a self-check cell may hold, and what it means in the statistics."""

    code: str
    label: str
    aliases: tuple[str, ...]
    scale: str
    reported: str


@dataclass(frozen=True)
class SelfCheckItem:
    """One numbered question of the self-check sheet."""

    no: int
    group: str
    topic: str
    question: str


@dataclass(frozen=True)
class Group:
    """A block of self-check items that applies to some staff only."""

    code: str
    label: str
    first: int
    last: int


@dataclass(frozen=True)
class SelfCheckSheet:
    """The self-check sheet: its groups, answer scales and items."""

    version: str
    title: str
    groups: tuple[Group, ...]
    answers: tuple[AnswerOption, ...]
    items: tuple[SelfCheckItem, ...]

    def item(self, no: int) -> SelfCheckItem:
        """The item numbered `no`; KeyError if the sheet has none."""
        for item in self.items:
            if item.no == no:
                return item
        raise KeyError(no)

    def answer(self, code: str) -> AnswerOption:
        """The answer option with this code; KeyError if there is none."""
        for option in self.answers:
            if option.code == code:
                return option
        raise KeyError(code)

    def is_not_done(self, code: str | None) -> bool:
        """Whether this answer code says the rule is not followed (③, C, D: see NOT_DONE_REPORTED)."""
        return code in self.not_done_codes

    @cached_property
    def not_done_codes(self) -> frozenset[str]:
        """The answer codes that mean "not done", read from each answer's `reported`."""
        return frozenset(a.code for a in self.answers if a.reported in NOT_DONE_REPORTED)

    def parse_answer(self, cell: str | None) -> str | None:
        """The answer code a spreadsheet cell stands for, or None when it is on no scale."""
        return self._code_by_alias.get(_answer_key(cell))

    def group_of(self, no: int) -> str:
        """The group code of item `no`."""
        return self.item(no).group

    @cached_property
    def _code_by_alias(self) -> dict[str, str]:
        # Built once per sheet: an import looks up 35 cells for every person.
        return {
            _answer_key(alias): option.code
            for option in self.answers
            for alias in option.aliases
        }


@dataclass(frozen=True)
class ResultOption:
    """One on-site result; `finding` results are followed up until fixed."""

    code: str
    label: str
    severity: int
    finding: bool


@dataclass(frozen=True)
class OnsiteCheck:
    """One piece of evidence an auditor checks on the spot."""

    code: str
    title: str
    verifies: tuple[int, ...]
    applies_to: str
    how: str
    compliant: str
    noncompliant: str
    photo: str
    photo_advice: str
    quick_remarks: tuple[str, ...]


@dataclass(frozen=True)
class OnsiteChecklist:
    """The on-site result scale and evidence checks."""

    version: str
    title: str
    results: tuple[ResultOption, ...]
    checks: tuple[OnsiteCheck, ...]

    def check(self, code: str) -> OnsiteCheck:
        """The check with this code; KeyError if there is none."""
        for check in self.checks:
            if check.code == code:
                return check
        raise KeyError(code)

    def result(self, code: str) -> ResultOption:
        """The result option with this code; KeyError if there is none."""
        for result in self.results:
            if result.code == code:
                return result
        raise KeyError(code)

    def label(self, code: str) -> str:
        """The result's label as this checklist words it ("" for no result yet)."""
        return self.result(code).label if code else ""

    def is_finding(self, code: str | None) -> bool:
        """Whether this result is a finding (`finding = true`): followed up until fixed."""
        return any(r.code == code and r.finding for r in self.results)

    @property
    def findings(self) -> tuple[ResultOption, ...]:
        """The finding results, lightest first (by `severity`): the sheet's 区分 tick boxes."""
        return tuple(sorted((r for r in self.results if r.finding), key=lambda r: r.severity))

    def applicable(
        self, *, uses_pc: bool, my_number: bool, outsourced: bool
    ) -> tuple[OnsiteCheck, ...]:
        """The checks that apply to a person, in checklist order."""
        applies = {
            "all": True,
            "pc": uses_pc,
            "my_number": my_number,
            "outsourcing": outsourced,
        }
        return tuple(check for check in self.checks if applies[check.applies_to])


@dataclass(frozen=True)
class Checklists:
    """Both checklist definitions, as loaded together from forms/."""

    selfcheck: SelfCheckSheet
    onsite: OnsiteChecklist
    section: OnsiteChecklist | None = None  # forms/section.toml (subject_forms.py), when present
    contract: OnsiteChecklist | None = None  # forms/contract.toml (subject_forms.py), when present
    interview: InterviewBank | None = None  # forms/interview.toml; None only when built by hand


class FormsError(Exception):
    """The forms/ files are invalid; `.errors` lists every problem as 'path:line: 内容'."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(list(errors))
        self.errors = list(errors)

    def __str__(self) -> str:
        return "\n".join(self.errors)


def load_checklists(forms_dir: str | os.PathLike[str]) -> Checklists:
    """Read and validate forms_dir/selfcheck.toml and onsite.toml; FormsError lists all problems."""
    checklists, errors = _load(Path(forms_dir))
    if errors:
        raise FormsError(errors)
    return checklists


def validate_forms(forms_dir: str | os.PathLike[str]) -> list[str]:
    """Every problem in forms_dir/*.toml as 'path:line: 内容'; empty when the forms are valid."""
    return _load(Path(forms_dir))[1]


def to_dict(obj: Any) -> Any:
    """A JSON-able copy of a checklist dataclass, for the snapshot a campaign pins."""
    if is_dataclass(obj):
        return {field.name: to_dict(getattr(obj, field.name)) for field in fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(value) for value in obj]
    return obj


def selfcheck_from_dict(d: dict[str, Any]) -> SelfCheckSheet:
    """Rebuild a SelfCheckSheet from to_dict() output."""
    return SelfCheckSheet(
        version=d["version"],
        title=d["title"],
        groups=tuple(Group(**group) for group in d["groups"]),
        answers=tuple(
            AnswerOption(**{**answer, "aliases": tuple(answer["aliases"])})
            for answer in d["answers"]
        ),
        items=tuple(SelfCheckItem(**item) for item in d["items"]),
    )


def onsite_from_dict(d: dict[str, Any]) -> OnsiteChecklist:
    """Rebuild an OnsiteChecklist from to_dict() output."""
    return OnsiteChecklist(
        version=d["version"],
        title=d["title"],
        results=tuple(ResultOption(**result) for result in d["results"]),
        checks=tuple(
            OnsiteCheck(
                **{
                    **check,
                    "verifies": tuple(check["verifies"]),
                    "quick_remarks": tuple(check["quick_remarks"]),
                }
            )
            for check in d["checks"]
        ),
    )


def digest(obj: Any) -> str:
    """SHA-256 hex of the canonical JSON of a checklist (dataclass or its to_dict())."""
    data = obj if isinstance(obj, dict) else to_dict(obj)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _answer_key(cell: str | None) -> str:
    # NFKC turns full-width 'Ａ'/'１' and circled '①' into 'A'/'1'; an empty
    # spreadsheet cell arrives as None from openpyxl.
    text = "" if cell is None else str(cell)
    return unicodedata.normalize("NFKC", text).strip().upper()


def _show(value: Any) -> str:
    # Values appear in messages as they would be written in the TOML file.
    return json.dumps(value, ensure_ascii=False)


def _choices(values: tuple[str, ...]) -> str:
    return "、".join(_show(value) for value in values)


def _number_ranges(numbers: list[int]) -> str:
    # "12、21〜27" reads better than a list of eight numbers.
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return "、".join(str(run[0]) if len(run) == 1 else f"{run[0]}〜{run[-1]}" for run in runs)


# ---------------------------------------------------------------- reading one file

_TOML_POSITION = re.compile(
    r"\s*\(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$"
)
_TABLE_HEADER = re.compile(r"\s*\[(?P<array>\[)?\s*(?P<name>[\w.\-]+)\s*\]\]?\s*(?:#.*)?")

# value checks for _FormFile.field(): (test, how to write it, may a string be "")
_EXPECTED = {
    "text": (lambda v: isinstance(v, str), "文字列（\"…\"）", False),
    "text_or_empty": (lambda v: isinstance(v, str), "文字列（\"…\"）", True),
    "int": (lambda v: type(v) is int, "整数", True),  # `type is`: TOML true is a bool, not 1
    "bool": (lambda v: type(v) is bool, " true か false ", True),
    "texts": (
        lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "文字列のリスト（[\"…\", \"…\"]）",
        True,
    ),
    "ints": (
        lambda v: isinstance(v, list) and all(type(x) is int for x in v),
        "整数のリスト（[1, 2]）",
        True,
    ),
}


class _FormFile:
    """One forms/*.toml file: its data, its lines, and the problems found in it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {}
        self.lines: list[str] = []
        self.headers: list[tuple[int, str | None]] = []  # (line, [[name]] or None for [table])
        self.problems: list[tuple[int | None, str]] = []

    def read(self) -> bool:
        """Parse the file; False (with the problem recorded) when it cannot be read."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            self.problem(None, "ファイルが見つかりません")
            return False
        except OSError as exc:
            self.problem(None, f"ファイルを読み込めません（{exc.strerror}）")
            return False
        try:
            # utf-8-sig: Windows editors may save a BOM, which TOML itself rejects.
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self.problem(line, "文字コードが UTF-8 ではありません。UTF-8 で保存し直してください")
            return False
        # Split on "\n" only, as tomllib counts lines; splitlines() would also
        # split on characters such as U+2028 inside strings.
        self.lines = text.split("\n")
        try:
            self.data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            self._syntax_problem(str(exc))
            return False
        for number, line in enumerate(self.lines, start=1):
            match = _TABLE_HEADER.fullmatch(line.rstrip("\r"))
            if match:
                self.headers.append((number, match["name"] if match["array"] else None))
        return True

    def _syntax_problem(self, message: str) -> None:
        # tomllib has no line attribute before Python 3.14; the position is in the text.
        match = _TOML_POSITION.search(message)
        what = message[: match.start()] if match else message
        if match and match["line"]:
            line = int(match["line"])
            what += f"（{match['column']} 文字目）"
        else:  # "at end of document": the last line that has text
            line = max(1, len(self.lines) - (self.lines[-1] == ""))
        self.problem(line, f"TOML の書式エラー: {what}")

    def problem(self, line: int | None, message: str) -> None:
        """Record a problem at a line (None: the file as a whole)."""
        self.problems.append((line, message))

    def messages(self) -> list[str]:
        """The problems as 'path:line: 内容', in line order."""
        ordered = sorted(self.problems, key=lambda problem: problem[0] or 0)
        return [
            f"{self.path}: {message}" if line is None else f"{self.path}:{line}: {message}"
            for line, message in ordered
        ]

    def line(self, table: str | None, index: int = 0, key: str | None = None) -> int:
        """Line of the index-th [[table]] header or of `key =` in it; table None is the top level."""
        if table is None:
            start = 0
            end = self.headers[0][0] if self.headers else len(self.lines) + 1
        else:
            starts = [number for number, name in self.headers if name == table]
            if index >= len(starts):
                return 1  # e.g. an inline array of tables: no header to point at
            start = starts[index]
            end = next((n for n, _ in self.headers if n > start), len(self.lines) + 1)
        if key is not None:
            assignment = re.compile(rf'\s*(?:{re.escape(key)}|"{re.escape(key)}")\s*=')
            for number in range(start + 1, end):
                if assignment.match(self.lines[number - 1]):
                    return number
        return max(start, 1)

    def tables(self, name: str) -> list[dict[str, Any]]:
        """The [[name]] tables of the file; a problem when there are none."""
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
            self.problem(self.line(None, key=name), f"{name} は [[{name}]] の表として書いてください")
            return []
        if not value:
            self.problem(1, f"[[{name}]] が1つもありません")
        return value

    def field(
        self,
        table: dict[str, Any],
        key: str,
        expected: str,
        where: tuple[str | None, int],
        *,
        optional: bool = False,
    ) -> Any:
        """table[key] when present and well-typed; otherwise None, with a problem recorded."""
        if key not in table:
            if not optional:
                self.problem(self.line(*where), f"{key} がありません")
            return None
        value = table[key]
        is_valid, how_to_write, may_be_empty = _EXPECTED[expected]
        if not is_valid(value):
            self.problem(self.line(*where, key), f"{key} は{how_to_write}で書いてください")
            return None
        if not may_be_empty and not value.strip():
            self.problem(self.line(*where, key), f"{key} が空です")
            return None
        return value

    def choice(
        self,
        table: dict[str, Any],
        key: str,
        choices: tuple[str, ...],
        where: tuple[str | None, int],
    ) -> str | None:
        """table[key] when it is one of `choices`; otherwise None, with a problem recorded."""
        value = self.field(table, key, "text", where)
        if value is not None and value not in choices:
            self.problem(
                self.line(*where, key),
                f"{key} = {_show(value)} は使えません（{_choices(choices)} のいずれかにしてください）",
            )
            return None
        return value

    def unknown_keys(
        self, table: dict[str, Any], known: set[str], where: tuple[str | None, int]
    ) -> None:
        """Report keys the format does not define: a misspelt optional key would go unnoticed."""
        for key in table:
            if key not in known:
                self.problem(
                    self.line(*where, key), f"不明なキー {key} があります（書き間違いではありませんか）"
                )

    def top(self, kind: str, known: set[str]) -> tuple[str | None, str | None] | None:
        """(version, title) of the file, or None when it is a different kind of form."""
        found = self.data.get("kind")
        if found is None:
            self.problem(1, f"kind がありません（kind = {_show(kind)} と書いてください）")
        elif found != kind:
            # Probably the other form file: checking its keys would only add noise.
            self.problem(
                self.line(None, key="kind"),
                f"kind は {_show(kind)} にしてください（{_show(found)} と書かれています）",
            )
            return None
        self.unknown_keys(self.data, known, (None, 0))
        version = self.field(self.data, "version", "text", (None, 0))
        return version, self.field(self.data, "title", "text", (None, 0))


# ---------------------------------------------------------------- selfcheck.toml

def _read_selfcheck(form: _FormFile) -> SelfCheckSheet | None:
    top = form.top("selfcheck", {"kind", "version", "title", "group", "answer", "item"})
    if top is None:
        return None
    version, title = top
    group_labels = _read_groups(form)
    answers = _read_answers(form)
    items = _read_items(form, group_labels)
    groups = []
    for index, (code, label) in enumerate(group_labels.items()):
        numbers = [item.no for item in items if item.group == code]
        if numbers:
            groups.append(Group(code, label, min(numbers), max(numbers)))
        elif items:
            form.problem(form.line("group", index), f"グループ {_show(code)} の項目が1つもありません")
    if form.problems:
        return None
    return SelfCheckSheet(version, title, tuple(groups), tuple(answers), tuple(items))


def _read_groups(form: _FormFile) -> dict[str, str | None]:
    labels: dict[str, str | None] = {}  # code -> label, in file order
    for index, table in enumerate(form.tables("group")):
        where = ("group", index)
        form.unknown_keys(table, {"code", "label"}, where)
        code = form.choice(table, "code", GROUP_CODES, where)
        label = form.field(table, "label", "text", where)
        if code in labels:
            form.problem(form.line(*where, "code"), f"グループ {_show(code)} が重複しています")
        elif code is not None:
            labels[code] = label  # kept even without a label, so its items are not "unknown"
    return labels


def _read_answers(form: _FormFile) -> list[AnswerOption]:
    answers = []
    codes: set[str] = set()
    alias_owners: dict[str, str] = {}  # normalised alias -> code of the answer that has it
    known = {"code", "label", "aliases", "scale", "reported"}
    for index, table in enumerate(form.tables("answer")):
        where = ("answer", index)
        form.unknown_keys(table, known, where)
        code = form.field(table, "code", "text_or_empty", where)  # "" is 未回答
        label = form.field(table, "label", "text", where)
        aliases = form.field(table, "aliases", "texts", where)
        scale = form.choice(table, "scale", SCALES, where)
        reported = form.choice(table, "reported", REPORTED, where)
        if code in codes:
            form.problem(form.line(*where, "code"), f"code = {_show(code)} が他の回答と重複しています")
            code = None
        elif code is not None:
            codes.add(code)
        if aliases == []:
            form.problem(form.line(*where, "aliases"), "aliases が空です")
        owner_name = code if code is not None else f"{index + 1} 番目の [[answer]]"
        for alias in aliases or ():
            key = _answer_key(alias)
            owner = alias_owners.setdefault(key, owner_name)
            # Within one answer a repeat is harmless (① and 1 are both listed for readability).
            if owner != owner_name:
                alias_text = _show(alias) + (" " if key == alias else f"（正規化すると {_show(key)}）")
                form.problem(
                    form.line(*where, "aliases"),
                    f"別名 {alias_text}は回答 {_show(owner)} の別名と重なっています",
                )
        if None not in (code, label, aliases, scale, reported):
            answers.append(AnswerOption(code, label, tuple(aliases), scale, reported))
    return answers


def _read_items(form: _FormFile, group_labels: dict[str, str | None]) -> list[SelfCheckItem]:
    tables = form.tables("item")
    items = []
    index_of: dict[int, int] = {}  # item number -> index of its [[item]] table
    for index, table in enumerate(tables):
        where = ("item", index)
        form.unknown_keys(table, {"no", "group", "topic", "question"}, where)
        no = form.field(table, "no", "int", where)
        group = form.field(table, "group", "text", where)
        topic = form.field(table, "topic", "text", where)
        question = form.field(table, "question", "text", where)
        if no is not None and not 1 <= no <= ITEM_COUNT:
            form.problem(form.line(*where, "no"), f"項目番号 {no} は 1〜{ITEM_COUNT} の範囲外です")
            no = None
        elif no in index_of:
            form.problem(form.line(*where, "no"), f"項目番号 {no} が重複しています")
            no = None
        elif no is not None:
            index_of[no] = index
        if group is not None and group not in group_labels:
            form.problem(
                form.line(*where, "group"), f"group = {_show(group)} は [[group]] に定義されていません"
            )
            group = None
        if topic is not None and len(topic) > TOPIC_MAX_CHARS:
            form.problem(
                form.line(*where, "topic"),
                f"topic は {TOPIC_MAX_CHARS} 文字以内にしてください（{len(topic)} 文字あります）",
            )
        if None not in (no, group, topic, question):
            items.append(SelfCheckItem(no, group, topic, question))

    missing = [no for no in range(1, ITEM_COUNT + 1) if no not in index_of]
    if missing and tables:
        # Point at the item that follows the gap, where the missing one belongs.
        after = [no for no in index_of if no > missing[0]]
        index = index_of[min(after)] if after else len(tables) - 1
        form.problem(form.line("item", index), f"項目番号 {_number_ranges(missing)} がありません")

    items.sort(key=lambda item: item.no)
    _check_group_blocks(form, items, list(group_labels), index_of)
    return items


def _check_group_blocks(
    form: _FormFile, items: list[SelfCheckItem], order: list[str], index_of: dict[int, int]
) -> None:
    # Groups are ranges (items 21–27 …): each must be one run of numbers, in [[group]] order.
    runs: list[list[SelfCheckItem]] = []
    for item in items:
        if runs and runs[-1][0].group == item.group:
            runs[-1].append(item)
        else:
            runs.append([item])
    # A group's longest run is taken as its place; shorter runs are the misplaced items.
    main: dict[str, list[SelfCheckItem]] = {}
    for run in runs:
        if len(run) > len(main.get(run[0].group, ())):
            main[run[0].group] = run
    previous = -1
    for run in runs:
        group = run[0].group
        line = form.line("item", index_of[run[0].no], "group")
        subject = f"項目番号 {_number_ranges([item.no for item in run])} の group = {_show(group)}"
        if run is not main[group]:
            form.problem(line, f"{subject} は、同じグループの項目と番号が続いていません")
        elif order.index(group) < previous:
            form.problem(
                line, f"{subject} は、[[group]] に書いた順（{_choices(tuple(order))}）と逆の位置にあります"
            )
        else:
            previous = order.index(group)


# ---------------------------------------------------------------- onsite.toml

def _read_onsite(form: _FormFile) -> OnsiteChecklist | None:
    top = form.top("onsite", {"kind", "version", "title", "result", "check"})
    if top is None:
        return None
    version, title = top
    results = _read_results(form)
    checks = _read_checks(form)
    if form.problems:
        return None
    return OnsiteChecklist(version, title, tuple(results), tuple(checks))


def _read_results(form: _FormFile) -> list[ResultOption]:
    tables = form.tables("result")
    results = []
    seen: set[str] = set()
    for index, table in enumerate(tables):
        where = ("result", index)
        form.unknown_keys(table, {"code", "label", "severity", "finding"}, where)
        code = form.choice(table, "code", RESULT_CODES, where)
        label = form.field(table, "label", "text", where)
        severity = form.field(table, "severity", "int", where)
        finding = form.field(table, "finding", "bool", where)
        if code in seen:
            form.problem(form.line(*where, "code"), f"code = {_show(code)} が他の結果区分と重複しています")
            continue
        if code is not None:
            seen.add(code)
        if finding and code is not None and code not in FINDING_CODES:
            form.problem(
                form.line(*where, "finding"),
                f"code = {_show(code)} は指摘事項にできません。finding = true にできるのは"
                f" {_choices(FINDING_CODES)} だけです（改善報告の追跡がこの2つを前提にしています）",
            )
        if None not in (code, label, severity, finding):
            results.append(ResultOption(code, label, severity, finding))
    missing = tuple(code for code in RESULT_CODES if code not in seen)
    if missing and tables:
        form.problem(form.line("result", 0), f"結果区分 {_choices(missing)} がありません")
    return results


def _read_checks(form: _FormFile) -> list[OnsiteCheck]:
    checks = []
    codes: set[str] = set()
    known = {field.name for field in fields(OnsiteCheck)}
    for index, table in enumerate(form.tables("check")):
        where = ("check", index)
        form.unknown_keys(table, known, where)
        code = form.field(table, "code", "text", where)
        title = form.field(table, "title", "text", where)
        verifies = form.field(table, "verifies", "ints", where)
        applies_to = form.choice(table, "applies_to", APPLIES_TO, where)
        how = form.field(table, "how", "text", where)
        compliant = form.field(table, "compliant", "text", where)
        noncompliant = form.field(table, "noncompliant", "text", where)
        photo = form.choice(table, "photo", PHOTO, where)
        photo_advice = form.field(table, "photo_advice", "text_or_empty", where, optional=True)
        quick_remarks = form.field(table, "quick_remarks", "texts", where)

        if code is not None and not _SNAKE_CASE.fullmatch(code):
            form.problem(
                form.line(*where, "code"),
                f"code = {_show(code)} は英小文字・数字・_ だけの snake_case で書いてください（例 \"wire_lock\"）",
            )
        elif code in codes:
            form.problem(form.line(*where, "code"), f"code = {_show(code)} が他の確認項目と重複しています")
        elif code is not None:
            codes.add(code)
        for no in verifies or ():
            if not 1 <= no <= ITEM_COUNT:
                form.problem(
                    form.line(*where, "verifies"),
                    f"verifies の {no} はセルフチェックの項目番号（1〜{ITEM_COUNT}）にありません",
                )
        if photo in PHOTO_NEEDS_ADVICE and not (photo_advice or "").strip():
            form.problem(
                form.line(*where, "photo_advice"),
                f"photo = {_show(photo)} のときは photo_advice（撮影についての注意）を書いてください",
            )
        if any(not remark.strip() for remark in quick_remarks or ()):
            form.problem(form.line(*where, "quick_remarks"), "quick_remarks に空の定型文があります")

        required = (code, title, verifies, applies_to, how, compliant, noncompliant, photo)
        if None not in (*required, quick_remarks):
            checks.append(
                OnsiteCheck(
                    code, title, tuple(verifies), applies_to, how, compliant, noncompliant,
                    photo, photo_advice or "", tuple(quick_remarks),
                )
            )
    return checks


def _load(forms_dir: Path) -> tuple[Checklists | None, list[str]]:
    selfcheck_form = _FormFile(forms_dir / "selfcheck.toml")
    onsite_form = _FormFile(forms_dir / "onsite.toml")
    selfcheck = _read_selfcheck(selfcheck_form) if selfcheck_form.read() else None
    onsite = _read_onsite(onsite_form) if onsite_form.read() else None
    from . import coverage, interview_bank  # they import _FormFile from here
    from .subject_forms import read_all  # here: it builds on this module's readers

    subjects, subject_errors = read_all(forms_dir)
    interview, interview_errors = interview_bank.load(forms_dir)
    errors = selfcheck_form.messages() + onsite_form.messages() + subject_errors + interview_errors
    if errors or selfcheck is None or onsite is None:
        return None, errors
    forms = Checklists(selfcheck, onsite, **subjects, interview=interview)
    errors = coverage.load(forms_dir, forms)[1]  # every item checked on site, asked, or listed as not
    return (None, errors) if errors else (forms, [])
