"""The one door for uploaded spreadsheets: CSV or XLSX bytes in, a header and numbered rows out.

Column meaning is not decided here; this module only makes sure the bytes are a
spreadsheet we can read safely, and says in Japanese why not when they are not.
In both formats the first non-blank row is the header and blank rows are skipped;
a value in a column without a header is an error rather than silently dropped.

Encodings: a CSV is read as UTF-8 with BOM, UTF-8, or CP932, tried in that order
with strict decoding. UTF-16 ("Unicode テキスト") and ISO-2022-JP are rejected
with the encoding message, as is EUC-JP whenever it can be told apart (see
`_plausible_cp932` for the one case where it cannot).

XLSX: the zip is checked first (sizes, compression ratio), then every member is read
through zipfile within those sizes. A workbook with no formula and no DTD in it is read
by python-calamine from those checked bytes (100,000 rows in about 1.5 s instead of 13 s);
any other goes through openpyxl, which parses with defusedxml and gives formulas back as
their text. Both readers give the same table (tests/test_tabular.py checks it).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass

import openpyxl
import openpyxl.xml
import openpyxl.xml.functions
import python_calamine
from openpyxl.worksheet.formula import ArrayFormula
from python_calamine import SheetTypeEnum

MAX_LISTED_ERRORS = 50
MAX_COMPRESSION_RATIO = 200
# Below this size a member cannot be a bomb whatever its ratio; small, highly regular
# parts (padding, printer settings) must not trip the ratio rule.
RATIO_CHECK_MIN_BYTES = 1024 * 1024
SNIFF_BYTES = 8192
DTD_MARK = b"<!DOCTYPE"
# A formula element's start tag, bare or prefixed: <f>, <f t="array" …>, <x:f/>.
FORMULA_TAG = re.compile(rb"<(?:[^\s<>/:!?]+:)?f[\s/>]")

XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
# A password-protected .xlsx is an OLE2 file with this stream; it deserves its own message.
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# C0 controls other than tab, LF, VT, FF, CR (and ESC, handled as ISO-2022-JP), plus DEL.
CONTROL_BYTES = bytes([*range(0x01, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])
# Python's cp932 maps bytes that are unassigned in Shift_JIS (0x80, 0xA0, 0xFD-0xFF) to these.
CP932_UNASSIGNED = ("\x80", "\uf8f0", "\uf8f1", "\uf8f2", "\uf8f3")
MARKUP_STARTS = ("<?xml", "<html", "<!doctype")

def N_(msgid: str) -> str:
    """Mark a message for the catalogue; this module may not import Flask-Babel, so importing translates it."""
    return msgid


MSG_EMPTY = N_("ファイルが空です。")
MSG_HEADER_ONLY = N_("見出し行だけで、データ行がありません。")
MSG_XLS = N_("古い Excel 形式（.xls）には対応していません。Excel で「.xlsx」または「CSV UTF-8」で保存し直してください。")
MSG_ENCRYPTED = N_("パスワードで保護された Excel ファイルは読み込めません。パスワードを解除して保存し直してください。")
MSG_NOT_A_TABLE = N_("CSV でも Excel（.xlsx）でもないようです。")
MSG_ENCODING = N_("文字コードを判別できません。UTF-8 または Shift_JIS（CP932）で保存してください。")
MSG_BROKEN_XLSX = N_("Excel ファイル（.xlsx）として開けません。ファイルが壊れているか、別の形式です。")
MSG_TOO_BIG = N_("展開後のサイズが大きすぎるため読み込めません。")
MSG_BAD_CSV = N_("CSV の形式が正しくありません（「\"」で始まるセルが閉じられていないか、セルが長すぎます）。")

_NO_NUMBERS: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its line as the user sees it, its cells as stripped text, which were numbers."""

    line: int
    cells: tuple[str, ...]
    numeric: frozenset[int]


