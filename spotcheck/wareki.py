"""Japanese era (和暦) dates: formatting, fiscal years and parsing of the spellings seen in imports."""

import re
import unicodedata
from datetime import date, datetime

# (name, abbreviation letter, first day of the era in the Gregorian calendar).
# Newest first so that era_of can stop at the first era that has started.
# 明治's start is the Gregorian equivalent of 慶応4年1月1日, from which 明治 was applied
# retroactively; only its year matters, because dates before MEIJI_GREGORIAN_START are rejected.
ERAS = (
    ("令和", "R", date(2019, 5, 1)),
    ("平成", "H", date(1989, 1, 8)),
    ("昭和", "S", date(1926, 12, 25)),
    ("大正", "T", date(1912, 7, 30)),
    ("明治", "M", date(1868, 1, 25)),
)

# Japan switched to the Gregorian calendar on 明治6年1月1日; earlier 明治 dates were lunisolar
# and do not map day-for-day onto Gregorian dates, so they are refused rather than mistranslated.
MEIJI_GREGORIAN_START = date(1873, 1, 1)

_ERA_BY_KEY = {}
for _name, _letter, _start in ERAS:
    _ERA_BY_KEY[_name] = (_name, _start)
    _ERA_BY_KEY[_letter] = (_name, _start)

# "令和6年1月15日", "R6年1月15日", "R6.1.15", "R6/1/15", "令和元年5月1日"; the dotted form must
# use one separator throughout.
_ERA_RE = re.compile(
    r"(?P<era>明治|大正|昭和|平成|令和|[MTSHR])(?P<year>元|\d{1,2})"
    r"(?:年(?P<m1>\d{1,2})月(?P<d1>\d{1,2})日"
    r"|(?P<sep>[./-])(?P<m2>\d{1,2})(?P=sep)(?P<d2>\d{1,2}))",
    # ASCII keeps \d from matching non-Latin digits that NFKC leaves alone.
    re.IGNORECASE | re.ASCII,
)
# "2024/01/15", "2024-1-5", "2024.01.15", "2024年1月15日".
_WESTERN_RE = re.compile(
    r"(?P<year>\d{4})"
    r"(?:年(?P<m1>\d{1,2})月(?P<d1>\d{1,2})日"
    r"|(?P<sep>[./-])(?P<m2>\d{1,2})(?P=sep)(?P<d2>\d{1,2}))",
    re.ASCII,
)
# Excel and str(datetime) give "2024-01-15 00:00:00"; only midnight is accepted so that a
# real timestamp landing in a date column is reported instead of silently truncated.
_MIDNIGHT_RE = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})[ T]00:00(?::00(?:\.0+)?)?", re.ASCII)


def era_of(d: date) -> tuple[str, int]:
    """Return the era name and era year of a date, e.g. ("令和", 6)."""
    if isinstance(d, datetime):
        # datetime cannot be compared with the date boundaries in ERAS.
        d = d.date()
    if d < MEIJI_GREGORIAN_START:
        raise ValueError(f"1873年1月1日より前の日付は和暦に変換できません: {d.isoformat()}")
    for name, _letter, start in ERAS:
        if d >= start:
            return name, d.year - start.year + 1
    raise AssertionError("unreachable: 明治 covers every date from MEIJI_GREGORIAN_START")


def _era_year_text(year: int) -> str:
    """Spell an era year, using 元 for the first year as official documents do."""
    return "元" if year == 1 else str(year)


def format_date(d: date, *, western: bool = False) -> str:
    """Format a date as "令和6年2月2日", optionally followed by "（2024年）"."""
    name, year = era_of(d)
    text = f"{name}{_era_year_text(year)}年{d.month}月{d.day}日"
    if western:
        text += f"（{d.year}年）"
    return text


def format_datetime(dt: datetime) -> str:
    """Format a datetime as "令和6年2月2日 9時30分"."""
    return f"{format_date(dt.date())} {dt.hour}時{dt.minute}分"


def fiscal_year(d: date) -> int:
    """Return the Western fiscal year (April to March) that a date falls in."""
    return d.year if d.month >= 4 else d.year - 1


def format_fiscal_year(fy: int) -> str:
    """Format a Western fiscal year as "令和6年度"."""
    # A fiscal year is named after the era in force for most of it, i.e. on its midpoint,
    # October 1. This gives the official names on both sides of a change: FY2019 (平成 until
    # April 30) is 令和元年度, FY1988 (昭和 until 1989-01-07) is 昭和63年度 and FY1989 is
    # 平成元年度. Taking the era of the last day instead would make FY1988 "平成0年度".
    name, year = era_of(date(fy, 10, 1))
    return f"{name}{_era_year_text(year)}年度"


def with_fiscal_year(title: str, fy: int) -> str:
    """A campaign title with its fiscal year: "監査（令和6年度）", unless the title already names it."""
    year = format_fiscal_year(fy)
    return title if year in title else f"{title}（{year}）"


def _invalid(text: str, reason: str = "") -> ValueError:
    """Build the error shown to users for a date that cannot be read."""
    suffix = f"（{reason}）" if reason else ""
    return ValueError(f"日付として読めません: {text}{suffix}")


def _make_date(text: str, year: int, month: int, day: int) -> date:
    """Build a date, turning impossible ones such as 2月30日 into the user-facing error."""
    try:
        return date(year, month, day)
    except ValueError:
        raise _invalid(text) from None


def parse_date(text: str) -> date:
    """Parse a Western or Japanese-era date string; raise ValueError with a Japanese message."""
    # NFKC turns full-width digits, letters and punctuation (and ㋿/㍻) into plain ones.
    normalized = unicodedata.normalize("NFKC", text).strip()
    midnight = _MIDNIGHT_RE.fullmatch(normalized)
    if midnight:
        normalized = midnight.group(1)
    compact = re.sub(r"\s+", "", normalized)

    match = _WESTERN_RE.fullmatch(compact)
    if match:
        month = int(match["m1"] or match["m2"])
        day = int(match["d1"] or match["d2"])
        result = _make_date(text, int(match["year"]), month, day)
        if result < MEIJI_GREGORIAN_START:
            raise _invalid(text, "1873年1月1日より前の日付は扱えません")
        return result

    match = _ERA_RE.fullmatch(compact)
    if not match:
        raise _invalid(text)
    name, start = _ERA_BY_KEY[match["era"].upper()]
    era_year = 1 if match["year"] == "元" else int(match["year"])
    if era_year < 1:
        raise _invalid(text, f"{name}の年は1以上です")
    month = int(match["m1"] or match["m2"])
    day = int(match["d1"] or match["d2"])
    result = _make_date(text, start.year + era_year - 1, month, day)
    # Converting back catches dates outside the era, e.g. 平成31年5月1日 or 令和元年4月30日,
    # and the pre-1873 明治 dates that era_of refuses.
    if result < MEIJI_GREGORIAN_START:
        raise _invalid(text, "明治6年1月1日より前の日付は扱えません")
    if era_of(result) != (name, era_year):
        raise _invalid(text, f"{name}の期間外です")
    return result
