"""Self-check results import: answer scales, re-import counts, applicability flags, bad cells."""
import shutil

import pytest

from spotcheck import campaigns, checklists, selfcheck
from spotcheck.importing import ImportRejected
from tests.factories import SELFCHECK_HEADER as HEADER
from tests.factories import answers_row, csv_bytes
from tests.factories import import_selfcheck as run

def stored(db, staff_no):
    return dict(
        db.execute(
            "SELECT a.item_no, a.answer || ':' || a.out_of_scope FROM selfcheck_answers a"
            " JOIN selfcheck_responses r ON r.id = a.response_id JOIN staff s ON s.id = r.staff_id"
            " WHERE s.staff_no = ?",
            [staff_no],
        ).fetchall()
    )


def test_import_stores_applicable_items_and_flags_answers_to_items_that_do_not_apply(db, city):
    # 000101 総務課: PC user, outsourcing section, no My Number → items 1–20 and 28–35 apply.
    plan = run(db, city, csv_bytes(HEADER, [answers_row("000101", s19="③", s21="-")]))
    assert plan.counts == {"new": 1, "changed": 0, "unchanged": 0}
    answers = stored(db, "000101")
    assert answers[19] == "3:0" and answers[28] == "1:0"
    assert 21 not in answers  # '-' on an item that does not apply says nothing
    assert answers[22] == "1:1"  # an answer to a My Number item outside My Number work: kept, flagged
    assert any("対象外の項目への回答が 6 件" in n for n in plan.notices)


@pytest.mark.parametrize(
    "cell, code",
    [("①", "1"), ("1", "1"), ("１", "1"), ("③", "3"), ("a", "A"), ("Ｄ", "D"), ("N", "N"), ("", ""), ("対象外", "-")],
)
def test_every_answer_spelling_is_understood(db, city, cell, code):
    run(db, city, csv_bytes(HEADER, [answers_row("000101", s5=cell)]))
    assert stored(db, "000101")[5] == f"{code}:0"


@pytest.mark.parametrize("header", [["職員番号", "No.1", "項目2", "Q3"], ["staff_no", "no.1", "項目２", "q3"]])
def test_item_columns_may_be_named_in_every_city_style(db, city, header):
    run(db, city, csv_bytes(header, [["000101", "①", "②", "③"]]))
    assert stored(db, "000101") == {1: "1:0", 2: "2:0", 3: "3:0"}


def test_reimport_replaces_answers_and_counts_new_changed_unchanged(db, city):
    run(db, city, csv_bytes(HEADER, [answers_row("000101"), answers_row("000102")]))
    plan = run(db, city, csv_bytes(HEADER, [answers_row("000101"), answers_row("000102", s19="③"),
                                            answers_row("000103", value="")]))
    assert plan.counts == {"new": 1, "changed": 1, "unchanged": 1}
    assert stored(db, "000102")[19] == "3:0"
    assert db.execute("SELECT count(*) FROM selfcheck_responses").fetchone()[0] == 3


@pytest.mark.parametrize("spelling", ["2024-01-15", "R6.1.15", "令和6年1月15日", "2024/1/15"])
def test_answer_dates_in_every_spelling(db, city, spelling):
    run(db, city, csv_bytes(HEADER, [answers_row("000101", answered_on=spelling)]))
    assert db.execute("SELECT answered_on FROM selfcheck_responses").fetchone()[0] == "2024-01-15"


BAD = [
    ([answers_row("000101", s19="4")], "selfcheck.csv:2: 19: 「4」は回答の選択肢にありません"),
    ([answers_row("000101", s19="◎")], "selfcheck.csv:2: 19: 「◎」は回答の選択肢にありません"),
    ([answers_row("999999")], "selfcheck.csv:2: 職員番号: 999999 は職員名簿にありません。"),
    ([answers_row("000101"), answers_row("000101")], "selfcheck.csv:3: 職員番号: 000101 が 2 行目と重複しています。"),
    ([answers_row("000101", answered_on="令和6年13月1日")], "selfcheck.csv:2: 回答日: 日付として読めません"),
]


@pytest.mark.parametrize("rows, message", BAD)
def test_bad_cells_are_reported_and_nothing_is_written(db, city, rows, message):
    with pytest.raises(ImportRejected) as caught:
        run(db, city, csv_bytes(HEADER, rows))
    assert any(m.startswith(message) for m in caught.value.messages), caught.value.messages
    assert db["selfcheck_responses"].count == 0


def test_unknown_item_column_is_rejected(db, city):
    with pytest.raises(ImportRejected) as caught:
        run(db, city, csv_bytes(["職員番号", "1", "36"], [["000101", "①", "①"]]))
    assert caught.value.messages == ["selfcheck.csv:1: 36: 項目 36 はセルフチェックシートにありません（1〜35）。"]


def test_file_without_any_item_column_is_rejected(db, city):
    with pytest.raises(ImportRejected, match="回答の列"):
        run(db, city, csv_bytes(["職員番号", "回答日"], [["000101", "2024/1/1"]]))


def test_a_bad_row_in_a_reimport_leaves_the_earlier_answers_untouched(db, city):
    run(db, city, csv_bytes(HEADER, [answers_row("000101")]))
    with pytest.raises(ImportRejected):
        run(db, city, csv_bytes(HEADER, [answers_row("000101", s3="③"), answers_row("000102", s4="x")]))
    assert stored(db, "000101")[3] == "1:0" and db["selfcheck_responses"].count == 1


def test_person_page_data_has_item_and_answer_text(db, city):
    run(db, city, csv_bytes(HEADER, [answers_row("000101", s19="③", s2="")]))
    staff_id = db.execute("SELECT id FROM staff WHERE staff_no = '000101'").fetchone()[0]
    [campaign] = selfcheck.answers_for_staff(db, staff_id)
    by_no = {row["item"].no: row for row in campaign["rows"]}
    assert by_no[19]["answer"].label == "③ できていない"
    assert by_no[2]["answer"].label == "未回答"
    assert campaign["answered_on"] == "2024-01-15"


def test_campaign_keeps_its_pinned_sheet_when_forms_change(db, city, forms, app, tmp_path):
    edited = tmp_path / "forms"
    shutil.copytree(app.config["FORMS_DIR"], edited)
    toml = edited / "selfcheck.toml"
    original = forms.selfcheck.item(19).question
    toml.write_text(toml.read_text(encoding="utf-8").replace(original, "改訂した設問です。"), encoding="utf-8")
    newer = campaigns.create_campaign(db, "R7", "令和7年度", checklists.load_checklists(edited))
    assert campaigns.pinned_selfcheck(db, city).item(19).question == original
    assert campaigns.pinned_selfcheck(db, campaigns.get_campaign(db, campaign_id=newer)).item(19).question == "改訂した設問です。"
