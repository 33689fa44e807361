"""実施計画: section groups, two-person teams and planned counts, stored whole or not at all, and progress on hand-counted visits."""
import pytest

from spotcheck import audit, plan_progress, plans, trail
from spotcheck.plans import PlanError
from tests.system import poppler


def section_ids(db, *codes):
    return [db.execute("SELECT id FROM sections WHERE code = ?", [c]).fetchone()[0] for c in codes]


def add_visit(db, campaign_id, section_code, auditor, *, started, kind="person", status="locked", supersedes=None):
    """A visit row as the visit flow leaves it (only the columns progress reads matter here)."""
    section = section_ids(db, section_code)[0]
    staff = db.execute("SELECT id FROM staff WHERE section_id = ? ORDER BY id LIMIT 1", [section]).fetchone()
    contract = None
    if kind == "contract":
        contract = db.execute("SELECT id FROM contracts LIMIT 1").fetchone()[0]
    return db["visits"].insert({
        "campaign_id": campaign_id, "section_id": section, "staff_id": staff[0] if kind == "person" else None,
        "auditor_id": auditor, "status": status, "started_at": started, "subject_kind": kind,
        "contract_id": contract, "supersedes_id": supersedes, "version": 2 if supersedes else 1,
        "locked_at": started if status == "locked" else None}).last_pk


@pytest.fixture
def lead(make_user):
    return make_user("admin", "lead")


@pytest.fixture
def two_groups(db, city, lead):
    """市民部 = 0201 市民課, 総務部 = 0101 総務課; 0301 図書館 is in no group."""
    shimin = plans.save_group(db, city["id"], "市民部", section_ids(db, "0201"), user_id=lead)
    somu = plans.save_group(db, city["id"], "総務部", section_ids(db, "0101"), user_id=lead)
    return {"shimin": shimin, "somu": somu}


@pytest.fixture
def other_campaign(db, forms):
    from spotcheck import campaigns
    return campaigns.get_campaign(db, campaign_id=campaigns.create_campaign(db, "R7", "令和7年度", forms, fiscal_year=2025))


def plan_rows(db):
    return db.execute("SELECT group_id, subject_kind, month, planned, team_id FROM plan_rows ORDER BY id").fetchall()


def plan_log(db):
    return [r[0] for r in db.execute("SELECT action FROM audit_log WHERE entity = 'plan' ORDER BY id")]


def test_progress_on_hand_counted_visits(db, city, lead, two_groups, make_user, other_campaign):
    team, _same = plans.save_team(db, city["id"], "A班", lead, make_user("auditor"), user_id=lead)
    for group, kind, month, planned, team_id in (("shimin", "person", 4, 2, team), ("shimin", "person", 5, 1, None),
                                                 ("shimin", "section", 6, 1, None), ("somu", "person", 4, 1, team)):
        plans.save_row(db, city["id"], group_id=two_groups[group], subject_kind=kind, month=month, planned=planned,
                       team_id=team_id, user_id=lead)
    at = "2024-{}T10:00:00+09:00".format
    add_visit(db, city["id"], "0201", lead, started=at("04-10"))
    add_visit(db, city["id"], "0201", lead, started=at("05-20"))
    add_visit(db, city["id"], "0201", lead, started=at("05-21"))
    add_visit(db, city["id"], "0201", lead, started=at("05-22"), status="open")  # not signed: not done
    first = add_visit(db, city["id"], "0101", lead, started=at("04-11"))
    add_visit(db, city["id"], "0101", lead, started=at("04-11"), supersedes=first)  # amended: counts once
    add_visit(db, city["id"], "0301", lead, started=at("07-01"))  # 図書館 is in no group
    add_visit(db, other_campaign["id"], "0201", lead, started=at("04-12"))  # another year

    shown = plan_progress.progress(db, city["id"])

    assert (shown.planned, shown.done, shown.counted, shown.completion) == (5, 5, 4, 80)
    months = {line.key: (line.planned, line.done, line.percent) for line in shown.months}
    assert [line.key for line in shown.months] == [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]
    assert months[4] == (3, 2, 66) and months[5] == (1, 2, 200) and months[6] == (1, 0, 0)
    assert months[7] == (0, 1, None) and months[3] == (0, 0, None)
    groups = {line.key: (line.planned, line.done, line.percent) for line in shown.groups}
    assert groups == {two_groups["shimin"]: (4, 3, 75), two_groups["somu"]: (1, 1, 100), None: (0, 1, None)}
    assert {line.key: (line.planned, line.done) for line in shown.kinds} == {
        "person": (4, 5), "section": (1, 0), "contract": (0, 0)}
    assert shown.cell(two_groups["shimin"], "person", 4) == plan_progress.Cell(2, 1, team)
    assert shown.cell(two_groups["somu"], "contract", 9) == plan_progress.Cell(0, 0, None)
    assert shown.lines == ((two_groups["shimin"], "person"), (two_groups["shimin"], "section"),
                           (two_groups["somu"], "person"), (None, "person"))


