"""Tables as files Excel opens safely: CSV (UTF-8 with BOM) and XLSX, with formulas neutralised."""
import csv
import io
import itertools
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .wareki import format_date, format_datetime

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ERA_SUFFIX = "（和暦）"


@dataclass(frozen=True)
class Moment:
    """A stored date or timestamp (ISO) in a table: written as ISO with a 和暦 column beside it."""

    iso: str | None

    @property
    def era(self) -> str:
        """The same moment as the city's paperwork writes it (令和8年12月1日 10時19分)."""
        if not self.iso:
            return ""
        if len(self.iso) == 10:
            return format_date(date.fromisoformat(self.iso))
        return format_datetime(datetime.fromisoformat(self.iso))


def with_era_columns(header, rows):
    """Each column holding Moments becomes two: the ISO text, and the 和暦 right after it."""
    rows = [list(row) for row in rows]
    dated = {i for row in rows for i, value in enumerate(row) if isinstance(value, Moment)}
    if not dated:
        return list(header), rows

    def expand(values, era):
        out = []
        for i, value in enumerate(values):
            out.append((value.iso or "") if isinstance(value, Moment) else value)
            if i in dated:
                out.append(era(value))
        return out

    return (expand(header, lambda name: f"{name}{ERA_SUFFIX}"),
            [expand(row, lambda v: v.era if isinstance(v, Moment) else "") for row in rows])


def neutralize(value):
    """In CSV, text Excel would run as a formula gets a leading ' so it stays text (OWASP's advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header, rows):
    """A CSV Excel opens with Japanese intact (UTF-8 with BOM, CRLF)."""
    header, rows = with_era_columns(header, rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralize(h) for h in header])
    writer.writerows([neutralize(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(header, rows, title):
    """An .xlsx with one sheet; strings are stored as strings, so "=…" can never become a formula."""
    header, rows = with_era_columns(header, rows)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for row in [header, *rows]:
        sheet.append([_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(sheet, value):
    if isinstance(value, str):
        # XLSX cannot hold control characters (Word's line break \x0b, \x01 …): one stored remark with
        # such a character must not make the whole export fail.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would otherwise store a leading "=" as a formula
    return cell


def csv_stream(header, rows, chunk=64 * 1024):
    """The same CSV as csv_bytes, yielded in chunks so a long table is never held in memory at once."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    out.write("\ufeff")
    for row in itertools.chain([header], rows):
        writer.writerow([neutralize(v) for v in row])
        if out.tell() >= chunk:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")
