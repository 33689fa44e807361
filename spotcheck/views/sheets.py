"""Printing findings sheets: one visit's, or all of a day's or a section's as a single PDF."""
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit, deployment, issuance, printing, retention, roster
from ..db import get_db
from ..security import roles

bp = Blueprint("sheets", __name__)


def photo_check(name, sha256):
    """True when a photo file in this instance still has its recorded hash."""
    return printing.photo_checker(Path(current_app.instance_path) / "photos")(name, sha256)


def _pdf(serial):
    config = current_app.config
    return printing.pdf(
        get_db(), serial, folder=Path(current_app.instance_path) / "sheets", fonts=current_app.extensions["fonts"],
        base_url=config["BASE_URL"], photo_folder=Path(current_app.instance_path) / "photos",
        basis=config["AUDIT_BASIS"], due_days=config["FOLLOWUP_DAYS"],
    )


def _refusal():
    """The Japanese page refusing to print while the QR address would point at the reader's own device."""
    problem = deployment.print_problem(current_app.config["BASE_URL"], request_host=request.host,
                                       bound_host=current_app.extensions.get("serve_host"))
    return None if problem is None else (render_template("error.html", code=503, message=problem), 503)


def _send(data, filename):
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.route("/visits/<int:visit_id>/sheet.pdf")
@roles("admin", "auditor")
def visit_sheet(visit_id):
    """The findings sheet of a locked visit, as an A4 PDF."""
    sheet = issuance.get_sheet(get_db(), visit_id=visit_id)
    if sheet is None:
        abort(404)
    if retention.is_purged(get_db(), visit_id):  # its content is gone: never build a new, different file
        flash(_("この結果票は保存期間満了により廃棄済みです。"), "info")
        return redirect(url_for("visits.visit", visit_id=visit_id))
    if refused := _refusal():
        return refused
    data = _pdf(sheet["serial"])
    audit.record(get_db(), user_id=current_user.id, action="print", entity="sheet", entity_id=visit_id,
                 after={"serial": sheet["serial"]})
    return _send(data, f"{sheet['serial']}.pdf")


@bp.route("/sheets")
@roles("admin")
def batch():
    """Print every current sheet of one day and/or one section as a single PDF."""
    day, section = request.args.get("day", ""), request.args.get("section", type=int)
    if not day and not section:
        return render_template("sheets/batch.html", sections=roster.section_choices(get_db()))
    if refused := _refusal():
        return refused
    serials = printing.serials_for(get_db(), day=day or None, section_id=section)
    if not serials:
        flash(_("条件に合う結果票はありません。"), "info")
        return redirect(url_for("sheets.batch"))
    data = printing.combined([_pdf(serial) for serial in serials])
    audit.record(get_db(), user_id=current_user.id, action="print_batch", entity="sheet",
                 after={"day": day or None, "section_id": section, "serials": serials})
    return _send(data, "sheets.pdf")
