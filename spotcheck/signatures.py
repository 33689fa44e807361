"""The two signatures on the glass (or the person's recorded refusal), and the lock they bring."""
import base64
import binascii
import hashlib
import io

from flask_babel import gettext, lazy_gettext as _
from PIL import Image, UnidentifiedImageError

from . import audit, record, texts
from .clock import now_iso
from .sqlite import immediate
from .visits import VisitError, open_visit

ROLES = {"auditor": "監査員", "auditee": "被監査者"}
MAX_NAME = 60
MAX_REASON = 200  # the refusal reason; the form says the same
MAX_SIGNATURE_BYTES = 400_000


def not_ready(steps):
    """Why the visit cannot be signed yet: checks without a result, and findings without a remark.

    Plain strings in the language of the moment (never lazy: a lazy string would reach a template unescaped).
    """
    problems = []
    missing = [step.check.title for step in steps if not step.result]
    if missing:
        problems.append(gettext("結果が未入力の確認項目があります: %(checks)s", checks="、".join(missing)))
    silent = [step.check.title for step in steps if step.failed and not step.remark]
    if silent:
        # The sheet states the auditor's words as the fact, so a finding needs them before anyone signs.
        problems.append(gettext("%(results)sの所見（見たこと）が未記入の確認項目があります: %(checks)s",
                                results=finding_words(steps[0].checklist), checks="、".join(silent)))
    return problems


def finding_words(checklist):
    """不適合・重大: the finding results as the campaign's pinned checklist names them."""
    return "・".join(gettext(r.label) for r in checklist.findings)


def signatures(db, visit_id):
    """The visit's signatures by role."""
    return {row["role"]: row for row in db.query("SELECT * FROM signatures WHERE visit_id = ?", [visit_id])}


def sign(db, visit_id, user_id, *, role, name, data_url=None, refused=False, reason=""):
    """Record one side's signature (or refusal); when both sides are done the visit is locked."""
    if role not in ROLES:
        raise VisitError(_("署名者の区分が正しくありません。"))
    name, reason = (("" if text is None else text.strip() if isinstance(text, str) else text) for text in (name, reason))
    if not name:
        raise VisitError(_("%(role)sの氏名を入力してください（%(limit)s 文字以内）。", role=_(ROLES[role]), limit=MAX_NAME))
    refused = bool(refused) and role == "auditee"  # only the audited person may refuse
    if refused and not reason:
        raise VisitError(_("署名を拒否する理由を入力してください。"))
    for text, label, limit in ((name, _("%(role)sの氏名", role=_(ROLES[role])), MAX_NAME),
                                (reason, _("署名拒否の理由"), MAX_REASON)):
        if problem := texts.problem(text, label=label, limit=limit):
            raise VisitError(problem)
    png = None if refused else signature_png(data_url)
    with immediate(db):
        open_visit(db, visit_id, user_id)
        current = record.load(db, visit_id)
        problems = not_ready(current.steps)
        if problems:
            raise VisitError(" ".join(problems))
        db.execute("DELETE FROM signatures WHERE visit_id = ? AND role = ?", [visit_id, role])
        db["signatures"].insert({
            "visit_id": visit_id, "role": role, "name": name, "png": png,
            "sha256": hashlib.sha256(png).hexdigest() if png else None, "refused": int(refused),
            "refusal_reason": reason if refused else "", "signed_at": now_iso(),
        })
        audit.record(db, user_id=user_id, action="refuse_signature" if refused else "sign", entity="visit",
                     entity_id=visit_id, after={"role": role, "name": name, "reason": reason if refused else None})
        if set(signatures(db, visit_id)) == set(ROLES):
            record.freeze(db, current)
            db["visits"].update(visit_id, {"status": "locked", "locked_at": now_iso()})
            audit.record(db, user_id=user_id, action="lock", entity="visit", entity_id=visit_id)
            return True
    return False


def signature_png(data_url):
    """The PNG bytes of a drawn signature, checked to be a real, reasonably sized PNG."""
    prefix = "data:image/png;base64,"
    if not data_url or not data_url.startswith(prefix):
        raise VisitError(_("署名が描かれていません。枠の中に署名してください。"))
    try:
        data = base64.b64decode(data_url[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise VisitError(_("署名の画像が壊れています。もう一度署名してください。")) from None
    if len(data) > MAX_SIGNATURE_BYTES:
        raise VisitError(_("署名の画像が大きすぎます。"))
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG" or image.width > 2400 or image.height > 1200:
                raise VisitError(_("署名の画像が正しくありません。"))
            image.load()
            if image.getbbox() is None or (image.mode == "RGBA" and image.getchannel("A").getbbox() is None):
                raise VisitError(_("署名が描かれていません。枠の中に署名してください。"))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        # A header claiming 100,000 × 100,000 pixels is refused before anything is decoded.
        raise VisitError(_("署名の画像が壊れています。もう一度署名してください。")) from None
    return data
