"""実施計画 screens: the year's plan, section groups, auditor teams and progress — for the audit team only."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import auth, campaigns, plan_progress, plans, roster
from ..db import get_db
from ..security import roles

bp = Blueprint("plans", __name__)
# Section heads and viewers never see the plan: it tells which sections are due when.
READERS = auth.AUDIT_TEAM
PLANNERS = ("admin",)  # the audit lead plans and forms teams


@bp.route("/plan")
@roles(*READERS)
def index():
    """The campaign's plan table, progress, groups and teams."""
    db = get_db()
    all_campaigns = campaigns.list_campaigns(db)
    chosen = request.args.get("campaign", type=int)
    campaign = next((c for c in all_campaigns if c["id"] == chosen), None) if chosen else None
    if chosen and campaign is None:
        abort(404)
    campaign = campaign or (all_campaigns[0] if all_campaigns else None)
    if campaign is None:
        return render_template("plans/index.html", campaign=None, campaigns=[])
    groups, teams = plans.groups(db, campaign["id"]), plans.teams(db, campaign["id"])
    return render_template(
        "plans/index.html", campaign=campaign, campaigns=all_campaigns, groups=groups,
        group_names={g.id: g.name for g in groups}, teams=teams, team_names={t.id: t.name for t in teams},
        progress=plan_progress.progress(db, campaign["id"]), sections=roster.section_choices(db),
        carried=plan_progress.carried_by_group(db, campaign["id"], groups),
        candidates=plans.team_candidates(db), months=plans.FISCAL_MONTHS, kinds=plans.SUBJECT_KINDS,
        can_plan=current_user.role in PLANNERS)


def _campaign_or_404(campaign_id):
    if campaigns.get_campaign(get_db(), campaign_id=campaign_id) is None:
        abort(404)


def _back(campaign_id, anchor):
    return redirect(url_for("plans.index", campaign=campaign_id, _anchor=anchor))


def _done(campaign_id, change, success):
    """Run one plan change; flash its Japanese reason when refused, else the success message. Returns the result."""
    _campaign_or_404(campaign_id)
    try:
        result = change()
    except plans.PlanError as error:
        flash(str(error), "error")
        return None
    flash(success, "success")
    return result


@bp.route("/plan/<int:campaign_id>/groups", methods=["POST"])
@roles(*PLANNERS)
def save_group(campaign_id):
    """Create a section group, or change the sections of the group of that name."""
    form = request.form
    _done(campaign_id, lambda: plans.save_group(
        get_db(), campaign_id, form.get("name"), form.getlist("section_id"), user_id=current_user.id),
        _("所属グループを保存しました。"))
    return _back(campaign_id, "groups")


@bp.route("/plan/<int:campaign_id>/groups/<int:group_id>/delete", methods=["POST"])
@roles(*PLANNERS)
def delete_group(campaign_id, group_id):
    """Remove a section group that has no planned visits."""
    _done(campaign_id, lambda: plans.delete_group(
        get_db(), campaign_id, group_id, user_id=current_user.id), _("所属グループを削除しました。"))
    return _back(campaign_id, "groups")


@bp.route("/plan/<int:campaign_id>/rows", methods=["POST"])
@roles(*PLANNERS)
def save_row(campaign_id):
    """Set the planned count (and team) for a group, kind and month."""
    form = request.form
    _done(campaign_id, lambda: plans.save_row(
        get_db(), campaign_id, group_id=form.get("group_id", type=int), subject_kind=form.get("subject_kind"),
        month=form.get("month", type=int), planned=form.get("planned", ""),
        team_id=form.get("team_id", type=int), user_id=current_user.id), _("計画を保存しました。"))
    return _back(campaign_id, "plan")


@bp.route("/plan/<int:campaign_id>/teams", methods=["POST"])
@roles(*PLANNERS)
def save_team(campaign_id):
    """Form a team of two auditors; warn when both come from the same section."""
    form = request.form
    result = _done(campaign_id, lambda: plans.save_team(
        get_db(), campaign_id, form.get("name"), form.get("first_user_id", type=int),
        form.get("second_user_id", type=int), user_id=current_user.id,
        sections=(form.get("first_section_id", type=int), form.get("second_section_id", type=int))),
        _("班を作成しました。"))
    if result and result[1]:
        flash(_("2 人とも同じ所属です。できるだけ別の所属の 2 人で組んでください。"), "info")
    return _back(campaign_id, "teams")


@bp.route("/plan/<int:campaign_id>/teams/<int:team_id>/delete", methods=["POST"])
@roles(*PLANNERS)
def delete_team(campaign_id, team_id):
    """Disband a team; its plan rows keep their counts."""
    _done(campaign_id, lambda: plans.delete_team(
        get_db(), campaign_id, team_id, user_id=current_user.id), _("班を解散しました。"))
    return _back(campaign_id, "teams")
