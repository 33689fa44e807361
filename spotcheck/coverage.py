"""Which on-site check or interview question tests each self-check item, and which are not checked on site.

Every item must be covered by some on-site kind's `verifies` (read generically from every
OnsiteChecklist field of Checklists, so new visit kinds count without changes here), by an interview
question's `covers`, or be listed in forms/coverage.toml as 「実地では確認しない」 with a reason.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from .checklists import ITEM_COUNT, Checklists, OnsiteChecklist, _FormFile, _number_ranges

FILE = "coverage.toml"
NOT_ONSITE = "実地では確認しない"
# Labels of the on-site kinds in the table; a kind not listed here shows its code.
KIND_LABELS = {"onsite": "職員", "section": "所属", "contract": "委託契約"}


@dataclass(frozen=True)
class Covering:
    """One check or question that covers an item: its form kind ('interview' for questions), code and title."""

    kind: str
    code: str
    title: str


@dataclass(frozen=True)
class CoverageRow:
    """One self-check item and what tests it on site; `reason` is set when it is not checked on site."""

    no: int
    topic: str
    checks: tuple[Covering, ...]
    questions: tuple[Covering, ...]
    reason: str = ""

    @property
    def covered(self) -> bool:
        return bool(self.checks or self.questions)


def onsite_kinds(forms: Checklists) -> tuple[tuple[str, OnsiteChecklist], ...]:
    """(kind, checklist) of every on-site checklist the forms have (person, section, contract …)."""
    return tuple((f.name, getattr(forms, f.name)) for f in fields(forms)
                 if isinstance(getattr(forms, f.name), OnsiteChecklist))


def table(forms: Checklists, not_onsite: dict[int, str]) -> tuple[CoverageRow, ...]:
    """The coverage of every self-check item, in item order."""
    rows = []
    for item in forms.selfcheck.items:
        checks = tuple(Covering(kind, check.code, check.title) for kind, checklist in onsite_kinds(forms)
                       for check in checklist.checks if item.no in check.verifies)
        bank = getattr(forms, "interview", None)
        questions = tuple(Covering("interview", q.code, q.question) for q in (bank.questions if bank else ())
                          if item.no in q.covers)
        rows.append(CoverageRow(item.no, item.topic, checks, questions, not_onsite.get(item.no, "")))
    return tuple(rows)


def load(forms_dir: Path, forms: Checklists) -> tuple[tuple[CoverageRow, ...], list[str]]:
    """(coverage table, problems as 'path:line: 内容') for forms that have loaded without errors."""
    form = _FormFile(Path(forms_dir) / FILE)
    if not form.read():
        return (), form.messages()
    lines: dict[int, int] = {}
    not_onsite = _read(form, lines)
    rows = table(forms, not_onsite)
    covered = [row for row in rows if row.covered and row.reason]
    for row in covered:
        where = ", ".join(_label(c) for c in row.checks + row.questions)
        form.problem(lines[row.no], f"No.{row.no} {row.topic} は実地で確認しています（{where}）。"
                                    f"[[not_onsite]] から外してください")
    missing = [row.no for row in rows if not row.covered and not row.reason]
    if missing and not form.problems:
        form.problem(max(1, len(form.lines) - (form.lines[-1] == "")),
                     f"セルフチェックの項目 No.{_number_ranges(missing)} は、実地の確認項目（verifies）にも"
                     f"聞き取りの質問（covers）にもなく、「{NOT_ONSITE}」にも書かれていません。"
                     "確認項目か質問を加えるか、[[not_onsite]] に理由とともに書いてください")
    return rows, form.messages()


def _read(form: _FormFile, lines: dict[int, int]) -> dict[int, str]:
    top = form.top("coverage", {"kind", "version", "title", "not_onsite"})
    if top is None or "not_onsite" not in form.data:  # none listed: every item is checked on site
        return {}
    reasons: dict[int, str] = {}
    for index, entry in enumerate(form.tables("not_onsite")):
        where = ("not_onsite", index)
        form.unknown_keys(entry, {"no", "reason"}, where)
        no = form.field(entry, "no", "int", where)
        reason = form.field(entry, "reason", "text", where)
        if no is not None and not 1 <= no <= ITEM_COUNT:
            form.problem(form.line(*where, "no"), f"項目番号 {no} は 1〜{ITEM_COUNT} の範囲外です")
        elif no in reasons:
            form.problem(form.line(*where, "no"), f"項目番号 {no} が重複しています")
        elif no is not None and reason is not None:
            reasons[no] = reason
            lines[no] = form.line(*where, "no")
    return reasons


def _label(covering: Covering) -> str:
    if covering.kind == "interview":
        return f"聞き取り {covering.code}"
    return f"{KIND_LABELS.get(covering.kind, covering.kind)}の確認「{covering.title}」"


def lines(rows: tuple[CoverageRow, ...]) -> list[str]:
    """The table as text lines for check-forms: No.、見出し、何で確認するか."""
    out = ["セルフチェック項目の実地での確認範囲:"]
    for row in rows:
        if row.covered:
            parts = [_label(c) for c in row.checks]
            if row.questions:
                parts.append("聞き取り " + "・".join(q.code for q in row.questions))
            what = "、".join(parts)
        else:
            what = f"{NOT_ONSITE}（{row.reason}）" if row.reason else "未対応"
        out.append(f"  No.{row.no:>2} {row.topic}: {what}")
    return out


def markdown(rows: tuple[CoverageRow, ...]) -> str:
    """The table in Markdown, as README shows it."""
    out = ["| No. | 項目 | 実地の確認項目 | 聞き取りの質問 |", "|---:|---|---|---|"]
    for row in rows:
        checks = "、".join(f"{c.title}（{KIND_LABELS.get(c.kind, c.kind)}）" for c in row.checks)
        questions = "、".join(f"`{q.code}`" for q in row.questions)
        if not row.covered:
            checks = f"{NOT_ONSITE}：{row.reason}"
        out.append(f"| {row.no} | {row.topic} | {checks or '—'} | {questions or '—'} |")
    return "\n".join(out)


README_START = "<!-- coverage:start（`flask --app app check-forms --readme README.md` が生成。手で書き換えないでください） -->"
README_END = "<!-- coverage:end -->"


def with_table(readme: str, rows: tuple[CoverageRow, ...]) -> str:
    """README text with the block between the coverage markers replaced by the current table."""
    start, end = readme.index(README_START) + len(README_START), readme.index(README_END)
    return readme[:start] + "\n" + markdown(rows) + "\n" + readme[end:]
