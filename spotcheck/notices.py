"""督促通知: a numbered letter to a section head listing the section's open follow-ups past their deadline.

Each print is a document: it takes the next 文書番号 of the fiscal year and is logged with what it listed.
"""
import json
from dataclasses import dataclass
from datetime import date

from . import audit, followups
from .clock import now_iso
from .sqlite import immediate
from .wareki import fiscal_year


class NoticeError(ValueError):
    """A user-facing reason why no notice was issued (Japanese)."""


@dataclass(frozen=True)
class NoticeRow:
    """One overdue follow-up as the section head reads it."""

    no: int
    check_title: str
    subject: str  # the person's name, or the section or contract the finding is about
    severity: str
    due_on: date
    days_late: int


@dataclass(frozen=True)
class NoticeData:
    """Everything one 督促通知 prints."""

    number: str
    issued_on: date
    section_code: str
    section_name: str
    sender: str
    rows: tuple[NoticeRow, ...]


def _subject(row):
    if row["subject_kind"] == "section":
        return "所属の監査"
    if row["subject_kind"] == "contract":
        return f"委託契約 {row['contract_label']}"
    return row["person_name"] or "（保存期間満了により廃棄）"


def overdue_sections(db, today: date) -> list[int]:
    """Sections that have open follow-ups past their deadline, by section code."""
    return [row[0] for row in db.execute(
        "SELECT DISTINCT f.section_id FROM followups f JOIN sections s ON s.id = f.section_id"
        " WHERE f.state = 'open' AND f.due_on < ?"
        " AND NOT EXISTS (SELECT 1 FROM purged_visits p WHERE p.visit_id = f.visit_id) ORDER BY s.code",
        [today.isoformat()])]


def _rows(db, section_id, today):
    label = followups.severity_labels(db)
    purged = {row[0] for row in db.execute("SELECT visit_id FROM purged_visits")}
    rows = [r for r in followups.listing(db, section_id=section_id, state="open", overdue=True, today=today)
            if r["visit_id"] not in purged]
    return tuple(NoticeRow(n, r["check_title"], _subject(r), str(label(r)), date.fromisoformat(r["due_on"]),
                           (today - date.fromisoformat(r["due_on"])).days) for n, r in enumerate(rows, start=1)), rows


def issue(db, *, user_id, today: date, number_format: str, sender: str, section_id=None) -> list[NoticeData]:
    """Number and log a notice for the section (or, with None, for every section with overdue follow-ups)."""
    section_ids = [section_id] if section_id else overdue_sections(db, today)
    fy = fiscal_year(today)
    notices = []
    with immediate(db):
        for sid in section_ids:
            rows, listed = _rows(db, sid, today)
            if not rows:
                continue
            section = db.execute("SELECT code, name FROM sections WHERE id = ?", [sid]).fetchone()
            number = db.execute("SELECT coalesce(max(number), 0) + 1 FROM followup_notices WHERE fiscal_year = ?",
                                [fy]).fetchone()[0]
            notice_id = db["followup_notices"].insert({
                "fiscal_year": fy, "number": number, "section_id": sid, "issued_on": today.isoformat(),
                "issued_by": user_id, "followup_ids": json.dumps([r["id"] for r in listed]), "created_at": now_iso()}).last_pk
            text = number_format.format(number=number)
            audit.record(db, user_id=user_id, action="issue", entity="notice", entity_id=notice_id,
                         after={"serial": text, "section_id": sid, "count": len(rows)})
            notices.append(NoticeData(text, today, section[0], section[1], sender, rows))
    if not notices:
        raise NoticeError("期限を過ぎた未報告（「指摘」の状態）のフォローアップはありません。督促通知は作成していません。")
    return notices
