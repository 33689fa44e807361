"""Section (所属) and contract (委託契約) visits: drawn, walked, signed, issued and followed up like a person's."""
import json

import pytest

from spotcheck import audit, draw, followups, integrity, issuance, printing, record, subject_draw, subject_visits, subjects
from tests.factories import (DUE, SELFCHECK_HEADER, add_contract, answers_row, change, csv_bytes, import_selfcheck,
                             signature_url, steps_by_code)

WEIGHTS = {"base": 1, "my_number": 3, "outsourced": 1, "findings": 2}
CONTRACT_WEIGHTS = {"base": 1, "personal_data": 2, "subcontracting": 2, "my_number_system": 2}


def section_id(db, code):
    return db.execute("SELECT id FROM sections WHERE code = ?", [code]).fetchone()[0]


def lock(db, visit_id, auditor, result="ok", failing=None, signer="市民課長 田中"):
    """Record results on every check (one 不適合 on `failing`), and both sides sign."""
    v = {"id": visit_id, "auditor": auditor}
    for code in steps_by_code(db, v):
        change(db, v, "result", "nonconformity" if code == failing else result, check=code)
    if failing:
        change(db, v, "remark", "持出し簿に返却の記録がなかった", check=failing)
    issuance.sign(db, visit_id, auditor, due_days=DUE, role="auditor", name="監査 太郎", data_url=signature_url())
    issuance.sign(db, visit_id, auditor, due_days=DUE, role="auditee", name=signer, data_url=signature_url())


@pytest.fixture
def auditor(make_user):
    return make_user("auditor")


def test_section_draw_weights_my_number_outsourcing_and_last_campaigns_findings(db, city, forms, auditor):
    pool = {c.id: c for c in subject_draw.section_pool(db, city["id"], WEIGHTS)}
    # 総務課: outsourced; 市民課: My Number; 図書館: neither (all have active staff).
    assert pool[section_id(db, "0101")].weight == 2 and pool[section_id(db, "0201")].weight == 4
    assert pool[section_id(db, "0301")].weight == 1
    assert "特定個人情報を扱う所属 +3" in pool[section_id(db, "0201")].reasons
    # A finding in the campaign before weighs the library up in the next one.
    visit_id = subject_visits.start(db, campaign_id=city["id"], kind="section", subject_id=section_id(db, "0301"),
                                    auditor_id=auditor, forms=forms, reason="前回の指摘の再確認")
    lock(db, visit_id, auditor, failing="section_takeout_ledger")
    from spotcheck import campaigns
    later = campaigns.create_campaign(db, "R7", "令和7年度", forms, fiscal_year=2025)
    pool = {c.id: c for c in subject_draw.section_pool(db, later, WEIGHTS)}
    assert pool[section_id(db, "0301")].weight == 3
    assert "前回のキャンペーンで指摘あり +2" in pool[section_id(db, "0301")].reasons
    # In the campaign itself, an audited section leaves the pool unless asked to keep it.
    assert section_id(db, "0301") not in {c.id for c in subject_draw.section_pool(db, city["id"], WEIGHTS)}
    assert section_id(db, "0301") in {c.id for c in subject_draw.section_pool(db, city["id"], WEIGHTS,
                                                                                exclude_visited=False)}


def test_contract_draw_weights_by_risk_and_ended_contracts_are_never_drawn(db, city):
    plain = add_contract(db, "C-1", section_code="0301", personal_data=0, system="")
    risky = add_contract(db, "C-2", section_code="0201", personal_data=1, subcontracting=1, system="宛名システム")
    ended = add_contract(db, "C-3", ended_at="2024-05-01T00:00:00+00:00")
    pool = {c.id: c for c in subject_draw.contract_pool(db, city["id"], CONTRACT_WEIGHTS)}
    assert set(pool) == {plain, risky} and ended not in pool
    assert pool[plain].weight == 1 and pool[risky].weight == 7
    assert set(pool[risky].reasons) == {"個人情報の取扱いあり +2", "再委託あり +2", "特定個人情報を扱う所属のシステム +2"}


