"""The unannounced visit on a tablet: choose or draw, walk the checks, photos, sign, lock."""
import io
import json
from pathlib import Path

from flask import (Blueprint, abort, current_app, flash, jsonify, make_response, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit, auth, campaigns, draw, issuance, photos, record, replay, roster, signatures, trail, visits
from .. import absence, interview, loaded_forms, subject_sheets
from ..db import get_db
from ..i18n import translated
from ..security import roles

bp = Blueprint("visits", __name__)
AUDIT_TEAM = auth.AUDIT_TEAM


def photo_folder():
    """Photos live in the instance folder, never under static/."""
    return Path(current_app.instance_path) / "photos"


def _visit_or_404(visit_id):
    visit = visits.get_visit(get_db(), visit_id)
    if visit is None:
        abort(404)
    return visit


@bp.route("/visits")
@roles(*AUDIT_TEAM)
def visit_list():
    """Recent visits and where to start a new one."""
    db = get_db()
    return render_template("visits/list.html", visits=visits.list_visits(db), campaigns=campaigns.list_campaigns(db),
                           sections=roster.list_sections(db))


@bp.route("/visits/new")
@roles(*AUDIT_TEAM)
def choose_person():
    """The chosen section's staff to pick from, with the draw beside them."""
    db = get_db()
    campaign = campaigns.get_campaign(db, campaign_id=request.args.get("campaign", type=int))
    section_id = request.args.get("section", type=int)
    if campaign is None or section_id is None:
        flash(_("キャンペーンと所属を選んでください。"), "error")
        return redirect(url_for("visits.visit_list"))
    people, _total = roster.search_staff(db, query=request.args.get("q", "").strip(), section_id=section_id,
                                         page_size=500)
    visited = visits.visited_staff(db, campaign["id"])
    section = next((s for s in roster.list_sections(db) if s["id"] == section_id), None)
    return render_template("visits/choose.html", campaign=campaign, section=section, people=people, visited=visited,
                           weights=current_app.config["DRAW_WEIGHTS"], weight_labels=draw.WEIGHT_LABELS)


@bp.route("/visits/draw-section", methods=["POST"])
@roles(*AUDIT_TEAM)
def draw_section():
    """Draw which section to visit, then show its staff."""
    db = get_db()
    campaign_id = request.form.get("campaign_id", type=int)
    exclude = request.form.get("exclude_visited") == "1"
    pool = draw.section_pool(db, campaign_id, current_app.config["DRAW_WEIGHTS"], exclude_visited=exclude)
    try:
        draw_id, section_id = draw.record_draw(db, campaign_id=campaign_id, kind="section", section_id=None, pool=pool,
                                               options={"exclude_visited": exclude}, user_id=current_user.id)
    except draw.DrawError as error:
        flash(str(error), "error")
        return redirect(url_for("visits.visit_list"))
    flash(_("抽選で所属が決まりました（抽選記録 %(id)s）。", id=draw_id), "success")
    return redirect(url_for("visits.choose_person", campaign=campaign_id, section=section_id))


@bp.route("/visits/draw", methods=["POST"])
@roles(*AUDIT_TEAM)
def draw_person():
    """Draw the staff member to visit and open the visit at once."""
    db = get_db()
    form = request.form
    campaign_id, section_id = form.get("campaign_id", type=int), form.get("section_id", type=int)
    options = {"exclude_visited": form.get("exclude_visited") == "1", "pc_only": form.get("pc_only") == "1"}
    weights = current_app.config["DRAW_WEIGHTS"]
    pool, absent = absence.without_absent(db, campaign_id, draw.staff_pool(db, campaign_id, section_id, weights, **options))
    try:
        draw_id, staff_id = draw.record_draw(db, campaign_id=campaign_id, kind="staff", section_id=section_id, pool=pool,
                                             options=dict(options, weights=weights, absent_excluded=absent),
                                             user_id=current_user.id)
        visit_id = visits.start_visit(db, campaign_id=campaign_id, staff_id=staff_id, auditor_id=current_user.id,
                                      draw_id=draw_id)
    except (draw.DrawError, visits.VisitError) as error:
        flash(str(error), "error")
        return redirect(url_for("visits.choose_person", campaign=campaign_id, section=section_id))
    return redirect(url_for("visits.draw_record", draw_id=draw_id, visit=visit_id))


@bp.route("/draws/<int:draw_id>")
@roles(*AUDIT_TEAM)
def draw_record(draw_id):
    """The draw's full record: pool, weights, each chance, seed and digest, and whether it verifies."""
    db = get_db()
    drawn = draw.get_draw(db, draw_id)
    if drawn is None:
        abort(404)
    ok, findings = draw.verify(db, draw_id)
    excluded = json.loads(drawn["options"]).get("absent_excluded", [])
    names = visits.names_for(db, drawn["kind"], [c.id for c in drawn["candidates"]] + excluded)
    return render_template("visits/draw.html", record=drawn, names=names, ok=ok, findings=findings,
                           visit_id=request.args.get("visit", type=int), absent_excluded=excluded,
                           subject=json.loads(drawn["options"]).get("subject", "person"))


@bp.route("/visits", methods=["POST"])
@roles(*AUDIT_TEAM)
def start():
    """Open a visit of the staff member picked from the list."""
    db = get_db()
    campaign_id = request.form.get("campaign_id", type=int)
    try:
        visit_id = visits.start_visit(db, campaign_id=campaign_id, staff_id=request.form.get("staff_id", type=int),
                                      auditor_id=current_user.id, reason=request.form.get("reason"))
    except visits.VisitError as error:
        flash(str(error), "error")
        return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url)
                        else url_for("visits.visit_list"))
    return redirect(url_for("visits.visit", visit_id=visit_id))


