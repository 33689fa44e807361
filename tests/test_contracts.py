"""The contract register (委託契約一覧): formats, re-import semantics, every bad file, the CLI, the screen and the demo."""
import datetime as dt
import io
import json
import zipfile

import openpyxl
import pytest

from spotcheck import contracts, demo, demo_contracts, imports
from spotcheck.importing import ImportRejected
from tests.factories import SECTION_HEADER, SECTIONS, csv_bytes

HEADER = ["契約番号", "契約名", "委託先", "所管課コード", "システム名", "契約期間開始", "契約期間終了", "再委託",
          "個人情報の取扱い"]
ENGLISH = ["contract_no", "title", "contractor", "dept_code", "system", "starts_on", "ends_on", "subcontracting",
           "personal_data"]
ROWS = [
    ["R6-委-001", "住民記録システム保守業務委託", "㈱緑ヶ丘情報サービス", "0201", "住民記録システム", "R6.4.1", "令和7年3月31日",
     "有", "有"],
    ["R6-委-002", "庁内LAN保守業務委託", "髙﨑ネットワーク㈱", "0101", "庁内LAN", "2024/04/01", "2025-03-31", "無", "×"],
    ["R6-委-003", "機密文書廃棄処理業務委託", "山﨑リサイクル①", "0301", "", "2024-05-01", "R7.3.31", "○", "1"],
]
SHEET = "xl/worksheets/sheet1.xml"


@pytest.fixture
def sections(db):
    imports.apply(db, imports.plan(db, "sections", csv_bytes(SECTION_HEADER, SECTIONS), "所属.csv", max_rows=100), None)


def run(db, data, name="委託契約一覧.csv", user_id=None):
    plan = imports.plan(db, "contracts", data, name, max_rows=1000)
    imports.apply(db, plan, user_id)
    return plan


def register(db):
    """{契約番号: stored row} with the section code."""
    rows = db.query("SELECT c.*, s.code AS dept_code FROM contracts c JOIN sections s ON s.id = c.section_id")
    return {row["contract_no"]: row for row in rows}