def test_section_visit_from_draw_to_sheet_and_section_owned_followup(db, city, forms, auditor, make_user):
    civic = section_id(db, "0201")
    import_selfcheck(db, city, csv_bytes(SELFCHECK_HEADER, [answers_row("000102", s21="③")]))
    pool = [draw.Candidate(civic, 4)]
    draw_id, chosen = draw.record_draw(db, campaign_id=city["id"], kind="section", section_id=None, pool=pool,
                                       options={"subject": "section"}, user_id=auditor)
    visit_id = subject_visits.start(db, campaign_id=city["id"], kind="section", subject_id=chosen,
                                    auditor_id=auditor, forms=forms, draw_id=draw_id)
    assert draw.verify(db, draw_id)[0]
    steps = steps_by_code(db, {"id": visit_id})
    # 市民課 handles My Number data: the 21–27 checks apply, each beside the section's counted answers.
    assert {"mn_staff_list", "mn_incident_procedure", "section_asset_ledger"} <= set(steps)
    tally = steps["mn_staff_list"].tallies[0]
    assert tally.item.no == 21 and tally.counts == (("3", 1),) and tally.text == "③ できていない 1人"
    lock(db, visit_id, auditor, failing="mn_takeout_ledger")
    signed = record.load(db, visit_id)
    assert signed.locked and signed.staff_id is None and signed.subject.kind == "section"
    # The frozen counts stay what was signed, whatever is imported later.
    import_selfcheck(db, city, csv_bytes(SELFCHECK_HEADER, [answers_row("000102")]), name="again.csv")
    assert steps_by_code(db, {"id": visit_id})["mn_staff_list"].tallies[0].text == "③ できていない 1人"
    sheet = issuance.get_sheet(db, visit_id=visit_id)
    assert issuance.verify_records(db) == []
    assert issuance.status(db, sheet["serial"])["state"] == issuance.VALID
    data = printing.sheet_data(db, sheet["serial"], base_url="http://x", photo_folder="/tmp", basis="規程",
                               due_days=DUE)
    assert data.subject.first == ("監査の対象", "所属（所属の監査）", "所属の署名者", "市民課長 田中")
    assert data.signatures[1].role_label == "所属長（又は事務取扱責任者）"
    assert data.rows[0].self_reports[0].answer_label == "③ できていない 1人"
    # The finding is the section's: no person, seen by the section head of 市民課 only.
    rows = followups.listing(db, section_id=civic)
    assert [(r["check_code"], r["staff_id"], r["subject_kind"]) for r in rows] == [("mn_takeout_ledger", None, "section")]
    head = type("User", (), {"id": make_user("section_head", "head", "0201"), "role": "section_head",
                             "section_id": civic})()
    followups.report(db, rows[0]["id"], head, "持出し簿の様式を改め、返却欄を必須にしました。")
    assert followups.get(db, rows[0]["id"])["state"] == "reported"
    # Tallies of person cross-checks are untouched by a section's visit.
    assert db.execute("SELECT count(*) FROM observations WHERE visit_id = ?", [visit_id]).fetchone()[0] == 0


def test_contract_visit_shows_owner_sections_answers_and_the_contractor_signs(db, city, forms, auditor):
    contract = add_contract(db, "R6-委-007", section_code="0101", subcontracting=1)
    import_selfcheck(db, city, csv_bytes(SELFCHECK_HEADER, [answers_row("000101", s30="③")]))
    visit_id = subject_visits.start(db, campaign_id=city["id"], kind="contract", subject_id=contract,
                                    auditor_id=auditor, forms=forms, reason="再委託の承認の確認")
    steps = steps_by_code(db, {"id": visit_id})
    assert list(steps) == [c.code for c in forms.contract.checks]
    assert steps["subcontract_approval"].tallies[0].text == "③ できていない 1人"
    lock(db, visit_id, auditor, failing="subcontract_approval", signer="株式会社サンプル 営業部長 佐藤")
    sheet = issuance.get_sheet(db, visit_id=visit_id)
    content = json.loads(sheet["content"])
    assert content["subject"]["contract_no"] == "R6-委-007" and content["person"] == ["", "", ""]
    assert integrity.digest(issuance.content(db, visit_id)) == sheet["digest"]
    data = printing.sheet_data(db, sheet["serial"], base_url="http://x", photo_folder="/tmp", basis="規程",
                               due_days=DUE)
    assert data.subject.section_label == "所管課" and data.section.endswith("総務課")
    assert data.subject.first == ("契約番号", "R6-委-007", "委託先", "株式会社サンプル")
    assert data.signatures[1].role_label == "受託者の代表者"
    assert data.signatures[1].name == "株式会社サンプル 営業部長 佐藤"
    assert [r["section_id"] for r in followups.listing(db, campaign_id=city["id"])] == [section_id(db, "0101")]


def test_a_tampered_subject_is_caught_by_the_chain(db, city, forms, auditor):
    contract = add_contract(db)
    visit_id = subject_visits.start(db, campaign_id=city["id"], kind="contract", subject_id=contract,
                                    auditor_id=auditor, forms=forms, reason="依頼")
    lock(db, visit_id, auditor)
    db.execute("DROP TRIGGER visit_records_no_update")  # an attacker with the database file
    body = json.loads(db.execute("SELECT body FROM visit_records WHERE visit_id = ?", [visit_id]).fetchone()[0])
    body["subject"]["contractor"] = "別の会社"
    db.execute("UPDATE visit_records SET body = ? WHERE visit_id = ?", [json.dumps(body, ensure_ascii=False), visit_id])
    problems = issuance.verify_records(db)
    assert len(problems) == 1 and "subject" in problems[0]


