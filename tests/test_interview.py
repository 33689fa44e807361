"""Knowledge checks on site (聞き取り): the question bank, the re-computable draw, 正答/誤答, 知識不足 and its follow-up."""
import hashlib
import shutil
from pathlib import Path

import pytest

from spotcheck import draw, followups, interview, interview_bank, interview_figures, issuance, record
from spotcheck.checklists import validate_forms
from spotcheck.interview_answers import save_answer
from spotcheck.visits import VisitError
from tests.factories import PASSWORD, fill_all, sign_both, soon
from tests.system import poppler
from tests.test_checklists import header_line, set_key

FORMS = Path(__file__).resolve().parent.parent / "forms"


@pytest.fixture
def bank_copy(tmp_path):
    copy = tmp_path / "forms"
    shutil.copytree(FORMS, copy)
    return copy


def drawn(db, forms, visit, count=3):
    return interview.draw_questions(db, visit["id"], bank=forms.interview, count=count, user_id=visit["auditor"])


def answer(db, visit, question, value, at=None, key=None):
    key = key or hashlib.sha256(f"{visit['id']}{question}{value}{at}".encode()).hexdigest()[:32]
    return save_answer(db, visit["id"], visit["auditor"], key=key,
                       question=question, value=value, changed_at=at or soon())


# ---------------------------------------------------------------- the bank


def test_shipped_bank_covers_the_knowledge_items_with_several_questions_each(forms):
    covered = {}
    for question in forms.interview.questions:
        for no in question.covers:
            covered[no] = covered.get(no, 0) + 1
    for no in (1, 2, 8, 10, 12, 15, 16, 20, 21, 25, 27):
        assert covered.get(no, 0) >= 2, no
    assert all(q.question.strip() and q.answer.strip() for q in forms.interview.questions)


def test_bank_errors_name_file_and_line(bank_copy):
    path = bank_copy / "interview.toml"
    dup = set_key(path, "question", 1, "code", '"policy_where"')
    out_of_range = set_key(path, "question", 2, "covers", "[1, 36]")
    empty = set_key(path, "question", 3, "covers", "[]")
    bad_code = set_key(path, "question", 4, "code", '"Private-Use"')
    assert validate_forms(bank_copy) == [
        f'{path}:{dup}: code = "policy_where" が他の質問と重複しています',
        f"{path}:{out_of_range}: covers の 36 はセルフチェックの項目番号（1〜35）にありません",
        f"{path}:{empty}: covers が空です（確かめるセルフチェックの項目番号を書いてください）",
        f'{path}:{bad_code}: code = "Private-Use" は英小文字・数字・_ だけの snake_case で書いてください（例 "internet_rules"）',
    ]


def test_bank_missing_answer_and_unknown_key_are_reported(bank_copy):
    path = bank_copy / "interview.toml"
    lines = path.read_text(encoding="utf-8").split("\n")
    n = next(n for n, line in enumerate(lines) if line.startswith("answer ="))
    lines[n] = lines[n].replace("answer =", "anwser =")
    path.write_text("\n".join(lines), encoding="utf-8")
    assert validate_forms(bank_copy) == [
        f"{path}:{header_line(path, 'question', 0)}: answer がありません",
        f"{path}:{n + 1}: 不明なキー anwser があります（書き間違いではありませんか）",
    ]


def test_missing_bank_file_is_reported(bank_copy):
    (bank_copy / "interview.toml").unlink()
    assert validate_forms(bank_copy) == [f"{bank_copy / 'interview.toml'}: ファイルが見つかりません"]


# ---------------------------------------------------------------- the draw


def test_same_seed_and_pool_give_the_same_questions_in_the_same_order():
    pool = [draw.Candidate(i, 1, (f"q{i}",)) for i in range(1, 27)]
    first = interview.pick_questions(pool, "seed-a", 3)
    assert first == interview.pick_questions(list(reversed(pool)), "seed-a", 3)
    assert len(set(first)) == 3
    assert interview.pick_questions(pool, "seed-a", 5)[:3] == first  # one question at a time
    assert any(interview.pick_questions(pool, f"seed-{n}", 3) != first for n in range(5))
    assert sorted(interview.pick_questions(pool[:2], "seed-a", 3)) == [1, 2]  # never more than the pool


