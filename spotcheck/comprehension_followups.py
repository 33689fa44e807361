"""Follow-ups completed by passing a test: a failed latest attempt opens one, a later pass completes it.

The latest attempt of a person at a test decides. A 知識不足 follow-up (a wrong interview answer) is
completed by any test passed on or after the day it was opened.
"""
import json
from dataclasses import dataclass
from datetime import date, timedelta

from . import audit
from .clock import now_iso
from .wareki import fiscal_year, format_date

CODE_PREFIX = "test:"
OPEN_STATES = ("open", "reported")
COMPLETION = "完了の条件: 後日の受験で合格すること。"


@dataclass(frozen=True)
class Moves:
    """What settling a set of attempts does: follow-ups to open, follow-ups to complete, and failures left
    without one because there is no campaign to carry it."""

    opened: int
    closed: int
    no_campaign: int


@dataclass(frozen=True)
class _Latest:
    attempt_id: int | None
    taken_on: str
    passed: bool


def preview(db, attempts) -> Moves:
    """What settle() would do once these (not yet written) attempts are on file."""
    overlay = {}
    for a in attempts:
        overlay.setdefault((a.staff_id, a.test_name), {})[a.taken_on] = _Latest(None, a.taken_on, a.passed)
    to_open, to_close, no_campaign = _decide(db, set(overlay), overlay)
    return Moves(len(to_open), len(to_close), no_campaign)


def settle(db, pairs, *, user_id, due_days) -> Moves:
    """Open and complete the follow-ups the attempts on file decide for these (staff_id, test) pairs."""
    to_open, to_close, no_campaign = _decide(db, set(pairs), {})
    stamp = now_iso()
    staff = {row[0]: row[1:] for row in db.execute(
        "SELECT id, section_id, employment FROM staff WHERE id IN (SELECT value FROM json_each(?))",
        [json.dumps(sorted({staff_id for staff_id, _ in pairs}))])}
    for (staff_id, name), latest, campaign_id in to_open:
        section_id, employment = staff[staff_id]
        due_on = date.fromisoformat(latest.taken_on) + timedelta(days=due_days["nonconformity"])
        followup_id = db["followups"].insert({
            "visit_id": None, "campaign_id": campaign_id, "section_id": section_id, "staff_id": staff_id,
            "check_code": f"{CODE_PREFIX}{name}:{latest.taken_on}", "check_title": f"理解度テスト不合格（{name}）",
            "severity": "nonconformity", "state": "open", "due_on": due_on.isoformat(), "employment": employment,
            "finding": f"{name}（{format_date(date.fromisoformat(latest.taken_on))}実施）に合格しなかった。{COMPLETION}",
            "kind": "test", "test_name": name, "created_at": stamp, "updated_at": stamp,
        }).last_pk
        audit.record(db, user_id=user_id, action="open_test", entity="followup", entity_id=followup_id,
                     after={"test": name, "taken_on": latest.taken_on, "state": "open"})
    for row, latest, name in to_close:
        note = f"{name}（{format_date(date.fromisoformat(latest.taken_on))}実施）に合格したため完了。"
        db["followups"].update(row["id"], {"state": "closed", "confirmation": note, "confirmed_by": user_id,
                                           "confirmed_at": stamp, "closed_by_attempt": latest.attempt_id,
                                           "updated_at": stamp})
        audit.record(db, user_id=user_id, action="close_passed", entity="followup", entity_id=row["id"],
                     before={"state": row["state"]}, after={"state": "closed", "test": name, "taken_on": latest.taken_on})
    return Moves(len(to_open), len(to_close), no_campaign)


def _decide(db, pairs, overlay):
    """(follow-ups to open, follow-ups to complete, failures with no campaign) for these pairs."""
    history = _attempts(db, pairs, overlay)
    staff_ids = sorted({staff_id for staff_id, _ in pairs})
    still_open = {}
    for row in db.query("SELECT id, staff_id, kind, test_name, state, created_at FROM followups"
                        " WHERE staff_id IN (SELECT value FROM json_each(?)) AND kind IN ('test', 'knowledge')"
                        " AND state IN ('open', 'reported') ORDER BY id", [json.dumps(staff_ids)]):
        still_open.setdefault(row["staff_id"], []).append(row)
    to_open, to_close, no_campaign, closing = [], [], 0, set()
    for pair in sorted(pairs):
        staff_id, name = pair
        latest = max(history.get(pair, {}).values(), key=lambda a: a.taken_on, default=None)
        if latest is None:
            continue
        tests_open = [r for r in still_open.get(staff_id, ()) if r["kind"] == "test" and r["test_name"] == name]
        if latest.passed:
            to_close += [(r, latest, name) for r in tests_open if r["id"] not in closing]
            closing.update(r["id"] for r in tests_open)
        elif not tests_open:
            campaign_id = campaign_for(db, latest.taken_on)
            if campaign_id is None:
                no_campaign += 1
            else:
                to_open.append((pair, latest, campaign_id))
    passes = {}
    for (staff_id, name), by_day in history.items():
        for attempt in by_day.values():
            if attempt.passed:
                passes.setdefault(staff_id, []).append((attempt.taken_on, name, attempt))
    for staff_id, rows in still_open.items():
        for row in rows:
            if row["kind"] != "knowledge" or row["id"] in closing:
                continue
            later = sorted(p for p in passes.get(staff_id, ()) if p[0] >= row["created_at"][:10])
            if later:
                taken_on, name, attempt = later[0]
                to_close.append((row, attempt, name))
                closing.add(row["id"])
    return to_open, to_close, no_campaign


def _attempts(db, pairs, overlay):
    """{(staff_id, test): {taken_on: _Latest}} from the file of attempts, with `overlay` laid over it."""
    staff_ids = sorted({staff_id for staff_id, _ in pairs})
    history = {}
    for attempt_id, staff_id, name, taken_on, passed in db.execute(
            "SELECT id, staff_id, test_name, taken_on, passed FROM test_attempts"
            " WHERE staff_id IN (SELECT value FROM json_each(?))", [json.dumps(staff_ids)]):
        history.setdefault((staff_id, name), {})[taken_on] = _Latest(attempt_id, taken_on, bool(passed))
    for pair, by_day in overlay.items():
        history.setdefault(pair, {}).update(by_day)
    return history


def campaign_for(db, taken_on):
    """The campaign a failed attempt's follow-up belongs to: the one of its fiscal year, else the newest."""
    year = fiscal_year(date.fromisoformat(taken_on))
    row = db.execute("SELECT id FROM campaigns ORDER BY fiscal_year = ? DESC, created_at DESC, id DESC LIMIT 1",
                     [year]).fetchone()
    return row[0] if row else None