def test_every_planned_visit_made_is_100_percent_and_extra_visits_do_not_fill_another_group(db, city, lead, two_groups):
    for group in ("shimin", "somu"):
        plans.save_row(db, city["id"], group_id=two_groups[group], subject_kind="person", month=10, planned=1,
                       team_id=None, user_id=lead)
    add_visit(db, city["id"], "0201", lead, started="2024-10-01T09:00:00+09:00")
    add_visit(db, city["id"], "0201", lead, started="2024-11-01T09:00:00+09:00")  # a month late still counts
    assert plan_progress.progress(db, city["id"]).completion == 50  # 総務部's visit is still missing
    add_visit(db, city["id"], "0101", lead, started="2024-10-02T09:00:00+09:00")
    assert plan_progress.progress(db, city["id"]).completion == 100


def test_nothing_planned_has_no_completion(db, city):
    shown = plan_progress.progress(db, city["id"])
    assert (shown.planned, shown.done, shown.completion, shown.lines) == (0, 0, None, ())


def test_saving_a_row_again_overwrites_it_and_zero_takes_it_out(db, city, lead, two_groups):
    def save(planned):
        plans.save_row(db, city["id"], group_id=two_groups["somu"], subject_kind="contract", month=1,
                       planned=planned, team_id=None, user_id=lead)

    save("3")
    save(" 2 ")
    assert plan_rows(db) == [(two_groups["somu"], "contract", 1, 2, None)]
    save(0)
    assert plan_rows(db) == []
    assert plan_log(db)[-3:] == ["save_row"] * 3


@pytest.mark.parametrize("change, message", [
    ({"planned": -1}, "計画数は 0 から 999 までの整数で入力してください"),
    ({"planned": "三"}, "計画数は 0 から 999 までの整数で入力してください"),
    ({"planned": "1.5"}, "計画数は 0 から 999 までの整数で入力してください"),
    ({"planned": 1000}, "計画数は 0 から 999 までの整数で入力してください"),
    ({"planned": None}, "計画数は 0 から 999 までの整数で入力してください"),
    ({"group_id": 999}, "所属グループを選んでください"),
    ({"group_id": None}, "所属グループを選んでください"),
    ({"subject_kind": "building"}, "監査の対象を選んでください"),
    ({"month": 13}, "月を選んでください"),
    ({"month": None}, "月を選んでください"),
    ({"team_id": 999}, "班が見つかりません"),
])
def test_a_bad_row_is_refused_in_japanese_and_nothing_is_written(db, city, lead, two_groups, change, message):
    before = plan_log(db)
    values = dict(group_id=two_groups["shimin"], subject_kind="person", month=4, planned=1, team_id=None) | change
    with pytest.raises(PlanError, match=message):
        plans.save_row(db, city["id"], user_id=lead, **values)
    assert plan_rows(db) == [] and plan_log(db) == before


def test_a_group_of_another_campaign_or_its_team_is_refused(db, city, lead, two_groups, other_campaign, make_user):
    with pytest.raises(PlanError, match="所属グループを選んでください"):
        plans.save_row(db, other_campaign["id"], group_id=two_groups["shimin"], subject_kind="person", month=4,
                       planned=1, team_id=None, user_id=lead)
    team, _same = plans.save_team(db, other_campaign["id"], "B班", lead, make_user("auditor"), user_id=lead)
    with pytest.raises(PlanError, match="班が見つかりません"):
        plans.save_row(db, city["id"], group_id=two_groups["shimin"], subject_kind="person", month=4, planned=1,
                       team_id=team, user_id=lead)
    assert plan_rows(db) == []


def test_saving_a_group_by_its_name_again_replaces_its_sections(db, city, lead, two_groups):
    plans.save_group(db, city["id"], "市民部", section_ids(db, "0201", "0301"), user_id=lead)
    shown = {g.name: g.section_names for g in plans.groups(db, city["id"])}
    assert shown == {"市民部": ("市民課", "図書館"), "総務部": ("総務課",)}


