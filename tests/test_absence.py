"""Absence markers (状況): parsed from the self-check file, counted apart from 未回答 everywhere, left out of the draw."""
import json

import pytest

from spotcheck import absence, aggregates, council, figures, imports
from spotcheck.importing import ImportRejected
from tests.factories import SELFCHECK_HEADER, STAFF, STAFF_HEADER, answers_row, csv_bytes, import_selfcheck

HEADER = SELFCHECK_HEADER + ["状況"]
EXTRA = [["000104", "田中 三郎", "タナカ サブロウ", "0101", "正規職員", "有"],
         ["000105", "佐藤 四郎", "サトウ シロウ", "0101", "正規職員", "有"],
         ["000106", "伊藤 五郎", "イトウ ゴロウ", "0101", "会計年度任用職員", "有"]]


def blank_row(staff_no, status):
    return [staff_no, ""] + [""] * 35 + [status]


@pytest.fixture
def marked(db, city):
    """PC users: 0101 has 000101, 000104–000106; 0201 has 000102. 000104 (育休) and 000102 (病休) are away,
    000101 and 000105 answered, 000106 sent nothing."""
    imports.apply(db, imports.plan(db, "staff", csv_bytes(STAFF_HEADER, STAFF + EXTRA), "名簿.csv", max_rows=100), None)
    rows = [answers_row("000101") + [""], blank_row("000104", "育休"), answers_row("000105", s3="③") + ["　"],
            blank_row("000102", "病休")]
    plan = import_selfcheck(db, city, csv_bytes(HEADER, rows))
    return city, plan


def section(db, code):
    return db.execute("SELECT id FROM sections WHERE code = ?", [code]).fetchone()[0]


def test_statuses_are_read_from_the_words_the_city_uses():
    assert absence.parse("病休") == (True, "sick_leave")
    assert absence.parse(" 長期研修 ") == (True, "long_training")
    assert absence.parse("その他不在") == (True, "other")
    assert absence.parse("") == (True, None)
    assert absence.parse("休み") == (False, None)


def test_absent_people_are_counted_apart_from_unanswered_by_hand(db, marked):
    campaign, plan = marked
    assert plan.counts == {"new": 4, "changed": 0, "unchanged": 0, "absent": 2}
    summary = aggregates.summary(db, campaign)
    # 5 PC users: 2 answered, 2 away, so 1 (000106) has not answered.
    assert (summary["staff_in_scope"], summary["answered"], summary["absent"]) == (5, 2, 2)
    by_section = {g["key"]: g for g in aggregates.groups(db, campaign, by="section_id")}
    assert (by_section[section(db, "0101")]["people"], by_section[section(db, "0101")]["answered"],
            by_section[section(db, "0101")]["absent"]) == (4, 2, 1)
    assert (by_section[section(db, "0201")]["answered"], by_section[section(db, "0201")]["absent"]) == (0, 1)
    by_employment = {g["key"]: g["absent"] for g in aggregates.groups(db, campaign, by="employment")}
    assert by_employment == {"regular": 1, "fiscal_year": 1}
    # An away person's row holds no answers, so no item counts them.
    assert sum(row["total"] for row in aggregates.item_table(db, campaign) if row["item"].no == 3) == 2


def test_council_report_editions_carry_the_absent_count(db, marked):
    campaign, _plan = marked
    data = council.report_data(db, campaign)
    assert data.absent == 2 and sum(g.absent for g in data.by_section) == 2
    fig = figures.publish(data)
    assert len(fig.sections.absent) == len(fig.sections.rows)
    # Sections of fewer than five people show no breakdown, absences included.
    assert all(text == "X" for g, text in zip(fig.sections.rows, fig.sections.absent) if g.people < 5)
    public = council.report_data(db, campaign, public=True, min_group=30)
    assert sum(g.absent for g in public.by_section) == 2


def test_dashboard_and_export_show_the_absent_column(client, login, marked):
    campaign, _plan = marked
    login("admin")
    page = client.get(f"/dashboard?campaign={campaign['id']}").get_data(as_text=True)
    assert page.count("不在（病休等）") >= 3 and "未回答" in page
    data = client.get(f"/exports/sections.csv?campaign={campaign['id']}").data.decode("utf-8-sig").splitlines()
    assert "不在（病休等）" in data[0]
    assert any(line.startswith("0201,市民課,1,0,1,") for line in data), data


