"""Sections and roster imports: formats, re-import semantics, lost zeros, and every bad input."""
import io

import openpyxl
import pytest

from spotcheck import imports, roster
from spotcheck.importing import ImportRejected
from tests.factories import SECTIONS, SECTION_HEADER, STAFF, STAFF_HEADER, csv_bytes


def run(db, kind, data, name="file.csv"):
    plan = imports.plan(db, kind, data, name, max_rows=200_000)
    imports.apply(db, plan, None)
    return plan


def xlsx_bytes(header, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def staff_rows(db):
    return {r["staff_no"]: r for r in db.query("SELECT * FROM staff")}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_sections_import_in_every_excel_encoding(db, encoding):
    plan = run(db, "sections", csv_bytes(SECTION_HEADER, SECTIONS, encoding))
    assert plan.counts == {"new": 3, "changed": 0, "unchanged": 0}
    assert {r["code"]: (r["my_number"], r["outsourced"]) for r in db.query("SELECT * FROM sections")} == {
        "0101": (0, 1), "0201": (1, 0), "0301": (0, 0)
    }


def test_english_headers_any_order_and_flag_spellings(db):
    data = csv_bytes(["outsourced", "dept_name", "my_number", "dept_code"],
                     [["×", "総務課", "○", "0101"], ["yes", "市民課", "0", "0201"], ["TRUE", "課税課", "なし", "0202"]])
    run(db, "sections", data)
    assert [(r["my_number"], r["outsourced"]) for r in db.query("SELECT * FROM sections ORDER BY code")] == [
        (1, 0), (0, 1), (0, 1)
    ]


def test_unknown_columns_are_ignored_and_reported(db):
    plan = imports.plan(db, "sections", csv_bytes(SECTION_HEADER + ["備考"], [r + ["メモ"] for r in SECTIONS]),
                        "s.csv", max_rows=100)
    assert any("備考" in n and "無視" in n for n in plan.notices)


def test_staff_import_keeps_cp932_names_and_full_width_numbers(db):
    run(db, "sections", csv_bytes(SECTION_HEADER, SECTIONS))
    rows = [["０００１０１", "髙橋 﨑子", "タカハシ サキコ", "０１０１", "正規職員", "有"]]
    run(db, "staff", csv_bytes(STAFF_HEADER, rows, "cp932"))
    person = staff_rows(db)["000101"]
    assert person["name"] == "髙橋 﨑子"


def test_reimport_updates_in_place_adds_and_retires_but_never_deletes(db):
    run(db, "sections", csv_bytes(SECTION_HEADER, SECTIONS))
    run(db, "staff", csv_bytes(STAFF_HEADER, STAFF))
    first_ids = {no: r["id"] for no, r in staff_rows(db).items()}
    newer = [
        ["000101", "鈴木 一郎", "スズキ イチロウ", "0201", "正規職員", "有"],  # moved section
        ["000102", "髙橋 花子", "タカハシ ハナコ", "0201", "会計年度任用職員", "有"],  # unchanged
        ["000104", "新井 四郎", "アライ シロウ", "0301", "その他", "有"],  # new
    ]  # 000103 missing → retired
    plan = run(db, "staff", csv_bytes(STAFF_HEADER, newer))
    assert plan.counts == {"new": 1, "changed": 1, "unchanged": 1, "retired": 1, "new_sections": 0}
    rows = staff_rows(db)
    assert len(rows) == 4
    assert rows["000101"]["id"] == first_ids["000101"]
    assert rows["000103"]["retired_at"] is not None and rows["000102"]["retired_at"] is None
    # Coming back reactivates the same person.
    plan = run(db, "staff", csv_bytes(STAFF_HEADER, newer + [STAFF[2]]))
    assert plan.counts["changed"] == 1 and plan.counts["retired"] == 0
    assert staff_rows(db)["000103"]["retired_at"] is None


def test_xlsx_number_cells_get_their_leading_zeros_back(db):
    run(db, "sections", csv_bytes(SECTION_HEADER, SECTIONS))
    run(db, "staff", csv_bytes(STAFF_HEADER, STAFF))
    rows = [[101, "鈴木 一郎", "スズキ イチロウ", 101, "正規職員", "有"]]
    plan = imports.plan(db, "staff", xlsx_bytes(STAFF_HEADER, rows), "名簿.xlsx", max_rows=100)
    assert plan.counts["unchanged"] == 1 and plan.counts["new"] == 0
    assert any("職員番号 1 件の先頭の 0 を補いました（6 桁" in n for n in plan.notices)
    assert any("所属コード 1 件の先頭の 0 を補いました（4 桁" in n for n in plan.notices)


def test_roster_creates_sections_it_names_when_the_sections_file_lacks_them(db):
    header = STAFF_HEADER[:4] + ["所属名"] + STAFF_HEADER[4:]
    rows = [["000201", "中村 三郎", "ナカムラ サブロウ", "0501", "環境課", "正規職員", "有"]]
    plan = run(db, "staff", csv_bytes(header, rows))
    assert plan.counts["new_sections"] == 1
    assert db.execute("SELECT name FROM sections WHERE code = '0501'").fetchone()[0] == "環境課"


def test_formula_cells_are_stored_as_plain_text(db):
    run(db, "sections", csv_bytes(SECTION_HEADER, SECTIONS))
    rows = [["000301", "=HYPERLINK(\"http://x\",\"y\")", "@SUM(1)", "0101", "正規職員", "有"]]
    run(db, "staff", csv_bytes(STAFF_HEADER, rows))
    person = staff_rows(db)["000301"]
    assert person["name"] == '=HYPERLINK("http://x","y")' and person["kana"] == "@SUM(1)"


BAD_STAFF = [
    ([["000101", "鈴木", "", "0101", "正規職員", "有"], ["000101", "佐藤", "", "0101", "正規職員", "有"]],
     "file.csv:3: 職員番号: 000101 が 2 行目と重複しています。"),
    ([["000101", "鈴木", "", "9999", "正規職員", "有"]],
     "file.csv:2: 所属コード: 9999 は所属一覧にありません"),
    ([["000101", "鈴木", "", "0101", "アルバイト", "有"]], "file.csv:2: 任用区分: 「アルバイト」は"),
    ([["000101", "鈴木", "", "0101", "正規職員", "たぶん"]], "file.csv:2: PC使用: 「たぶん」は 有/無 として読めません。"),
    ([["000101", "", "", "0101", "正規職員", "有"]], "file.csv:2: 氏名: 空欄です。"),
    ([["=1+1", "鈴木", "", "0101", "正規職員", "有"]], "file.csv:2: 職員番号: 「=1+1」は職員番号として使えません"),
]


@pytest.mark.parametrize("rows, message", BAD_STAFF)
def test_bad_staff_rows_are_reported_with_file_line_column_and_nothing_is_written(db, rows, message):
    run(db, "sections", csv_bytes(SECTION_HEADER, SECTIONS))
    good = ["000999", "正常 太郎", "", "0101", "正規職員", "有"]
    with pytest.raises(ImportRejected) as caught:
        run(db, "staff", csv_bytes(STAFF_HEADER, rows + [good]))
    assert any(m.startswith(message) for m in caught.value.messages), caught.value.messages
    assert db["staff"].count == 0


def test_missing_required_column_is_named(db):
    with pytest.raises(ImportRejected) as caught:
        run(db, "staff", csv_bytes(["職員番号", "氏名"], [["1", "a"]]))
    assert "file.csv:1: 所属コード: 必須の列「所属コード」（dept_code）がありません。" in caught.value.messages


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "空です"),
        ("職員番号,氏名,所属コード,任用区分,PC使用\r\n".encode(), "データ行がありません"),
        (b"\x00\x01\x02garbage\xff\xfe" * 50, "CSV でも Excel（.xlsx）でもない"),
        ("職員番号,氏名\r\n1,鈴木\r\n".encode("euc_jp"), "文字コードを判別できません"),
        (b"PK\x03\x04not really a zip", "Excel ファイル（.xlsx）として開けません"),
    ],
)
def test_unreadable_files_are_rejected_in_japanese(db, data, message):
    with pytest.raises(ImportRejected) as caught:
        run(db, "staff", data)
    assert any(message in m for m in caught.value.messages), caught.value.messages


