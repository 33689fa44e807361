"""Working days of the city hall: 土日・祝日・振替休日・年末年始 are skipped, checked on hand-picked dates."""
from datetime import date, datetime

import pytest

from spotcheck import calendar_days, clock, followups
from tests.factories import change, fill_all, sign_both, soon


@pytest.mark.parametrize("day, expected", [
    (date(2026, 4, 28), date(2026, 4, 28)),   # a Tuesday: open
    (date(2026, 4, 29), date(2026, 4, 30)),   # 昭和の日
    (date(2026, 5, 2), date(2026, 5, 7)),     # Golden Week: 土, 憲法記念日, みどりの日, こどもの日, 振替休日
    (date(2026, 5, 6), date(2026, 5, 7)),     # 憲法記念日の振替休日
    (date(2026, 9, 19), date(2026, 9, 24)),   # 土日, 敬老の日, 国民の休日, 秋分の日
    (date(2026, 12, 28), date(2026, 12, 28)),  # 仕事納め: open
    (date(2026, 12, 29), date(2027, 1, 4)),   # 年末年始 12/29–1/3
    (date(2027, 1, 2), date(2027, 1, 4)),
    (date(2027, 1, 9), date(2027, 1, 12)),    # 土日, 成人の日
    (date(2026, 11, 7), date(2026, 11, 9)),   # an ordinary weekend
])
def test_next_business_day_skips_weekends_holidays_and_the_year_end(day, expected):
    assert calendar_days.next_business_day(day) == expected


@pytest.mark.parametrize("start, count, expected", [
    (date(2026, 4, 28), 0, date(2026, 4, 28)),
    (date(2026, 4, 28), 1, date(2026, 4, 30)),
    (date(2026, 4, 28), 3, date(2026, 5, 7)),
    (date(2026, 12, 25), 2, date(2027, 1, 4)),  # Fri → Mon 12/28 → (年末年始) Mon 1/4
    (date(2026, 5, 3), 0, date(2026, 5, 7)),
])
def test_add_business_days_counts_only_open_days(start, count, expected):
    assert calendar_days.add_business_days(start, count) == expected


def test_add_business_days_refuses_a_negative_count():
    with pytest.raises(ValueError):
        calendar_days.add_business_days(date(2026, 4, 28), -1)


@pytest.mark.parametrize("start, days, expected", [
    (date(2026, 4, 28), 7, date(2026, 5, 7)),    # 5/5 こどもの日 → past the 振替休日 5/6
    (date(2026, 12, 1), 30, date(2027, 1, 4)),   # 12/31 → 年末年始
    (date(2026, 12, 1), 7, date(2026, 12, 8)),   # a Tuesday stays
    (date(2026, 10, 9), 30, date(2026, 11, 9)),  # Sunday 11/8 → Monday
])
def test_a_deadline_on_a_closed_day_moves_to_the_next_working_day(start, days, expected):
    assert calendar_days.due_date(start, days) == expected


@pytest.mark.parametrize("day, reason", [
    (date(2026, 5, 5), "こどもの日"), (date(2026, 12, 30), "年末年始"), (date(2027, 1, 1), "年末年始"),
    (date(2026, 11, 7), "土曜日"), (date(2026, 11, 8), "日曜日"), (date(2026, 11, 9), None),
])
def test_closed_reason_names_the_day(day, reason):
    assert calendar_days.closed_reason(day) == reason


def test_a_follow_up_locked_before_golden_week_is_due_after_it(db, visit, city, monkeypatch):
    fill_all(db, visit)
    change(db, visit, "result", "major", check="external_media", at=soon(60))  # 重大: 7 days
    # Signed (and so locked) on 2026-04-28: +7 days is こどもの日, then the 振替休日.
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 4, 28, 15, tzinfo=clock.TIMEZONE))
    sign_both(db, visit)
    [row] = followups.listing(db)
    assert row["due_on"] == "2026-05-07"
