"""Exports open in Excel with Japanese intact and no cell can ever run as a formula."""
import csv
import io

import openpyxl
import pytest

from spotcheck import exports

HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "普通の文字", 42]


def test_csv_has_a_bom_and_neutralised_formulas():
    data = exports.csv_bytes(["氏名", "=見出し"], [[value, value] for value in HOSTILE])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["氏名", "'=見出し"]
    for row in rows[1:]:
        assert not row[0].startswith(("=", "+", "-", "@", "\t")), row
    assert rows[6][0] == "普通の文字" and rows[7][0] == "42"


@pytest.mark.parametrize("value", HOSTILE[:5])
def test_xlsx_stores_formula_like_text_as_text(value):
    book = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(["a"], [[value]], "表")))
    cell = book.active["A2"]
    assert cell.data_type == "s" and cell.value == value
    book.close()


def test_dates_get_a_japanese_era_column_beside_the_iso_one():
    header, rows = exports.with_era_columns(
        ["氏名", "回答期限", "報告日時"],
        [["甲", exports.Moment("2026-12-01"), exports.Moment("2026-12-01T10:19:48+09:00")],
         ["乙", exports.Moment("2019-04-30"), exports.Moment(None)]])
    assert header == ["氏名", "回答期限", "回答期限（和暦）", "報告日時", "報告日時（和暦）"]
    assert rows[0] == ["甲", "2026-12-01", "令和8年12月1日", "2026-12-01T10:19:48+09:00", "令和8年12月1日 10時19分"]
    assert rows[1] == ["乙", "2019-04-30", "平成31年4月30日", "", ""]


def test_both_file_kinds_carry_the_era_columns():
    header, rows = ["期限"], [[exports.Moment("2026-12-01")]]
    text = exports.csv_bytes(header, rows).decode("utf-8-sig")
    assert text.splitlines() == ["期限,期限（和暦）", "2026-12-01,令和8年12月1日"]
    book = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(header, rows, "表")))
    assert [list(r) for r in book.active.iter_rows(values_only=True)] == [["期限", "期限（和暦）"],
                                                                        ["2026-12-01", "令和8年12月1日"]]


def test_the_followup_export_writes_era_dates(client, login, issued):
    login("admin")
    text = client.get("/exports/followups.csv?campaign=R6").get_data().decode("utf-8-sig")
    header, first = text.splitlines()[:2]
    assert "回答期限,回答期限（和暦）" in header and "報告日時,報告日時（和暦）" in header
    assert "令和" in first
