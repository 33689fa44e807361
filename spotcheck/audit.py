"""The append-only audit log: who changed what, when, from what to what."""
import json
from dataclasses import dataclass
from datetime import date, timedelta

from .clock import now_iso

# The user's names come with each entry, so a trail can say who acted without a second query.
SELECT = ("SELECT a.*, u.username, u.display_name FROM audit_log a LEFT JOIN users u ON u.id = a.user_id")


@dataclass(frozen=True)
class Query:
    """Which entries to list: a period of days (both ends included), a user or no user, a kind, an action."""

    since: date | None = None
    until: date | None = None
    user_id: int | None = None
    without_user: bool = False
    entity: str | None = None
    action: str | None = None


def record(db, *, user_id, action, entity, entity_id=None, before=None, after=None):
    """Append one entry; the table's triggers refuse updates and deletes."""
    db["audit_log"].insert(
        {
            "created_at": now_iso(),
            "user_id": user_id,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "before": _json(before),
            "after": _json(after),
        }
    )


def entries(db, entity, entity_id):
    """Log entries about one thing, oldest first."""
    return list(db.query(f"{SELECT} WHERE entity = ? AND entity_id = ? ORDER BY a.id", [entity, entity_id]))


def visit_entries(db, visit_id):
    """A visit's entries and its sheet's (issued, printed), oldest first."""
    return list(db.query(f"{SELECT} WHERE entity IN ('visit', 'sheet') AND entity_id = ? ORDER BY a.id", [visit_id]))


def search(db, query, *, limit, offset=0):
    """One page of matching entries, newest first, and how many match in all."""
    where, params = _where(query)
    total = db.execute(f"SELECT count(*) FROM audit_log a WHERE {where}", params).fetchone()[0]
    rows = list(db.query(f"{SELECT} WHERE {where} ORDER BY a.id DESC LIMIT ? OFFSET ?", [*params, limit, offset]))
    return rows, total


def stream(db, query):
    """Every matching entry, newest first, read lazily (a year of log never sits in memory at once)."""
    where, params = _where(query)
    return db.query(f"{SELECT} WHERE {where} ORDER BY a.id DESC", params)


def _where(query):
    # Stored times are ISO text in one zone (clock.now_iso), so a day's bounds compare as text.
    clauses, params = ["1 = 1"], []
    if query.since:
        clauses.append("a.created_at >= ?")
        params.append(query.since.isoformat())
    if query.until:
        clauses.append("a.created_at < ?")
        params.append((query.until + timedelta(days=1)).isoformat())
    if query.without_user:
        clauses.append("a.user_id IS NULL")
    elif query.user_id is not None:
        clauses.append("a.user_id = ?")
        params.append(query.user_id)
    for column, value in (("a.entity", query.entity), ("a.action", query.action)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    return " AND ".join(clauses), params


def _json(value):
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