def test_refusals_draw_of_another_kind_ended_contract_and_missing_reason(db, city, forms, auditor):
    ended = add_contract(db, "C-9", ended_at="2024-05-01T00:00:00+00:00")
    with pytest.raises(subject_visits.VisitError, match="終了"):
        subject_visits.start(db, campaign_id=city["id"], kind="contract", subject_id=ended, auditor_id=auditor,
                             forms=forms, reason="x")
    with pytest.raises(subject_visits.VisitError, match="理由"):
        subject_visits.start(db, campaign_id=city["id"], kind="section", subject_id=section_id(db, "0101"),
                             auditor_id=auditor, forms=forms)
    # A section draw made to pick a person's section cannot open a section visit.
    draw_id, chosen = draw.record_draw(db, campaign_id=city["id"], kind="section", section_id=None,
                                       pool=[draw.Candidate(section_id(db, "0101"), 1)],
                                       options={"exclude_visited": True}, user_id=auditor)
    with pytest.raises(subject_visits.VisitError, match="抽選記録"):
        subject_visits.start(db, campaign_id=city["id"], kind="section", subject_id=chosen, auditor_id=auditor,
                             forms=forms, draw_id=draw_id)
    assert db.execute("SELECT count(*) FROM visits").fetchone()[0] == 0


def test_a_campaign_from_before_the_forms_pins_them_on_first_use_and_records_it(db, city, forms, auditor):
    db.execute("UPDATE campaigns SET section_digest = NULL, contract_digest = NULL")
    campaign = dict(city, section_digest=None)
    with pytest.raises(subjects.SubjectFormMissing):
        subjects.pinned(db, campaign, "section")
    visit_id = subject_visits.start(db, campaign_id=city["id"], kind="section", subject_id=section_id(db, "0101"),
                                    auditor_id=auditor, forms=forms, reason="依頼")
    digest = db.execute("SELECT section_digest FROM campaigns WHERE id = ?", [city["id"]]).fetchone()[0]
    assert digest and db.execute("SELECT kind FROM checklists WHERE digest = ?", [digest]).fetchone() == ("section",)
    assert [e["action"] for e in audit.entries(db, "campaign", city["id"])][-1] == "pin_form"
    assert record.load(db, visit_id).checklist == forms.section


def test_an_amended_section_visit_keeps_its_subject_and_carries_its_followup(db, city, forms, auditor):
    visit_id = subject_visits.start(db, campaign_id=city["id"], kind="section", subject_id=section_id(db, "0201"),
                                    auditor_id=auditor, forms=forms, reason="依頼")
    lock(db, visit_id, auditor, failing="mn_cabinet")
    from spotcheck import visits
    new_id = visits.amend(db, visit_id, auditor, "所見の誤記")
    amended = record.load(db, new_id)
    assert amended.subject.kind == "section" and amended.staff_id is None
    assert [s.check.code for s in amended.steps] == [s.check.code for s in record.load(db, visit_id).steps]
    change(db, {"id": new_id, "auditor": auditor}, "remark", "鍵が机上に置かれていた", check="mn_cabinet")
    issuance.sign(db, new_id, auditor, due_days=DUE, role="auditor", name="監査 太郎", data_url=signature_url())
    issuance.sign(db, new_id, auditor, due_days=DUE, role="auditee", name="課長", data_url=signature_url())
    assert issuance.get_sheet(db, visit_id=new_id)["serial"].endswith("-v2")
    rows = followups.listing(db, section_id=section_id(db, "0201"))
    assert [(r["visit_id"], r["finding"]) for r in rows] == [(new_id, "鍵が机上に置かれていた")]
    assert issuance.verify_records(db) == []


def test_a_purge_blanks_the_signers_of_section_and_contract_visits_and_keeps_them_section_owned(app, db, city, forms,
                                                                                               auditor):
    from datetime import date

    from spotcheck import retention
    visit_id = subject_visits.start(db, campaign_id=city["id"], kind="contract", subject_id=add_contract(db),
                                    auditor_id=auditor, forms=forms, reason="依頼")
    lock(db, visit_id, auditor, failing="worker_list")
    planned = retention.plan(db, date(2030, 4, 1), instance=app.instance_path, campaign_years=5, retirement_years=5)
    assert visit_id in planned.visits
    retention.purge(db, planned, instance=app.instance_path, campaign_years=5, retirement_years=5)
    assert db.execute("SELECT staff_id, subject_kind FROM visits WHERE id = ?", [visit_id]).fetchone() == (None, "contract")
    assert db.execute("SELECT name FROM signatures WHERE visit_id = ?", [visit_id]).fetchall() == [("",), ("",)]
    assert issuance.verify_records(db) == []
