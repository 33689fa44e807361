"""The interview (聞き取り) of a visit: the tablet's 正答/誤答 taps, and the re-computable record of its question draw."""
from flask import Blueprint, abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import draw, interview, interview_answers, interview_figures, visits
from ..db import get_db
from ..security import roles
from .visits import AUDIT_TEAM, _status

bp = Blueprint("interview", __name__)


@bp.route("/visits/<int:visit_id>/interview-answers", methods=["POST"])
@roles(*AUDIT_TEAM)
def save_answer(visit_id):
    """Autosave one verdict sent by the tablet's outbox (JSON); safe to send twice."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error=_("送られた内容を読み取れませんでした。画面を再読み込みしてください。")), 400
    try:
        response = interview_answers.save_answer(
            get_db(), visit_id, current_user.id, key=body.get("key"), question=body.get("question"),
            value=body.get("value"), changed_at=body.get("changed_at"))
    except visits.VisitError as error:
        return jsonify(error=str(error)), _status(error)
    return jsonify(response)


@bp.route("/visits/<int:visit_id>/interview-draw")
@roles(*AUDIT_TEAM)
def draw_record(visit_id):
    """The question draw: pool, seed, method, the questions drawn, and whether it recomputes."""
    db = get_db()
    if visits.get_visit(db, visit_id) is None:
        abort(404)
    row = db.execute("SELECT draw_id FROM visit_interviews WHERE visit_id = ?", [visit_id]).fetchone()
    if row is None:
        abort(404)
    ok, findings = interview.verify(db, visit_id)
    return render_template("visits/interview_draw.html", visit_id=visit_id, record=draw.get_draw(db, row[0]),
                           asked=interview.asked(db, visit_id), ok=ok, findings=findings)


@bp.app_template_global("interview_results")
def interview_results(campaign):
    """The campaign's interview figures for a dashboard (counts only: viewers see them too)."""
    return interview_figures.figures(get_db(), campaign)