@bp.route("/visits/<int:visit_id>")
@roles(*AUDIT_TEAM)
def visit(visit_id):
    """The walk through the checks (open visit) or the signed record (locked)."""
    db = get_db()
    visit = _visit_or_404(visit_id)
    current = record.load(db, visit_id)
    template = "visits/record.html" if current.locked or current.purged else "visits/walk.html"
    if not current.locked and not current.purged and not visits.is_member(db, visit_id, current_user.id):
        template = "visits/not_member.html"
    if template == "visits/walk.html":  # the interview's questions are drawn when the walk first opens
        interview.draw_questions(db, visit_id, bank=loaded_forms.current().interview,
                                 count=current_app.config["INTERVIEW_QUESTIONS"], user_id=current_user.id)
    response = make_response(render_template(
        template, visit=visit, record=current, checklist=current.checklist, steps=current.steps,
        signatures=signatures.signatures(db, visit_id), employment=roster.EMPLOYMENT,
        serial=issuance.serial_of(db, visit_id),
        interview=interview.asked(db, visit_id), interview_labels=interview.ANSWER_LABELS,
        auditors=[u for u in auth.list_users(db) if u["role"] in AUDIT_TEAM and u["active"]]))
    # Tells the service worker (static/sw.js) to drop this visit's offline copy once it is signed.
    response.headers["X-Visit-State"] = "open" if template == "visits/walk.html" else "closed"
    return response


@bp.route("/sw.js")
@roles(*AUDIT_TEAM)
def service_worker():
    """The offline copy of an open visit (static/sw.js), served from the root so it may control /visits/."""
    response = make_response(Path(current_app.static_folder, "sw.js").read_bytes())
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    return response


@bp.route("/visits/<int:visit_id>/auditors", methods=["POST"])
@roles(*AUDIT_TEAM)
def add_auditor(visit_id):
    """Add a co-auditor, who can then continue the visit on a second tablet."""
    try:
        visits.add_co_auditor(get_db(), visit_id, current_user.id, request.form.get("user_id", type=int))
    except visits.VisitError as error:
        flash(str(error), "error")
    else:
        flash(_("共同監査員を加えました。"), "success")
    return redirect(url_for("visits.visit", visit_id=visit_id))