@pytest.mark.parametrize("name, codes, extra, message", [
    ("", ["0301"], [], "所属グループ名を入力してください"),
    ("   ", ["0301"], [], "所属グループ名を入力してください"),
    ("x" * 41, ["0301"], [], "40 文字以内"),
    ("教育部", [], [], "所属を 1 つ以上選んでください"),
    ("教育部", ["0301"], [99999], r"所属が見つかりません（ID 99999）"),
    ("教育部", ["0301"], ["abc"], "所属の指定が正しくありません"),
    ("教育部", ["0301", "0201"], [], "市民課 は既に所属グループ「市民部」に入っています"),
])
def test_a_bad_group_is_refused_in_japanese_and_nothing_is_written(db, city, lead, two_groups, name, codes, extra,
                                                                    message):
    before = (plans.groups(db, city["id"]), plan_log(db))
    with pytest.raises(PlanError, match=message):
        plans.save_group(db, city["id"], name, [*section_ids(db, *codes), *extra], user_id=lead)
    assert (plans.groups(db, city["id"]), plan_log(db)) == before


def test_a_group_with_planned_visits_is_not_deleted(db, city, lead, two_groups):
    plans.save_row(db, city["id"], group_id=two_groups["somu"], subject_kind="person", month=4, planned=2,
                   team_id=None, user_id=lead)
    with pytest.raises(PlanError, match="所属グループ「総務部」には計画があります"):
        plans.delete_group(db, city["id"], two_groups["somu"], user_id=lead)
    plans.delete_group(db, city["id"], two_groups["shimin"], user_id=lead)
    assert [g.name for g in plans.groups(db, city["id"])] == ["総務部"]
    # The section is free again for another group.
    plans.save_group(db, city["id"], "市民・図書", section_ids(db, "0201", "0301"), user_id=lead)


@pytest.mark.parametrize("name, members, message", [
    ("A班", ("lead", None), "班は 2 人です"),
    ("A班", (None, None), "班は 2 人です"),
    ("A班", ("lead", "lead"), "同じ人を 2 回選ぶことはできません"),
    ("A班", ("lead", "head"), "有効な監査責任者・監査員のアカウントだけ"),
    ("A班", ("lead", "viewer"), "有効な監査責任者・監査員のアカウントだけ"),
    ("A班", ("lead", 99999), "有効な監査責任者・監査員のアカウントだけ"),
    ("", ("lead", "auditor"), "班の名前を入力してください"),
    ("B班", ("lead", "auditor"), "班「B班」は既にあります"),
])
def test_a_bad_team_is_refused_in_japanese_and_nothing_is_written(db, city, lead, make_user, name, members, message):
    people = {"lead": lead, "auditor": make_user("auditor"), "head": make_user("section_head", section_code="0101"),
              "viewer": make_user("viewer"), None: None}
    plans.save_team(db, city["id"], "B班", lead, people["auditor"], user_id=lead)
    before = (plans.teams(db, city["id"]), plan_log(db))
    with pytest.raises(PlanError, match=message):
        plans.save_team(db, city["id"], name, *(people.get(m, m) for m in members), user_id=lead)
    assert (plans.teams(db, city["id"]), plan_log(db)) == before


def test_a_disabled_account_cannot_join_a_team(db, city, lead, make_user):
    gone = make_user("auditor", "gone")
    db.execute("UPDATE users SET active = 0 WHERE id = ?", [gone])
    with pytest.raises(PlanError, match="有効な監査責任者・監査員"):
        plans.save_team(db, city["id"], "A班", lead, gone, user_id=lead)


def test_two_auditors_of_one_section_form_a_team_with_a_warning(db, city, lead, make_user):
    first, second, third = make_user("auditor", "kensa1"), make_user("auditor", "kensa2"), make_user("auditor", "kensa3")
    somu, shimin = section_ids(db, "0101", "0201")
    assert plans.save_team(db, city["id"], "同課班", first, second, sections=(somu, somu), user_id=lead)[1] is True
    assert plans.save_team(db, city["id"], "混成班", first, third, sections=(somu, shimin), user_id=lead)[1] is False
    assert plans.save_team(db, city["id"], "所属なし班", lead, third, user_id=lead)[1] is False
    # An account that carries a section lends it when the form names none.
    db.execute("UPDATE users SET section_id = ? WHERE id IN (?, ?)", [shimin, lead, third])
    assert plans.save_team(db, city["id"], "市民課班", lead, third, user_id=lead)[1] is True
    shown = {t.name: (t.same_section, t.first.section_name, t.second.section_name) for t in plans.teams(db, city["id"])}
    assert shown == {"同課班": (True, "総務課", "総務課"), "混成班": (False, "総務課", "市民課"),
                     "所属なし班": (False, None, None), "市民課班": (True, "市民課", "市民課")}


