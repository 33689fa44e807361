"""督促: escalation steps fired once per overdue follow-up, read in each role's inbox (お知らせ).

A step (days, recipient) of an open follow-up is due on the first working day on or after due_on + days.
`flask remind` (daily cron) inserts each due step once; re-running it on the same day, or later, adds
nothing twice. Only follow-ups in the state 'open' are chased: a 'reported' one waits on the auditors,
not on the section.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from . import audit, calendar_days
from .clock import now_iso
from .sqlite import immediate

RECIPIENTS = {"section_head": "所属長", "admin": "情報政策課（監査責任者）", "soumu": "総務課長"}
# Who reads a recipient's inbox: section heads only their own section's; 総務課長 is the viewer accounts.
READER_ROLES = {"section_head": "section_head", "admin": "admin", "soumu": "viewer"}
INBOX_ROLES = tuple(READER_ROLES.values())


class ReminderError(ValueError):
    """A user-facing reason why the escalation settings or a request were refused (Japanese)."""


@dataclass(frozen=True)
class Step:
    """One escalation step: this many days after the due date, tell this recipient."""

    days: int
    recipient: str


@dataclass(frozen=True)
class Fired:
    """A step that is due (or was just fired) for one follow-up."""

    followup_id: int
    section_id: int
    section_name: str
    check_title: str
    due_on: date
    step: Step
    fires_on: date


@dataclass(frozen=True)
class InboxItem:
    """One お知らせ as its reader may see it: no names, and for 総務 no finding either."""

    id: int
    followup_id: int | None  # None for 総務: the follow-up's page is not theirs to open
    section_name: str
    check_title: str | None
    recipient: str
    days: int
    due_on: date
    fires_on: date
    state: str
    read: bool


def step_label(days: int) -> str:
    """「期限日」 or 「期限から7日」: when a step fires, as people read it."""
    return "期限日" if days == 0 else f"期限から{days}日"


def parse_steps(value) -> tuple[Step, ...]:
    """ESCALATION_STEPS from the config as Steps, or a Japanese error naming what is wrong."""
    steps = []
    for entry in value or ():
        try:
            days, recipient = entry
            days = int(days)
        except (TypeError, ValueError):
            raise ReminderError(f"ESCALATION_STEPS の「{entry!r}」は（日数, 宛先）の組ではありません。") from None
        if days < 0:
            raise ReminderError(f"ESCALATION_STEPS の日数は 0 以上にしてください（{days}）。")
        if recipient not in RECIPIENTS:
            raise ReminderError(f"ESCALATION_STEPS の宛先「{recipient}」はありません。{'、'.join(RECIPIENTS)} のいずれかです。")
        steps.append(Step(days, recipient))
    if len(set(steps)) != len(steps):
        raise ReminderError("ESCALATION_STEPS に同じ段階が二つあります。")
    return tuple(sorted(steps, key=lambda s: (s.days, s.recipient)))


def due(db, steps, today: date) -> list[Fired]:
    """Steps due by `today` for open follow-ups and not fired yet, oldest deadline first."""
    if not steps:
        return []
    latest_due = today - timedelta(days=min(s.days for s in steps))
    rows = db.query(
        "SELECT f.id, f.section_id, f.check_title, f.due_on, s.name AS section_name FROM followups f"
        " JOIN sections s ON s.id = f.section_id"
        " WHERE f.state = 'open' AND f.due_on <= ?"
        " AND NOT EXISTS (SELECT 1 FROM purged_visits p WHERE p.visit_id = f.visit_id)"
        " ORDER BY f.due_on, f.id", [latest_due.isoformat()])
    fired = {(r[0], r[1], r[2]) for r in db.execute("SELECT followup_id, days, recipient FROM followup_reminders")}
    found = []
    for row in rows:
        due_on = date.fromisoformat(row["due_on"])
        for step in steps:
            fires_on = calendar_days.next_business_day(due_on + timedelta(days=step.days))
            if fires_on <= today and (row["id"], step.days, step.recipient) not in fired:
                found.append(Fired(row["id"], row["section_id"], row["section_name"], row["check_title"], due_on,
                                   step, fires_on))
    return found


def fire(db, items: list[Fired]) -> dict[Fired, int]:
    """Record the steps (each once, in one transaction) and log them; returns each item's reminder id."""
    ids = {}
    with immediate(db):
        for item in items:
            cursor = db.execute(
                "INSERT OR IGNORE INTO followup_reminders (followup_id, section_id, days, recipient, fires_on, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", [item.followup_id, item.section_id, item.step.days, item.step.recipient,
                                               item.fires_on.isoformat(), now_iso()])
            if cursor.rowcount:  # a concurrent run may have fired it a moment ago
                ids[item] = cursor.lastrowid
                audit.record(db, user_id=None, action="remind", entity="followup", entity_id=item.followup_id,
                             after={"days": item.step.days, "recipient": item.step.recipient,
                                    "fires_on": item.fires_on.isoformat()})
    return ids