@bp.route("/visits/<int:visit_id>/changes", methods=["POST"])
@roles(*AUDIT_TEAM)
def save_change(visit_id):
    """Autosave one change sent by the tablet (JSON); safe to send twice."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error=_("送られた内容を読み取れませんでした。画面を再読み込みしてください。")), 400
    try:
        response = visits.save_change(
            get_db(), visit_id, current_user.id, key=body.get("key"), field=body.get("field"),
            value=body.get("value"), changed_at=body.get("changed_at"), check_code=body.get("check"),
        )
    except visits.VisitError as error:
        return jsonify(error=str(error)), _status(error)
    return jsonify(response)


def _status(error):
    """The HTTP status that says why a visit change was refused."""
    if isinstance(error, visits.VisitNotMember):
        return 403
    return 409 if isinstance(error, (visits.VisitLocked, visits.VisitConflict)) else 422


@bp.route("/visits/<int:visit_id>/photos", methods=["POST"])
@roles(*AUDIT_TEAM)
def upload_photo(visit_id):
    """Take a photo from the camera: validate, strip EXIF, shrink, store under a generated name."""
    upload = request.files.get("photo")
    if upload is None:
        return jsonify(error=_("写真が選ばれていません。")), 422
    try:
        stored = photos.process(upload.read(), photo_folder())
    except photos.PhotoError as error:
        return jsonify(error=translated(error)), 422
    key = request.form.get("key")
    try:
        if key is None:
            photo_id = visits.add_photo(get_db(), visit_id, current_user.id, request.form.get("check"), stored)
        else:  # sent by the offline queue, perhaps again: the first upload under the key is the one kept
            answer, stored_now = replay.add_photo(get_db(), visit_id, current_user.id, key, request.form.get("check"),
                                                  stored)
            photo_id = answer["id"]
            if not stored_now:
                photos.discard(photo_folder(), stored)
    except visits.VisitError as error:
        photos.discard(photo_folder(), stored)
        return jsonify(error=str(error)), _status(error)
    return jsonify(id=photo_id, thumb=url_for("visits.photo", visit_id=visit_id, photo_id=photo_id, size="thumb"))


@bp.route("/visits/<int:visit_id>/photos/<int:photo_id>/remove", methods=["POST"])
@roles(*AUDIT_TEAM)
def remove_photo(visit_id, photo_id):
    """Withdraw a photo taken by mistake."""
    try:
        visits.remove_photo(get_db(), visit_id, photo_id, current_user.id)
    except visits.VisitError as error:
        return jsonify(error=str(error)), _status(error)
    return jsonify(removed=photo_id)


@bp.route("/visits/<int:visit_id>/photos/<int:photo_id>/<any(thumb, full):size>")
@roles(*AUDIT_TEAM)
def photo(visit_id, photo_id, size):
    """Serve a photo to the audit team only, read back by its generated name and checked."""
    db = get_db()
    row = visits.get_photo(db, visit_id, photo_id)
    if row is None:
        abort(404)
    if not _may_see_open_visit(db, visit_id):
        abort(403)
    name = row["thumb_name"] if size == "thumb" else row["file_name"]
    try:
        data = photos.read_verified(photo_folder(), name, row["sha256"] if size == "full" else None)
    except photos.PhotoError:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _may_see_open_visit(db, visit_id):
    """Before signing, a visit's photos are for its team and the admin; a locked record is open to every auditor."""
    visit = visits.get_visit(db, visit_id)
    return (visit is not None and visit["status"] == "locked") or current_user.role == "admin" \
        or visits.is_member(db, visit_id, current_user.id)


