"""Requests the tablet's offline queue may send more than once (photos, signatures), applied exactly once.

The queue resends whatever it has not seen answered, so every such request carries an idempotency key;
the first answer is stored under it (with what it was for) and given again to a repeat.
"""
import json

from flask_babel import lazy_gettext as _

from . import issuance, visits
from .clock import now_iso
from .sqlite import immediate


def _checked_key(key):
    if not isinstance(key, str) or not visits.KEY.match(key):
        raise visits.VisitError(_("変更の識別子が正しくありません。"))
    return key


def _answered(db, key, target):
    """The stored answer to this key, or None; a key used for something else is refused."""
    row = db.execute("SELECT response, target FROM idempotency_keys WHERE key = ?", [key]).fetchone()
    if row is None:
        return None
    if row[1] is not None and row[1] != target:
        raise visits.VisitConflict(_("この変更の識別子は別の入力に使われています。画面を再読み込みしてください。"))
    return json.loads(row[0])


def _remember(db, key, user_id, target, response):
    db["idempotency_keys"].insert({"key": key, "user_id": user_id, "response": json.dumps(response),
                                   "created_at": now_iso(), "target": target})


def add_photo(db, visit_id, user_id, key, check_code, stored):
    """(answer, stored_now): attach a processed photo once; a repeat gets the first photo's id back."""
    key = _checked_key(key)
    target = json.dumps([visit_id, "photo", check_code])
    with immediate(db):
        done = _answered(db, key, target)
        if done is not None:
            return done, False
        photo_id = visits.add_photo(db, visit_id, user_id, check_code, stored)
        answer = {"id": photo_id}
        _remember(db, key, user_id, target, answer)
    return answer, True


def sign(db, visit_id, user_id, key, *, due_days, **signature):
    """(answer, signed_now): record one signature once (locking and issuing when it is the second); a repeat
    gets the same answer."""
    key = _checked_key(key)
    target = json.dumps([visit_id, "sign", signature.get("role")])
    with immediate(db):
        done = _answered(db, key, target)
        if done is not None:
            return done, False
        locked = issuance.sign(db, visit_id, user_id, due_days=due_days, **signature)
        answer = {"locked": locked, "role": signature.get("role")}
        _remember(db, key, user_id, target, answer)
    return answer, True