def test_errors_are_capped_at_fifty_with_a_count(db):
    run(db, "sections", csv_bytes(SECTION_HEADER, SECTIONS))
    rows = [[f"{i:06d}", "名前", "", "9999", "正規職員", "有"] for i in range(80)]
    with pytest.raises(ImportRejected) as caught:
        run(db, "staff", csv_bytes(STAFF_HEADER, rows))
    assert len(caught.value.messages) == 51 and caught.value.messages[-1] == "ほか 30 件のエラーがあります。"


def test_hundred_thousand_row_roster_imports(db):
    run(db, "sections", csv_bytes(SECTION_HEADER, SECTIONS))
    rows = [[f"{i:06d}", f"職員 {i}", "ショクイン", "0101", "正規職員", "有"] for i in range(100_000)]
    plan = run(db, "staff", csv_bytes(STAFF_HEADER, rows))
    assert plan.counts["new"] == 100_000 and db["staff"].count == 100_000


def test_search_matches_hiragana_spaces_and_numbers(db):
    run(db, "sections", csv_bytes(SECTION_HEADER, SECTIONS))
    run(db, "staff", csv_bytes(STAFF_HEADER, STAFF))
    for query in ("すずき", "スズキ イチロウ", "鈴木一郎", "ｽｽﾞｷ", "000101"):
        rows, total = roster.search_staff(db, query=query)
        assert [r["staff_no"] for r in rows] == ["000101"], query
    rows, total = roster.search_staff(db, employment="fiscal_year")
    assert [r["name"] for r in rows] == ["髙橋 花子"]
    assert roster.search_staff(db, query="%")[1] == 0