def test_visit_draws_once_and_the_record_recomputes(db, forms, visit):
    asked = drawn(db, forms, visit)
    assert len(asked) == 3 and len({a.question.code for a in asked}) == 3
    assert drawn(db, forms, visit) == asked  # a reload never draws again
    ok, findings = interview.verify(db, visit["id"])
    assert ok, findings
    # Whoever verifies recomputes the same questions from the stored seed and pool alone.
    row = draw.get_draw(db, db.execute("SELECT draw_id FROM visit_interviews WHERE visit_id = ?",
                                       [visit["id"]]).fetchone()[0])
    again = interview.pick_questions(row["candidates"], row["seed"], 3)
    assert [row["candidates"][[c.id for c in row["candidates"]].index(i)].reasons[0] for i in again] == \
        [a.question.code for a in asked]
    assert draw.verify(db, row["id"])[0]


def test_tampered_seed_or_question_is_detected(db, forms, visit):
    asked = drawn(db, forms, visit)
    draw_id = db.execute("SELECT draw_id FROM visit_interviews WHERE visit_id = ?", [visit["id"]]).fetchone()[0]
    db.execute("UPDATE draws SET seed = ? WHERE id = ?", ["0" * 32, draw_id])
    ok, findings = interview.verify(db, visit["id"])
    assert not ok
    assert "出題された質問が、記録から再計算した結果と一致しません。" in findings or \
        "抽選記録が監査ログの記録と一致しません。" in findings


def test_swapped_question_is_detected(db, forms, visit):
    asked = drawn(db, forms, visit)
    other = next(q.code for q in forms.interview.questions if q.code not in {a.question.code for a in asked}
                 and all(no <= 20 for no in q.covers))
    db.execute("DROP TRIGGER interview_answers_locked_update")  # someone editing the database file directly
    db.execute("UPDATE interview_answers SET question_code = ? WHERE visit_id = ? AND position = 1",
               [other, visit["id"]])
    ok, findings = interview.verify(db, visit["id"])
    assert not ok and "出題された質問が、記録から再計算した結果と一致しません。" in findings


def test_questions_on_my_number_items_only_for_my_number_sections(db, forms, city, make_user):
    from spotcheck import visits as visit_domain
    auditor = make_user("auditor")
    seen = {}
    for staff_no in ("000101", "000102"):  # 総務課 (no My Number), 市民課 (My Number)
        staff_id = db.execute("SELECT id FROM staff WHERE staff_no = ?", [staff_no]).fetchone()[0]
        visit_id = visit_domain.start_visit(db, campaign_id=city["id"], staff_id=staff_id, auditor_id=auditor,
                                            reason="聞き取りの確認")
        interview.draw_questions(db, visit_id, bank=forms.interview, count=26, user_id=auditor)
        seen[staff_no] = {no for a in interview.asked(db, visit_id) for no in a.question.covers}
    assert not seen["000101"] & {21, 25, 27}
    assert {21, 25, 27} <= seen["000102"]


def test_campaign_pins_its_bank_and_an_older_campaign_pins_on_first_use(db, forms, visit, city):
    db.execute("UPDATE campaigns SET interview_digest = NULL WHERE id = ?", [city["id"]])  # made before 0018
    edited = interview_bank.InterviewBank("2099.1", "改訂", forms.interview.questions[:3])
    asked = interview.draw_questions(db, visit["id"], bank=edited, count=3, user_id=visit["auditor"])
    assert {a.question.code for a in asked} <= {q.code for q in edited.questions}
    digest, pinned = interview.pinned_bank(db, city["id"], forms.interview)  # later visits keep the pinned one
    assert pinned == edited and digest == db.execute("SELECT interview_digest FROM campaigns WHERE id = ?",
                                                     [city["id"]]).fetchone()[0]


# ---------------------------------------------------------------- answers, sheet and follow-up


