"""Public verification of a findings sheet: by its QR code, its serial, or the PDF itself. No login."""
from flask import Blueprint, current_app, render_template, request

from .. import issuance
from ..db import get_db
from ..security import public
from .sheets import photo_check

bp = Blueprint("verify", __name__)


@bp.route("/verify", methods=["GET", "POST"])
@public
def verify_form():
    """Type a serial, or upload the PDF to learn whether it is exactly the issued file."""
    if request.method == "POST":
        upload = request.files.get("pdf")
        limit = current_app.config["PUBLIC_MAX_CONTENT_LENGTH"]  # the body was checked against it before it was read
        data = upload.read(limit + 1) if upload else b""
        serial = issuance.find_by_pdf(get_db(), data) if data and len(data) <= limit else None
        result = issuance.status(get_db(), serial, photo_check) if serial else None
        return render_template("verify/result.html", status=result, uploaded=True, paper_digest=None)
    serial = request.args.get("serial", "").strip()
    if serial:
        return verify_serial(serial)
    return render_template("verify/form.html")


@bp.route("/verify/<serial>")
@public
def verify_serial(serial):
    """What the QR code opens: valid, altered or superseded — and nothing personal."""
    status = issuance.status(get_db(), serial, photo_check)
    paper_digest = request.args.get("d")
    if status["state"] in (issuance.VALID, issuance.PURGED) and paper_digest and paper_digest != status["digest"]:
        status = dict(status, state=issuance.ALTERED)  # the paper states other facts than the record
    return render_template("verify/result.html", status=status, uploaded=False, paper_digest=paper_digest)
