"""The interview question bank (forms/interview.toml): read, validated with file:line errors, rebuilt from a pin."""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .checklists import _SNAKE_CASE, ITEM_COUNT, _FormFile, _show

FILE = "interview.toml"
KIND = "interview"


@dataclass(frozen=True)
class Question:
    """One question the auditor reads aloud, the self-check items it tests, and what counts as right."""

    code: str
    covers: tuple[int, ...]
    question: str
    answer: str


@dataclass(frozen=True)
class InterviewBank:
    """The bank of knowledge questions a visit draws from."""

    version: str
    title: str
    questions: tuple[Question, ...]

    def question(self, code: str) -> Question:
        """The question with this code; KeyError if there is none."""
        for question in self.questions:
            if question.code == code:
                return question
        raise KeyError(code)

    def applicable(self, group_of, *, uses_pc: bool, my_number: bool, outsourced: bool) -> tuple[Question, ...]:
        """Questions whose every covered item applies to the person (group_of: item no → group code)."""
        applies = {"pc": uses_pc, "my_number": my_number, "outsourcing": outsourced}  # as selfcheck.applies
        return tuple(q for q in self.questions if all(applies[group_of(no)] for no in q.covers))


def load(forms_dir: Path) -> tuple[InterviewBank | None, list[str]]:
    """(bank, []) or (None, ['path:line: 内容', …]) for forms_dir/interview.toml."""
    form = _FormFile(Path(forms_dir) / FILE)
    bank = _read(form) if form.read() else None
    return bank, form.messages()


def from_dict(d: dict[str, Any]) -> InterviewBank:
    """Rebuild an InterviewBank from checklists.to_dict() output (a campaign's pinned copy)."""
    return InterviewBank(d["version"], d["title"], tuple(
        Question(**{**q, "covers": tuple(q["covers"])}) for q in d["questions"]))


def _read(form: _FormFile) -> InterviewBank | None:
    top = form.top(KIND, {"kind", "version", "title", "question"})
    if top is None:
        return None
    version, title = top
    questions = []
    codes: set[str] = set()
    known = {field.name for field in fields(Question)}
    for index, table in enumerate(form.tables("question")):
        where = ("question", index)
        form.unknown_keys(table, known, where)
        code = form.field(table, "code", "text", where)
        covers = form.field(table, "covers", "ints", where)
        text = form.field(table, "question", "text", where)
        answer = form.field(table, "answer", "text", where)
        if code is not None and not _SNAKE_CASE.fullmatch(code):
            form.problem(form.line(*where, "code"),
                         f"code = {_show(code)} は英小文字・数字・_ だけの snake_case で書いてください（例 \"internet_rules\"）")
            code = None
        elif code in codes:
            form.problem(form.line(*where, "code"), f"code = {_show(code)} が他の質問と重複しています")
            code = None
        elif code is not None:
            codes.add(code)
        if covers == []:
            form.problem(form.line(*where, "covers"), "covers が空です（確かめるセルフチェックの項目番号を書いてください）")
            covers = None
        for no in covers or ():
            if not 1 <= no <= ITEM_COUNT:
                form.problem(form.line(*where, "covers"),
                             f"covers の {no} はセルフチェックの項目番号（1〜{ITEM_COUNT}）にありません")
        if None not in (code, covers, text, answer):
            questions.append(Question(code, tuple(covers), text, answer))
    if form.problems:
        return None
    return InterviewBank(version, title, tuple(questions))
