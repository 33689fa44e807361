"""Tables as files Excel opens safely: CSV (UTF-8 with BOM) and XLSX, with formulas neutralised."""
import csv
import io
import itertools

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value):
    """In CSV, text Excel would run as a formula gets a leading ' so it stays text (OWASP's advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header, rows):
    """A CSV Excel opens with Japanese intact (UTF-8 with BOM, CRLF)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralize(h) for h in header])
    writer.writerows([neutralize(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(header, rows, title):
    """An .xlsx with one sheet; strings are stored as strings, so "=…" can never become a formula."""
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