@pytest.mark.parametrize("name, message", [("鈴木\x07一郎", "制御文字"), ("\u202e郎一 木鈴", "制御文字"),
                                           ("鈴" * 101, "100 文字以内")])
def test_names_with_control_characters_or_too_long_are_refused(db, name, message):
    rows = [["000101", name, "スズキ イチロウ", "0101", "正規職員", "有"]]
    with pytest.raises(ImportRejected, match=message):
        imports.plan(db, "staff", csv_bytes(STAFF_HEADER, rows), "staff.csv", max_rows=1000)


def staff_indexes(db):
    return sorted(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'staff'"))


def test_a_first_roster_rebuilds_the_staff_indexes_as_they_were(db):
    run(db, "sections", csv_bytes(SECTION_HEADER, SECTIONS))
    before = staff_indexes(db)
    run(db, "staff", csv_bytes(STAFF_HEADER, STAFF))  # all inserts: the indexes are dropped and built again
    assert staff_indexes(db) == before and len(before) >= 4
    plan = "EXPLAIN QUERY PLAN SELECT * FROM staff WHERE section_id = 1 AND employment = 'regular'"
    assert "USING INDEX staff_scope" in db.execute(plan).fetchone()[3]


def test_a_failed_bulk_insert_leaves_the_indexes_and_the_collector_as_they_were(db, monkeypatch):
    import gc

    run(db, "sections", csv_bytes(SECTION_HEADER, SECTIONS))
    before = staff_indexes(db)
    plan = imports.plan(db, "staff", csv_bytes(STAFF_HEADER, STAFF), "file.csv", max_rows=1000)
    db.execute("INSERT INTO staff (staff_no, name, kana, section_id, employment, uses_pc, search_key, created_at,"
               " updated_at) VALUES (?, 'x', '', 1, 'regular', 1, 'x', 't', 't')", [STAFF[0][0]])  # a clash
    db.conn.commit()
    monkeypatch.setattr(roster, "_stored_staff", lambda _db: {})  # the plan's view: nobody on file yet
    with pytest.raises(Exception, match="UNIQUE"):
        imports.apply(db, plan, None)
    assert staff_indexes(db) == before and gc.isenabled()
    assert db["staff"].count == 1


def test_only_a_roster_with_problems_is_walked_row_by_row(db, monkeypatch):
    run(db, "sections", csv_bytes(SECTION_HEADER, SECTIONS))
    walked = []
    original = roster._staff_rows
    monkeypatch.setattr(roster, "_staff_rows", lambda *args: walked.append(1) or original(*args))
    run(db, "staff", csv_bytes(STAFF_HEADER, STAFF))
    assert walked == []
    bad = [[*STAFF[0][:4], "臨時", *STAFF[0][5:]]]
    with pytest.raises(ImportRejected, match="臨時"):
        run(db, "staff", csv_bytes(STAFF_HEADER, bad))
    assert walked == [1]
