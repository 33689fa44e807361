"""Sections and contracts as the subject of a visit: their pinned forms, who they are, and the self-reports shown."""
import json
from dataclasses import dataclass

from . import audit, checklists
from .campaigns import _pin, _pinned, get_campaign, pinned_onsite
from .checklists import OnsiteChecklist, SelfCheckItem
from .selfcheck import applies

KINDS = ("person", "section", "contract")
NOT_SUBMITTED = "unsubmitted"  # a tally key beside the answer codes: staff of the section who sent no sheet
ABSENT = "absent"  # likewise: staff marked on leave (状況) in the self-check, counted apart from 未提出


class SubjectFormMissing(LookupError):
    """The campaign has no pinned form for this kind of subject, and none was given to pin."""


@dataclass(frozen=True)
class Tally:
    """A section's answers to one self-check item: (answer code or NOT_SUBMITTED, how many people), in sheet order."""

    item: SelfCheckItem
    counts: tuple[tuple[str, int], ...]
    text: str  # e.g. 「① できている 5人／③ できていない 1人／未提出 2人」, for the screen and the sheet


def pinned(db, campaign, kind, forms=None, user_id=None) -> OnsiteChecklist:
    """The campaign's checklist for a subject kind; a campaign made before this form existed pins today's on first use."""
    if kind == "person":
        return pinned_onsite(db, campaign)
    column = f"{kind}_digest"
    digest = campaign[column]
    if digest is None:
        form = getattr(forms, kind, None) if forms is not None else None
        if form is None:
            raise SubjectFormMissing(kind)
        digest = _pin(db, kind, form)
        db.execute(f"UPDATE campaigns SET {column} = ? WHERE id = ? AND {column} IS NULL", [digest, campaign["id"]])
        campaign = get_campaign(db, campaign_id=campaign["id"])
        digest = campaign[column]  # another request may have pinned first: that pin stands
        audit.record(db, user_id=user_id, action="pin_form", entity="campaign", entity_id=campaign["id"],
                     after={column: digest})
    return _pinned(db, digest, checklists.onsite_from_dict)


def section_row(db, section_id):
    """A section's code, name and flags, or None."""
    rows = list(db.query("SELECT id, code, name, my_number, outsourced FROM sections WHERE id = ?", [section_id]))
    return rows[0] if rows else None


def contract_row(db, contract_id):
    """A contract of the register with its owning section's code and name, or None."""
    rows = list(db.query(
        "SELECT c.*, sec.code AS section_code, sec.name AS section_name, sec.my_number, sec.outsourced"
        " FROM contracts c JOIN sections sec ON sec.id = c.section_id WHERE c.id = ?", [contract_id]))
    return rows[0] if rows else None


def live_subject(db, visit, subject_class):
    """The section or contract of a visit (a visits row) as the register has it now, as a record.Subject."""
    if visit["subject_kind"] == "contract":
        row = contract_row(db, visit["contract_id"])
        return subject_class(staff_no="", name="", kana="", employment="", section_code=row["section_code"],
                             section_name=row["section_name"], uses_pc=True, my_number=bool(row["my_number"]),
                             outsourced=True, kind="contract", contract_no=row["contract_no"],
                             contract_title=row["title"], contractor=row["contractor"], system=row["system"])
    row = section_row(db, visit["section_id"])
    return subject_class(staff_no="", name="", kana="", employment="", section_code=row["code"],
                         section_name=row["name"], uses_pc=True, my_number=bool(row["my_number"]),
                         outsourced=bool(row["outsourced"]), kind="section")


def live_tallies(db, campaign_id, section_id, sheet, checklist, codes, flags):
    """Per check, the section's answers to its linked items counted per answer (only items that apply to it)."""
    counts = {}
    for item_no, answer, n in db.execute(
            "SELECT a.item_no, a.answer, count(*) FROM selfcheck_answers a"
            " JOIN selfcheck_responses r ON r.id = a.response_id JOIN staff s ON s.id = r.staff_id"
            " WHERE r.campaign_id = ? AND s.section_id = ? AND s.retired_at IS NULL AND a.out_of_scope = 0"
            " GROUP BY a.item_no, a.answer", [campaign_id, section_id]):
        counts.setdefault(item_no, {})[answer] = n
    missing = db.execute(
        "SELECT count(*) FROM staff s WHERE s.section_id = ? AND s.retired_at IS NULL AND NOT EXISTS"
        " (SELECT 1 FROM selfcheck_responses r WHERE r.staff_id = s.id AND r.campaign_id = ?)",
        [section_id, campaign_id]).fetchone()[0]
    away = db.execute(
        "SELECT count(*) FROM selfcheck_responses r JOIN staff s ON s.id = r.staff_id WHERE r.campaign_id = ?"
        " AND s.section_id = ? AND s.retired_at IS NULL AND r.absence IS NOT NULL", [campaign_id, section_id]).fetchone()[0]
    order = [option.code for option in sheet.answers]
    tallies = {}
    for code in codes:
        shown = []
        for no in checklist.check(code).verifies:
            item = sheet.item(no)
            if not applies(item.group, **flags):
                continue
            found = counts.get(no, {})
            pairs = [(answer, found[answer]) for answer in order if found.get(answer)]
            if missing:
                pairs.append((NOT_SUBMITTED, missing))
            if away:
                pairs.append((ABSENT, away))
            shown.append(Tally(item, tuple(pairs), tally_text(pairs, sheet)))
        tallies[code] = tuple(shown)
    return tallies


def tallies_json(tallies) -> dict:
    """{check code: [[item no, [[answer, n], ...]], ...]}: what a frozen record and a sheet's digest keep."""
    return {code: [[t.item.no, [list(pair) for pair in t.counts]] for t in shown] for code, shown in tallies.items()}


def tallies_from_json(data, sheet) -> dict:
    """The inverse of tallies_json, against the campaign's pinned self-check sheet."""
    return {code: tuple(Tally(sheet.item(no), tuple((answer, n) for answer, n in pairs), tally_text(pairs, sheet))
                        for no, pairs in shown) for code, shown in data.items()}


def tally_text(counts, sheet) -> str:
    """e.g. 「① できている 5人／③ できていない 1人／未提出 2人」 from (answer code, n) pairs."""
    if not counts:
        return "回答なし"
    parts = []
    for answer, n in counts:
        label = ("未提出" if answer == NOT_SUBMITTED else "不在（病休等）" if answer == ABSENT else "未回答" if answer == ""
                 else _label(sheet, answer))
        parts.append(f"{label} {n}人")
    return "／".join(parts)


def _label(sheet, code):
    try:
        return sheet.answer(code).label
    except KeyError:
        return code


def scope(codes, subject) -> str:
    """visits.scope of a section or contract visit: the checks and the flags that chose them."""
    return json.dumps({"checks": list(codes), "uses_pc": True, "my_number": subject.my_number,
                       "outsourced": subject.outsourced})
