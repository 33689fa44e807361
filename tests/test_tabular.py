"""Tests for spotcheck.tabular: every uploaded spreadsheet's way in."""

import ast
import datetime as dt
import io
import os
import zipfile

import defusedxml
import openpyxl
import openpyxl.xml
import pytest
from openpyxl.worksheet.formula import ArrayFormula

from spotcheck import tabular
from spotcheck.tabular import RawTable, Row, TableError, normalize, read_table

SHEET = "xl/worksheets/sheet1.xml"

MSG_EMPTY = "ファイルが空です。"
MSG_HEADER_ONLY = "見出し行だけで、データ行がありません。"
MSG_XLS = "古い Excel 形式（.xls）には対応していません。Excel で「.xlsx」または「CSV UTF-8」で保存し直してください。"
MSG_ENCRYPTED = "パスワードで保護された Excel ファイルは読み込めません。"
MSG_NOT_A_TABLE = "CSV でも Excel（.xlsx）でもないようです。"
MSG_ENCODING = "文字コードを判別できません。UTF-8 または Shift_JIS（CP932）で保存してください。"
MSG_BROKEN_XLSX = "Excel ファイル（.xlsx）として開けません。ファイルが壊れているか、別の形式です。"
MSG_TOO_BIG = "展開後のサイズが大きすぎるため読み込めません。"
MSG_BAD_CSV = "CSV の形式が正しくありません"

ROSTER = "職員番号,氏名,フリガナ,所属コード\n001234,鈴木 立信,スズキ タツノブ,0102\n001235,山田 花子,ヤマダ ハナコ,0103\n"


# --- fixture builders ---------------------------------------------------------------


def xlsx(rows, *, start_row=1):
    """A real .xlsx made by openpyxl, with `rows` written from `start_row` down."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for offset, values in enumerate(rows):
        for column, value in enumerate(values, start=1):
            if value is not None:
                sheet.cell(row=start_row + offset, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rezip(data, *, replace=None, drop=(), compresslevel=None):
    """Copy a zip, replacing or adding members (bytes, or a callable writing to the member), dropping others."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel
    ) as target:
        names = [name for name in source.namelist() if name not in drop]
        names += [name for name in replace if name not in names]
        for name in names:
            content = replace[name] if name in replace else source.read(name)
            if callable(content):
                with target.open(name, "w", force_zip64=True) as member:
                    content(member)
            else:
                target.writestr(name, content)
    return out.getvalue()


def zeros(megabytes):
    """A member writer streaming `megabytes` MiB of zero bytes, one MiB at a time."""

    def write(member):
        chunk = bytes(1024 * 1024)
        for _ in range(megabytes):
            member.write(chunk)

    return write


def causes(error):
    """The exception and everything it was raised from."""
    while error is not None:
        yield error
        error = error.__cause__ or error.__context__


def simple_xlsx():
    return xlsx([["職員番号", "氏名"], ["001", "鈴木"]])


def read(data, filename="roster.csv", **limits):
    return read_table(data, filename, **limits)


# --- CSV ----------------------------------------------------------------------------


def test_utf8_csv_reads_header_rows_and_lines():
    table = read(ROSTER.encode("utf-8"))
    assert isinstance(table, RawTable)
    assert table.encoding == "utf-8"
    assert table.header == ("職員番号", "氏名", "フリガナ", "所属コード")
    assert table.header_line == 1
    assert table.rows == [
        Row(2, ("001234", "鈴木 立信", "スズキ タツノブ", "0102"), frozenset()),
        Row(3, ("001235", "山田 花子", "ヤマダ ハナコ", "0103"), frozenset()),
    ]


def test_utf8_with_bom_is_read_and_bom_not_in_header():
    table = read(b"\xef\xbb\xbf" + ROSTER.encode("utf-8"))
    assert table.encoding == "utf-8-sig"
    assert table.header[0] == "職員番号"


def test_cp932_keeps_cp932_only_characters_and_halfwidth_kana():
    text = "職員番号,氏名,フリガナ,備考\r\n001,髙橋 一郎,ﾀｶﾊｼ ｲﾁﾛｳ,①㈱Ⅲ\r\n002,山﨑 ⑳,ﾔﾏｻﾞｷ,\r\n"
    table = read(text.encode("cp932"))
    assert table.encoding == "cp932"
    assert table.rows[0].cells == ("001", "髙橋 一郎", "ﾀｶﾊｼ ｲﾁﾛｳ", "①㈱Ⅲ")
    assert table.rows[1].cells == ("002", "山﨑 ⑳", "ﾔﾏｻﾞｷ", "")


