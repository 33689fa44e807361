"""実施計画 screens: only the audit team sees them (and draws), only the audit lead changes them, errors in Japanese."""
import re

import pytest

from spotcheck import auth, draw, plans
from tests.factories import PASSWORD

PAGES = ["/plan", "/plan?campaign={campaign}"]
CHANGES = ["/plan/{campaign}/groups", "/plan/{campaign}/groups/{group}/delete", "/plan/{campaign}/rows",
           "/plan/{campaign}/teams", "/plan/{campaign}/teams/{team}/delete"]


@pytest.fixture
def planned(db, city, make_user):
    """A plan with one group (市民部 = 市民課), one team and one planned row; returns the ids in the URLs."""
    lead = make_user("admin", "lead")
    section = db.execute("SELECT id FROM sections WHERE code = '0201'").fetchone()[0]
    group = plans.save_group(db, city["id"], "市民部", [section], user_id=lead)
    team, _same = plans.save_team(db, city["id"], "A班", lead, make_user("auditor", "kensa"), user_id=lead)
    plans.save_row(db, city["id"], group_id=group, subject_kind="person", month=6, planned=3, team_id=team,
                   user_id=lead)
    return {"campaign": city["id"], "group": group, "team": team}


def log_in(client, make_user, role):
    make_user(role, f"{role}-x", section_code="0101" if role == "section_head" else None)
    assert client.post("/login", data={"username": f"{role}-x", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("role, reads, changes", [("admin", True, True), ("auditor", True, False),
                                                  ("section_head", False, False), ("viewer", False, False)])
def test_only_the_audit_team_sees_the_plan_and_only_the_lead_changes_it(client, make_user, db, planned, role, reads,
                                                                         changes):
    log_in(client, make_user, role)
    for url in PAGES:
        response = client.get(url.format(**planned))
        assert response.status_code == (200 if reads else 403), url
        body = response.get_data(as_text=True)
        assert ("市民部" in body and "A班" in body) is reads
    rows_before = db.execute("SELECT count(*) FROM plan_rows").fetchone()[0]
    for url in CHANGES:
        response = client.post(url.format(**planned), data={"name": "X", "planned": "1"})
        assert response.status_code == (302 if changes else 403), url
    if not changes:
        assert db.execute("SELECT count(*) FROM plan_rows").fetchone()[0] == rows_before
        assert [g.name for g in plans.groups(db, planned["campaign"])] == ["市民部"]
    home = client.get("/").get_data(as_text=True)
    assert ('href="/plan"' in home) is reads


def test_the_plan_is_linked_from_the_visit_page(client, login, planned):
    login("auditor")
    assert 'href="/plan"' in client.get("/visits").get_data(as_text=True)


def test_an_unknown_campaign_is_not_found(client, login, planned):
    login("admin")
    assert client.get("/plan?campaign=999").status_code == 404
    assert client.post("/plan/999/rows", data={"planned": "1"}).status_code == 404


@pytest.mark.parametrize("role", ["section_head", "viewer"])
def test_section_heads_and_viewers_never_see_a_draw(app, client, make_user, db, city, role):
    auditor = make_user("auditor", "drawer")
    section = db.execute("SELECT id FROM sections WHERE code = '0101'").fetchone()[0]
    pool = draw.staff_pool(db, city["id"], section, app.config["DRAW_WEIGHTS"], exclude_visited=False, pc_only=False)
    draw_id, _staff = draw.record_draw(db, campaign_id=city["id"], kind="staff", section_id=section, pool=pool,
                                       options={}, user_id=auditor)
    log_in(client, make_user, role)
    for url in (f"/draws/{draw_id}", "/visits", f"/visits/new?campaign={city['id']}&section={section}",
                "/visits/subjects/section", "/plan"):
        assert client.get(url).status_code == 403, url
    for url in ("/visits/draw", "/visits/draw-section", "/visits/subjects/section/draw"):
        assert client.post(url, data={"campaign_id": city["id"], "section_id": section}).status_code == 403, url
    assert db.execute("SELECT count(*) FROM draws").fetchone()[0] == 1
    for page in ("/", "/followups", "/staff", "/dashboard"):
        body = client.get(page).get_data(as_text=True)
        assert "/draws/" not in body and "抽選記録" not in body and 'href="/plan"' not in body, page


def test_the_lead_plans_through_the_forms_and_sees_progress(client, login, db, city):
    lead = login("admin")
    partner = auth.create_user(db, "kensa", PASSWORD, "auditor", display_name="検査 花子")
    somu = db.execute("SELECT id FROM sections WHERE code = '0101'").fetchone()[0]
    url = f"/plan/{city['id']}"
    response = client.post(f"{url}/groups", data={"name": "総務部", "section_id": [str(somu)]}, follow_redirects=True)
    assert "所属グループを保存しました。" in response.get_data(as_text=True)
    group = plans.groups(db, city["id"])[0].id
    response = client.post(f"{url}/teams", data={"name": "A班", "first_user_id": lead, "second_user_id": partner,
                                                 "first_section_id": somu, "second_section_id": somu},
                           follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "班を作成しました。" in body and "2 人とも同じ所属です。できるだけ別の所属の 2 人で組んでください。" in body
    team = plans.teams(db, city["id"])[0].id
    response = client.post(f"{url}/rows", data={"group_id": group, "subject_kind": "person", "month": "4",
                                                "planned": "2", "team_id": team}, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "計画を保存しました。" in body
    assert re.search(r"data-planned>2<", body) and re.search(r"data-completion>0%<", body)


@pytest.mark.parametrize("path, data, message", [
    ("rows", {"group_id": "{group}", "subject_kind": "person", "month": "4", "planned": "-3"},
     "計画数は 0 から 999 までの整数で入力してください（入力: -3）。"),
    ("rows", {"group_id": "999", "subject_kind": "person", "month": "4", "planned": "1"}, "所属グループを選んでください。"),
    ("groups", {"name": "教育部", "section_id": "99999"}, "所属が見つかりません（ID 99999）。"),
    ("groups", {"name": "教育部"}, "所属グループに入れる所属を 1 つ以上選んでください。"),
    ("teams", {"name": "B班", "first_user_id": "{lead}"}, "班は 2 人です。監査員を 2 人選んでください。"),
    ("teams", {"name": "B班", "first_user_id": "{lead}", "second_user_id": "{lead}"},
     "同じ人を 2 回選ぶことはできません。別の監査員を選んでください。"),
])
def test_bad_input_is_refused_with_a_japanese_reason_and_nothing_changes(client, login, db, planned, path, data,
                                                                         message):
    lead = login("admin")
    before = [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("plan_rows", "plan_groups",
                                                                               "audit_teams", "audit_log")]
    values = {k: v.format(group=planned["group"], lead=lead) for k, v in data.items()}
    response = client.post(f"/plan/{planned['campaign']}/{path}", data=values, follow_redirects=True)
    assert message in response.get_data(as_text=True)
    after = [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("plan_rows", "plan_groups",
                                                                              "audit_teams", "audit_log")]
    assert after == before
