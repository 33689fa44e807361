"""The visit: start, record each check with its self-report beside it, photos, signatures, lock, amend."""
import base64
import binascii
import hashlib
import io
import json
import re
from datetime import datetime, timezone

from PIL import Image, UnidentifiedImageError

from . import audit, crosscheck
from .campaigns import get_campaign, pinned_onsite, pinned_selfcheck
from .selfcheck import applies
from .clock import now_iso
from .sqlite import immediate

FIELDS = ("result", "remark", "comment")
MAX_REMARK = 2000
MAX_COMMENT = 4000
MAX_NAME = 60
MAX_SIGNATURE_BYTES = 400_000
CLIENT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
ROLES = {"auditor": "監査員", "auditee": "被監査者"}


class VisitError(ValueError):
    """A Japanese, user-facing reason why a visit change was refused."""


class VisitLocked(VisitError):
    """The visit is signed and locked; only an amendment can change it."""


def start_visit(db, *, campaign_id, staff_id, auditor_id, draw_id=None):
    """Open a visit of one staff member in a campaign; returns its id."""
    person = db.execute("SELECT section_id, retired_at FROM staff WHERE id = ?", [staff_id]).fetchone()
    if person is None or person[1] is not None:
        raise VisitError("この職員は在職者の名簿にいません。")
    if get_campaign(db, campaign_id=campaign_id) is None:
        raise VisitError("キャンペーンがありません。")
    with immediate(db):
        visit_id = db["visits"].insert(
            {"campaign_id": campaign_id, "section_id": person[0], "staff_id": staff_id, "draw_id": draw_id,
             "auditor_id": auditor_id, "status": "open", "started_at": now_iso()}
        ).last_pk
        audit.record(db, user_id=auditor_id, action="start", entity="visit", entity_id=visit_id,
                     after={"staff_id": staff_id, "draw_id": draw_id})
    return visit_id


def get_visit(db, visit_id):
    """A visit with its campaign, section, person and auditor, or None."""
    rows = list(db.query(
        """
        SELECT v.*, c.code AS campaign_code, c.title AS campaign_title, c.fiscal_year,
               sec.code AS section_code, sec.name AS section_name, sec.my_number, sec.outsourced,
               s.staff_no, s.name AS person_name, s.kana, s.employment, s.uses_pc,
               u.display_name AS auditor_name,
               (SELECT n.id FROM visits n WHERE n.supersedes_id = v.id) AS superseded_by
        FROM visits v JOIN campaigns c ON c.id = v.campaign_id JOIN sections sec ON sec.id = v.section_id
        JOIN staff s ON s.id = v.staff_id JOIN users u ON u.id = v.auditor_id WHERE v.id = ?
        """,
        [visit_id],
    ))
    return rows[0] if rows else None


def list_visits(db, *, campaign_id=None, staff_id=None, limit=100):
    """Recent visits, newest first, with person, section and progress."""
    conditions = [(column, value) for column, value in (("v.campaign_id", campaign_id), ("v.staff_id", staff_id)) if value]
    where = "WHERE " + " AND ".join(f"{column} = ?" for column, _ in conditions) if conditions else ""
    params = [value for _, value in conditions]
    return list(db.query(
        f"""
        SELECT v.id, v.status, v.started_at, v.locked_at, v.version, v.draw_id, s.name AS person_name,
               s.staff_no, sec.name AS section_name, c.code AS campaign_code, u.display_name AS auditor_name,
               (SELECT count(*) FROM visit_results r WHERE r.visit_id = v.id AND r.result <> '') AS done
        FROM visits v JOIN staff s ON s.id = v.staff_id JOIN sections sec ON sec.id = v.section_id
        JOIN campaigns c ON c.id = v.campaign_id JOIN users u ON u.id = v.auditor_id
        {where} ORDER BY v.id DESC LIMIT ?
        """,
        params + [limit],
    ))


def applicable_checks(db, visit):
    """The on-site checks that apply to this person and section, from the campaign's pinned list."""
    checklist = pinned_onsite(db, get_campaign(db, campaign_id=visit["campaign_id"]))
    checks = checklist.applicable(uses_pc=bool(visit["uses_pc"]), my_number=bool(visit["my_number"]),
                                  outsourced=bool(visit["outsourced"]))
    return checklist, checks