def test_reimporting_with_answers_moves_a_person_from_absent_to_answered(db, marked):
    campaign, _plan = marked
    rows = [answers_row("000101") + [""], blank_row("000104", "育休"), answers_row("000105", s3="③") + [""],
            answers_row("000102") + [""]]
    plan = import_selfcheck(db, campaign, csv_bytes(HEADER, rows))
    assert plan.counts == {"new": 0, "changed": 1, "unchanged": 3, "absent": 1}
    summary = aggregates.summary(db, campaign)
    assert (summary["answered"], summary["absent"]) == (3, 1)


@pytest.mark.parametrize("row, message", [
    (blank_row("000101", "休み"), "s.csv:2: 状況: 「休み」は状況として読めません（病休・休職・育休・産休・長期研修・その他不在・空欄）。"),
    (answers_row("000101") + ["病休"], "s.csv:2: 状況: 「病休」の行に回答があります（1、2、3、4、5）。"),
])
def test_a_bad_status_rejects_the_file(db, city, row, message):
    with pytest.raises(ImportRejected) as caught:
        import_selfcheck(db, city, csv_bytes(HEADER, [row]), name="s.csv")
    assert caught.value.messages[0].startswith(message)
    assert db.execute("SELECT count(*) FROM selfcheck_responses").fetchone()[0] == 0


def test_english_status_header_and_person_page(client, login, db, city):
    header = SELFCHECK_HEADER + ["status"]
    import_selfcheck(db, city, csv_bytes(header, [blank_row("000101", "休職")]))
    login("admin")
    staff_id = db.execute("SELECT id FROM staff WHERE staff_no = '000101'").fetchone()[0]
    assert "状況: 休職（回答なし。未回答には数えません）" in client.get(f"/staff/{staff_id}").get_data(as_text=True)


def test_absent_people_are_left_out_of_the_draw_and_the_record_says_so(client, login, db, marked):
    campaign, _plan = marked
    login("auditor")
    form = {"campaign_id": campaign["id"], "pc_only": "1", "exclude_visited": "1"}
    response = client.post("/visits/draw", data=dict(form, section_id=section(db, "0201")))
    assert response.status_code == 302 and "/draws/" not in response.location  # only 000102, who is away
    assert db.execute("SELECT count(*) FROM draws").fetchone()[0] == 0
    response = client.post("/visits/draw", data=dict(form, section_id=section(db, "0101")))
    draw_id = int(response.location.split("/draws/")[1].split("?")[0])
    row = db.execute("SELECT pool, options FROM draws WHERE id = ?", [draw_id]).fetchone()
    away = db.execute("SELECT id FROM staff WHERE staff_no = '000104'").fetchone()[0]
    assert json.loads(row[1])["absent_excluded"] == [away]
    assert away not in [entry[0] for entry in json.loads(row[0])] and len(json.loads(row[0])) == 3
    page = client.get(f"/draws/{draw_id}").get_data(as_text=True)
    assert "不在（病休等）とされた 1 人は抽選の対象から除きました" in page and "田中 三郎" in page


def test_a_section_visit_counts_people_on_leave_apart_from_unsubmitted(db, marked, forms):
    from spotcheck import subjects
    from spotcheck.campaigns import pinned_selfcheck
    campaign, _plan = marked
    sheet = pinned_selfcheck(db, campaign)
    checklist = forms.section
    code = next(c.code for c in checklist.checks if any(no <= 20 for no in c.verifies))
    flags = {"uses_pc": True, "my_number": False, "outsourced": True}
    tallies = subjects.live_tallies(db, campaign["id"], section(db, "0101"), sheet, checklist, [code], flags)
    text = tallies[code][0].text
    # 総務課: 000101 and 000105 answered, 000104 is on leave, 000106 sent nothing.
    assert "未提出 1人" in text and "不在（病休等） 1人" in text, text
