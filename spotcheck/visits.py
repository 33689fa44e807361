"""The visit: start by draw or by hand, its team, autosaved results and remarks, photos, amendments."""
import json
import re
from datetime import datetime, timedelta, timezone

from flask_babel import lazy_gettext as _

from . import audit, auth, record, retention, texts
from .campaigns import get_campaign
from .clock import now_iso
from .sqlite import immediate

FIELDS = ("result", "remark", "comment")
MAX_REMARK = 2000
MAX_COMMENT = 4000
MAX_REASON = 200
CLOCK_TOLERANCE = timedelta(days=1)
CLIENT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
PURGED = _("この監査記録は保存期間満了により廃棄済みです。変更・訂正はできません。")


class VisitError(ValueError):
    """A user-facing reason why a visit change was refused (Japanese, or the language of the request that shows it)."""


class VisitLocked(VisitError):
    """The visit is signed and locked; only an amendment can change it."""


class VisitConflict(VisitError):
    """The request clashes with what is already stored (a change key used for something else)."""


class VisitNotMember(VisitError):
    """The user is not on the visit's team of auditors."""


def start_visit(db, *, campaign_id, staff_id, auditor_id, draw_id=None, reason=""):
    """Open a visit of one staff member, chosen by a draw or by hand with a reason; returns its id."""
    reason = (reason or "").strip()
    person = db.execute("SELECT section_id, retired_at FROM staff WHERE id = ?", [staff_id]).fetchone()
    if person is None or person[1] is not None:
        raise VisitError(_("この職員は在職者の名簿にいません。"))
    check_start(db, campaign_id, draw_id, reason)
    with immediate(db):
        if draw_id is not None:
            _check_draw(db, draw_id, campaign_id, staff_id)
        visit_id = db["visits"].insert(
            {"campaign_id": campaign_id, "section_id": person[0], "staff_id": staff_id,
             "draw_id": draw_id, "selection_reason": "" if draw_id else reason, "auditor_id": auditor_id,
             "status": "open", "started_at": now_iso(), "scope": record.scope_at_start(db, campaign_id, record.live_subject(db, staff_id))}
        ).last_pk
        _add_auditor(db, visit_id, auditor_id, "lead", auditor_id)
        audit.record(db, user_id=auditor_id, action="start", entity="visit", entity_id=visit_id,
                     after={"staff_id": staff_id, "draw_id": draw_id, "reason": reason or None})
    return visit_id


def check_start(db, campaign_id, draw_id, reason):
    """What every new visit needs, whatever its subject: a live campaign, and a draw or a reason; returns the campaign."""
    campaign = get_campaign(db, campaign_id=campaign_id)
    if campaign is None:
        raise VisitError(_("キャンペーンがありません。"))
    if retention.campaign_purged(db, campaign_id):
        raise VisitError(_("このキャンペーンは保存期間満了により廃棄済みです。新しい実地監査は始められません。"))
    if draw_id is None and not reason:
        raise VisitError(_("抽選によらず選んだ理由を入力してください（例：前回の指摘の再確認）。"))
    if problem := texts.problem(reason, label=_("選んだ理由"), limit=MAX_REASON):
        raise VisitError(problem)
    return campaign


def _check_draw(db, draw_id, campaign_id, staff_id):
    """A draw starts only the visit of the person it chose, once."""
    row = db.execute("SELECT kind, campaign_id, chosen_id FROM draws WHERE id = ?", [draw_id]).fetchone()
    if row is None or row != ("staff", campaign_id, staff_id):
        raise VisitError(_("抽選記録がこの職員の抽選ではありません。"))
    if db.execute("SELECT 1 FROM visits WHERE draw_id = ? AND supersedes_id IS NULL", [draw_id]).fetchone():
        raise VisitError(_("この抽選記録では既に実地監査が始まっています。"))


def _add_auditor(db, visit_id, user_id, role, added_by):
    db["visit_auditors"].insert({"visit_id": visit_id, "user_id": user_id, "role": role, "added_at": now_iso(),
                                 "added_by": added_by})