def self_reports(db, visit):
    """What this person answered in the visit's campaign: {item no: (item, answer option or None, date)}."""
    campaign = get_campaign(db, campaign_id=visit["campaign_id"])
    sheet = pinned_selfcheck(db, campaign)
    response = db.execute(
        "SELECT id, answered_on FROM selfcheck_responses WHERE campaign_id = ? AND staff_id = ?",
        [visit["campaign_id"], visit["staff_id"]],
    ).fetchone()
    answers = {}
    if response:
        answers = dict(db.execute("SELECT item_no, answer FROM selfcheck_answers WHERE response_id = ?", [response[0]]))
    answered_on = response[1] if response else None
    return {
        item.no: (item, sheet.answer(answers[item.no]) if item.no in answers else None, answered_on)
        for item in sheet.items
    }


def walk(db, visit):
    """Everything the walk-through shows: per check its guidance, self-reports, result, remark, photos."""
    checklist, checks = applicable_checks(db, visit)
    reports = self_reports(db, visit)
    saved = {row["check_code"]: row for row in db.query("SELECT * FROM visit_results WHERE visit_id = ?", [visit["id"]])}
    photos = {}
    for photo in db.query(
        "SELECT id, check_code, width, height FROM photos WHERE visit_id = ? AND deleted_at IS NULL ORDER BY id",
        [visit["id"]],
    ):
        photos.setdefault(photo["check_code"], []).append(photo)
    steps = []
    flags = {"uses_pc": bool(visit["uses_pc"]), "my_number": bool(visit["my_number"]),
             "outsourced": bool(visit["outsourced"])}
    for check in checks:
        row = saved.get(check.code, {})
        # Only items that apply to this person: item 23 means nothing in a section without My Number work.
        linked = [reports[no] for no in check.verifies if no in reports and applies(reports[no][0].group, **flags)]
        result = row.get("result", "")
        steps.append({
            "check": check,
            "result": result,
            "result_label": checklist.result(result).label if result else "",
            "remark": row.get("remark", ""),
            "photos": photos.get(check.code, []),
            "reports": linked,
            "claims_done": any(option and option.reported == "done" for _, option, _ in linked),
            "discrepancy": crosscheck.is_discrepancy([option.reported if option else None for _, option, _ in linked], result),
        })
    return checklist, steps


def save_change(db, visit_id, user_id, *, key, field, value, changed_at, check_code=None):
    """Apply one autosaved change exactly once; an older change never overwrites a newer one.

    `key` makes a retried request harmless; `changed_at` is the browser's clock at the change, so a
    change replayed after a Wi-Fi drop loses to one made later in another tab.
    """
    if not KEY.match(key or ""):
        raise VisitError("変更の識別子が正しくありません。")
    if field not in FIELDS:
        raise VisitError("保存できない項目です。")
    if not CLIENT_TIME.match(changed_at or ""):
        changed_at = client_now()
    with immediate(db):
        done = db.execute("SELECT response FROM idempotency_keys WHERE key = ?", [key]).fetchone()
        if done:
            return json.loads(done[0])
        visit = _open_visit(db, visit_id)
        if field == "comment":
            applied = _save_comment(db, visit, user_id, value, changed_at)
        else:
            applied = _save_result_field(db, visit, user_id, check_code, field, value, changed_at)
        response = {"saved": True, "applied": applied, "key": key}
        db["idempotency_keys"].insert({"key": key, "user_id": user_id, "response": json.dumps(response),
                                       "created_at": now_iso()})
    return response


def _save_result_field(db, visit, user_id, check_code, field, value, changed_at):
    checklist, checks = applicable_checks(db, visit)
    if check_code not in {c.code for c in checks}:
        raise VisitError("この訪問に含まれない確認項目です。")
    value = (value or "").strip() if field == "remark" else (value or "")
    if field == "result" and value and value not in {r.code for r in checklist.results}:
        raise VisitError("結果の選択肢にない値です。")
    if field == "remark" and len(value) > MAX_REMARK:
        raise VisitError(f"所見は {MAX_REMARK} 文字以内にしてください。")
    row = db.execute(
        f"SELECT {field}, {field}_changed_at FROM visit_results WHERE visit_id = ? AND check_code = ?",
        [visit["id"], check_code],
    ).fetchone()
    if row and row[1] and row[1] > changed_at:
        return False  # a later change already won
    db.execute(
        f"""INSERT INTO visit_results (visit_id, check_code, {field}, {field}_changed_at, updated_at, updated_by)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (visit_id, check_code) DO UPDATE SET {field} = excluded.{field},
              {field}_changed_at = excluded.{field}_changed_at, updated_at = excluded.updated_at,
              updated_by = excluded.updated_by""",
        [visit["id"], check_code, value, changed_at, now_iso(), user_id],
    )
    audit.record(db, user_id=user_id, action=f"set_{field}", entity="visit", entity_id=visit["id"],
                 before={"check": check_code, field: row[0] if row else None},
                 after={"check": check_code, field: value})
    return True