@bp.route("/visits/<int:visit_id>/sign", methods=["GET", "POST"])
@roles(*AUDIT_TEAM)
def sign(visit_id):
    """Both sides sign on the glass (or the person refuses); the second signature locks the visit."""
    db = get_db()
    visit = _visit_or_404(visit_id)
    if request.method == "POST" and request.is_json:
        return _sign_queued(visit_id)
    if visit["status"] == "locked":
        return redirect(url_for("visits.visit", visit_id=visit_id))
    if request.method == "POST":
        form = request.form
        try:
            locked = issuance.sign(db, visit_id, current_user.id, role=form.get("role"), name=form.get("name"),
                                 data_url=form.get("signature"), refused=form.get("refused") == "1",
                                 reason=form.get("reason"), due_days=current_app.config["FOLLOWUP_DAYS"])
        except visits.VisitError as error:
            flash(str(error), "error")
            return redirect(url_for("visits.sign", visit_id=visit_id))
        if locked:
            flash(_("両者の署名がそろい、監査記録を確定しました。"), "success")
            return redirect(url_for("visits.visit", visit_id=visit_id))
        flash(_("署名を保存しました。"), "success")
        return redirect(url_for("visits.sign", visit_id=visit_id))
    current = record.load(db, visit_id)
    return render_template("visits/sign.html", visit=visit, record=current, steps=current.steps,
                           signatures=signatures.signatures(db, visit_id), problems=signatures.not_ready(current.steps),
                           roles=subject_sheets.signer_labels(visit["subject_kind"]),
                           failed_codes=[r.code for r in current.checklist.findings], finding_words=signatures.finding_words,
                           no_remark=record.NO_REMARK, interview=interview.asked(db, visit_id))


def _sign_queued(visit_id):
    """A signature sent by the tablet's queue (JSON, maybe again after a drop): applied once, answered as JSON."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error=_("送られた内容を読み取れませんでした。画面を再読み込みしてください。")), 400
    try:
        answer, signed_now = replay.sign(
            get_db(), visit_id, current_user.id, body.get("key"), role=body.get("role"), name=body.get("name"),
            data_url=body.get("signature"), refused=body.get("refused") is True, reason=body.get("reason"),
            due_days=current_app.config["FOLLOWUP_DAYS"])
    except visits.VisitError as error:
        return jsonify(error=str(error)), _status(error)
    # Shown on the next page the tablet opens (the sign page reloads, or the locked record); said once only.
    if signed_now:
        flash(_("両者の署名がそろい、監査記録を確定しました。") if answer["locked"] else _("署名を保存しました。"),
              "success")
    return jsonify(dict(answer, record=url_for("visits.visit", visit_id=visit_id)))


@bp.route("/visits/<int:visit_id>/amend", methods=["POST"])
@roles(*AUDIT_TEAM)
def amend(visit_id):
    """Open a corrected version of a locked visit, keeping the original."""
    try:
        new_id = visits.amend(get_db(), visit_id, current_user.id, request.form.get("reason"))
    except visits.VisitConflict as error:  # another 「訂正」 won: say so, with the status that means it
        return render_template("error.html", code=409, message=str(error)), 409
    except visits.VisitError as error:
        flash(str(error), "error")
        return redirect(url_for("visits.visit", visit_id=visit_id))
    flash(_("訂正版を作成しました。修正してから、もう一度両者が署名してください。"), "info")
    return redirect(url_for("visits.visit", visit_id=new_id))


@bp.route("/visits/<int:visit_id>/log")
@roles("admin")
def log(visit_id):
    """The append-only change log of one visit (and its sheet), in the words of the 操作履歴 screen."""
    visit = _visit_or_404(visit_id)
    db = get_db()
    checklist = record.checklist_for(db, campaigns.get_campaign(db, campaign_id=visit["campaign_id"]),
                                     visit["subject_kind"])
    entries = [trail.entry(row, checklist) for row in audit.visit_entries(db, visit_id)]
    return render_template("visits/log.html", visit=visit, entries=entries)