def mark_mailed(db, reminder_ids, addresses):
    """Note that these reminders left by e-mail, and log how many addresses received them (not which)."""
    with immediate(db):
        db.execute(f"UPDATE followup_reminders SET mailed_at = ? WHERE id IN ({','.join('?' * len(reminder_ids))})",
                   [now_iso(), *reminder_ids])
        audit.record(db, user_id=None, action="mail", entity="reminder", entity_id=None,
                     after={"count": len(reminder_ids), "addresses": addresses})


def _visible(user):
    """The WHERE clause (and its parameters) for the reminders this user may read."""
    if user.role == "section_head":
        return "r.recipient = 'section_head' AND r.section_id = ?", [user.section_id]
    codes = [code for code, role in READER_ROLES.items() if role == user.role and code != "section_head"]
    if not codes:
        return "0 = 1", []
    return f"r.recipient IN ({','.join('?' * len(codes))})", codes


def inbox(db, user, limit=300) -> list[InboxItem]:
    """The user's お知らせ, newest first, with whether this user has read each."""
    where, params = _visible(user)
    rows = db.query(
        "SELECT r.*, f.check_title, f.due_on, f.state, s.name AS section_name,"
        " EXISTS (SELECT 1 FROM reminder_reads d WHERE d.reminder_id = r.id AND d.user_id = ?) AS read"
        " FROM followup_reminders r JOIN followups f ON f.id = r.followup_id JOIN sections s ON s.id = r.section_id"
        f" WHERE {where} ORDER BY r.fires_on DESC, r.id DESC LIMIT ?", [user.id, *params, limit])
    soumu = user.role == READER_ROLES["soumu"]
    return [InboxItem(row["id"], None if soumu else row["followup_id"], row["section_name"],
                      None if soumu else row["check_title"], row["recipient"], row["days"],
                      date.fromisoformat(row["due_on"]), date.fromisoformat(row["fires_on"]), row["state"],
                      bool(row["read"])) for row in rows]


def unread_count(db, user) -> int:
    """How many of the user's お知らせ they have not marked read."""
    where, params = _visible(user)
    return db.execute(
        f"SELECT count(*) FROM followup_reminders r WHERE {where}"
        " AND NOT EXISTS (SELECT 1 FROM reminder_reads d WHERE d.reminder_id = r.id AND d.user_id = ?)",
        [*params, user.id]).fetchone()[0]


def mark_read(db, user, reminder_id=None) -> int:
    """Mark one お知らせ (or, with None, all of them) read for this user; returns how many changed."""
    where, params = _visible(user)
    if reminder_id is not None:
        where, params = f"{where} AND r.id = ?", [*params, reminder_id]
    with immediate(db):
        ids = [row[0] for row in db.execute(
            f"SELECT r.id FROM followup_reminders r WHERE {where} AND NOT EXISTS"
            " (SELECT 1 FROM reminder_reads d WHERE d.reminder_id = r.id AND d.user_id = ?)", [*params, user.id])]
        if reminder_id is not None and not ids and not _may_see(db, user, reminder_id):
            raise ReminderError("お知らせがありません。")
        stamp = now_iso()
        db.conn.executemany("INSERT INTO reminder_reads (reminder_id, user_id, read_at) VALUES (?, ?, ?)",
                       [(i, user.id, stamp) for i in ids])
        if ids:
            audit.record(db, user_id=user.id, action="read", entity="reminder", entity_id=reminder_id,
                         after={"count": len(ids)})
    return len(ids)


def _may_see(db, user, reminder_id):
    where, params = _visible(user)
    return db.execute(f"SELECT 1 FROM followup_reminders r WHERE {where} AND r.id = ?",
                      [*params, reminder_id]).fetchone() is not None