def _save_comment(db, visit, user_id, value, changed_at):
    value = (value or "").strip()
    if len(value) > MAX_COMMENT:
        raise VisitError(f"総評は {MAX_COMMENT} 文字以内にしてください。")
    if visit["comment_changed_at"] and visit["comment_changed_at"] > changed_at:
        return False
    db["visits"].update(visit["id"], {"overall_comment": value, "comment_changed_at": changed_at})
    audit.record(db, user_id=user_id, action="set_comment", entity="visit", entity_id=visit["id"],
                 before={"comment": visit["overall_comment"]}, after={"comment": value})
    return True


def _open_visit(db, visit_id):
    visit = get_visit(db, visit_id)
    if visit is None:
        raise VisitError("訪問記録がありません。")
    if visit["status"] == "locked":
        raise VisitLocked("この監査記録は署名済みで確定しています。修正は「訂正」から行ってください。")
    return visit


def client_now():
    """Now in the browser's format (UTC, milliseconds), for changes that arrive without a time."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def add_photo(db, visit_id, user_id, check_code, stored):
    """Attach a processed photo (see photos.process) to a check of an open visit; returns its id."""
    with immediate(db):
        visit = _open_visit(db, visit_id)
        _, checks = applicable_checks(db, visit)
        check = next((c for c in checks if c.code == check_code), None)
        if check is None:
            raise VisitError("この訪問に含まれない確認項目です。")
        if check.photo != "allowed":
            raise VisitError("この確認項目は写真を撮影しない項目です。")
        photo_id = db["photos"].insert(
            {"visit_id": visit_id, "check_code": check_code, "file_name": stored.name, "thumb_name": stored.thumb_name,
             "sha256": stored.sha256, "width": stored.width, "height": stored.height, "size": stored.size,
             "created_at": now_iso(), "created_by": user_id}
        ).last_pk
        audit.record(db, user_id=user_id, action="add_photo", entity="visit", entity_id=visit_id,
                     after={"check": check_code, "photo_id": photo_id, "sha256": stored.sha256})
    return photo_id


def remove_photo(db, visit_id, photo_id, user_id):
    """Withdraw a photo from an open visit (the file stays for the audit trail)."""
    with immediate(db):
        _open_visit(db, visit_id)
        row = db.execute("SELECT check_code FROM photos WHERE id = ? AND visit_id = ? AND deleted_at IS NULL",
                         [photo_id, visit_id]).fetchone()
        if row is None:
            raise VisitError("写真がありません。")
        db["photos"].update(photo_id, {"deleted_at": now_iso()})
        audit.record(db, user_id=user_id, action="remove_photo", entity="visit", entity_id=visit_id,
                     before={"check": row[0], "photo_id": photo_id})


def get_photo(db, visit_id, photo_id):
    """A photo row of a visit (withdrawn ones too, for the record), or None."""
    rows = list(db.query("SELECT * FROM photos WHERE id = ? AND visit_id = ?", [photo_id, visit_id]))
    return rows[0] if rows else None


def missing_results(db, visit):
    """Titles of applicable checks that have no result yet."""
    _, steps = walk(db, visit)
    return [step["check"].title for step in steps if not step["result"]]


def signatures(db, visit_id):
    """The visit's signatures by role."""
    return {row["role"]: row for row in db.query("SELECT * FROM signatures WHERE visit_id = ?", [visit_id])}


def sign(db, visit_id, user_id, *, role, name, data_url=None, refused=False, reason=""):
    """Record one side's signature (or refusal); when both sides are done the visit is locked."""
    if role not in ROLES:
        raise VisitError("署名者の区分が正しくありません。")
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise VisitError(f"{ROLES[role]}の氏名を入力してください（{MAX_NAME} 文字以内）。")
    refused = bool(refused) and role == "auditee"  # only the audited person may refuse
    reason = (reason or "").strip()
    if refused and not reason:
        raise VisitError("署名を拒否する理由を入力してください。")
    png = None if refused else signature_png(data_url)
    with immediate(db):
        visit = _open_visit(db, visit_id)
        missing = missing_results(db, visit)
        if missing:
            raise VisitError(f"結果が未入力の確認項目があります: {'、'.join(missing)}")
        db.execute("DELETE FROM signatures WHERE visit_id = ? AND role = ?", [visit_id, role])
        db["signatures"].insert({
            "visit_id": visit_id, "role": role, "name": name, "png": png,
            "sha256": hashlib.sha256(png).hexdigest() if png else None, "refused": int(refused),
            "refusal_reason": reason if refused else "", "signed_at": now_iso(),
        })
        audit.record(db, user_id=user_id, action="refuse_signature" if refused else "sign", entity="visit",
                     entity_id=visit_id, after={"role": role, "name": name, "reason": reason if refused else None})
        if set(signatures(db, visit_id)) == set(ROLES):
            db["visits"].update(visit_id, {"status": "locked", "locked_at": now_iso()})
            audit.record(db, user_id=user_id, action="lock", entity="visit", entity_id=visit_id)
            return True
    return False


