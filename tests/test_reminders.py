"""督促: each escalation step fires once, on its day (a fixed date), and only its readers see it in お知らせ."""
from datetime import date, datetime

import pytest

from spotcheck import audit, auth, clock, config, reminders
from spotcheck.remind_command import run
from tests.factories import PASSWORD, overdue_followup

DUE = date(2026, 11, 2)  # a Monday
SETTINGS = {**config.defaults(), "BASE_URL": "https://spotcheck.city.example.lg.jp"}


@pytest.fixture
def overdue(db, visit, city):
    """The follow-up of a locked visit of 000101 (総務課), its deadline set to DUE."""
    return overdue_followup(db, visit, DUE.isoformat())


def fired(db):
    return [(r[0], r[1], r[2]) for r in db.execute(
        "SELECT days, recipient, fires_on FROM followup_reminders ORDER BY id")]


def user(db, role, section_code=None, name=None):
    return auth.get_user(db, auth.create_user(db, name or f"{role}-x", PASSWORD, role, section_code=section_code))


def test_each_step_fires_on_its_day_and_only_once(db, overdue):
    assert run(db, SETTINGS, date(2026, 11, 1)).fired == 0  # the day before the deadline
    assert run(db, SETTINGS, DUE).fired == 1
    assert fired(db) == [(0, "section_head", "2026-11-02")]
    assert run(db, SETTINGS, DUE).fired == 0  # the cron ran twice: nothing twice
    assert run(db, SETTINGS, date(2026, 11, 8)).fired == 0  # 6 days late
    assert run(db, SETTINGS, date(2026, 11, 9)).fired == 1  # +7: the section head again
    assert run(db, SETTINGS, date(2026, 11, 16)).fired == 1  # +14: 情報政策課
    assert run(db, SETTINGS, date(2026, 12, 1)).fired == 0  # +29
    assert run(db, SETTINGS, date(2026, 12, 2)).fired == 1  # +30: 総務課長
    assert run(db, SETTINGS, date(2027, 3, 1)).fired == 0
    assert fired(db) == [(0, "section_head", "2026-11-02"), (7, "section_head", "2026-11-09"),
                         (14, "admin", "2026-11-16"), (30, "soumu", "2026-12-02")]
    logged = [e for e in audit.entries(db, "followup", overdue["id"]) if e["action"] == "remind"]
    assert len(logged) == 4


def test_a_step_due_on_a_closed_day_fires_on_the_next_working_day(db, overdue):
    db.execute("UPDATE followups SET due_on = '2026-12-25' WHERE id = ?", [overdue["id"]])  # +7 = 元日
    db.conn.commit()
    run(db, SETTINGS, date(2026, 12, 25))
    assert run(db, SETTINGS, date(2027, 1, 1)).fired == 0
    assert run(db, SETTINGS, date(2027, 1, 3)).fired == 0
    assert run(db, SETTINGS, date(2027, 1, 4)).fired == 1
    assert fired(db)[-1] == (7, "section_head", "2027-01-04")


def test_a_first_run_long_after_the_deadline_fires_every_step_reached(db, overdue):
    outcome = run(db, SETTINGS, date(2026, 12, 15))
    assert outcome.fired == 4 and [f[:2] for f in fired(db)] == [(0, "section_head"), (7, "section_head"),
                                                                (14, "admin"), (30, "soumu")]
    assert "所属長 2 件、情報政策課（監査責任者） 1 件、総務課長 1 件" in "\n".join(outcome.lines)


def test_a_dry_run_lists_but_records_nothing(db, overdue):
    outcome = run(db, SETTINGS, date(2026, 11, 16), dry_run=True)
    assert "試行のため記録していません" in outcome.lines[0] and "総務課　" in outcome.lines[2]
    assert fired(db) == []


@pytest.mark.parametrize("state", ["reported", "closed", "withdrawn"])
def test_only_open_follow_ups_are_chased(db, overdue, state):
    db.execute("UPDATE followups SET state = ? WHERE id = ?", [state, overdue["id"]])
    db.conn.commit()
    assert run(db, SETTINGS, date(2026, 12, 15)).fired == 0


def test_the_steps_come_from_the_settings(db, overdue):
    settings = {**SETTINGS, "ESCALATION_STEPS": [(3, "admin")]}
    assert run(db, settings, date(2026, 11, 4)).fired == 0
    assert run(db, settings, date(2026, 11, 5)).fired == 1
    assert fired(db) == [(3, "admin", "2026-11-05")]


