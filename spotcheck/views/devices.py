"""管理外機器台帳: record unmanaged devices during a visit or a 機器の棚卸し sweep, and follow what became of them."""
import io
import secrets
from pathlib import Path

from flask import (Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit, auth, device_export, device_figures, devices, exports, photos, roster
from ..db import get_db
from ..i18n import translated
from ..security import roles

bp = Blueprint("devices", __name__)
RECORDERS = auth.AUDIT_TEAM
READERS = ("admin", "auditor", "section_head")


def _own_section():
    """A section head's own section (they see only its devices); None for everyone else."""
    return current_user.section_id if current_user.role == "section_head" else None


def _device_or_404(device_id):
    """A device this user may see; another section's is 'not found', not 'forbidden'."""
    device = devices.get(get_db(), device_id)
    if device is None or (_own_section() and device["section_id"] != _own_section()):
        abort(404)
    return device


def _messages(error):
    """Each problem of a DeviceError in the request's language."""
    return [_(msgid, **values) for msgid, values in error.problems]


@bp.app_template_global("device_counts")
def device_counts():
    """The register's counts for a dashboard (counts only: shown to viewers too)."""
    return device_figures.counts(get_db())


@bp.app_template_global("device_labels")
def device_labels():
    """The register's code → label tables for a template outside this blueprint."""
    return _labels()


@bp.route("/devices")
@roles(*READERS)
def register():
    """The register, filtered by section, status and kind; a section head sees their own section only."""
    db = get_db()
    args = request.args
    section_id = _own_section() or args.get("section", type=int)
    status = args.get("status") if args.get("status") in devices.STATUSES else None
    kind = args.get("kind") if args.get("kind") in devices.KINDS else None
    return render_template(
        "devices/register.html", rows=devices.listing(db, section_id=section_id, status=status, kind=kind),
        sections=[] if _own_section() else roster.section_choices(db), figures=device_figures.counts(db, section_id=_own_section()),
        sweeps=devices.list_sweeps(db, section_id=_own_section()), **_labels())


@bp.route("/devices/<int:device_id>")
@roles(*READERS)
def detail(device_id):
    """One device: what was found where, its photo, its history, and (for the audit team) a status change."""
    device = _device_or_404(device_id)
    return render_template("devices/detail.html", device=device, history=devices.history(get_db(), device_id),
                           next_statuses=devices.NEXT[device["status"]], **_labels())


@bp.route("/devices/<int:device_id>/status", methods=["POST"])
@roles(*RECORDERS)
def set_status(device_id):
    """管理へ移行 or 撤去, with a note; a second tap of the same form changes nothing."""
    _device_or_404(device_id)
    form = request.form
    try:
        changed = devices.change_status(get_db(), device_id, current_user.id, expected=form.get("expected", ""),
                                        status=form.get("status", ""), note=form.get("note", ""))
    except devices.DeviceError as error:
        for message in _messages(error):
            flash(message, "error")
    else:
        if changed:
            flash(_("状況を変更しました。"), "success")
        else:
            flash(_("この機器の状況は既に変更されています。最新の状況を確かめてください。"), "info")
    return redirect(url_for("devices.detail", device_id=device_id))


@bp.route("/devices/<int:device_id>/edit", methods=["GET", "POST"])
@roles(*RECORDERS)
def edit(device_id):
    """Correct a device's record (a wrong section, a mistyped place); a colleague's change in between is not overwritten."""
    device = _device_or_404(device_id)
    if request.method == "GET":
        return _edit_form(device, values=device)
    form = request.form
    data = devices.DeviceInput(
        kind=form.get("kind", ""), section_id=form.get("section_id", type=int), location=form.get("location", ""),
        purpose=form.get("purpose", ""), lan=form.get("lan", ""), internet=form.get("internet", ""),
        used_by=form.get("used_by", ""))
    try:
        saved = devices.update_details(get_db(), device_id, current_user.id, data, expected=form.get("expected", ""))
    except devices.DeviceError as error:
        return _edit_form(device, values=data.__dict__, errors=_messages(error)), 422
    if not saved:
        fresh = devices.get(get_db(), device_id)
        return _edit_form(fresh, values=fresh, errors=[_(
            "この機器の記録は、画面を開いた後に他の人が変更しました。最新の内容を表示しています。もう一度訂正してください。")]), 409
    flash(_("機器の記録を訂正しました。"), "success")
    return redirect(url_for("devices.detail", device_id=device_id))


def _edit_form(device, *, values, errors=()):
    return render_template("devices/edit.html", device=device, values=values, errors=errors,
                           sections=roster.section_choices(get_db()), details_token=devices.details_token, **_labels())


@bp.route("/devices.<any(csv, xlsx):fmt>")
@roles(*READERS)
def export(fmt):
    """The register as CSV (UTF-8 with BOM) or XLSX; a section head gets their own section's devices only."""
    db = get_db()
    title, header, rows = device_export.table(db, section_id=_own_section())
    if fmt == "csv":
        data, mimetype = exports.csv_bytes(header, rows), "text/csv; charset=utf-8"
    else:
        data = exports.xlsx_bytes(header, rows, title)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    audit.record(db, user_id=current_user.id, action="export", entity="device", entity_id=None,
                 after={"format": fmt, "rows": len(rows)})
    response = make_response(data)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="devices.{fmt}"'
    return response


@bp.route("/devices/<int:device_id>/photo/<any(thumb, full):size>")
@roles(*READERS)
def photo(device_id, size):
    """The label photo, read back by its generated name and checked."""
    device = _device_or_404(device_id)
    if not device["photo_name"]:
        abort(404)
    folder = Path(current_app.instance_path) / "photos"
    try:
        data = photos.read_verified(folder, device["photo_thumb" if size == "thumb" else "photo_name"],
                                    device["photo_sha256"] if size == "full" else None)
    except photos.PhotoError:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/devices/new")
@roles(*RECORDERS)
def new():
    """The form to record one device, found during a visit (?visit=…&step=…) or on its own."""
    db = get_db()
    visit_id = request.args.get("visit", type=int)
    section_id = devices.visit_section(db, visit_id) if visit_id else None
    if visit_id and section_id is None:
        abort(404)
    return _form(values={"section_id": section_id}, visit_id=visit_id, step=_step())


@bp.route("/devices", methods=["POST"])
@roles(*RECORDERS)
def create():
    """Store one device; back to the visit's same check, to the sweep for the next device, or to its page."""
    db, form = get_db(), request.form
    visit_id, sweep_id = form.get("visit_id", type=int), form.get("sweep_id", type=int)
    data = devices.DeviceInput(
        kind=form.get("kind", ""), section_id=form.get("section_id", type=int), location=form.get("location", ""),
        purpose=form.get("purpose", ""), lan=form.get("lan", ""), internet=form.get("internet", ""),
        used_by=form.get("used_by", ""), visit_id=visit_id, sweep_id=sweep_id)
    problems = devices.check_input(db, data)
    if problems:  # before the photo is processed: nothing is stored for a form we refuse
        return _refused(data, devices.DeviceError(*problems), visit_id, sweep_id)
    folder, stored, upload = Path(current_app.instance_path) / "photos", None, request.files.get("photo")
    try:
        if upload and upload.filename:
            stored = photos.process(upload.read(), folder)
        device_id, created = devices.record(
            db, data, current_user.id, form.get("submit_key", ""),
            devices.Photo(stored.name, stored.thumb_name, stored.sha256) if stored else None)
    except BaseException as error:
        if stored:
            photos.discard(folder, stored)  # no row points at it: nothing half written
        if isinstance(error, photos.PhotoError):
            return _refused(data, devices.DeviceError((error.msgid, error.values)), visit_id, sweep_id)
        if isinstance(error, devices.DeviceError):
            return _refused(data, error, visit_id, sweep_id)
        raise
    if stored and not created:
        photos.discard(folder, stored)  # the same form sent twice: the first device keeps the first photo
    flash(_("管理外の機器を記録しました（台帳 No.%(id)s）。", id=device_id), "success")
    if visit_id:
        return redirect(url_for("visits.visit", visit_id=visit_id) + (f"#step-{_step()}" if _step() else ""))
    if sweep_id:
        return redirect(url_for("devices.sweep", sweep_id=sweep_id))
    return redirect(url_for("devices.detail", device_id=device_id))


def _refused(data, error, visit_id, sweep_id):
    values = {k: getattr(data, k) for k in ("kind", "section_id", "location", "purpose", "lan", "internet", "used_by")}
    if sweep_id and devices.get_sweep(get_db(), sweep_id):
        return _sweep_page(sweep_id, values=values, errors=_messages(error)), 422
    return _form(values=values, visit_id=visit_id, step=_step(), errors=_messages(error)), 422


def _step():
    """The visit's check to return to (its number on the walk screen), if any."""
    step = request.values.get("step", type=int)
    return step if step and 0 < step < 1000 else None


def _form(*, values, visit_id=None, step=None, errors=()):
    return render_template("devices/new.html", values=values, visit_id=visit_id, step=step, errors=errors,
                           sections=roster.section_choices(get_db()), submit_key=secrets.token_hex(16), **_labels())


# ---------------------------------------------------------------- 機器の棚卸し


@bp.route("/devices/sweeps/new", methods=["GET", "POST"])
@roles(*RECORDERS)
def start_sweep():
    """Start a sweep of one section's floor or area."""
    db = get_db()
    errors = []
    if request.method == "POST":
        try:
            sweep_id = devices.start_sweep(db, request.form.get("section_id", type=int), request.form.get("area", ""),
                                           current_user.id)
        except devices.DeviceError as error:
            errors = _messages(error)
        else:
            return redirect(url_for("devices.sweep", sweep_id=sweep_id))
    return render_template("devices/sweep_new.html", sections=roster.section_choices(db), errors=errors,
                           form=request.form), 422 if errors else 200


@bp.route("/devices/sweeps/<int:sweep_id>")
@roles(*RECORDERS)
def sweep(sweep_id):
    """The sweep in progress: the devices found so far, a form for the next, and 棚卸しを終える."""
    if devices.get_sweep(get_db(), sweep_id) is None:
        abort(404)
    return _sweep_page(sweep_id)


@bp.route("/devices/sweeps/<int:sweep_id>/finish", methods=["POST"])
@roles(*RECORDERS)
def finish_sweep(sweep_id):
    """End the sweep with its count (0 found is a result); a second tap keeps the first."""
    try:
        count = devices.finish_sweep(get_db(), sweep_id, current_user.id)
    except devices.DeviceError:
        abort(404)
    flash(_("棚卸しを終了しました（見つかった管理外の機器: %(n)s 台）。", n=count), "success")
    return redirect(url_for("devices.sweep", sweep_id=sweep_id))


def _sweep_page(sweep_id, *, values=None, errors=()):
    db = get_db()
    sweep = devices.get_sweep(db, sweep_id)
    return render_template("devices/sweep.html", sweep=sweep, rows=devices.listing(db, sweep_id=sweep_id),
                           values=values or {"section_id": sweep["section_id"]}, errors=errors,
                           sections=roster.section_choices(db), submit_key=secrets.token_hex(16), **_labels())


def _labels():
    return {"kinds": devices.KINDS, "statuses": devices.STATUSES, "connection": devices.CONNECTION}
