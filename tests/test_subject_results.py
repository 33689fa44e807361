"""How the section and contract audits fared: hand-counted figures, the council report's section ８, the dashboards."""
import subprocess

import pytest

from spotcheck import council, fonts as report_fonts, report, subject_figures, subject_visits
from tests.factories import add_contract
from tests.test_subjects import lock, section_id


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", "auditor-subjects")


@pytest.fixture
def audited(db, city, forms, auditor):
    """市民課 (My Number) audited with a 不適合, 総務課 clean, and one contract with a 不適合; a second contract never."""
    civic = subject_visits.start(db, campaign_id=city["id"], kind="section", subject_id=section_id(db, "0201"),
                                 auditor_id=auditor, forms=forms, reason="テスト")
    lock(db, civic, auditor, failing="mn_takeout_ledger")
    somu = subject_visits.start(db, campaign_id=city["id"], kind="section", subject_id=section_id(db, "0101"),
                                auditor_id=auditor, forms=forms, reason="テスト")
    lock(db, somu, auditor)
    contract = add_contract(db, "R6-委-001", section_code="0201", subcontracting=1, personal_data=1)
    add_contract(db, "R6-委-002", section_code="0301", personal_data=0, contractor="有限会社ほか")
    add_contract(db, "R5-委-009", ended_at="2024-05-01T00:00:00+00:00")
    visit = subject_visits.start(db, campaign_id=city["id"], kind="contract", subject_id=contract,
                                 auditor_id=auditor, forms=forms, reason="テスト")
    lock(db, visit, auditor, failing="subcontract_approval", signer="受託者 代表 山本")
    # An open (unsigned) section visit counts nowhere yet.
    subject_visits.start(db, campaign_id=city["id"], kind="section", subject_id=section_id(db, "0301"),
                         auditor_id=auditor, forms=forms, reason="テスト")
    from spotcheck import campaigns
    return campaigns.get_campaign(db, campaign_id=city["id"])


def test_figures_count_signed_audits_by_kind_with_their_findings_and_open_followups(db, audited):
    results = subject_figures.results(db, audited)
    sections, contracts = results.section, results.contract
    # The tiny city: 3 sections, one (市民課) with My Number work; 2 contracts in force (one ended), one with personal data.
    assert (sections.population, sections.population_risky) == (3, 1)
    assert (contracts.population, contracts.population_risky) == (2, 1)
    assert [(a.label, a.flags, a.risky, a.findings, a.major, a.open_followups) for a in sections.audited] == [
        ("総務課", ("outsourced",), False, 0, 0, 0), ("市民課", ("my_number",), True, 1, 0, 1)]
    assert (sections.audited_distinct, sections.audited_risky, sections.findings) == (2, 1, 1)
    assert [(a.label, a.flags, a.findings) for a in contracts.audited] == [
        ("R6-委-001 住民記録システム保守（株式会社サンプル）", ("subcontracting", "personal_data")[::-1], 1)]
    # Per check: the 持出し簿 was audited once (市民課 only: 総務課 has no My Number checks) and failed once.
    takeout = next(c for c in sections.checks if c.code == "mn_takeout_ledger")
    codes = [code for code, _label in sections.results]
    assert takeout.counts[codes.index("nonconformity")] == 1 and sum(takeout.counts) == 1 and takeout.findings == 1
    ledger = next(c for c in sections.checks if c.code == "section_asset_ledger")
    assert ledger.counts[codes.index("ok")] == 2 and sum(ledger.counts) == 2


def test_a_campaign_that_never_audited_a_section_or_contract_has_no_figures(db, city):
    assert subject_figures.results(db, city).empty


@pytest.fixture(scope="module")
def fonts():
    return report_fonts.register_fonts()


def _text(pdf, tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_council_report_names_the_audited_sections_and_contracts_and_the_public_edition_does_not(
        db, audited, fonts, tmp_path):
    text = _text(report.build_report(council.report_data(db, audited), fonts), tmp_path)
    part = text[text.index("所属・委託契約の実地監査"):]
    assert "全3所属のうち2所属（特定個人情報を扱う1所属のうち1所属）を監査しました。" in part.replace("\n", "").replace(" ", "")
    assert "市民課" in part and "R6-委-001 住民記録システム保守" in part
    assert "契約中の2件のうち1件（個人情報を取り扱う1件のうち1件）を監査しました。" in part.replace("\n", "").replace(" ", "")
    public = _text(report.build_report(council.report_data(db, audited, public=True), fonts), tmp_path)
    part = public[public.index("所属・委託契約の実地監査"):]
    assert "R6-委-001" not in part and "株式会社サンプル" not in part and "市民課" not in part
    assert "公表版では、所属名・契約名ごとの結果は掲載していません。" in part.replace("\n", "").replace(" ", "")
    assert "特定個人情報の持出し簿" in part  # the per-check table stays


def test_dashboard_shows_section_and_contract_results_names_only_to_the_audit_team(db, audited, client, login):
    login("admin")
    page = client.get(f"/dashboard?campaign={audited['id']}").get_data(as_text=True)
    card = page[page.index('id="subjects"'):]
    assert "所属・委託契約の実地監査" in card and "市民課" in card and "株式会社サンプル" in card
    assert "うち特定個人情報を扱う所属" in card and "1 / 1" in card
    client.post("/logout")
    login("viewer")
    page = client.get(f"/dashboard?campaign={audited['id']}").get_data(as_text=True)
    card = page[page.index('id="subjects"'):]
    assert "所属・委託契約の実地監査" in card and "特定個人情報の持出し簿" in card
    assert "株式会社サンプル" not in card and "R6-委-001" not in card


def test_dashboard_shows_the_interviews_by_item(db, client, login, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    campaign = db.execute("SELECT id FROM campaigns WHERE code = 'R6'").fetchone()[0]
    login("viewer", "viewer-interview")
    page = client.get(f"/dashboard?campaign={campaign}").get_data(as_text=True)
    card = page[page.index('id="interview"'):]
    asked = db.execute("SELECT count(*) FROM interview_answers a JOIN visits v ON v.id = a.visit_id"
                       " WHERE v.campaign_id = ? AND v.status = 'locked' AND a.answer <> ''", [campaign]).fetchone()[0]
    assert "聞き取り（知識の確認）" in card and f"<dd>{asked}</dd>" in card and "不審メールへの対応" in card
