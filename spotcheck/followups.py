"""Per-person follow-up of every finding: 指摘 → 改善報告 → 再確認 → 完了 (or back to 指摘)."""
from datetime import datetime

from flask_babel import lazy_gettext as _

from . import audit, calendar_days, texts
from .campaigns import get_campaign, pinned_onsite
from .clock import now, now_iso
from .sqlite import immediate

# A finding of the audit itself (on site, or a wrong interview answer): not a failed comprehension test, which is
# chased the same way but is not what the council's 指摘 counts.
AUDIT_FINDING = "kind <> 'test'"
STATES = {"open": "指摘", "reported": "改善報告済み（再確認待ち）", "closed": "完了", "withdrawn": "取り下げ（訂正）"}
ACTIONS = {"open": "指摘", "report": "改善報告", "confirm": "再確認で完了", "reopen": "再確認で指摘に戻す",
           "withdraw": "訂正により取り下げ", "open_test": "理解度テストの不合格で指摘",
           "close_passed": "理解度テストの合格で完了"}
MAX_TEXT = 2000
# A follow-up names the person and section as the signed record froze them (the visit_people view).
# A failed test's follow-up has no visit: it names the person and section as the roster has them now.
SIGNED_NAMES = ("coalesce(p.person_name, ts.name) AS person_name, coalesce(p.staff_no, ts.staff_no) AS staff_no,"
                " coalesce(p.kana, ts.kana) AS kana, coalesce(p.section_name, tsec.name) AS section_name,"
                # A section's or contract's finding has no person: the screens name the subject instead.
                " (SELECT v.subject_kind FROM visits v WHERE v.id = f.visit_id) AS subject_kind,"
                " (SELECT k.contract_no || ' ' || k.title FROM visits v JOIN contracts k ON k.id = v.contract_id"
                " WHERE v.id = f.visit_id) AS contract_label")
SIGNED_JOINS = ("LEFT JOIN visit_people p ON p.visit_id = f.visit_id"
                " LEFT JOIN staff ts ON f.visit_id IS NULL AND ts.id = f.staff_id"
                " LEFT JOIN sections tsec ON f.visit_id IS NULL AND tsec.id = f.section_id")


class FollowupError(ValueError):
    """A user-facing reason why a follow-up step was refused (Japanese, or the language of the request that shows it)."""


def open_for_visit(db, signed, due_days):
    """Open a follow-up for each finding (`finding = true` in the pinned checklist) of a locked visit (a record.VisitRecord); an amendment carries existing ones over."""
    locked_on = datetime.fromisoformat(signed.locked_at).date()
    carried = {}
    if signed.supersedes_id:
        carried = {row["check_code"]: row for row in db.query(
            "SELECT * FROM followups WHERE visit_id = ? AND kind = 'check'", [signed.supersedes_id])}
    stamp = now_iso()
    failing = {step.check.code: step for step in signed.findings}
    for code, step in failing.items():
        # The finding is what the auditor wrote and the person saw when signing, never the criterion.
        fields = {"visit_id": signed.id, "severity": step.result, "finding": step.fact,
                  "check_title": step.check.title, "employment": signed.subject.employment or None, "updated_at": stamp}
        if code in carried:
            db["followups"].update(carried[code]["id"], fields)  # same finding, corrected wording: keep its history
            continue
        followup_id = db["followups"].insert(dict(
            fields, campaign_id=signed.campaign_id, section_id=signed.section_id, staff_id=signed.staff_id,
            check_code=code, state="open", due_on=calendar_days.due_date(locked_on, due_days[step.result]).isoformat(),
            created_at=stamp,
        )).last_pk
        audit.record(db, user_id=None, action="open", entity="followup", entity_id=followup_id,
                     after={"visit_id": signed.id, "check": code, "severity": step.result})
    for code, row in carried.items():
        if code not in failing and row["state"] != "withdrawn":
            db["followups"].update(row["id"], {"state": "withdrawn", "updated_at": stamp})
            audit.record(db, user_id=None, action="withdraw", entity="followup", entity_id=row["id"],
                         before={"state": row["state"]}, after={"state": "withdrawn", "amended_by": signed.id})


def severity_labels(db):
    """row → the label of its severity (a result code) as its campaign's pinned checklist words it."""
    checklists = {}

    def label(row):
        campaign_id = row["campaign_id"]
        if campaign_id not in checklists:
            checklists[campaign_id] = pinned_onsite(db, get_campaign(db, campaign_id=campaign_id))
        return checklists[campaign_id].label(row["severity"])
    return label


def get(db, followup_id):
    """One follow-up with its section, person and visit, or None."""
    rows = list(db.query(
        f"SELECT f.*, {SIGNED_NAMES}, coalesce(p.section_code, tsec.code) AS section_code FROM followups f {SIGNED_JOINS} WHERE f.id = ?",
        [followup_id]))
    return rows[0] if rows else None