def test_a_team_member_from_an_unknown_section_is_refused(db, city, lead, make_user):
    with pytest.raises(PlanError, match=r"所属が見つかりません（ID 99999）"):
        plans.save_team(db, city["id"], "A班", lead, make_user("auditor"), sections=(None, 99999), user_id=lead)
    assert plans.teams(db, city["id"]) == []


def test_disbanding_a_team_keeps_the_counts_it_was_assigned(db, city, lead, two_groups, make_user):
    team, _same = plans.save_team(db, city["id"], "A班", lead, make_user("auditor"), user_id=lead)
    plans.save_row(db, city["id"], group_id=two_groups["somu"], subject_kind="person", month=4, planned=2,
                   team_id=team, user_id=lead)
    plans.delete_team(db, city["id"], team, user_id=lead)
    assert plans.teams(db, city["id"]) == []
    assert plan_rows(db) == [(two_groups["somu"], "person", 4, 2, None)]
    with pytest.raises(PlanError, match="班が見つかりません"):
        plans.delete_team(db, city["id"], team, user_id=lead)


def test_every_plan_change_is_in_the_audit_trail_in_words(db, city, lead, two_groups, make_user):
    team, _same = plans.save_team(db, city["id"], "A班", lead, make_user("auditor"), user_id=lead)
    plans.save_row(db, city["id"], group_id=two_groups["somu"], subject_kind="person", month=4, planned=2,
                   team_id=team, user_id=lead)
    plans.save_row(db, city["id"], group_id=two_groups["somu"], subject_kind="person", month=4, planned=0,
                   team_id=None, user_id=lead)
    plans.delete_team(db, city["id"], team, user_id=lead)
    plans.delete_group(db, city["id"], two_groups["somu"], user_id=lead)
    assert plan_log(db) == ["save_group", "save_group", "save_team", "save_row", "save_row", "delete_team",
                            "delete_group"]
    entries = [trail.entry(r) for r in audit.entries(db, "plan", city["id"])]
    assert all(e.entity == "実施計画" and "." not in e.action for e in entries)
    saved = entries[3]
    assert saved.action == "実施計画の件数を保存" and "計画数: 2" in saved.after_text and "月: 4" in saved.after_text
    assert all(e.entity_id == city["id"] for e in entries)


def test_next_years_plan_starts_from_what_is_still_open(db, city, lead, other_campaign, client, login, tmp_path):
    """R6's findings still open show per group on R7's plan page; R7's council report gives the year's totals only."""
    visit = add_visit(db, city["id"], "0201", lead, started="2024-06-10T10:00:00+09:00")
    for code, state in (("wire_lock", "open"), ("screen_lock", "reported"), ("clear_desk", "closed")):
        db["followups"].insert({"visit_id": visit, "campaign_id": city["id"], "section_id": section_ids(db, "0201")[0],
                                "staff_id": db.execute("SELECT staff_id FROM visits WHERE id = ?", [visit]).fetchone()[0],
                                "check_code": code, "check_title": code, "severity": "nonconformity", "finding": "x",
                                "state": state, "due_on": "2024-07-10", "created_at": "2024-06-10T10:00:00+09:00",
                                "updated_at": "2024-06-10T10:00:00+09:00"})
    shimin = plans.save_group(db, other_campaign["id"], "市民部", section_ids(db, "0201"), user_id=lead)
    somu = plans.save_group(db, other_campaign["id"], "総務部", section_ids(db, "0101"), user_id=lead)
    assert plan_progress.carried_by_group(db, other_campaign["id"], plans.groups(db, other_campaign["id"])) == {
        shimin: 2, somu: 0, None: 0}
    plans.save_row(db, other_campaign["id"], group_id=shimin, subject_kind="person", month=5, planned=4, team_id=None,
                   user_id=lead)
    add_visit(db, other_campaign["id"], "0201", lead, started="2025-05-12T10:00:00+09:00")
    login("admin", "planner")
    page = client.get(f"/plan?campaign={other_campaign['id']}").get_data(as_text=True)
    assert "前年度以前の指摘のうち 2件が未完了です" in page
    report = client.get(f"/reports/council.pdf?campaign={other_campaign['id']}").data
    path = tmp_path / "r.pdf"
    path.write_bytes(report)
    text = "".join(poppler("pdftotext", str(path), "-").decode().split())
    assert "年間の実施計画4件に対して1件を実施しました（計画の達成率25%）。" in text
    assert "市民部" not in text  # the plan's groups and months stay with the audit team