def test_headers_pass_through_stripped_but_not_normalised():
    text = " staff_no ,\u3000氏名\u3000,ＩＤ,No.1,項目２\nA,B,C,D,E\n"
    table = read(text.encode("utf-8"))
    assert table.header == ("staff_no", "氏名", "ＩＤ", "No.1", "項目２")


def test_cells_are_stripped_including_fullwidth_space_but_kept_otherwise():
    table = read("a,b\n\u3000０１２３\u3000,  鈴木　立信 \n".encode("utf-8"))
    assert table.rows[0].cells == ("０１２３", "鈴木　立信")


def test_quoted_newlines_keep_line_numbers_of_the_physical_file():
    text = 'id,memo\r\n1,"line one\nline two\nline three"\r\n2,plain\r\n'
    table = read(text.encode("utf-8"))
    assert [(row.line, row.cells) for row in table.rows] == [
        (2, ("1", "line one\nline two\nline three")),
        (5, ("2", "plain")),
    ]


def test_blank_lines_and_empty_rows_are_skipped_with_correct_lines_after():
    text = "\n , \nid,name\n\n1,a\n,,\n \u3000 ,\n2,b\n"
    table = read(text.encode("utf-8"))
    assert table.header_line == 3
    assert [row.line for row in table.rows] == [5, 8]


def test_short_rows_are_padded_and_empty_extra_cells_dropped():
    table = read("a,b,c,,\n1\n1,2,3,,,\n".encode("utf-8"))
    assert table.header == ("a", "b", "c")
    assert [row.cells for row in table.rows] == [("1", "", ""), ("1", "2", "3")]


def test_values_without_a_header_are_reported_per_line():
    text = "a,,c\n1,,3\n1,x,3\n1,2,3,y,z\n"
    with pytest.raises(TableError) as caught:
        read(text.encode("utf-8"), "s.csv")
    assert caught.value.messages == [
        "s.csv:3: 見出しのない列（2 列目）に値があります。",
        "s.csv:4: 見出しのない列（2、4、5 列目）に値があります。",
    ]


def test_many_errors_are_capped_at_fifty_plus_a_count():
    text = "a\n" + "1,extra\n" * 60
    with pytest.raises(TableError) as caught:
        read(text.encode("utf-8"))
    assert len(caught.value.messages) == 51
    assert caught.value.messages[-1] == "ほか 10 件のエラーがあります。"


def test_hundred_thousand_row_csv_reads():
    lines = ["職員番号,氏名,所属コード"] + [f"{n:06d},職員 {n},0102" for n in range(100_000)]
    table = read("\r\n".join(lines).encode("utf-8"))
    assert len(table.rows) == 100_000
    assert table.rows[-1] == Row(100_001, ("099999", "職員 99999", "0102"), frozenset())


# --- XLSX ---------------------------------------------------------------------------


def test_xlsx_converts_cells_and_flags_numbers():
    data = xlsx(
        [
            ["職員番号", "回答日", "時刻", "計算", "小数", "真偽", "浮動", 1],
            [1234, dt.date(2024, 1, 15), dt.datetime(2024, 1, 15, 9, 30), "=1+2", 12.5, True, 1234.0, "001234"],
            ["\u3000001235\u3000", None, None, '=HYPERLINK("http://x","y")', None, False, None, "①"],
        ]
    )
    table = read(data, "roster.xlsx")
    assert table.encoding == "xlsx"
    assert table.header == ("職員番号", "回答日", "時刻", "計算", "小数", "真偽", "浮動", "1")
    first, second = table.rows
    assert first.line == 2
    assert first.cells == ("1234", "2024-01-15", "2024-01-15 09:30:00", "=1+2", "12.5", "TRUE", "1234", "001234")
    assert first.numeric == frozenset({0, 4, 6})
    assert second.cells == ("001235", "", "", '=HYPERLINK("http://x","y")', "", "FALSE", "", "①")
    assert second.numeric == frozenset()