def add_co_auditor(db, visit_id, user_id, co_auditor_id):
    """The lead (or the audit lead) adds a second auditor, who may then continue on their own tablet."""
    with immediate(db):
        visit = open_visit(db, visit_id)
        user = db.execute("SELECT role, active FROM users WHERE id = ?", [co_auditor_id]).fetchone()
        if user is None or user[0] not in auth.AUDIT_TEAM or not user[1]:
            raise VisitError(_("共同監査員には、有効な監査員のアカウントを選んでください。"))
        is_lead = db.execute("SELECT 1 FROM visit_auditors WHERE visit_id = ? AND user_id = ? AND role = 'lead'",
                             [visit_id, user_id]).fetchone()
        if not is_lead and not _is_admin(db, user_id):
            raise VisitNotMember(_("共同監査員を加えられるのは、主担当の監査員か監査責任者だけです。"))
        if db.execute("SELECT 1 FROM visit_auditors WHERE visit_id = ? AND user_id = ?",
                      [visit_id, co_auditor_id]).fetchone():
            raise VisitError(_("この監査員は既にこの実地監査の担当です。"))
        _add_auditor(db, visit["id"], co_auditor_id, "co", user_id)
        audit.record(db, user_id=user_id, action="add_auditor", entity="visit", entity_id=visit_id,
                     after={"user_id": co_auditor_id})


def _is_admin(db, user_id):
    return db.execute("SELECT role FROM users WHERE id = ?", [user_id]).fetchone() == ("admin",)


def is_member(db, visit_id, user_id):
    """True when the user is one of the visit's auditors."""
    return db.execute("SELECT 1 FROM visit_auditors WHERE visit_id = ? AND user_id = ?",
                      [visit_id, user_id]).fetchone() is not None


def get_visit(db, visit_id):
    """A visit with its campaign, section, person and lead auditor (as frozen, once locked), or None."""
    rows = list(db.query(
        """
        SELECT v.*, c.code AS campaign_code, c.title AS campaign_title, c.fiscal_year,
               p.section_code, p.section_name, sec.my_number, sec.outsourced,
               p.staff_no, p.person_name, p.kana, p.employment, s.uses_pc,
               u.display_name AS auditor_name, k.contract_no, k.title AS contract_title, k.contractor,
               (SELECT n.id FROM visits n WHERE n.supersedes_id = v.id) AS superseded_by
        FROM visits v JOIN campaigns c ON c.id = v.campaign_id JOIN sections sec ON sec.id = v.section_id
        LEFT JOIN staff s ON s.id = v.staff_id LEFT JOIN contracts k ON k.id = v.contract_id
        JOIN users u ON u.id = v.auditor_id
        JOIN visit_people p ON p.visit_id = v.id WHERE v.id = ?
        """,
        [visit_id],
    ))
    return rows[0] if rows else None


def list_visits(db, *, campaign_id=None, staff_id=None, limit=100):
    """Recent visits, newest first, with person, section and progress."""
    conditions = [(column, value) for column, value in (("v.campaign_id", campaign_id), ("v.staff_id", staff_id)) if value]
    where = "WHERE " + " AND ".join(f"{column} = ?" for column, _value in conditions) if conditions else ""
    params = [value for _column, value in conditions]
    return list(db.query(
        f"""
        SELECT v.id, v.status, v.started_at, v.locked_at, v.version, v.draw_id, v.selection_reason,
               p.person_name, p.staff_no, p.kana, p.section_name, c.code AS campaign_code, u.display_name AS auditor_name,
               v.subject_kind, (SELECT k.contract_no || ' ' || k.title FROM contracts k WHERE k.id = v.contract_id)
                 AS contract_label,
               (SELECT count(*) FROM visit_results x WHERE x.visit_id = v.id AND x.result <> '') AS done
        FROM visits v JOIN visit_people p ON p.visit_id = v.id
        JOIN campaigns c ON c.id = v.campaign_id JOIN users u ON u.id = v.auditor_id
        {where} ORDER BY v.id DESC LIMIT ?
        """,
        params + [limit],
    ))