def signature_png(data_url):
    """The PNG bytes of a drawn signature, checked to be a real, reasonably sized PNG."""
    prefix = "data:image/png;base64,"
    if not data_url or not data_url.startswith(prefix):
        raise VisitError("署名が描かれていません。枠の中に署名してください。")
    try:
        data = base64.b64decode(data_url[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise VisitError("署名の画像が壊れています。もう一度署名してください。") from None
    if len(data) > MAX_SIGNATURE_BYTES:
        raise VisitError("署名の画像が大きすぎます。")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG" or image.width > 2400 or image.height > 1200:
                raise VisitError("署名の画像が正しくありません。")
            image.load()
            if image.getbbox() is None or (image.mode == "RGBA" and image.getchannel("A").getbbox() is None):
                raise VisitError("署名が描かれていません。枠の中に署名してください。")
    except (UnidentifiedImageError, OSError):
        raise VisitError("署名の画像が壊れています。もう一度署名してください。") from None
    return data


def amend(db, visit_id, user_id, reason):
    """Open a corrected version of a locked visit; the locked one is kept as it was."""
    reason = (reason or "").strip()
    if not reason:
        raise VisitError("訂正の理由を入力してください。")
    visit = get_visit(db, visit_id)
    if visit is None or visit["status"] != "locked":
        raise VisitError("訂正できるのは署名済みで確定した記録だけです。")
    if visit["superseded_by"]:
        raise VisitError("この記録は既に訂正されています。最新の版を訂正してください。")
    with immediate(db):
        new_id = db["visits"].insert({
            "campaign_id": visit["campaign_id"], "section_id": visit["section_id"], "staff_id": visit["staff_id"],
            "draw_id": visit["draw_id"], "auditor_id": user_id, "status": "open",
            "overall_comment": visit["overall_comment"], "started_at": visit["started_at"],
            "version": visit["version"] + 1, "supersedes_id": visit_id, "amendment_reason": reason,
        }).last_pk
        db.execute(
            "INSERT INTO visit_results (visit_id, check_code, result, remark, result_changed_at, remark_changed_at,"
            " updated_at, updated_by) SELECT ?, check_code, result, remark, result_changed_at, remark_changed_at,"
            " updated_at, updated_by FROM visit_results WHERE visit_id = ?", [new_id, visit_id])
        db.execute(
            "INSERT INTO photos (visit_id, check_code, file_name, thumb_name, sha256, width, height, size, created_at,"
            " created_by) SELECT ?, check_code, file_name, thumb_name, sha256, width, height, size,"
            " created_at, created_by FROM photos WHERE visit_id = ? AND deleted_at IS NULL ORDER BY id",
            [new_id, visit_id])
        audit.record(db, user_id=user_id, action="amend", entity="visit", entity_id=new_id,
                     after={"supersedes": visit_id, "reason": reason})
    return new_id


def visited_staff(db, campaign_id):
    """Ids of staff already visited in a campaign."""
    return {row[0] for row in db.execute("SELECT DISTINCT staff_id FROM visits WHERE campaign_id = ?", [campaign_id])}


def names_for(db, kind, ids):
    """Display names for the ids in a draw's pool (staff or sections)."""
    table, label = ("staff", "name || '（' || staff_no || '）'") if kind == "staff" else ("sections", "name")
    marks = ",".join("?" * len(ids))
    return dict(db.execute(f"SELECT id, {label} FROM {table} WHERE id IN ({marks})", list(ids))) if ids else {}


def log_entries(db, visit_id):
    """The visit's audit log with changes decoded, oldest first."""
    return [dict(e, before=json.loads(e["before"]) if e["before"] else None,
                 after=json.loads(e["after"]) if e["after"] else None)
            for e in audit.entries(db, "visit", visit_id)]