@dataclass(frozen=True, slots=True)
class RawTable:
    """A spreadsheet's header and non-blank data rows, plus how it was read."""

    header: tuple[str, ...]
    rows: list[Row]
    encoding: str  # "utf-8", "utf-8-sig", "cp932" or "xlsx"
    header_line: int = 1


class TableError(Exception):
    """The file cannot be read as a table; `messages` are Japanese, user-facing and name the file."""

    def __init__(self, *messages: str):
        super().__init__(*messages)
        self.messages = list(messages)

    def __str__(self):
        return "\n".join(self.messages)


def normalize(text: str) -> str:
    """NFKC plus strip (U+3000 included); for codes and numbers, never for names."""
    if text.isascii():  # NFKC leaves ASCII as it is; most codes are, and this runs for every cell of a roster
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


def read_table(
    data: bytes,
    filename: str,
    *,
    max_rows: int = 200_000,
    max_unzipped_bytes: int = 100 * 1024 * 1024,
) -> RawTable:
    """Read CSV or XLSX bytes, sniffed by content rather than by name, into a RawTable."""
    name = filename or "（ファイル名なし）"
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, name, max_rows, max_unzipped_bytes)
    if data.startswith(OLE2_MAGIC):
        raise _error(name, MSG_ENCRYPTED if ENCRYPTED_STREAM in data else MSG_XLS)
    text, encoding = _decode(data, name)
    return _build_table(_csv_records(text, name), name, encoding, max_rows)


# --- CSV ---------------------------------------------------------------------------


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """Decode CSV bytes strictly as UTF-8 with BOM, UTF-8 or CP932; anything else is an error."""
    # Excel's "Unicode テキスト" is UTF-16 and tab-separated: rejected rather than half-supported.
    # Checked first because UTF-16 is full of NUL bytes.
    if data.startswith(UTF16_BOMS):
        raise _error(name, MSG_ENCODING)
    if _looks_binary(data):
        raise _error(name, MSG_NOT_A_TABLE)
    # ESC only appears in text as ISO-2022-JP ("JIS") shifts, which would otherwise pass as ASCII.
    if b"\x1b" in data:
        raise _error(name, MSG_ENCODING)
    if data.startswith(codecs.BOM_UTF8):
        text, encoding = _decode_as(data, "utf-8-sig", name), "utf-8-sig"
    else:
        text, encoding = _decode_plain(data, name)
    # HTML or SpreadsheetML saved as ".xls" by web systems is text, but not a table we can read.
    if text[:1024].lstrip().lower().startswith(MARKUP_STARTS):
        raise _error(name, MSG_NOT_A_TABLE)
    return text, encoding


def _decode_plain(data: bytes, name: str) -> tuple[str, str]:
    """Decode BOM-less bytes as UTF-8, else as CP932 if that is plausible."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = _decode_as(data, "cp932", name)
    if not _plausible_cp932(data, text):
        raise _error(name, MSG_ENCODING)
    return text, "cp932"


def _decode_as(data: bytes, encoding: str, name: str) -> str:
    """Decode strictly, turning failure into the encoding message."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise _error(name, MSG_ENCODING) from None


def _looks_binary(data: bytes) -> bool:
    """True for NUL bytes anywhere or a clearly non-text share (>1%) of control bytes near the start."""
    if b"\x00" in data:
        return True
    head = data[:SNIFF_BYTES]
    controls = len(head) - len(head.translate(None, CONTROL_BYTES))
    return controls * 100 > len(head)