def test_answers_are_saved_once_and_a_later_one_wins(db, forms, visit):
    codes = [a.question.code for a in drawn(db, forms, visit)]
    first = answer(db, visit, codes[0], "wrong", at=soon(10), key="k" * 20)
    assert first["applied"] and answer(db, visit, codes[0], "wrong", at=soon(10), key="k" * 20) == first
    assert not answer(db, visit, codes[0], "correct", at=soon(5))["applied"]  # older: loses
    assert answer(db, visit, codes[0], "correct", at=soon(20))["applied"]
    assert interview.asked(db, visit["id"])[0].answer == "correct"
    with pytest.raises(VisitError, match="正答」か「誤答"):
        answer(db, visit, codes[1], "maybe")
    with pytest.raises(VisitError, match="出題していない質問"):
        answer(db, visit, "no_such_question", "correct")


def test_wrong_answer_is_knowledge_gap_with_a_followup_and_on_the_sheet(app, client, login, db, forms, visit, tmp_path):
    codes = [a.question.code for a in drawn(db, forms, visit)]
    answer(db, visit, codes[0], "correct")
    answer(db, visit, codes[1], "wrong")
    answer(db, visit, codes[2], "correct")
    fill_all(db, visit)
    sign_both(db, visit)
    rows = followups.listing(db, staff_id=db.execute("SELECT staff_id FROM visits WHERE id = ?",
                                                     [visit["id"]]).fetchone()[0])
    gap = [r for r in rows if r["kind"] == "knowledge"]
    assert len(gap) == 1 and gap[0]["check_code"] == "interview:" + codes[1]
    assert gap[0]["check_title"].startswith("知識不足") and "確認テスト" in gap[0]["finding"]
    assert "合格" in gap[0]["finding"]
    # The sheet's digest covers the answers, and the sheet prints each question with its verdict.
    assert record.content(db, record.load(db, visit["id"]))["interview"] == [
        [codes[0], "correct"], [codes[1], "wrong"], [codes[2], "correct"]]
    serial = issuance.get_sheet(db, visit_id=visit["id"])["serial"]
    assert issuance.status(db, serial)["state"] == issuance.VALID
    db.execute("DROP TRIGGER interview_answers_locked_update")  # the database file edited by hand
    db.execute("UPDATE interview_answers SET answer = 'correct' WHERE visit_id = ?", [visit["id"]])
    assert issuance.status(db, serial)["state"] == issuance.ALTERED
    db.execute("UPDATE interview_answers SET answer = 'wrong' WHERE visit_id = ? AND position = 2", [visit["id"]])
    login("auditor", "auditor-2")
    path = tmp_path / "sheet.pdf"
    path.write_bytes(client.get(f"/visits/{visit['id']}/sheet.pdf").data)
    text = "".join(poppler("pdftotext", "-enc", "UTF-8", str(path), "-").decode("utf-8").split())
    assert "聞き取り（知識の確認）" in text and "知識不足" in text
    assert text.count("正答") >= 2 and "誤答" in text
    assert "".join(forms.interview.question(codes[1]).question.split())[:12] in text


def test_correction_keeps_the_questions_and_withdraws_a_corrected_gap(db, forms, visit):
    from spotcheck import visits as visit_domain
    codes = [a.question.code for a in drawn(db, forms, visit)]
    for code in codes:
        answer(db, visit, code, "wrong" if code == codes[0] else "correct")
    fill_all(db, visit)
    sign_both(db, visit)
    new_id = visit_domain.amend(db, visit["id"], visit["auditor"], "判定の誤り")
    corrected = {"id": new_id, "auditor": visit["auditor"]}
    assert [a.question.code for a in drawn(db, forms, corrected)] == codes
    assert interview.verify(db, new_id)[0]
    answer(db, corrected, codes[0], "correct", at=soon(300))
    sign_both(db, corrected)
    row = db.execute("SELECT state FROM followups WHERE kind = 'knowledge'").fetchall()
    assert row == [("withdrawn",)]


def test_locked_answers_cannot_change(db, forms, visit):
    codes = [a.question.code for a in drawn(db, forms, visit)]
    fill_all(db, visit)
    sign_both(db, visit)
    with pytest.raises(VisitError):
        answer(db, visit, codes[0], "wrong")
    with pytest.raises(Exception, match="locked"):
        db.execute("UPDATE interview_answers SET answer = 'wrong' WHERE visit_id = ?", [visit["id"]])