def save_change(db, visit_id, user_id, *, key, field, value, changed_at, check_code=None):
    """Apply one autosaved change exactly once; an older change never overwrites a newer one.

    `key` makes a retried request harmless, and answers only the same change again (another visit
    or field under a used key is refused). `changed_at` is the browser's clock at the change, so a
    change replayed after a Wi-Fi drop loses to one made later in another tab; a clock more than
    a day off the server's is not trusted, and the server's time is used instead.
    """
    if not isinstance(key, str) or not KEY.match(key):
        raise VisitError(_("変更の識別子が正しくありません。"))
    if not isinstance(field, str) or field not in FIELDS:
        raise VisitError(_("保存できない項目です。"))
    if not all(isinstance(v, (str, type(None))) for v in (value, changed_at, check_code)):
        raise VisitError(_("送られた値の形式が正しくありません。画面を再読み込みしてください。"))
    target = json.dumps([visit_id, field, check_code if field != "comment" else None])
    with immediate(db):
        done = db.execute("SELECT response, target FROM idempotency_keys WHERE key = ?", [key]).fetchone()
        if done:
            if done[1] is not None and done[1] != target:
                raise VisitConflict(_("この変更の識別子は別の入力に使われています。画面を再読み込みしてください。"))
            return json.loads(done[0])
        visit = open_visit(db, visit_id, user_id)
        changed_at, distrusted = trusted_time(changed_at)
        if distrusted:
            audit.record(db, user_id=user_id, action="clock_distrusted", entity="visit", entity_id=visit_id,
                         after={"client_time": distrusted, "used": changed_at})
        if field == "comment":
            applied = _save_comment(db, visit, user_id, value, changed_at)
        else:
            applied = _save_result_field(db, visit, user_id, check_code, field, value, changed_at)
        response = {"saved": True, "applied": applied, "key": key}
        db["idempotency_keys"].insert({"key": key, "user_id": user_id, "response": json.dumps(response),
                                       "created_at": now_iso(), "target": target})
    return response


def trusted_time(changed_at):
    """(time to order the change by, the rejected browser time or None): within a day of the server's clock."""
    server = datetime.now(timezone.utc)
    if not CLIENT_TIME.match(changed_at or ""):
        return _browser_format(server), None
    client = datetime.fromisoformat(changed_at.replace("Z", "+00:00"))
    if abs(client - server) > CLOCK_TOLERANCE:
        return _browser_format(server), changed_at
    return _browser_format(client), None


def _save_result_field(db, visit, user_id, check_code, field, value, changed_at):
    checklist, codes = record.open_checks(db, visit)
    if check_code not in codes:
        raise VisitError(_("この訪問に含まれない確認項目です。"))
    value = (value or "").strip() if field == "remark" else (value or "")
    if field == "result" and value and value not in {r.code for r in checklist.results}:
        raise VisitError(_("結果の選択肢にない値です。"))
    if field == "remark" and (problem := texts.problem(value, label=_("所見"), limit=MAX_REMARK, multiline=True)):
        raise VisitError(problem)
    row = db.execute(
        f"SELECT {field}, {field}_changed_at FROM visit_results WHERE visit_id = ? AND check_code = ?",
        [visit["id"], check_code],
    ).fetchone()
    if row and _later(row[1], changed_at):
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
    if problem := texts.problem(value, label=_("総評"), limit=MAX_COMMENT, multiline=True):
        raise VisitError(problem)
    if _later(visit["comment_changed_at"], changed_at):
        return False
    db["visits"].update(visit["id"], {"overall_comment": value, "comment_changed_at": changed_at})
    audit.record(db, user_id=user_id, action="set_comment", entity="visit", entity_id=visit["id"],
                 before={"comment": visit["overall_comment"]}, after={"comment": value})
    return True


def open_visit(db, visit_id, user_id=None):
    """The visit, if it is still open and (given a user) that user is on its team."""
    visit = get_visit(db, visit_id)
    if visit is None:
        raise VisitError(_("訪問記録がありません。"))
    if visit["status"] == "locked":
        raise VisitLocked(_("この監査記録は署名済みで確定しています。修正は「訂正」から行ってください。"))
    if retention.is_purged(db, visit_id):
        raise VisitError(PURGED)
    if user_id is not None and not is_member(db, visit_id, user_id):
        raise VisitNotMember(_("この実地監査の担当ではありません。主担当の監査員に共同監査員として加えてもらってください。"))
    return visit


def _later(stored, changed_at):
    """True when the stored change is the newer one; a stamp beyond the clock bound (saved before it
    was enforced, by a tablet with a wrong clock) never wins, or that field could never change again."""
    limit = _browser_format(datetime.now(timezone.utc) + CLOCK_TOLERANCE)
    return bool(stored) and limit >= stored > changed_at


def _browser_format(moment):
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def client_now():
    """Now in the browser's format (UTC, milliseconds), for changes that arrive without a time."""
    return _browser_format(datetime.now(timezone.utc))


