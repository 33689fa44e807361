"""Follow-ups per person and section: section heads report, auditors re-check."""
import io
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import carryover, followups, photos, roster
from ..db import get_db
from ..i18n import translated
from ..security import roles

bp = Blueprint("followups", __name__)
READERS = ("admin", "auditor", "section_head")


def _own_section():
    return current_user.section_id if current_user.role == "section_head" else None


def _followup_or_404(followup_id):
    """A follow-up this user may see; another section's is 'not found', not 'forbidden'."""
    row = followups.get(get_db(), followup_id)
    if row is None or (_own_section() and row["section_id"] != _own_section()):
        abort(404)
    return row


@bp.route("/followups")
@roles(*READERS)
def followup_list():
    """Open, overdue or all follow-ups; a section head sees only their own section's."""
    db = get_db()
    args = request.args
    section_id = _own_section() or args.get("section", type=int)
    campaign_id = args.get("campaign", type=int)  # 年度: that campaign's follow-ups plus earlier ones still open
    rows = carryover.with_carried(followups.listing(db, section_id=section_id, state=args.get("state") or None,
                                                    overdue=args.get("overdue") == "1"), db, campaign_id)
    return render_template("followups/list.html", rows=rows, states=followups.STATES, severity=followups.severity_labels(get_db()),
                           sections=[] if _own_section() else roster.section_choices(db),
                           counts=followups.counts(db, section_id=section_id, campaign_id=campaign_id),
                           years=carryover.chronology(db)[::-1],
                           carried=carryover.counts(db, campaign_id, section_id=section_id) if campaign_id else None)


@bp.route("/followups/<int:followup_id>")
@roles(*READERS)
def followup_detail(followup_id):
    """One finding, its improvement report and re-check, and its history."""
    row = _followup_or_404(followup_id)
    return render_template("followups/detail.html", row=row, states=followups.STATES, severity=followups.severity_labels(get_db()),
                           history=followups.history(get_db(), followup_id), action_labels=followups.ACTIONS)


@bp.route("/followups/<int:followup_id>/report", methods=["POST"])
@roles("admin", "section_head")
def report(followup_id):
    """The section's improvement report (改善報告), with an optional photo."""
    _followup_or_404(followup_id)
    upload, photo = request.files.get("photo"), None
    folder = Path(current_app.instance_path) / "photos"
    try:
        if upload and upload.filename:
            photo = photos.process(upload.read(), folder)
        followups.report(get_db(), followup_id, current_user, request.form.get("report"), photo)
    except (photos.PhotoError, followups.FollowupError) as error:
        if photo:
            photos.discard(folder, photo)
        flash(translated(error), "error")
    else:
        flash(_("改善報告を提出しました。監査員が再確認します。"), "success")
    return redirect(url_for("followups.followup_detail", followup_id=followup_id))


@bp.route("/followups/<int:followup_id>/confirm", methods=["POST"])
@roles("admin", "auditor")
def confirm(followup_id):
    """The auditor's re-check: fixed (完了) or not yet (back to 指摘)."""
    _followup_or_404(followup_id)
    fixed = request.form.get("fixed") == "1"
    try:
        followups.confirm(get_db(), followup_id, current_user, fixed, request.form.get("note"))
    except followups.FollowupError as error:
        flash(str(error), "error")
    else:
        flash(_("完了にしました。") if fixed else _("指摘に戻しました。"), "success")
    return redirect(url_for("followups.followup_detail", followup_id=followup_id))


@bp.route("/followups/<int:followup_id>/photo")
@roles(*READERS)
def photo(followup_id):
    """The photo attached to an improvement report."""
    row = _followup_or_404(followup_id)
    if not row["report_photo"]:
        abort(404)
    try:
        data = photos.read_verified(Path(current_app.instance_path) / "photos", row["report_photo"],
                                    row["report_photo_sha256"])
    except photos.PhotoError:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