def test_walk_draws_the_questions_and_the_tablet_saves_a_verdict(client, db, visit):
    client.post("/login", data={"username": "auditor-user", "password": PASSWORD})
    page = client.get(f"/visits/{visit['id']}").get_data(as_text=True)
    asked = interview.asked(db, visit["id"])
    assert len(asked) == 3 and "正答の要点（監査員だけが見ます）" in page
    assert all(a.question.question in page for a in asked)
    url = f"/visits/{visit['id']}/interview-answers"
    body = {"key": "t" * 20, "question": asked[0].question.code, "value": "wrong", "changed_at": soon()}
    assert client.post(url, json=body).get_json() == {"saved": True, "applied": True, "key": "t" * 20}
    assert client.post(url, json=body).get_json()["applied"]  # resent by the outbox: the same answer
    assert client.post(url, json=dict(body, key="u" * 20, value="")).status_code == 422
    assert interview.asked(db, visit["id"])[0].answer == "wrong"
    sign_page = client.get(f"/visits/{visit['id']}/sign").get_data(as_text=True)  # the person sees it before signing
    assert "聞き取り（知識の確認）" in sign_page and asked[0].question.question in sign_page and "知識不足" in sign_page
    draw_page = client.get(f"/visits/{visit['id']}/interview-draw").get_data(as_text=True)
    assert "聞き取りの抽選記録は正しく、再計算した結果と一致します。" in draw_page


def test_verify_interview_command(runner, db, forms, visit):
    drawn(db, forms, visit)
    result = runner.invoke(args=["verify-interview", str(visit["id"])])
    assert result.exit_code == 0 and "再計算した結果と一致します" in result.output
    db.execute("UPDATE draws SET seed = ? WHERE kind = 'interview'", ["1" * 32])
    result = runner.invoke(args=["verify-interview", str(visit["id"])])
    assert result.exit_code != 0 and "検証に失敗しました" in result.output


def test_demo_visits_have_interviews_and_knowledge_gaps(runner, db):
    assert runner.invoke(args=["demo"]).exit_code == 0
    visits_with = db.execute("SELECT count(*) FROM visit_interviews").fetchone()[0]
    assert visits_with == 40 + 12  # R6's person visits and the year before's (demo_years.py)
    assert db.execute("SELECT count(*) FROM interview_answers WHERE answer = ''").fetchone()[0] == 0
    gaps = db.execute("SELECT count(*) FROM followups WHERE kind = 'knowledge'").fetchone()[0]
    wrong = db.execute("SELECT count(*) FROM interview_answers WHERE answer = 'wrong'").fetchone()[0]
    assert gaps == wrong > 0
    visit_id = db.execute("SELECT visit_id FROM visit_interviews ORDER BY visit_id LIMIT 1").fetchone()[0]
    assert runner.invoke(args=["verify-interview", str(visit_id)]).exit_code == 0


def test_council_figures_count_questions_per_item_and_the_gaps_they_opened(db, forms, visit, city):
    codes = [a.question.code for a in drawn(db, forms, visit)]
    answer(db, visit, codes[0], "correct")
    answer(db, visit, codes[1], "wrong")
    answer(db, visit, codes[2], "correct")
    assert interview_figures.figures(db, city) is None  # not signed yet: nothing to report
    fill_all(db, visit)
    sign_both(db, visit)
    found = interview_figures.figures(db, city)
    assert (found.people, found.asked, found.wrong, found.people_wrong) == (1, 3, 1, 1)
    assert (found.followups_open, found.followups_closed) == (1, 0)
    # Hand count: each question counts once under every item it covers.
    expected = {}
    for position, code in enumerate(codes):
        for no in forms.interview.question(code).covers:
            asked, wrong = expected.get(no, (0, 0))
            expected[no] = (asked + 1, wrong + (position == 1))
    assert {i.item_no: (i.asked, i.wrong) for i in found.by_item} == expected
    assert [i.item_no for i in found.by_item] == sorted(expected)