@pytest.mark.parametrize("steps, message", [
    ([(7, "mayor")], "宛先「mayor」はありません"),
    ([(-1, "admin")], "0 以上"),
    ([("x", "admin")], "組ではありません"),
    ([7], "組ではありません"),
    ([(7, "admin"), (7, "admin")], "同じ段階"),
])
def test_bad_escalation_settings_are_refused_in_japanese(steps, message):
    with pytest.raises(reminders.ReminderError, match=message):
        reminders.parse_steps(steps)


def test_the_command_uses_the_app_clock_and_prints_japanese(app, db, overdue, runner, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 9, 6, tzinfo=clock.TIMEZONE))
    result = runner.invoke(args=["remind"])
    assert result.exit_code == 0, result.output
    assert "令和8年11月9日（2026-11-09）の督促: 新たに記録 2 件" in result.output
    assert "メール: 送信しない設定です" in result.output
    again = runner.invoke(args=["remind", "--date", "2026-11-09"])
    assert "新たに送る督促はありません" in again.output
    bad = runner.invoke(args=["remind", "--date", "R8.11.9"])
    assert bad.exit_code != 0


# ---------------------------------------------------------------- お知らせ


def test_each_role_reads_only_its_own_reminders(db, overdue):
    run(db, SETTINGS, date(2026, 12, 15))
    head, other_head = user(db, "section_head", "0101", "head"), user(db, "section_head", "0201", "other")
    admin, auditor, viewer = user(db, "admin"), user(db, "auditor"), user(db, "viewer")
    assert [(i.days, i.recipient) for i in reminders.inbox(db, head)] == [(7, "section_head"), (0, "section_head")]
    assert reminders.inbox(db, other_head) == []
    assert [i.recipient for i in reminders.inbox(db, admin)] == ["admin"]
    assert reminders.inbox(db, auditor) == []
    [soumu] = reminders.inbox(db, viewer)
    # 総務: the section and the dates, not the finding nor a way to the follow-up.
    assert soumu.section_name == "総務課" and soumu.check_title is None and soumu.followup_id is None
    assert reminders.unread_count(db, head) == 2 and reminders.unread_count(db, other_head) == 0


def test_marking_read_is_per_user_and_logged(db, overdue):
    run(db, SETTINGS, date(2026, 12, 15))
    head, admin, admin2 = user(db, "section_head", "0101", "head"), user(db, "admin", name="a1"), user(db, "admin", name="a2")
    first = reminders.inbox(db, head)[0]
    assert reminders.mark_read(db, head, first.id) == 1
    assert reminders.unread_count(db, head) == 1
    assert reminders.mark_read(db, admin, None) == 1
    assert reminders.unread_count(db, admin) == 0 and reminders.unread_count(db, admin2) == 1
    with pytest.raises(reminders.ReminderError):
        reminders.mark_read(db, admin2, first.id)  # the section head's, not theirs
    assert [e["action"] for e in audit.entries(db, "reminder", first.id)] == ["read"]


def test_the_inbox_page_and_badge_by_role(client, db, overdue, login):
    run(db, SETTINGS, date(2026, 12, 15))
    login("section_head", "head", "0101")
    page = client.get("/inbox").get_data(as_text=True)
    assert "お知らせ" in page and "期限から 7 日が過ぎました" in page and "外部記録媒体" in page
    assert "鈴木" not in page  # names stay on the follow-up's own page
    assert 'data-unread>2</span>' in client.get("/").get_data(as_text=True)
    first = reminders.inbox(db, auth.get_user(db, db.execute("SELECT id FROM users WHERE username='head'").fetchone()[0]))[0]
    assert client.post("/inbox/read", data={"reminder": first.id}).status_code == 302
    assert 'data-unread>1</span>' in client.get("/").get_data(as_text=True)
    assert client.post("/inbox/read", data={"reminder": "all"}).status_code == 302
    assert "data-unread" not in client.get("/").get_data(as_text=True)
    for bad in ("x", "²", "-1", ""):
        assert client.post("/inbox/read", data={"reminder": bad}).status_code == 400, bad
    assert client.post("/inbox/read", data={"reminder": str(2**70)}).status_code == 400


def test_viewers_inbox_names_no_finding(client, db, overdue, login):
    run(db, SETTINGS, date(2026, 12, 15))
    login("viewer")
    page = client.get("/inbox").get_data(as_text=True)
    assert "総務課" in page and "期限から 30 日が過ぎました" in page
    assert "外部記録媒体" not in page and "鈴木" not in page and "/followups/" not in page


def test_auditors_have_no_inbox(client, login):
    login("auditor")
    assert client.get("/inbox").status_code == 403
    assert "data-inbox" not in client.get("/").get_data(as_text=True)

