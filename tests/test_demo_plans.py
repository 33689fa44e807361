"""The demo shows 実施計画 on first run: department groups, two teams, a plan its signed visits partly meet."""
from spotcheck import plan_progress, plans


def test_demo_plans_its_campaign_with_teams_and_progress(app, runner, db):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    campaign_id = db.execute("SELECT id FROM campaigns WHERE code = 'R6'").fetchone()[0]
    groups = plans.groups(db, campaign_id)
    assert [g.name for g in groups] == sorted(g.name for g in groups) and len(groups) == 6
    assert sum(len(g.section_ids) for g in groups) == db.execute("SELECT count(*) FROM sections").fetchone()[0]
    teams = {t.name: t for t in plans.teams(db, campaign_id)}
    assert set(teams) == {"A班", "B班"} and not teams["A班"].same_section and teams["B班"].same_section
    shown = plan_progress.progress(db, campaign_id)
    signed = db.execute("SELECT count(*) FROM visits WHERE campaign_id = ? AND status = 'locked'",
                        [campaign_id]).fetchone()[0]
    # Every signed demo visit is planned and met; each group still has two visits to come.
    assert shown.done == shown.counted == signed
    assert shown.planned == signed + 2 * len(groups)
    assert 0 < shown.completion < 100
    assert f"達成率 {shown.completion}%" in result.output
    again = runner.invoke(args=["demo"])
    assert "デモの実施計画は作成済みです。" in again.output
    assert plan_progress.progress(db, campaign_id) == shown