EXCEL_SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
 xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" mc:Ignorable="x14ac">
<dimension ref="A1:C3"/><sheetData>
<row r="1" spans="1:3" x14ac:dyDescent="0.4"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>
<row r="2" spans="1:3" x14ac:dyDescent="0.4"><c r="A2"><v>1234</v></c><c r="B2" t="s"><v>3</v></c><c r="C2" t="s"><v>4</v></c></row>
<row r="3" spans="1:3" x14ac:dyDescent="0.4"><c r="A3" t="s"><v>5</v></c><c r="B3" t="s"><v>6</v></c><c r="C3"><f>A2*2</f><v>2468</v></c></row>
</sheetData></worksheet>"""
EXCEL_STRINGS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="7" uniqueCount="7">
<si><t>職員番号</t></si><si><t>氏名</t></si><si><t>所属コード</t></si><si><t>髙橋 一郎</t></si>
<si><t>0102</t></si><si><t>001235</t></si><si><r><t>山﨑</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 花子</t></r></si>
</sst>"""


def test_xlsx_written_the_way_excel_writes_it():
    """Shared strings (one with rich text), Excel's extra row attributes, a cached formula value."""
    data = simple_xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        types = archive.read("[Content_Types].xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    strings_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    strings_rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
    types = types.replace("</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{strings_type}"/></Types>')
    rels = rels.replace(
        "</Relationships>", f'<Relationship Type="{strings_rel}" Target="sharedStrings.xml" Id="rId9"/></Relationships>'
    )
    data = rezip(
        data,
        replace={
            SHEET: EXCEL_SHEET,
            "xl/sharedStrings.xml": EXCEL_STRINGS,
            "[Content_Types].xml": types,
            "xl/_rels/workbook.xml.rels": rels,
        },
    )
    table = read(data, "excel.xlsx")
    assert table.header == ("職員番号", "氏名", "所属コード")
    assert table.rows == [
        Row(2, ("1234", "髙橋 一郎", "0102"), frozenset({0})),
        Row(3, ("001235", "山﨑 花子", "=A2*2"), frozenset()),
    ]


def test_xlsx_array_formula_is_kept_as_text():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["a", "b"])
    sheet["A2"] = 1
    sheet["B2"] = ArrayFormula("B2", "=SUM(A1:A2)")
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read(buffer.getvalue(), "a.xlsx")
    assert table.rows[0].cells == ("1", "=SUM(A1:A2)")


def test_xlsx_lines_are_excel_row_numbers_and_header_is_first_nonempty_row():
    data = xlsx([["id", "name"], ["1", "a"], [None, None], ["2", "b"]], start_row=3)
    table = read(data, "a.xlsx")
    assert table.header_line == 3
    assert [(row.line, row.cells) for row in table.rows] == [(4, ("1", "a")), (6, ("2", "b"))]


def test_xlsx_with_a_wrong_dimension_tag_is_still_read_whole():
    data = xlsx([["id", "name"], ["1", "a"], ["2", "b"]])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read(SHEET).decode()
    assert '<dimension ref="A1:B3" />' in sheet_xml
    data = rezip(data, replace={SHEET: sheet_xml.replace('ref="A1:B3"', 'ref="A1"')})
    assert [row.cells for row in read(data, "a.xlsx").rows] == [("1", "a"), ("2", "b")]


def test_xlsx_named_csv_is_read_as_xlsx():
    table = read(simple_xlsx(), "roster.csv")
    assert table.encoding == "xlsx"
    assert table.rows[0].cells == ("001", "鈴木")


def test_openpyxl_parses_xml_through_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True
    functions = openpyxl.xml.functions
    assert functions.iterparse.__module__.startswith("defusedxml")
    assert functions.fromstring.__module__.startswith("defusedxml")


def test_xlsx_is_refused_when_defusedxml_is_off(monkeypatch):
    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    with pytest.raises(RuntimeError):
        read(simple_xlsx(), "a.xlsx")


def test_xml_entity_bomb_is_rejected_by_defusedxml():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{n} "{("&lol%s;" % (n - 1 or "")) * 10}">' for n in range(1, 10))
        + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>"
    )
    data = rezip(simple_xlsx(), replace={SHEET: bomb})
    with pytest.raises(TableError) as caught:
        read(data, "bomb.xlsx")
    assert caught.value.messages == [f"bomb.xlsx: {MSG_BROKEN_XLSX}"]
    assert any(isinstance(error, defusedxml.DefusedXmlException) for error in causes(caught.value))


