"""Demo: some open follow-ups made overdue, and the 督促 steps that `flask remind` fires for them today."""
from datetime import timedelta

from . import calendar_days, config, reminders
from .clock import now
from .sqlite import immediate

# Days past the deadline, so that every escalation step shows: 所属長 (0, 7), 情報政策課 (14), 総務課長 (30).
LATE_DAYS = (35, 16, 9, 3, 20, 40)
DEMO_SECTION = "0101"  # the demo section head's (kacho_somu) section comes first


def load_overdue(db, campaign):
    """Back-date a few open follow-ups of the demo campaign and fire their steps; once only."""
    if db.execute("SELECT 1 FROM followup_reminders").fetchone():
        return ["デモの督促（お知らせ）は作成済みです。"]
    rows = [row[0] for row in db.execute(
        "SELECT f.id FROM followups f JOIN sections s ON s.id = f.section_id"
        " WHERE f.campaign_id = ? AND f.state = 'open' ORDER BY s.code != ?, f.id LIMIT ?",
        [campaign["id"], DEMO_SECTION, len(LATE_DAYS)])]
    today = now().date()
    with immediate(db):
        for followup_id, late in zip(rows, LATE_DAYS):
            # Demo data only: the visits are all from today, so their deadlines lie ahead.
            db.execute("UPDATE followups SET due_on = ? WHERE id = ?", [calendar_days.next_business_day(today - timedelta(days=late)).isoformat(), followup_id])
    steps = reminders.parse_steps(config.defaults()["ESCALATION_STEPS"])
    fired = reminders.fire(db, reminders.due(db, steps, today))
    return [f"デモの督促: 期限を過ぎたフォローアップ {len(rows)} 件（期限を過去の日付にしました）について、"
            f"お知らせ {len(fired)} 件を作成しました（flask remind と同じ処理）。"]
