"""Choosing a section (所属) or a contract (委託契約) to audit: by the recorded draw, or by hand with a reason."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import auth, campaigns, draw, loaded_forms, roster, subject_draw, subject_figures, subject_visits, visits
from ..db import get_db
from ..security import roles

bp = Blueprint("subjects", __name__)
AUDIT_TEAM = auth.AUDIT_TEAM
POOLS = {"section": (subject_draw.section_pool, "SECTION_DRAW_WEIGHTS"),
         "contract": (subject_draw.contract_pool, "CONTRACT_DRAW_WEIGHTS")}


def _kind_or_404(kind):
    if kind not in POOLS:
        abort(404)
    return kind


@bp.route("/visits/subjects/<kind>")
@roles(*AUDIT_TEAM)
def choose(kind):
    """The sections or running contracts of a campaign, with the draw beside them."""
    db = get_db()
    _kind_or_404(kind)
    campaign = campaigns.get_campaign(db, campaign_id=request.args.get("campaign", type=int))
    if campaign is None:
        flash(_("キャンペーンを選んでください。"), "error")
        return redirect(url_for("visits.visit_list"))
    pool, setting = POOLS[kind]
    weights = current_app.config[setting]
    candidates = {c.id: c for c in pool(db, campaign["id"], weights, exclude_visited=False)}
    visited = {row[0] for row in db.execute(
        f"SELECT {'section_id' if kind == 'section' else 'contract_id'} FROM visits"
        " WHERE campaign_id = ? AND subject_kind = ?", [campaign["id"], kind])}
    if kind == "section":
        choices = [dict(id=s["id"], label=f"{s['code']} {s['name']}", detail=s) for s in roster.list_sections(db)
                   if s["id"] in candidates]
    else:
        choices = [dict(id=row["id"], label=f"{row['contract_no']} {row['title']}", detail=row) for row in db.query(
            "SELECT c.*, sec.name AS section_name FROM contracts c JOIN sections sec ON sec.id = c.section_id"
            " WHERE c.ended_at IS NULL ORDER BY c.contract_no")]
    return render_template("visits/choose_subject.html", kind=kind, campaign=campaign, choices=choices,
                           candidates=candidates, visited=visited, weights=weights,
                           weight_labels=draw.WEIGHT_LABELS)


@bp.route("/visits/subjects/<kind>/draw", methods=["POST"])
@roles(*AUDIT_TEAM)
def draw_subject(kind):
    """Draw the section or contract to audit, record the draw and open the visit at once."""
    db = get_db()
    _kind_or_404(kind)
    campaign_id = request.form.get("campaign_id", type=int)
    exclude = request.form.get("exclude_visited") == "1"
    pool_of, setting = POOLS[kind]
    weights = current_app.config[setting]
    try:
        pool = pool_of(db, campaign_id, weights, exclude_visited=exclude)
        draw_id, chosen = draw.record_draw(db, campaign_id=campaign_id, kind=kind, section_id=None, pool=pool,
                                           options={"subject": kind, "exclude_visited": exclude, "weights": weights},
                                           user_id=current_user.id)
        visit_id = subject_visits.start(db, campaign_id=campaign_id, kind=kind, subject_id=chosen,
                                        auditor_id=current_user.id, forms=loaded_forms.current(), draw_id=draw_id)
    except (draw.DrawError, visits.VisitError) as error:
        flash(str(error), "error")
        return redirect(url_for("subjects.choose", kind=kind, campaign=campaign_id))
    return redirect(url_for("visits.draw_record", draw_id=draw_id, visit=visit_id))


@bp.route("/visits/subjects/<kind>", methods=["POST"])
@roles(*AUDIT_TEAM)
def start(kind):
    """Open a visit of the section or contract picked from the list (a reason is required)."""
    db = get_db()
    _kind_or_404(kind)
    campaign_id = request.form.get("campaign_id", type=int)
    try:
        visit_id = subject_visits.start(db, campaign_id=campaign_id, kind=kind,
                                        subject_id=request.form.get("subject_id", type=int),
                                        auditor_id=current_user.id, forms=loaded_forms.current(),
                                        reason=request.form.get("reason"))
    except visits.VisitError as error:
        flash(str(error), "error")
        return redirect(url_for("subjects.choose", kind=kind, campaign=campaign_id))
    return redirect(url_for("visits.visit", visit_id=visit_id))


@bp.app_template_global("subject_results")
def subject_results(campaign):
    """How the campaign's section and contract audits fared, for a dashboard (names only where the page shows them)."""
    return subject_figures.results(get_db(), campaign)


@bp.app_context_processor
def subject_flag_labels():
    """The draw flags' labels (特定個人情報, 再委託 …) for templates outside this blueprint."""
    return {"subject_flag_labels": subject_figures.FLAG_LABELS}