def xlsx_bytes(header, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezip(data, member, content):
    """The same workbook with one member replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, content if name == member else source.read(name))
    return out.getvalue()


def nothing_written(db, imports_before=1):
    assert db["contracts"].count == 0
    assert db["imports"].count == imports_before  # the sections file only


# ---------------------------------------------------------------- good files


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_a_register_imports_in_every_excel_encoding_with_cp932_characters_intact(db, sections, encoding):
    plan = run(db, csv_bytes(HEADER, ROWS, encoding))

    assert plan.counts == {"new": 3, "changed": 0, "unchanged": 0, "ended": 0}
    stored = register(db)
    first = stored["R6-委-001"]
    assert (first["title"], first["contractor"], first["dept_code"], first["system"]) == (
        "住民記録システム保守業務委託", "㈱緑ヶ丘情報サービス", "0201", "住民記録システム")
    assert (first["starts_on"], first["ends_on"], first["subcontracting"], first["personal_data"]) == (
        "2024-04-01", "2025-03-31", 1, 1)
    assert stored["R6-委-002"]["contractor"] == "髙﨑ネットワーク㈱"
    assert (stored["R6-委-002"]["subcontracting"], stored["R6-委-002"]["personal_data"]) == (0, 0)
    assert (stored["R6-委-003"]["subcontracting"], stored["R6-委-003"]["personal_data"]) == (1, 1)
    assert stored["R6-委-003"]["contractor"] == "山﨑リサイクル①" and stored["R6-委-003"]["system"] == ""
    assert all(row["ended_at"] is None for row in stored.values())


def test_english_headers_in_any_order_full_width_codes_and_extra_columns(db, sections):
    order = [8, 0, 3, 1, 2, 7, 6, 5, 4]
    rows = [[row[i] for i in order] + ["メモ"] for row in ROWS]
    rows[0][1] = "Ｒ６-委-００１"  # typed full-width: the same contract once normalised
    rows[0][2] = "０２０１"
    plan = run(db, csv_bytes([ENGLISH[i] for i in order] + ["備考"], rows))

    assert plan.counts["new"] == 3
    assert register(db)["R6-委-001"]["dept_code"] == "0201"
    assert any("備考" in notice and "無視" in notice for notice in plan.notices)


def test_an_xlsx_register_with_date_cells_and_a_section_code_excel_turned_into_a_number(db, sections):
    rows = [["R6-委-010", "税務システム運用業務委託", "東邦電算㈱", 101, "税務総合システム", dt.datetime(2024, 4, 1),
             dt.date(2025, 3, 31), "有", "無"]]
    plan = run(db, xlsx_bytes(HEADER, rows), "委託契約一覧.xlsx")

    assert plan.counts["new"] == 1
    assert any("所管課コード 1 件の先頭の 0 を補いました（4 桁" in notice for notice in plan.notices)
    stored = register(db)["R6-委-010"]
    assert (stored["dept_code"], stored["starts_on"], stored["ends_on"]) == ("0101", "2024-04-01", "2025-03-31")


def test_an_import_row_records_file_name_digest_and_summary_and_the_audit_log_says_so(db, sections, make_user):
    admin = make_user("admin")
    data = csv_bytes(HEADER, ROWS)
    run(db, data, "委託契約一覧_R6.csv", user_id=admin)

    row = db.execute("SELECT * FROM imports WHERE kind = 'contracts'").fetchone()
    record = dict(zip([d[0] for d in db.execute("SELECT * FROM imports").description], row))
    assert record["filename"] == "委託契約一覧_R6.csv" and record["user_id"] == admin
    assert record["sha256"] == __import__("hashlib").sha256(data).hexdigest()
    assert json.loads(record["summary"])["counts"] == {"new": 3, "changed": 0, "unchanged": 0, "ended": 0}
    assert {row["import_id"] for row in register(db).values()} == {record["id"]}
    entry = db.execute("SELECT user_id, action, entity, entity_id FROM audit_log WHERE entity = 'contracts'").fetchone()
    assert tuple(entry) == (admin, "import", "contracts", record["id"])


# ---------------------------------------------------------------- re-imports


def test_a_later_register_updates_by_number_adds_and_marks_missing_contracts_ended_never_deleting(db, sections):
    run(db, csv_bytes(HEADER, ROWS))
    ids = {no: row["id"] for no, row in register(db).items()}
    later = [
        ROWS[0][:7] + ["無", "有"],  # 再委託 withdrawn
        ROWS[1],  # unchanged
        ["R6-委-004", "健診結果データ入力業務委託", "﨑山データ㈱", "0201", "健康管理システム", "R6.6.1", "R7.3.31", "有", "有"],
    ]  # R6-委-003 is missing from the later register

    plan = run(db, csv_bytes(HEADER, later))

    assert plan.counts == {"new": 1, "changed": 1, "unchanged": 1, "ended": 1}
    stored = register(db)
    assert len(stored) == 4
    assert stored["R6-委-001"]["id"] == ids["R6-委-001"] and stored["R6-委-001"]["subcontracting"] == 0
    assert stored["R6-委-003"]["ended_at"] is not None
    assert all(stored[no]["ended_at"] is None for no in ("R6-委-001", "R6-委-002", "R6-委-004"))
    assert [c.state for c in contracts.list_contracts(db)] == ["active", "active", "active", "ended"]
    assert contracts.counts(db) == {"active": 3, "ended": 1}

    # Listed again, the same contract is in force again.
    plan = run(db, csv_bytes(HEADER, later + [ROWS[2]]))
    assert plan.counts == {"new": 0, "changed": 1, "unchanged": 3, "ended": 0}
    assert register(db)["R6-委-003"]["ended_at"] is None and register(db)["R6-委-003"]["id"] == ids["R6-委-003"]


def test_the_same_register_twice_changes_nothing_but_is_recorded(db, sections):
    data = csv_bytes(HEADER, ROWS, "cp932")
    run(db, data)
    before = {no: dict(row) for no, row in register(db).items()}

    plan = run(db, data)

    assert plan.counts == {"new": 0, "changed": 0, "unchanged": 3, "ended": 0}
    assert {no: dict(row) for no, row in register(db).items()} == before
    assert db.execute("SELECT count(*) FROM imports WHERE kind = 'contracts'").fetchone()[0] == 2


def test_an_ended_contract_stays_ended_through_later_imports(db, sections):
    run(db, csv_bytes(HEADER, ROWS))
    run(db, csv_bytes(HEADER, ROWS[:2]))
    ended_at = register(db)["R6-委-003"]["ended_at"]

    plan = run(db, csv_bytes(HEADER, ROWS[:2]))

    assert plan.counts["ended"] == 0
    assert register(db)["R6-委-003"]["ended_at"] == ended_at


# ---------------------------------------------------------------- bad files


BAD_ROWS = [
    ([["R6-委-009", "税務", "東邦電算㈱", "9999", "", "R6.4.1", "R7.3.31", "有", "有"]],
     "委託契約一覧.csv:2: 所管課コード: 9999 は所属一覧にありません。"),
    ([ROWS[0], ROWS[0][:1] + ["別の契約"] + ROWS[0][2:]],
     "委託契約一覧.csv:3: 契約番号: R6-委-001 が 2 行目と重複しています。"),
    ([ROWS[0][:5] + ["R6.2.30", "R7.3.31", "有", "有"]], "委託契約一覧.csv:2: 契約期間開始: 日付として読めません: R6.2.30"),
    ([ROWS[0][:5] + ["R6.4.1", "来年3月", "有", "有"]], "委託契約一覧.csv:2: 契約期間終了: 日付として読めません: 来年3月"),
    ([ROWS[0][:5] + ["R7.4.1", "R7.3.31", "有", "有"]], "委託契約一覧.csv:2: 契約期間終了: 契約期間開始より前の日付です。"),
    ([ROWS[0][:5] + ["", "R7.3.31", "有", "有"]], "委託契約一覧.csv:2: 契約期間開始: 空欄です。"),
    ([ROWS[0][:7] + ["たぶん", "有"]], "委託契約一覧.csv:2: 再委託: 「たぶん」は 有/無 として読めません。"),
    ([ROWS[0][:8] + [""]], "委託契約一覧.csv:2: 個人情報の取扱い: 「」は 有/無 として読めません。"),
    ([[""] + ROWS[0][1:]], "委託契約一覧.csv:2: 契約番号: 空欄です。"),
    ([ROWS[0][:2] + [""] + ROWS[0][3:]], "委託契約一覧.csv:2: 委託先: 空欄です。"),
    ([["=HYPERLINK(\"http://x\")"] + ROWS[0][1:]], "委託契約一覧.csv:2: 契約番号: 「=HYPERLINK(\"http://x\")」は契約番号として使えません"),
    ([ROWS[0][:1] + ["保守\u202e業務"] + ROWS[0][2:]], "委託契約一覧.csv:2: 契約名: 契約名に使えない制御文字が含まれています。"),
    ([ROWS[0][:2] + ["㈱" * 101] + ROWS[0][3:]], "委託契約一覧.csv:2: 委託先: 委託先は 100 文字以内にしてください"),
]


@pytest.mark.parametrize("rows, message", BAD_ROWS)
def test_a_bad_row_is_reported_with_file_line_and_column_and_nothing_is_written(db, sections, rows, message):
    with pytest.raises(ImportRejected) as caught:
        run(db, csv_bytes(HEADER, rows + [ROWS[1]]))

    assert any(m.startswith(message) for m in caught.value.messages), caught.value.messages
    nothing_written(db)


def test_every_bad_row_is_listed_at_once(db, sections):
    rows = [ROWS[0][:3] + ["9999"] + ROWS[0][4:], ROWS[1][:7] + ["?", "?"]]
    with pytest.raises(ImportRejected) as caught:
        run(db, csv_bytes(HEADER, rows))
    assert [m.split(": ", 2)[:2] for m in caught.value.messages] == [
        ["委託契約一覧.csv:2", "所管課コード"], ["委託契約一覧.csv:3", "再委託"], ["委託契約一覧.csv:3", "個人情報の取扱い"]]


def test_a_missing_required_column_is_named_with_its_alias(db, sections):
    with pytest.raises(ImportRejected) as caught:
        run(db, csv_bytes(HEADER[:7] + HEADER[8:], [row[:7] + row[8:] for row in ROWS]))
    assert caught.value.messages == ["委託契約一覧.csv:1: 再委託: 必須の列「再委託」（subcontracting）がありません。"]
    nothing_written(db)


def test_the_system_column_may_be_left_out(db, sections):
    plan = run(db, csv_bytes(HEADER[:4] + HEADER[5:], [row[:4] + row[5:] for row in ROWS]))
    assert plan.counts["new"] == 3 and {row["system"] for row in register(db).values()} == {""}


def test_a_bad_re_import_leaves_the_register_as_it_was(db, sections):
    run(db, csv_bytes(HEADER, ROWS))
    before = {no: dict(row) for no, row in register(db).items()}
    with pytest.raises(ImportRejected):
        run(db, csv_bytes(HEADER, [ROWS[0], ROWS[0]]))  # would otherwise end two contracts
    assert {no: dict(row) for no, row in register(db).items()} == before


def test_a_formula_in_an_xlsx_is_never_evaluated_and_refused_as_a_contract_number(db, sections):
    rows = [["=CONCAT(\"R6\",\"-001\")", "保守", "東邦電算㈱", "0101", "", "R6.4.1", "R7.3.31", "有", "有"]]
    with pytest.raises(ImportRejected) as caught:
        run(db, xlsx_bytes(HEADER, rows), "委託契約一覧.xlsx")
    assert caught.value.messages[0].startswith('委託契約一覧.xlsx:2: 契約番号: 「=CONCAT("R6","-001")」は契約番号として使えません')
    nothing_written(db)


def test_a_formula_in_a_text_column_is_kept_as_its_text(db, sections):
    rows = [["R6-委-020", "=HYPERLINK(\"http://example.invalid\",\"保守\")", "東邦電算㈱", "0101", "", "R6.4.1", "R7.3.31",
             "有", "有"]]
    run(db, xlsx_bytes(HEADER, rows), "委託契約一覧.xlsx")
    assert register(db)["R6-委-020"]["title"] == '=HYPERLINK("http://example.invalid","保守")'


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "ファイルが空です。"),
        (csv_bytes(HEADER, []), "見出し行だけで、データ行がありません。"),
        ("契約番号,契約名\r\nR6-1,保守\r\n".encode("euc_jp"), "文字コードを判別できません"),
        (b"PK\x03\x04not a zip at all", "Excel ファイル（.xlsx）として開けません"),
        (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(512), "古い Excel 形式（.xls）には対応していません"),
        (rezip(xlsx_bytes(HEADER, ROWS), SHEET,
               '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
               '<row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>'),
         "Excel ファイル（.xlsx）として開けません"),
        (rezip(xlsx_bytes(HEADER, ROWS), SHEET, bytes(120 * 1024 * 1024)), "展開後のサイズが大きすぎるため読み込めません。"),
    ],
    ids=["empty", "header-only", "euc-jp", "broken-zip", "old-xls", "xml-entities", "zip-bomb"],
)
def test_unreadable_and_hostile_files_are_refused_in_japanese(db, sections, data, message):
    with pytest.raises(ImportRejected) as caught:
        run(db, data, "委託契約一覧.xlsx")
    assert any(message in m for m in caught.value.messages), caught.value.messages
    nothing_written(db)


def test_a_file_over_the_row_limit_is_refused_whole(db, sections):
    rows = [[f"R6-委-{n:05d}", "保守", "東邦電算㈱", "0101", "", "R6.4.1", "R7.3.31", "有", "有"] for n in range(1001)]
    with pytest.raises(ImportRejected) as caught:
        run(db, csv_bytes(HEADER, rows))
    assert caught.value.messages == ["委託契約一覧.csv: 行数が多すぎます（上限 1,000 行）。"]
    nothing_written(db)


def test_errors_are_capped_at_fifty_with_a_count(db, sections):
    rows = [[f"R6-委-{n:03d}", "保守", "東邦電算㈱", "9999", "", "R6.4.1", "R7.3.31", "有", "有"] for n in range(70)]
    with pytest.raises(ImportRejected) as caught:
        run(db, csv_bytes(HEADER, rows))
    assert len(caught.value.messages) == 51 and caught.value.messages[-1] == "ほか 20 件のエラーがあります。"


# ---------------------------------------------------------------- command line


def test_the_command_imports_then_a_dry_run_reports_without_writing(runner, db, sections, tmp_path):
    path = tmp_path / "委託契約一覧.csv"
    path.write_bytes(csv_bytes(HEADER, ROWS, "cp932"))
    result = runner.invoke(args=["import-contracts", str(path)])
    assert result.exit_code == 0, result.output
    assert "委託契約一覧.csv: 新規 3 件、変更 0 件、変更なし 0 件、終了扱い 0 件" in result.output
    assert "取り込みました。" in result.output

    path.write_bytes(csv_bytes(HEADER, ROWS[:2]))
    imports_before = db["imports"].count
    result = runner.invoke(args=["import-contracts", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "新規 0 件、変更 0 件、変更なし 2 件、終了扱い 1 件" in result.output
    assert "確認のみ（--dry-run）: データは変更していません。" in result.output
    assert db["imports"].count == imports_before and contracts.counts(db) == {"active": 3, "ended": 0}


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
def test_the_command_lists_every_error_and_exits_1(runner, db, sections, tmp_path, dry_run):
    path = tmp_path / "委託契約一覧.csv"
    path.write_bytes(csv_bytes(HEADER, [ROWS[0][:3] + ["9999"] + ROWS[0][4:], ROWS[1][:7] + ["?", "有"]]))
    result = runner.invoke(args=["import-contracts", str(path), *dry_run])
    assert result.exit_code == 1
    assert "委託契約一覧.csv:2: 所管課コード: 9999 は所属一覧にありません。" in result.output
    assert "委託契約一覧.csv:3: 再委託: 「?」は 有/無 として読めません。" in result.output
    assert "データは変更していません。" in result.output
    nothing_written(db)


# ---------------------------------------------------------------- screens


@pytest.mark.parametrize("role, status", [("admin", 200), ("auditor", 200), ("section_head", 403), ("viewer", 403)])
def test_only_the_audit_team_sees_the_register(client, login, db, sections, role, status):
    run(db, csv_bytes(HEADER, ROWS))
    login(role, section_code="0101" if role == "section_head" else None)
    response = client.get("/contracts")
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert ("住民記録システム保守業務委託" in page) == (status == 200)
    assert ("委託契約一覧" in client.get("/").get_data(as_text=True)) == (status == 200)  # the menu link


def test_the_register_needs_a_login(client):
    response = client.get("/contracts")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_register_shows_era_dates_flags_and_state(client, login, db, sections):
    run(db, csv_bytes(HEADER, ROWS))
    run(db, csv_bytes(HEADER, ROWS[:2]))
    login("admin")
    page = client.get("/contracts").get_data(as_text=True)
    assert "契約中 2 件・終了 1 件" in page
    assert "令和6年4月1日" in page and "令和7年3月31日" in page
    ended = page[page.index('<tr class="ended muted">'):]
    assert "R6-委-003" in ended and "終了" in ended
    assert page.index("R6-委-001") < page.index("R6-委-003")  # in force first


def test_upload_preview_then_confirm_through_the_import_screen(client, login, db, sections):
    admin = login("admin")
    assert 'value="contracts" required checked' in client.get("/admin/imports?kind=contracts").get_data(as_text=True)
    response = client.post("/admin/imports", data={"kind": "contracts",
                                                   "file": (io.BytesIO(csv_bytes(HEADER, ROWS, "cp932")), "委託契約.csv")})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "取り込みの確認: 委託契約一覧" in page and "終了扱い" in page
    assert db["contracts"].count == 0  # a preview writes nothing
    token = page.split('/admin/imports/')[1].split('"')[0]

    response = client.post(f"/admin/imports/{token}", data={"action": "apply"})

    assert response.status_code == 302
    assert db["contracts"].count == 3
    assert db.execute("SELECT user_id FROM imports WHERE kind = 'contracts'").fetchone()[0] == admin
    assert "委託契約一覧「委託契約.csv」を取り込みました。" in client.get("/admin/imports").get_data(as_text=True)


def test_a_bad_upload_shows_every_error_and_writes_nothing(client, login, db, sections):
    login("admin")
    data = csv_bytes(HEADER, [ROWS[0], ROWS[0]])
    response = client.post("/admin/imports", data={"kind": "contracts", "file": (io.BytesIO(data), "委託契約.csv")})
    assert response.status_code == 422
    assert "委託契約.csv:3: 契約番号: R6-委-001 が 2 行目と重複しています。" in response.get_data(as_text=True)
    nothing_written(db)


# ---------------------------------------------------------------- demo and sample


def demo_sections(db):
    name, data = demo.city_files()["sections"]
    imports.apply(db, imports.plan(db, "sections", data, name, max_rows=1000), None)


def test_the_demo_registers_give_ten_contracts_one_ended_and_a_second_run_changes_nothing(db):
    demo_sections(db)
    lines, plans = demo_contracts.load_contracts(db, None, 1000)

    assert [plan.counts for plan in plans] == [{"new": 10, "changed": 0, "unchanged": 0, "ended": 0},
                                               {"new": 0, "changed": 1, "unchanged": 8, "ended": 1}]
    listed = contracts.list_contracts(db)
    assert len(listed) == 10 and [c.contract_no for c in listed if c.state == "ended"] == [demo_contracts.ENDED]
    assert sum(c.subcontracting for c in listed) >= 3 and sum(c.personal_data for c in listed) >= 5
    assert "委託契約一覧（demo-委託契約一覧-R6.4.1.csv、CP932）: 新規 10 件" in lines[0]

    lines, plans = demo_contracts.load_contracts(db, None, 1000)
    assert [plan.counts for plan in plans] == [{"new": 0, "changed": 0, "unchanged": 9, "ended": 0}]


def test_the_sample_file_is_the_demo_register_and_imports_cleanly(db):
    _name, data = demo_contracts.register_file("current")
    assert demo_contracts.SAMPLE.read_bytes() == data  # regenerate with register_file("current") if the demo changes
    assert data.startswith(b"\xef\xbb\xbf")
    demo_sections(db)
    plan = run(db, demo_contracts.SAMPLE.read_bytes(), demo_contracts.SAMPLE.name)
    assert plan.counts["new"] == 9 and plan.notices == []