def listing(db, *, section_id=None, state=None, overdue=False, staff_id=None, campaign_id=None, today=None):
    """Follow-ups matching the filters, most urgent first."""
    today = (today or now().date()).isoformat()
    where, params = ["1 = 1"], []
    for column, value in (("f.section_id", section_id), ("f.state", state), ("f.staff_id", staff_id),
                          ("f.campaign_id", campaign_id)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if overdue:
        where.append("f.state IN ('open', 'reported') AND f.due_on < ?")
        params.append(today)
    return [dict(row, overdue=row["state"] in ("open", "reported") and row["due_on"] < today) for row in db.query(
        f"SELECT f.*, {SIGNED_NAMES} FROM followups f {SIGNED_JOINS}"
        f" WHERE {' AND '.join(where)} ORDER BY f.state = 'closed', f.state = 'withdrawn', f.due_on, f.id", params)]


def counts(db, *, campaign_id=None, section_id=None, today=None, audit_only=False):
    """How many follow-ups are in each state, and how many are overdue (audit_only: findings, no failed tests)."""
    today = (today or now().date()).isoformat()
    where, params = [AUDIT_FINDING if audit_only else "1 = 1"], []
    if campaign_id:
        where.append("campaign_id = ?")
        params.append(campaign_id)
    if section_id:
        where.append("section_id = ?")
        params.append(section_id)
    result = dict.fromkeys(STATES, 0)
    result.update(dict(db.execute(f"SELECT state, count(*) FROM followups WHERE {' AND '.join(where)} GROUP BY state",
                                  params)))
    result["overdue"] = db.execute(
        f"SELECT count(*) FROM followups WHERE {' AND '.join(where)} AND state IN ('open', 'reported') AND due_on < ?",
        params + [today]).fetchone()[0]
    return result


def report(db, followup_id, user, text, photo=None):
    """The section reports what it did (改善報告); only for its own open follow-ups."""
    text = (text or "").strip()
    if not text:
        raise FollowupError(_("講じた措置を入力してください。"))
    if problem := texts.problem(text, label=_("改善報告"), limit=MAX_TEXT, multiline=True):
        raise FollowupError(problem)
    row = _allowed(db, followup_id, user)
    _require_state(row, "open", _("改善報告できるのは「指摘」の状態のものだけです。"))
    fields = {"state": "reported", "report": text, "reported_by": user.id, "reported_at": now_iso(), "updated_at": now_iso()}
    if photo is not None:
        fields.update(report_photo=photo.name, report_thumb=photo.thumb_name, report_photo_sha256=photo.sha256)
    _transition(db, row, user, "report", fields)


def confirm(db, followup_id, user, fixed, note=""):
    """An auditor re-checks (再確認): fixed → 完了, not fixed → back to 指摘 with the reason."""
    note = (note or "").strip()
    if user.role not in ("admin", "auditor"):
        raise FollowupError(_("再確認は監査員が行います。"))
    if not fixed and not note:
        raise FollowupError(_("改善が不十分な理由を入力してください。"))
    if problem := texts.problem(note, label=_("再確認の記録"), limit=MAX_TEXT, multiline=True):
        raise FollowupError(problem)
    row = get(db, followup_id)
    if row is None:
        raise FollowupError(_("フォローアップがありません。"))
    _require_state(row, "reported", _("再確認できるのは改善報告が出されたものだけです。"))
    fields = {"state": "closed" if fixed else "open", "confirmation": note, "confirmed_by": user.id,
              "confirmed_at": now_iso(), "updated_at": now_iso()}
    _transition(db, row, user, "confirm" if fixed else "reopen", fields)


def _allowed(db, followup_id, user):
    """The follow-up if this user may act on it: admins all, section heads only their own section's."""
    row = get(db, followup_id)
    if row is None or (user.role == "section_head" and row["section_id"] != user.section_id):
        raise FollowupError(_("フォローアップがありません。"))
    if user.role not in ("admin", "section_head"):
        raise FollowupError(_("改善報告は所属長・セキュリティリーダーが行います。"))
    return row


def _require_state(row, state, message):
    if row["state"] != state:
        raise FollowupError(message)


def _transition(db, row, user, action, fields):
    if db.execute("SELECT 1 FROM purged_visits WHERE visit_id = ?", [row["visit_id"]]).fetchone():
        raise FollowupError("このフォローアップは保存期間満了により廃棄済みです。")
    with immediate(db):
        db["followups"].update(row["id"], fields)
        audit.record(db, user_id=user.id, action=action, entity="followup", entity_id=row["id"],
                     before={"state": row["state"]}, after={k: v for k, v in fields.items() if k != "updated_at"})


def history(db, followup_id):
    """The follow-up's steps from the audit log, oldest first."""
    return audit.entries(db, "followup", followup_id)