def _plausible_cp932(data: bytes, text: str) -> bool:
    """False when CP932-decoded bytes are really something else, chiefly EUC-JP.

    Short EUC-JP text often decodes as CP932 too (as half-width katakana and stray
    kanji), while real CP932 Japanese almost never decodes as EUC-JP: its lead bytes
    0x81-0x9F (every hiragana, katakana and most kanji) are invalid there. So bytes
    valid in both are treated as EUC-JP. The cost: a tiny CP932 file written only in
    ASCII and half-width katakana could be rejected. Known limitation: EUC-JP with
    characters outside Python's EUC codecs (vendor gaiji) that happens to be valid
    CP932 is accepted as garbage; its headers then match no column, so the import
    still fails, only with a less precise message.
    """
    if any(char in text for char in CP932_UNASSIGNED):
        return False
    for encoding in ("euc_jp", "euc_jis_2004"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return False
    return True


def _csv_records(text: str, name: str) -> Iterator[tuple[int, tuple[str, ...], frozenset[int]]]:
    """Yield (line where the record starts, stripped cells, no numbers) for each CSV record."""
    # newline="" keeps quoted line breaks intact; line_num then counts physical lines.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for record in reader:
            yield start, tuple(map(str.strip, record)), _NO_NUMBERS
            start = reader.line_num + 1
    except csv.Error:
        raise _error(name, MSG_BAD_CSV, line=start) from None


# --- XLSX --------------------------------------------------------------------------


def _read_xlsx(data: bytes, name: str, max_rows: int, max_unzipped_bytes: int) -> RawTable:
    """Check the zip container, then read the first worksheet: python-calamine, or openpyxl where it must."""
    _check_zip(data, name, max_unzipped_bytes)
    _require_defused_xml()
    with _xlsx_errors(name):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # read() stops at each member's checked size and verifies its CRC.
            parts = {member: archive.read(member) for member in archive.infolist()}
    # openpyxl (through defusedxml) is the one to refuse a DTD, and only it gives formulas back as their
    # text; files with neither, which is nearly every roster, take the reader that is ten times faster.
    if any(DTD_MARK in content or (member.filename.startswith("xl/worksheets/") and _has_formula(content))
           for member, content in parts.items()):
        return _read_with_openpyxl(data, name, max_rows)
    return _read_with_calamine(_stored_zip(parts), name, max_rows)


def _read_with_openpyxl(data: bytes, name: str, max_rows: int) -> RawTable:
    """The first worksheet through openpyxl, read-only, formulas as text."""
    with _xlsx_errors(name):
        # data_only=False: formulas come back as their text and are never evaluated.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    try:
        with _xlsx_errors(name):
            if not workbook.worksheets:
                raise _error(name, MSG_EMPTY)
            sheet = workbook.worksheets[0]
            # The <dimension> tag is often wrong (and can be forged); trusting it truncates or pads rows.
            sheet.reset_dimensions()
            # closing(): stopping early (too many rows) must not leave the sheet's stream open.
            with closing(_openpyxl_records(sheet, name)) as records:
                return _build_table(records, name, "xlsx", max_rows)
    finally:
        workbook.close()


def _read_with_calamine(data: bytes, name: str, max_rows: int) -> RawTable:
    """The first worksheet through python-calamine (no formulas, no DTD: checked by the caller)."""
    with _xlsx_errors(name):
        with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
            sheets = [meta.name for meta in workbook.sheets_metadata if meta.typ == SheetTypeEnum.WorkSheet]
            if not sheets:
                raise _error(name, MSG_EMPTY)
            sheet = workbook.get_sheet_by_name(sheets[0])
            # iter_rows() yields rows from row 1 but cells from the first non-empty column: pad back to A.
            first_column = sheet.start[1] if sheet.start else 0
            return _build_table(_calamine_records(sheet.iter_rows(), first_column, name), name, "xlsx", max_rows)


def _has_formula(xml: bytes) -> bool:
    """True when worksheet XML may hold a formula; a false alarm (in a comment, say) only costs speed."""
    return FORMULA_TAG.search(xml) is not None


def _stored_zip(parts: dict[zipfile.ZipInfo, bytes]) -> bytes:
    """The members as read, repacked uncompressed: calamine then reads exactly the checked bytes, no more."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for member, content in parts.items():
            archive.writestr(member.filename, content)
    return buffer.getvalue()


def _check_zip(data: bytes, name: str, max_unzipped_bytes: int) -> None:
    """Reject broken zips, zip bombs and zips that are not workbooks before openpyxl sees them."""
    with _xlsx_errors(name):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    # zipfile stops at each member's declared size (and fails its CRC), so these sizes bound the work.
    if sum(member.file_size for member in members) > max_unzipped_bytes or any(map(_is_bomb, members)):
        raise _error(name, MSG_TOO_BIG)
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise _error(name, MSG_BROKEN_XLSX)


def _is_bomb(member: zipfile.ZipInfo) -> bool:
    """True for a large member compressed far beyond what real spreadsheet XML allows."""
    return member.file_size > RATIO_CHECK_MIN_BYTES and member.file_size > MAX_COMPRESSION_RATIO * member.compress_size


def _require_defused_xml() -> None:
    """Refuse to parse XLSX unless openpyxl parses its XML through defusedxml (XML bombs)."""
    functions = (openpyxl.xml.functions.iterparse, openpyxl.xml.functions.fromstring)
    if not openpyxl.xml.DEFUSEDXML or not all(f.__module__.startswith("defusedxml") for f in functions):
        raise RuntimeError("openpyxl is not using defusedxml; refusing to read .xlsx files")


@contextmanager
def _xlsx_errors(name: str) -> Iterator[None]:
    """Turn any failure of zipfile/openpyxl on malformed input into the 'cannot open' message."""
    try:
        yield
    except (TableError, Warning):
        # Warnings only raise when filters say so (tests); they are not a broken file.
        raise
    except Exception as exc:  # malformed archives and XML make these libraries raise almost anything
        raise _error(name, MSG_BROKEN_XLSX) from exc


def _openpyxl_records(sheet, name: str) -> Iterator[tuple[int, tuple[str, ...], frozenset[int]]]:
    """Yield (Excel row number, stripped cell texts, indexes of number cells) for each row."""
    # openpyxl fills missing rows in, so counting from 1 gives the Excel row number.
    for line, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
        yield line, *_typed_cells(values, name, line)


def _calamine_records(rows, first_column: int, name: str) -> Iterator[tuple[int, tuple[str, ...], frozenset[int]]]:
    """Yield the same records from calamine's rows, whose cells begin at `first_column` (0-based)."""
    lead = [""] * first_column
    for line, values in enumerate(rows, start=1):
        if lead:
            values = lead + values
        try:
            # The usual row is all text (empty cells come as ""): one C-level pass, no per-cell checks.
            yield line, tuple(map(str.strip, values)), _NO_NUMBERS
        except TypeError:
            yield line, *_typed_cells(values, name, line)


def _typed_cells(values, name: str, line: int) -> tuple[tuple[str, ...], frozenset[int]]:
    """(stripped cell texts, indexes of number cells) of one row of Python cell values."""
    cells, numeric = [], []
    for index, value in enumerate(values):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            numeric.append(index)
        text = _cell_text(value)
        if text is None:
            raise _error(name, N_("%(column)s 列目のセルを読み取れません。"), line=line, column=index + 1)
        cells.append(text.strip())
    return tuple(cells), frozenset(numeric) if numeric else _NO_NUMBERS


def _cell_text(value: object) -> str | None:
    """An XLSX cell value as text; None for a kind of value we do not know."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: bool is an int
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.timedelta):
        return _duration_text(value)
    if isinstance(value, ArrayFormula):
        return value.text or ""
    return None


def _float_text(value: float) -> str:
    """1234.0 → "1234"; otherwise the 15 significant digits Excel itself shows."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".15g")


def _duration_text(value: dt.timedelta) -> str:
    """A duration cell as H:MM:SS, hours not wrapped at 24 (Excel's [h]:mm:ss)."""
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{seconds:02d}"


# --- shared ------------------------------------------------------------------------


def _build_table(
    records: Iterable[tuple[int, tuple[str, ...], frozenset[int]]],
    name: str,
    encoding: str,
    max_rows: int,
) -> RawTable:
    """Take the first non-blank record as the header and the other non-blank records as rows."""
    header: tuple[str, ...] | None = None
    header_line, unnamed, rows, problems = 1, [], [], []
    for line, cells, numeric in records:
        if not any(cells):
            continue
        if header is None:
            header, header_line = _trim_trailing_blanks(cells), line
            unnamed = [index for index, text in enumerate(header) if not text]
            continue
        if len(rows) >= max_rows:
            raise _error(name, N_("行数が多すぎます（上限 %(limit)s 行）。"), limit=f"{max_rows:,}")
        orphans = _orphan_columns(cells, len(header), unnamed)
        if orphans:
            columns = "、".join(map(str, orphans))
            problems.append(_message(name, N_("見出しのない列（%(column)s 列目）に値があります。"), line, column=columns))
        rows.append(Row(line, _fit(cells, len(header)), _clip(numeric, len(header))))
    if header is None:
        raise _error(name, MSG_EMPTY)
    if problems:
        raise TableError(*_cap(problems))
    if not rows:
        raise _error(name, MSG_HEADER_ONLY)
    return RawTable(header=header, rows=rows, encoding=encoding, header_line=header_line)


def _trim_trailing_blanks(cells: tuple[str, ...]) -> tuple[str, ...]:
    """Drop empty header cells at the end (formatted but unused Excel columns)."""
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _orphan_columns(cells: tuple[str, ...], width: int, unnamed: list[int]) -> list[int]:
    """1-based columns holding a value but no header: under an empty header cell or past the last one."""
    if not unnamed and len(cells) <= width:  # the usual case, kept cheap for 100,000-row files
        return []
    orphans = [index + 1 for index in unnamed if index < len(cells) and cells[index]]
    if len(cells) > width and any(cells[width:]):
        orphans += [index + 1 for index in range(width, len(cells)) if cells[index]]
    return orphans


def _fit(cells: tuple[str, ...], width: int) -> tuple[str, ...]:
    """Pad short rows with "" and cut long ones, so every row is as wide as the header."""
    if len(cells) < width:
        return cells + ("",) * (width - len(cells))
    return cells[:width]


def _clip(numeric: frozenset[int], width: int) -> frozenset[int]:
    """Keep only number-cell indexes that fall under the header."""
    if not numeric or max(numeric) < width:
        return numeric
    return frozenset(index for index in numeric if index < width)


def _cap(messages: list[str]) -> list[str]:
    """The first 50 messages, then how many more there were."""
    if len(messages) <= MAX_LISTED_ERRORS:
        return messages
    return messages[:MAX_LISTED_ERRORS] + [Message(MORE_ERRORS, {"count": len(messages) - MAX_LISTED_ERRORS})]


MORE_ERRORS = N_("ほか %(count)s 件のエラーがあります。")


class Message(str):
    """A Japanese message that still knows its catalogue id and values, so a screen can show it translated."""

    def __new__(cls, msgid: str, values: dict, prefix: str = ""):
        message = super().__new__(cls, prefix + (msgid % values if values else msgid))
        message.msgid, message.values, message.prefix = msgid, values, prefix
        return message

    def translated(self, gettext) -> str:
        """The same message through `gettext` (the caller's catalogue)."""
        return self.prefix + gettext(self.msgid, **self.values)


def _message(name: str, text: str, line: int | None = None, **values) -> Message:
    """`file: text`, or `file:line: text` when the problem has a line."""
    return Message(text, values, f"{name}: " if line is None else f"{name}:{line}: ")


def _error(name: str, text: str, *, line: int | None = None, **values) -> TableError:
    """A TableError with one message naming the file."""
    return TableError(_message(name, text, line, **values))
