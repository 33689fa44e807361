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
