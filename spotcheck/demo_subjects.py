"""Demo section (所属) and contract (委託契約) visits, and a small contract register, through the real code path."""
import random

from . import draw, issuance, record, subject_draw, subject_visits
from .clock import now_iso
from .demo_visits import _save, _signature

SEED = "spotcheck-demo-subjects"
# (契約番号, 契約名, 委託先, 所管課コード, システム名, 再委託, 個人情報, ended): fictional companies only.
CONTRACTS = (
    ("R6-委-001", "住民記録システム運用保守業務", "株式会社みなと情報システム", "0201", "住民記録システム", 1, 1, False),
    ("R6-委-002", "市税システム保守業務", "北光ソフトウェア株式会社", "0203", "市税システム", 0, 1, False),
    ("R6-委-003", "国民健康保険システム運用業務", "株式会社さくら電算", "0202", "国保システム", 1, 1, False),
    ("R6-委-004", "介護保険システム改修業務", "東和データサービス株式会社", "0303", "介護保険システム", 1, 1, False),
    ("R6-委-005", "文書管理システム保守業務", "株式会社あおば通信", "0101", "文書管理システム", 0, 0, False),
    ("R6-委-006", "健診結果データ入力業務", "有限会社ひまわり事務センター", "0501", "健康管理システム", 0, 1, False),
    ("R6-委-007", "図書館システム賃貸借・保守", "株式会社ブックネット", "0904", "図書館システム", 0, 1, False),
    ("R6-委-008", "庁内ネットワーク運用監視業務", "株式会社みなと情報システム", "0102", "庁内LAN", 1, 0, False),
    ("R6-委-009", "学校校務支援システム保守", "株式会社まなびテック", "0902", "校務支援システム", 0, 1, False),
    ("R5-委-014", "旧財務会計システムのデータ移行", "北光ソフトウェア株式会社", "0801", "財務会計システム", 0, 0, True),
)
FINDING_CHECKS = {"section": "mn_takeout_ledger", "contract": "subcontract_approval"}


def load_subject_visits(db, campaign, forms, auditor_ids, due_days, section_weights, contract_weights):
    """Add the demo contracts (when the register is empty) and a few section and contract visits; lines to print."""
    lines = _ensure_contracts(db)
    if forms.section is None or forms.contract is None:
        return lines + ["forms/ に所属・委託契約の確認項目がないため、デモの所属・委託契約の監査は作成しませんでした。"]
    if db.execute("SELECT 1 FROM visits WHERE campaign_id = ? AND subject_kind <> 'person'",
                  [campaign["id"]]).fetchone():
        return lines + ["デモの所属・委託契約の監査は作成済みです。"]
    rng = random.Random(SEED)
    lead, other = auditor_ids[0], auditor_ids[-1]
    # 1. A drawn section, signed with a finding on its ledger of take-outs (where it has My Number work).
    visit_id = _drawn(db, campaign, forms, "section",
                      subject_draw.section_pool(db, campaign["id"], section_weights), section_weights, lead)
    _walk_and_sign(db, rng, visit_id, lead, due_days, "課長（デモ）", FINDING_CHECKS["section"])
    # 2. 総務課 by hand: its head is a demo login, and sees a section finding to answer.
    somu = db.execute("SELECT id FROM sections WHERE code = '0101'").fetchone()
    if somu:
        visit_id = subject_visits.start(db, campaign_id=campaign["id"], kind="section", subject_id=somu[0],
                                        auditor_id=other, forms=forms, reason="所属長からの依頼（デモ）")
        _walk_and_sign(db, rng, visit_id, other, due_days, "総務課長（デモ）", "section_takeout_ledger")
    # 3, 4. Two more drawn sections, so the council report has My Number sections to tell of: one with a
    # finding on its incident-reporting procedure, one clean.
    for failing in ("mn_incident_procedure", None):
        visit_id = _drawn(db, campaign, forms, "section",
                          subject_draw.section_pool(db, campaign["id"], section_weights), section_weights, other)
        _walk_and_sign(db, rng, visit_id, other, due_days, "課長（デモ）", failing)
    # 5, 6. Two drawn contracts signed at the contractor's site (one clean); 7. another drawn, left open to walk.
    for failing in (FINDING_CHECKS["contract"], None):
        visit_id = _drawn(db, campaign, forms, "contract",
                          subject_draw.contract_pool(db, campaign["id"], contract_weights), contract_weights, lead)
        _walk_and_sign(db, rng, visit_id, lead, due_days, "受託者 代表取締役（デモ）", failing)
    _drawn(db, campaign, forms, "contract", subject_draw.contract_pool(db, campaign["id"], contract_weights),
           contract_weights, lead)
    return lines + ["デモの所属の監査 4 件と委託契約の監査 3 件（うち 1 件は実施中）を作成しました。"]


def _ensure_contracts(db):
    if db.execute("SELECT 1 FROM contracts").fetchone():
        return []
    sections = dict(db.execute("SELECT code, id FROM sections"))
    stamp = now_iso()
    for no, title, contractor, code, system, sub, personal, ended in CONTRACTS:
        if code in sections:
            db["contracts"].insert({
                "contract_no": no, "title": title, "contractor": contractor, "section_id": sections[code],
                "system": system, "starts_on": "2024-04-01", "ends_on": "2025-03-31", "subcontracting": sub,
                "personal_data": personal, "ended_at": stamp if ended else None, "created_at": stamp,
                "updated_at": stamp})
    db.conn.commit()
    return [f"デモの委託契約 {len(CONTRACTS)} 件（うち終了 1 件）を契約台帳に登録しました。"]


def _drawn(db, campaign, forms, kind, pool, weights, auditor):
    """Draw a section or contract (recorded, verifiable) and open its visit; returns the visit id."""
    draw_id, chosen = draw.record_draw(db, campaign_id=campaign["id"], kind=kind, section_id=None, pool=pool,
                                       options={"subject": kind, "exclude_visited": True, "weights": weights},
                                       user_id=auditor)
    return subject_visits.start(db, campaign_id=campaign["id"], kind=kind, subject_id=chosen, auditor_id=auditor,
                                forms=forms, draw_id=draw_id)


def _walk_and_sign(db, rng, visit_id, auditor, due_days, signer, failing):
    """Record results (one 不適合 in the auditor's words, none when `failing` is None) and both signatures."""
    steps = record.load(db, visit_id).steps
    codes = [step.check.code for step in steps]
    if failing is not None and failing not in codes:  # a section without My Number work has no mn_ checks
        failing = rng.choice(codes)
    for step in steps:
        code = step.check.code
        _save(db, visit_id, auditor, "result", "nonconformity" if code == failing else "ok", code)
        if code == failing:
            _save(db, visit_id, auditor, "remark", step.check.quick_remarks[0], code)
    issuance.sign(db, visit_id, auditor, due_days=due_days, role="auditor", name="監査員（デモ）",
                  data_url=_signature(rng))
    issuance.sign(db, visit_id, auditor, due_days=due_days, role="auditee", name=signer, data_url=_signature(rng))
