"""The append-only audit log: who changed what, when, from what to what."""
import json

from .clock import now_iso


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
    return list(
        db.query(
            "SELECT a.*, u.username FROM audit_log a LEFT JOIN users u ON u.id = a.user_id"
            " WHERE entity = ? AND entity_id = ? ORDER BY a.id",
            [entity, entity_id],
        )
    )


def _json(value):
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
