"""Opening a visit of a section (所属) or a contract (委託契約): chosen by draw or by hand, as for a person."""
import json

from flask_babel import lazy_gettext as _

from . import audit, record, subjects
from .clock import now_iso
from .sqlite import immediate
from .subject_forms import FILES
from .visits import VisitError, _add_auditor, check_start


def start(db, *, campaign_id, kind, subject_id, auditor_id, forms, draw_id=None, reason=""):
    """Open a visit of a section (subject_id: sections.id) or a contract (contracts.id); returns its id."""
    if kind not in ("section", "contract"):
        raise VisitError(_("監査の対象の種類が正しくありません。"))
    reason = (reason or "").strip()
    campaign = check_start(db, campaign_id, draw_id, reason)
    if kind == "section":
        row = subjects.section_row(db, subject_id)
        if row is None:
            raise VisitError(_("この所属は所属一覧にありません。"))
        section_id, contract_id = row["id"], None
    else:
        row = subjects.contract_row(db, subject_id)
        if row is None:
            raise VisitError(_("この委託契約は契約台帳にありません。"))
        if row["ended_at"] is not None:
            raise VisitError(_("この委託契約は終了しています。"))
        section_id, contract_id = row["section_id"], row["id"]
    with immediate(db):
        if draw_id is not None:
            _check_draw(db, draw_id, campaign_id, kind, subject_id)
        try:
            subjects.pinned(db, campaign, kind, forms, auditor_id)
        except subjects.SubjectFormMissing:
            raise VisitError(_("forms/ にこの種類の確認項目の定義（%(file)s）がありません。",
                               file=FILES[kind])) from None
        visit = {"campaign_id": campaign_id, "section_id": section_id, "staff_id": None, "subject_kind": kind,
                 "contract_id": contract_id}
        subject = record.subject_of(db, visit)
        visit_id = db["visits"].insert(dict(
            visit, draw_id=draw_id, selection_reason="" if draw_id else reason, auditor_id=auditor_id,
            status="open", started_at=now_iso(), scope=record.scope_at_start(db, campaign_id, subject))).last_pk
        _add_auditor(db, visit_id, auditor_id, "lead", auditor_id)
        audit.record(db, user_id=auditor_id, action="start", entity="visit", entity_id=visit_id,
                     after={"subject_kind": kind, "section_id": section_id, "contract_id": contract_id,
                            "draw_id": draw_id, "reason": reason or None})
    return visit_id


def _check_draw(db, draw_id, campaign_id, kind, subject_id):
    """A draw starts only the visit of the section or contract it chose for a visit of that kind, once."""
    row = db.execute("SELECT kind, campaign_id, chosen_id, options FROM draws WHERE id = ?", [draw_id]).fetchone()
    expected = (kind, campaign_id, subject_id)
    if row is None or tuple(row[:3]) != expected or json.loads(row[3]).get("subject") != kind:
        raise VisitError(_("抽選記録がこの対象の抽選ではありません。"))
    if db.execute("SELECT 1 FROM visits WHERE draw_id = ? AND supersedes_id IS NULL", [draw_id]).fetchone():
        raise VisitError(_("この抽選記録では既に実地監査が始まっています。"))
