"""Recording 正答/誤答 on a visit's drawn questions: the walk's save path (idempotent, newest change wins)."""
import json

from flask_babel import lazy_gettext as _

from . import audit, visits
from .clock import now_iso
from .interview import ANSWERS
from .sqlite import immediate


def save_answer(db, visit_id, user_id, *, key, question, value, changed_at):
    """Apply one verdict exactly once, as visits.save_change does for results: a repeat or an older change is harmless."""
    if not isinstance(key, str) or not visits.KEY.match(key):
        raise visits.VisitError(_("変更の識別子が正しくありません。"))
    if not all(isinstance(v, (str, type(None))) for v in (question, value, changed_at)):
        raise visits.VisitError(_("送られた値の形式が正しくありません。画面を再読み込みしてください。"))
    target = json.dumps([visit_id, "answer", question])
    with immediate(db):
        done = db.execute("SELECT response, target FROM idempotency_keys WHERE key = ?", [key]).fetchone()
        if done:
            if done[1] is not None and done[1] != target:
                raise visits.VisitConflict(_("この変更の識別子は別の入力に使われています。画面を再読み込みしてください。"))
            return json.loads(done[0])
        visits.open_visit(db, visit_id, user_id)
        row = db.execute("SELECT answer, answer_changed_at FROM interview_answers WHERE visit_id = ?"
                         " AND question_code = ?", [visit_id, question]).fetchone()
        if row is None:
            raise visits.VisitError(_("この実地監査で出題していない質問です。"))
        if value not in ANSWERS:
            raise visits.VisitError(_("聞き取りの判定は「正答」か「誤答」を選んでください。"))
        changed_at, distrusted = visits.trusted_time(changed_at)
        if distrusted:
            audit.record(db, user_id=user_id, action="clock_distrusted", entity="visit", entity_id=visit_id,
                         after={"client_time": distrusted, "used": changed_at})
        applied = not visits._later(row[1], changed_at)  # a later verdict from another tablet stays
        if applied:
            db.execute("UPDATE interview_answers SET answer = ?, answer_changed_at = ?, updated_at = ?, updated_by = ?"
                       " WHERE visit_id = ? AND question_code = ?",
                       [value, changed_at, now_iso(), user_id, visit_id, question])
            audit.record(db, user_id=user_id, action="set_answer", entity="visit", entity_id=visit_id,
                         before={"question": question, "answer": row[0]}, after={"question": question, "answer": value})
        response = {"saved": True, "applied": applied, "key": key}
        db["idempotency_keys"].insert({"key": key, "user_id": user_id, "response": json.dumps(response),
                                       "created_at": now_iso(), "target": target})
    return response