@pytest.fixture(scope="module")
def zip_bomb():
    """A real xlsx whose sheet is 150 MiB of zeros, deflated to about 0.7 MB."""
    return rezip(simple_xlsx(), replace={SHEET: zeros(150)}, compresslevel=1)


def test_zip_bomb_is_rejected_before_parsing(zip_bomb):
    assert len(zip_bomb) < 2 * 1024 * 1024
    with pytest.raises(TableError) as caught:
        read(zip_bomb, "bomb.xlsx")
    assert caught.value.messages == [f"bomb.xlsx: {MSG_TOO_BIG}"]


def test_zip_bomb_is_rejected_by_ratio_alone_under_the_size_limit():
    data = rezip(simple_xlsx(), replace={SHEET: zeros(20)}, compresslevel=9)
    with pytest.raises(TableError) as caught:
        read(data, "ratio.xlsx")
    assert caught.value.messages == [f"ratio.xlsx: {MSG_TOO_BIG}"]


def test_unzipped_size_limit_applies_to_ordinary_files():
    data = simple_xlsx()
    assert read(data, "a.xlsx", max_unzipped_bytes=1024 * 1024).rows
    with pytest.raises(TableError) as caught:
        read(data, "a.xlsx", max_unzipped_bytes=1000)
    assert caught.value.messages == [f"a.xlsx: {MSG_TOO_BIG}"]