def add_photo(db, visit_id, user_id, check_code, stored):
    """Attach a processed photo (see photos.process) to a check of an open visit; returns its id."""
    with immediate(db):
        checklist, codes = record.open_checks(db, open_visit(db, visit_id, user_id))
        check = checklist.check(check_code) if check_code in codes else None
        if check is None:
            raise VisitError(_("この訪問に含まれない確認項目です。"))
        if check.photo != "allowed":
            raise VisitError(_("この確認項目は写真を撮影しない項目です。"))
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
        open_visit(db, visit_id, user_id)
        row = db.execute("SELECT check_code, deleted_at FROM photos WHERE id = ? AND visit_id = ?",
                         [photo_id, visit_id]).fetchone()
        if row is None:
            raise VisitError(_("写真がありません。"))
        if row[1] is not None:
            return  # already withdrawn: a removal resent by the offline queue changes nothing

        db["photos"].update(photo_id, {"deleted_at": now_iso()})
        audit.record(db, user_id=user_id, action="remove_photo", entity="visit", entity_id=visit_id,
                     before={"check": row[0], "photo_id": photo_id})


def get_photo(db, visit_id, photo_id):
    """A photo row of a visit (withdrawn ones too, for the record), or None."""
    rows = list(db.query("SELECT * FROM photos WHERE id = ? AND visit_id = ?", [photo_id, visit_id]))
    return rows[0] if rows else None


def amend(db, visit_id, user_id, reason):
    """Open a corrected version of a locked visit; the locked one is kept as it was.

    Checked inside the write transaction, so of two 「訂正」 at once the second is a VisitConflict.
    """
    reason = (reason or "").strip()
    if not reason:
        raise VisitError(_("訂正の理由を入力してください。"))
    if problem := texts.problem(reason, label=_("訂正の理由"), limit=MAX_REASON):
        raise VisitError(problem)
    with immediate(db):
        visit = get_visit(db, visit_id)
        if visit is None or visit["status"] != "locked":
            raise VisitError(_("訂正できるのは署名済みで確定した記録だけです。"))
        if retention.is_purged(db, visit_id):
            raise VisitError(PURGED)
        if visit["superseded_by"]:
            raise VisitConflict(_("この記録は既に訂正されています。最新の版を訂正してください。"))
        signed = record.load(db, visit_id)
        # The correction covers the same checks as the signed version, whatever the roster says now.
        scope = record.scope_json([step.check.code for step in signed.steps], signed.subject)
        new_id = db["visits"].insert({
            "campaign_id": visit["campaign_id"], "section_id": visit["section_id"], "staff_id": visit["staff_id"],
            "subject_kind": visit["subject_kind"], "contract_id": visit["contract_id"],
            "draw_id": visit["draw_id"], "selection_reason": visit["selection_reason"], "auditor_id": user_id,
            "status": "open", "overall_comment": visit["overall_comment"], "started_at": visit["started_at"],
            "version": visit["version"] + 1, "supersedes_id": visit_id, "amendment_reason": reason,
            "scope": scope,
        }).last_pk
        _add_auditor(db, new_id, user_id, "lead", user_id)
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


def drawn_count(db, campaign_id):
    """How many current locked visits of a campaign chose their person by a draw."""
    return db.execute("SELECT count(*) FROM visits v WHERE v.campaign_id = ? AND v.status = 'locked'"
                      " AND v.draw_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM visits n"
                      " WHERE n.supersedes_id = v.id AND n.status = 'locked')", [campaign_id]).fetchone()[0]


def visited_staff(db, campaign_id):
    """Ids of staff already visited in a campaign."""
    return {row[0] for row in db.execute("SELECT DISTINCT staff_id FROM visits WHERE campaign_id = ?"
                                         " AND staff_id IS NOT NULL", [campaign_id])}


def names_for(db, kind, ids):
    """Display names for the ids in a draw's pool (staff, sections or contracts)."""
    table, label = {"staff": ("staff", "name || '（' || staff_no || '）'"),
                    "contract": ("contracts", "contract_no || ' ' || title || '（' || contractor || '）'")
                    }.get(kind, ("sections", "name"))
    marks = ",".join("?" * len(ids))
    return dict(db.execute(f"SELECT id, {label} FROM {table} WHERE id IN ({marks})", list(ids))) if ids else {}


def log_entries(db, visit_id):
    """The visit's audit log with changes decoded, oldest first."""
    return [dict(e, before=json.loads(e["before"]) if e["before"] else None,
                 after=json.loads(e["after"]) if e["after"] else None)
            for e in audit.entries(db, "visit", visit_id)]
