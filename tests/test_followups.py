"""Follow-ups: opened by findings, 指摘 → 改善報告 → 再確認 → 完了, illegal steps refused, sections kept apart."""
from datetime import date, timedelta

import pytest

from spotcheck import auth, calendar_days, followups, issuance, visits
from tests.factories import change, fill_all, sign_both, signature_url, soon


@pytest.fixture
def finding(db, visit, city):
    """A locked visit of 000101 (総務課) with one 重大 at external_media; returns the follow-up row."""
    fill_all(db, visit)
    change(db, visit, "result", "major", check="external_media", at=soon(60))
    sign_both(db, visit)
    [row] = followups.listing(db)
    return row


def user(db, role, section_code=None, name=None):
    user_id = auth.create_user(db, name or f"{role}-x", "long enough pw", role, section_code=section_code)
    return auth.get_user(db, user_id)


def test_a_major_finding_opens_a_follow_up_due_in_seven_days(db, finding):
    visit = visits.get_visit(db, finding["visit_id"])
    assert finding["severity"] == "major" and finding["state"] == "open"
    # 7 days, moved to the next working day when that is a weekend or holiday (calendar_days).
    assert finding["due_on"] == calendar_days.due_date(date.fromisoformat(visit["locked_at"][:10]), 7).isoformat()


def test_the_whole_flow_report_then_reopen_then_close(db, finding):
    head, auditor = user(db, "section_head", "0101"), user(db, "auditor")
    followups.report(db, finding["id"], head, "USB メモリを回収し、書込み禁止を再設定した")
    assert followups.get(db, finding["id"])["state"] == "reported"
    followups.confirm(db, finding["id"], auditor, fixed=False, note="私物の媒体がまだ残っていた")
    assert followups.get(db, finding["id"])["state"] == "open"
    followups.report(db, finding["id"], head, "私物の媒体も持ち帰らせた")
    followups.confirm(db, finding["id"], auditor, fixed=True)
    assert followups.get(db, finding["id"])["state"] == "closed"
    steps = [e["action"] for e in followups.history(db, finding["id"])]
    assert steps == ["open", "report", "reopen", "report", "confirm"]


@pytest.mark.parametrize("step, message", [
    (lambda db, f, head, auditor: followups.confirm(db, f, auditor, fixed=True), "改善報告が出されたもの"),
    (lambda db, f, head, auditor: followups.report(db, f, head, ""), "講じた措置を入力"),
    (lambda db, f, head, auditor: followups.report(db, f, auditor, "x"), "所属長"),
    (lambda db, f, head, auditor: followups.confirm(db, f, head, fixed=True), "監査員が行います"),
])
def test_illegal_steps_are_refused_in_japanese(db, finding, step, message):
    head, auditor = user(db, "section_head", "0101"), user(db, "auditor")
    with pytest.raises(followups.FollowupError, match=message):
        step(db, finding["id"], head, auditor)
    assert followups.get(db, finding["id"])["state"] == "open"


def test_closed_follow_up_cannot_be_reported_again(db, finding):
    head, auditor = user(db, "section_head", "0101"), user(db, "auditor")
    followups.report(db, finding["id"], head, "対応済み")
    followups.confirm(db, finding["id"], auditor, fixed=True)
    with pytest.raises(followups.FollowupError, match="「指摘」の状態"):
        followups.report(db, finding["id"], head, "もう一度")


def test_another_sections_head_cannot_act_or_see_it(db, client, login, finding):
    other = user(db, "section_head", "0201", "other-head")
    with pytest.raises(followups.FollowupError, match="ありません"):
        followups.report(db, finding["id"], other, "他所属から")
    login("section_head", "intruder", section_code="0201")
    assert client.get(f"/followups/{finding['id']}").status_code == 404
    assert client.post(f"/followups/{finding['id']}/report", data={"report": "x"}).status_code == 404
    assert "USB" not in client.get("/followups").get_data(as_text=True)


def test_section_head_reports_through_the_page_and_auditor_closes(client, login, db, finding):
    login("section_head", "kacho", section_code="0101")
    assert finding["check_title"] in client.get("/followups").get_data(as_text=True)
    client.post(f"/followups/{finding['id']}/report", data={"report": "書込み禁止を再設定"})
    assert followups.get(db, finding["id"])["state"] == "reported"
    client.post("/logout")
    login("auditor", "checker")
    client.post(f"/followups/{finding['id']}/confirm", data={"fixed": "1", "note": "現地で確認"})
    assert followups.get(db, finding["id"])["state"] == "closed"


def test_amendment_that_clears_a_finding_withdraws_its_follow_up(db, finding):
    visit = visits.get_visit(db, finding["visit_id"])
    new_id = visits.amend(db, visit["id"], visit["auditor_id"], "結果の誤記")
    amended = {"id": new_id, "auditor": visit["auditor_id"]}
    change(db, amended, "result", "ok", check="external_media", at=soon(120))
    sign_both(db, amended)
    assert followups.get(db, finding["id"])["state"] == "withdrawn"


def test_overdue_follow_ups_are_listed(db, finding):
    later = date.fromisoformat(finding["due_on"]) + timedelta(days=1)
    assert [f["id"] for f in followups.listing(db, overdue=True, today=later)] == [finding["id"]]
    assert followups.counts(db, today=later)["overdue"] == 1
    assert followups.listing(db, overdue=True, today=date.fromisoformat(finding["due_on"])) == []


def test_due_days_come_from_configuration_and_nothing_opens_before_both_sign(db, visit):
    fill_all(db, visit)
    change(db, visit, "result", "nonconformity", check="wire_lock", at=soon(60))
    change(db, visit, "remark", "ワイヤーロックが外れていた", check="wire_lock", at=soon(60))
    due = {"nonconformity": 10, "major": 1}
    issuance.sign(db, visit["id"], visit["auditor"], due_days=due, role="auditor", name="監査", data_url=signature_url())
    assert followups.listing(db) == []
    issuance.sign(db, visit["id"], visit["auditor"], due_days=due, role="auditee", name="鈴木", data_url=signature_url())
    [row] = followups.listing(db)
    locked_on = date.fromisoformat(visits.get_visit(db, visit["id"])["locked_at"][:10])
    assert row["due_on"] == calendar_days.due_date(locked_on, 10).isoformat()