def test_large_ordinary_sheet_is_not_mistaken_for_a_bomb():
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["職員番号", "氏名", "フリガナ", "所属名", "任用区分", "備考"])
    for n in range(3000):
        sheet.append([f"{n:06d}", f"鈴木 立信{n}", f"スズキ タツノブ{n}", "総務課 庶務係", "会計年度任用職員", f"備考 {n}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        member = archive.getinfo(SHEET)
    assert member.file_size > tabular.RATIO_CHECK_MIN_BYTES  # big enough for the ratio rule to apply
    assert len(read(buffer.getvalue(), "big.xlsx").rows) == 3000


# --- limits -------------------------------------------------------------------------


@pytest.mark.parametrize("make", [lambda rows: "\n".join(rows).encode(), lambda rows: xlsx([[r] for r in rows])])
def test_max_rows(make):
    data = make(["id", "1", "2", "3"])
    assert len(read(data, "a.csv", max_rows=3).rows) == 3
    with pytest.raises(TableError) as caught:
        read(data, "a.csv", max_rows=2)
    assert caught.value.messages == ["a.csv: 行数が多すぎます（上限 2 行）。"]


def test_max_rows_message_uses_thousands_separator():
    with pytest.raises(TableError, match="上限 1,500 行"):
        read(("id\n" + "1\n" * 1_501).encode(), max_rows=1_500)


# --- bad input ----------------------------------------------------------------------


def euc_jp_that_is_also_valid_cp932():
    data = "name,kana\n山田,ヤマダ\n".encode("euc_jp")
    data.decode("cp932")  # the trap: this succeeds, as half-width katakana and stray kanji
    return data


def ole2(*, encrypted=False):
    stream = "EncryptedPackage" if encrypted else "Workbook"
    return bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504) + stream.encode("utf-16-le") + bytes(1000)


def truncated_xlsx():
    data = simple_xlsx()
    return data[: len(data) // 2]


BAD_INPUTS = [
    pytest.param(lambda: b"", MSG_EMPTY, id="zero-bytes"),
    pytest.param(lambda: b" \r\n\t\r\n", MSG_EMPTY, id="whitespace"),
    pytest.param(lambda: b"\xef\xbb\xbf", MSG_EMPTY, id="bom-only"),
    pytest.param(lambda: ",,\n\u3000,\n".encode(), MSG_EMPTY, id="empty-cells-only"),
    pytest.param(lambda: "職員番号,氏名\n".encode(), MSG_HEADER_ONLY, id="header-only"),
    pytest.param(lambda: "職員番号,氏名\n\n,\n".encode("cp932"), MSG_HEADER_ONLY, id="header-then-blanks"),
    pytest.param(lambda: xlsx([["職員番号", "氏名"]]), MSG_HEADER_ONLY, id="xlsx-header-only"),
    pytest.param(lambda: xlsx([]), MSG_EMPTY, id="xlsx-empty"),
    pytest.param(lambda: ole2(), MSG_XLS, id="xls"),
    pytest.param(lambda: ole2(encrypted=True), MSG_ENCRYPTED, id="password-xlsx"),
    pytest.param(lambda: os.urandom(4096) + b"\x00", MSG_NOT_A_TABLE, id="binary-with-nul"),
    pytest.param(lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, MSG_NOT_A_TABLE, id="png"),
    pytest.param(lambda: b"a,b\n" + bytes(range(1, 32)) * 4, MSG_NOT_A_TABLE, id="control-bytes"),
    pytest.param(lambda: b"<html><body><table><tr><td>1</td></tr></table>", MSG_NOT_A_TABLE, id="html-as-xls"),
    pytest.param(lambda: b'<?xml version="1.0"?>\n<Workbook>', MSG_NOT_A_TABLE, id="spreadsheetml-2003"),
    pytest.param(lambda: ROSTER.encode("euc_jp"), MSG_ENCODING, id="euc-jp"),
    pytest.param(euc_jp_that_is_also_valid_cp932, MSG_ENCODING, id="euc-jp-valid-as-cp932"),
    pytest.param(lambda: ROSTER.encode("utf-16"), MSG_ENCODING, id="utf-16-bom"),
    pytest.param(lambda: ROSTER.replace(",", "\t").encode("utf-16-be"), MSG_NOT_A_TABLE, id="utf-16-no-bom"),
    pytest.param(lambda: b"\xfe\xff" + ROSTER.encode("utf-16-be"), MSG_ENCODING, id="utf-16-be-bom"),
    pytest.param(lambda: ROSTER.encode("iso-2022-jp"), MSG_ENCODING, id="iso-2022-jp"),
    pytest.param(lambda: b"a,b\n\x81\x20,1\n", MSG_ENCODING, id="invalid-everywhere"),
    pytest.param(lambda: b"a,b\n\x80,1\n", MSG_ENCODING, id="cp932-unassigned-byte"),
    pytest.param(lambda: b"a,b\n" + "髙".encode("cp932") + b"\n" + "①".encode("utf-8"), MSG_ENCODING, id="mixed"),
    pytest.param(lambda: b'a,b\n1,"never closed\n2,3\n', MSG_BAD_CSV, id="unclosed-quote"),
    pytest.param(lambda: b"PK\x03\x04" + bytes(100), MSG_BROKEN_XLSX, id="pk-magic-only"),
    pytest.param(truncated_xlsx, MSG_BROKEN_XLSX, id="truncated-xlsx"),
    pytest.param(lambda: rezip(simple_xlsx(), drop={"xl/workbook.xml"}), MSG_BROKEN_XLSX, id="no-workbook-xml"),
    pytest.param(lambda: rezip(simple_xlsx(), replace={SHEET: b"<not xml"}), MSG_BROKEN_XLSX, id="broken-sheet-xml"),
]


@pytest.mark.parametrize(("make", "message"), BAD_INPUTS)
def test_bad_input_is_refused_with_a_japanese_message_naming_the_file(make, message):
    with pytest.raises(TableError) as caught:
        read(make(), "名簿.csv")
    assert len(caught.value.messages) == 1
    assert caught.value.messages[0].startswith("名簿.csv:")
    assert message in caught.value.messages[0]
    assert str(caught.value) == caught.value.messages[0]


def test_unclosed_quote_names_the_line_where_the_record_starts():
    with pytest.raises(TableError) as caught:
        read(b'a,b\n1,2\n3,"open\n4,5\n', "q.csv")
    assert caught.value.messages[0].startswith("q.csv:3: ")


def test_table_error_joins_messages():
    error = TableError("a.csv:2: x", "a.csv:3: y")
    assert error.messages == ["a.csv:2: x", "a.csv:3: y"]
    assert str(error) == "a.csv:2: x\na.csv:3: y"


# --- normalize ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("０１２３", "0123"),
        ("\u30000102\u3000", "0102"),
        ("ｱｲｳ", "アイウ"),
        (" Ａ１ ", "A1"),
        ("①", "1"),
        ("鈴木　立信", "鈴木 立信"),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_module_imports_nothing_from_flask_or_other_spotcheck_modules():
    with open(tabular.__file__, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(name.split(".")[0] in ("flask", "spotcheck") for name in imported)
    assert not any(isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(tree))


# --- the two XLSX readers ------------------------------------------------------------
# Files without formulas or a DTD go through python-calamine; the rest through openpyxl. Both must give one answer.


PARITY_CASES = {
    "typed-cells": [["職員番号", "回答日", "時刻", "小数", "真偽", "浮動", "期間", 1],
                    [1234, dt.date(2024, 1, 15), dt.datetime(2024, 1, 15, 9, 30), 12.5, True, 1234.0,
                     dt.timedelta(hours=30), "001234"],
                    ["\u3000001235\u3000", None, dt.time(9, 30), 1e20, False, -0.5, None, "①"]],
    "blank-lines-and-short-rows": [["id", "name", "note"], ["1", "a"], [None, None, None], ["2", "b", "c"], [None]],
    "orphan-value": [["id", None, "name"], ["1", "x", "a"]],
    "wide-row": [["id", "name"], ["1", "a", None, "stray"]],
}


@pytest.mark.parametrize("rows", PARITY_CASES.values(), ids=PARITY_CASES.keys())
@pytest.mark.parametrize("start_row", [1, 4])
def test_both_xlsx_readers_give_the_same_table_or_the_same_error(monkeypatch, rows, start_row):
    data = xlsx(rows, start_row=start_row)
    fast = _outcome(data)
    monkeypatch.setattr(tabular, "_has_formula", lambda xml: True)  # forces the openpyxl reader
    assert fast == _outcome(data)


def test_leading_empty_columns_keep_their_place():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["C3"], sheet["D3"], sheet["C4"], sheet["D4"] = "id", "name", "1", "a"
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read(buffer.getvalue(), "a.xlsx")
    assert table.header == ("", "", "id", "name") and table.header_line == 3
    assert table.rows == [Row(4, ("", "", "1", "a"), frozenset())]


def _outcome(data):
    try:
        return read(data, "a.xlsx")
    except TableError as error:
        return error.messages


def test_a_file_without_formulas_never_reaches_openpyxl(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl was used")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    assert read(simple_xlsx(), "a.xlsx").rows[0].cells == ("001", "鈴木")


@pytest.mark.parametrize("xml", [b"<f>A1*2</f>", b'<x:f t="array" ref="B2">SUM(A1:A2)</x:f>', b"<f/>", b"<f\n>1</f>"])
def test_formula_tags_are_recognised_with_or_without_a_prefix(xml):
    assert tabular._has_formula(b'<c r="B2">' + xml + b"<v>2</v></c>")


@pytest.mark.parametrize("xml", [b"<font/>", b"<c><v>1</v></c>", b"<is><t>f</t></is>", b"<x:fx/>"])
def test_other_tags_are_not_formulas(xml):
    assert not tabular._has_formula(xml)


def test_a_member_bigger_than_it_claims_is_refused():
    """A forged header: the sheet says it is 200 bytes (with the CRC of those bytes) but inflates to more."""
    import zlib

    data = bytearray(rezip(simple_xlsx(), compresslevel=9))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        member = archive.getinfo(SHEET)
        prefix = archive.read(SHEET)[:200]
    claimed = (zlib.crc32(prefix), member.compress_size, len(prefix))
    local = member.header_offset
    data[local + 14:local + 26] = b"".join(n.to_bytes(4, "little") for n in claimed)
    central = next(i for i in _central_entries(data) if data[i + 46:i + 46 + len(SHEET)] == SHEET.encode())
    data[central + 16:central + 28] = b"".join(n.to_bytes(4, "little") for n in claimed)
    with pytest.raises(TableError) as caught:
        read(bytes(data), "forged.xlsx")
    assert caught.value.messages == [f"forged.xlsx: {MSG_BROKEN_XLSX}"]


def _central_entries(data):
    start = data.find(b"PK\x01\x02")
    while start != -1:
        yield start
        start = data.find(b"PK\x01\x02", start + 4)
