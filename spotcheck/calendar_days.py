"""The city hall's working days: 土日・祝日（振替休日を含む）・年末年始 (12/29–1/3) are closed.

Deadlines follow the rule of 行政機関の休日に関する法律 §2 and 地方自治法 §4の2④: a period is counted
in calendar days, and a deadline that falls on a closed day moves to the next working day.
"""
from datetime import date, timedelta

import jpholiday

# 12/29–1/3: the 年末年始 closure every Japanese municipality observes (its 休日を定める条例).
YEAR_END = ((12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3))


def is_business_day(day: date) -> bool:
    """True when the city hall is open that day."""
    return day.weekday() < 5 and (day.month, day.day) not in YEAR_END and not jpholiday.is_holiday(day)


def closed_reason(day: date) -> str | None:
    """Why the city hall is closed that day (「土曜日」「憲法記念日」「年末年始」), or None on a working day."""
    if (day.month, day.day) in YEAR_END:
        return "年末年始"
    if name := jpholiday.is_holiday_name(day):
        return name
    return ("土曜日", "日曜日")[day.weekday() - 5] if day.weekday() >= 5 else None


def next_business_day(day: date) -> date:
    """The day itself when it is a working day, else the first working day after it."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def add_business_days(day: date, count: int) -> date:
    """The working day `count` working days after `day` (count ≥ 0; 0 gives next_business_day(day))."""
    if count < 0:
        raise ValueError("count must not be negative")
    day = next_business_day(day)
    for _ in range(count):
        day = next_business_day(day + timedelta(days=1))
    return day


def due_date(start: date, days: int) -> date:
    """A deadline `days` calendar days after `start`, moved to the next working day when the city hall is closed."""
    return next_business_day(start + timedelta(days=days))
