"""Demo 実施計画: the demo city's departments as section groups, two teams, and a plan the demo visits partly meet."""
from . import plan_progress, plans

# Section groups by the first two digits of the demo section codes (spotcheck/demo.py SECTIONS).
GROUPS = (
    ("総務部", ("01", "08")),
    ("市民部", ("02",)),
    ("福祉こども部", ("03", "04", "05")),
    ("都市環境部", ("06", "07")),
    ("教育委員会", ("09",)),
    ("行政委員会・消防", ("10", "11", "12", "13")),
)
LATER = 2  # visits planned for the month after the demo's, still to come


def load_plan(db, campaign, admin_id, auditor_ids):
    """Plan the demo campaign from its visits: what was done is planned (met), plus the next month's still to come."""
    campaign_id = campaign["id"]
    if db.execute("SELECT 1 FROM plan_groups WHERE campaign_id = ?", [campaign_id]).fetchone():
        return ["デモの実施計画は作成済みです。"]
    sections = db.execute("SELECT id, code FROM sections ORDER BY code").fetchall()
    groups = {}
    for name, prefixes in GROUPS:
        members = [section_id for section_id, code in sections if code[:2] in prefixes]
        if members:
            groups[name] = plans.save_group(db, campaign_id, name, members, user_id=admin_id)
    home = {code: section_id for section_id, code in sections}
    first, second = auditor_ids[0], auditor_ids[1 % len(auditor_ids)]
    # The seed's joint audits: 情報政策課 with 総務課 (A班); B班 shows the warning for two of one section.
    team_a, _same = plans.save_team(db, campaign_id, "A班", first, second, user_id=admin_id,
                                    sections=(home.get("0102"), home.get("0101")))
    team_b, _same = plans.save_team(db, campaign_id, "B班", admin_id, first, user_id=admin_id,
                                    sections=(home.get("0102"), home.get("0102")))
    done = plan_progress.done_visits(db, campaign_id)
    teams = (team_a, team_b)
    for number, group_id in enumerate(groups.values()):
        team = teams[number % 2]
        months = {month for g, _kind, month in done if g == group_id} or {plans.FISCAL_MONTHS[number % 12]}
        for (g, kind, month), count in done.items():
            if g == group_id:
                plans.save_row(db, campaign_id, group_id=group_id, subject_kind=kind, month=month, planned=count,
                               team_id=team, user_id=admin_id)
        later = max(months) % 12 + 1
        plans.save_row(db, campaign_id, group_id=group_id, subject_kind="person", month=later, planned=LATER,
                       team_id=team, user_id=admin_id)
    shown = plan_progress.progress(db, campaign_id)
    return [f"デモの実施計画（所属グループ {len(groups)}・監査班 2）を作成しました: 計画 {shown.planned} 件、"
            f"実施 {shown.done} 件、達成率 {shown.completion}%。"]
