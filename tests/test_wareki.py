"""Tests for spotcheck.wareki: era conversion, fiscal years and date parsing."""

from datetime import date, datetime

import pytest

from spotcheck.wareki import (
    ERAS,
    era_of,
    fiscal_year,
    format_date,
    format_datetime,
    format_fiscal_year,
    parse_date,
)


def test_eras_table():
    """The table lists the five modern eras with their letters."""
    assert [(name, letter) for name, letter, _start in ERAS] == [
        ("令和", "R"), ("平成", "H"), ("昭和", "S"), ("大正", "T"), ("明治", "M"),
    ]


@pytest.mark.parametrize(
    "d, expected",
    [
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1926, 12, 24), "大正15年12月24日"),
        (date(1926, 12, 25), "昭和元年12月25日"),
        (date(1912, 7, 29), "明治45年7月29日"),
        (date(1912, 7, 30), "大正元年7月30日"),
        (date(1873, 1, 1), "明治6年1月1日"),
        (date(2020, 1, 1), "令和2年1月1日"),
        (date(2024, 2, 2), "令和6年2月2日"),
        (datetime(2024, 2, 2, 9, 30), "令和6年2月2日"),
    ],
)
def test_format_date(d, expected):
    """Era boundaries land on the right side, and year 1 is written 元."""
    assert format_date(d) == expected


@pytest.mark.parametrize(
    "d, expected",
    [
        (date(2019, 4, 30), ("平成", 31)),
        (date(2019, 5, 1), ("令和", 1)),
        (date(2024, 2, 2), ("令和", 6)),
        (date(1989, 1, 7), ("昭和", 64)),
    ],
)
def test_era_of(d, expected):
    """era_of returns the era name and a numeric year."""
    assert era_of(d) == expected


@pytest.mark.parametrize("d", [date(1872, 12, 31), date(1868, 10, 23)])
def test_era_of_rejects_dates_before_gregorian_adoption(d):
    """明治 dates before 1873 were lunisolar, so they are refused."""
    with pytest.raises(ValueError, match="1873年1月1日より前"):
        era_of(d)


@pytest.mark.parametrize(
    "d, expected",
    [
        (date(2024, 2, 2), "令和6年2月2日（2024年）"),
        (date(2019, 5, 1), "令和元年5月1日（2019年）"),
    ],
)
def test_format_date_western(d, expected):
    """western=True appends the Western year in full-width brackets."""
    assert format_date(d, western=True) == expected


@pytest.mark.parametrize(
    "dt, expected",
    [
        (datetime(2024, 2, 2, 9, 30), "令和6年2月2日 9時30分"),
        (datetime(2024, 2, 2, 9, 5, 59), "令和6年2月2日 9時5分"),
        (datetime(2019, 5, 1, 0, 0), "令和元年5月1日 0時0分"),
        (datetime(2019, 4, 30, 23, 59), "平成31年4月30日 23時59分"),
    ],
)
def test_format_datetime(dt, expected):
    """Hours and minutes are unpadded and seconds are dropped."""
    assert format_datetime(dt) == expected


@pytest.mark.parametrize(
    "d, expected",
    [
        (date(2024, 3, 31), 2023),
        (date(2024, 4, 1), 2024),
        (date(2024, 1, 1), 2023),
        (date(2024, 12, 31), 2024),
        (date(2019, 4, 30), 2019),
        (datetime(2024, 3, 31, 23, 59), 2023),
    ],
)
def test_fiscal_year(d, expected):
    """The fiscal year changes on April 1."""
    assert fiscal_year(d) == expected


@pytest.mark.parametrize(
    "fy, expected",
    [
        (2024, "令和6年度"),
        (2020, "令和2年度"),
        (2019, "令和元年度"),
        (2018, "平成30年度"),
        (1989, "平成元年度"),
        (1988, "昭和63年度"),
        (1926, "大正15年度"),
        (1927, "昭和2年度"),
    ],
)
def test_format_fiscal_year(fy, expected):
    """A fiscal year is named after the era in force for most of it."""
    assert format_fiscal_year(fy) == expected


