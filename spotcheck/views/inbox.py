"""お知らせ (the 督促 inbox of each role) and the printable 督促通知."""
from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import auth, clock, followups, notice_pdf, notices, printing, reminders
from ..db import get_db
from ..security import roles

bp = Blueprint("inbox", __name__)
NOTICE_ISSUERS = auth.AUDIT_TEAM


@bp.app_context_processor
def _unread():
    """`inbox_unread()` for the top bar's badge; a function, so pages that never show it never query."""

    def inbox_unread():
        if not current_user.is_authenticated or current_user.role not in reminders.INBOX_ROLES:
            return None
        return reminders.unread_count(get_db(), current_user)

    return {"inbox_unread": inbox_unread}


@bp.route("/inbox")
@roles(*reminders.INBOX_ROLES)
def inbox():
    """The reminders addressed to the user's role (a section head: their own section's), newest first."""
    items = reminders.inbox(get_db(), current_user)
    return render_template("inbox/list.html", items=items, recipients=reminders.RECIPIENTS, states=followups.STATES,
                           unread=sum(1 for i in items if not i.read))


@bp.route("/inbox/read", methods=["POST"])
@roles(*reminders.INBOX_ROLES)
def mark_read():
    """Mark one お知らせ (reminder=<id>) or all of them (reminder=all) read."""
    choice = request.form.get("reminder", "")
    if choice != "all" and not (choice.isascii() and choice.isdigit()):  # "²".isdigit() is true too
        abort(400)
    try:
        count = reminders.mark_read(get_db(), current_user, None if choice == "all" else int(choice))
    except reminders.ReminderError:
        abort(404)
    flash(_("%(count)s 件を既読にしました。", count=count), "success")
    return redirect(url_for("inbox.inbox"))


@bp.route("/followups/notice.pdf", methods=["POST"])
@roles(*NOTICE_ISSUERS)
def notice():
    """Issue and print the 督促通知 for the chosen section, or one per section with overdue follow-ups."""
    section_id = request.form.get("section", type=int)
    config = current_app.config
    try:
        issued = notices.issue(get_db(), user_id=current_user.id, today=clock.now().date(), section_id=section_id,
                               number_format=config["NOTICE_NUMBER_FORMAT"], sender=config["NOTICE_SENDER"])
    except notices.NoticeError as error:
        flash(str(error), "error")
        return redirect(url_for("followups.followup_list", section=section_id or None))
    fonts = current_app.extensions["fonts"]
    response = make_response(printing.combined([notice_pdf.build_notice(n, fonts) for n in issued]))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = 'inline; filename="tokusoku.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