@pytest.mark.parametrize(
    "d, expected",
    [
        (date(2019, 3, 31), "平成30年度"),
        (date(2019, 4, 1), "令和元年度"),
        (date(2020, 3, 31), "令和元年度"),
        (date(2020, 4, 1), "令和2年度"),
    ],
)
def test_fiscal_year_name_of_date(d, expected):
    """Around March 31 / April 1 the fiscal year name changes as expected."""
    assert format_fiscal_year(fiscal_year(d)) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024/01/15", date(2024, 1, 15)),
        ("2024-01-15", date(2024, 1, 15)),
        ("2024/1/5", date(2024, 1, 5)),
        ("2024.1.5", date(2024, 1, 5)),
        ("2024年1月15日", date(2024, 1, 15)),
        ("2024-01-15 00:00:00", date(2024, 1, 15)),
        ("2024-01-15T00:00:00", date(2024, 1, 15)),
        ("R6.1.15", date(2024, 1, 15)),
        ("R6/1/15", date(2024, 1, 15)),
        ("R6-1-15", date(2024, 1, 15)),
        ("r6.1.15", date(2024, 1, 15)),
        ("R6年1月15日", date(2024, 1, 15)),
        ("R元.5.1", date(2019, 5, 1)),
        ("令和6年1月15日", date(2024, 1, 15)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("令和1年5月1日", date(2019, 5, 1)),
        ("H31.4.30", date(2019, 4, 30)),
        ("h31.4.30", date(2019, 4, 30)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("S64.1.7", date(1989, 1, 7)),
        ("昭和元年12月25日", date(1926, 12, 25)),
        ("T15.12.24", date(1926, 12, 24)),
        ("大正元年7月30日", date(1912, 7, 30)),
        ("M45.7.29", date(1912, 7, 29)),
        ("明治6年1月1日", date(1873, 1, 1)),
        ("令和６年１月１５日", date(2024, 1, 15)),
        ("Ｒ６．１．１５", date(2024, 1, 15)),
        ("２０２４／０１／１５", date(2024, 1, 15)),
        ("令和 6 年 1 月 15 日", date(2024, 1, 15)),
        ("令和\u30006年1月15日", date(2024, 1, 15)),
        ("R6. 1. 15", date(2024, 1, 15)),
        ("  2024/01/15  ", date(2024, 1, 15)),
    ],
)
def test_parse_date(text, expected):
    """Every spelling seen in imports parses to the same Gregorian date."""
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "2024/02/30",
        "2023/02/29",
        "2024/01-15",
        "20240115",
        "2024-01-15 09:30:00",
        "R6.13.1",
        "R6.1.15.",
        "令和6年13月1日",
        "令和6年1月15",
        "平成32年1月1日",
        "平成31年5月1日",
        "令和元年4月30日",
        "昭和64年1月8日",
        "R0.1.1",
        "X6.1.15",
        "明治5年12月31日",
        "1872/12/31",
    ],
)
def test_parse_date_rejects(text):
    """Unreadable, impossible and out-of-era dates raise the Japanese message."""
    with pytest.raises(ValueError, match="^日付として読めません: "):
        parse_date(text)


def test_parse_date_error_quotes_input():
    """The message repeats what the user typed, so they can find it in their sheet."""
    with pytest.raises(ValueError) as excinfo:
        parse_date("令和6年13月1日")
    assert str(excinfo.value) == "日付として読めません: 令和6年13月1日"


def test_parse_date_error_names_era_range():
    """An era year that does not exist says which era it fell outside."""
    with pytest.raises(ValueError) as excinfo:
        parse_date("平成31年5月1日")
    assert str(excinfo.value) == "日付として読めません: 平成31年5月1日（平成の期間外です）"


@pytest.mark.parametrize(
    "text",
    [
        "令和6年2月2日",
        "令和元年5月1日",
        "平成31年4月30日",
        "平成元年1月8日",
        "昭和64年1月7日",
        "昭和元年12月25日",
        "大正15年12月24日",
        "大正元年7月30日",
        "明治45年7月29日",
    ],
)
def test_round_trip(text):
    """format_date(parse_date(x)) gives back the canonical spelling."""
    assert format_date(parse_date(text)) == text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("R6.1.15", "令和6年1月15日"),
        ("令和６年１月１５日", "令和6年1月15日"),
        ("2019/05/01", "令和元年5月1日"),
        ("H31.4.30", "平成31年4月30日"),
    ],
)
def test_round_trip_normalises(text, expected):
    """Other spellings come back out in the canonical form."""
    assert format_date(parse_date(text)) == expected
