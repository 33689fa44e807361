"""The interview (聞き取り) on the tablet: after the checks, each drawn question is read aloud and judged with one
tap on 正答 or 誤答 (≥ 44 px), saved through the walk's outbox; the record shows each question and its verdict.

Runs on test_visit's city (情報政策課 0401, My Number work) with three questions per visit."""
import time
from contextlib import closing

import pytest
from playwright.sync_api import expect

from spotcheck import interview
from tests.browser.test_visit import all_ok, applicable_codes, seed_visit, visit_city  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

PERSON = "000201"


@pytest.fixture
def city(visit_city):  # noqa: F811 (the imported fixture)
    visit_city.app.config["INTERVIEW_QUESTIONS"] = 3
    yield visit_city
    visit_city.app.config["INTERVIEW_QUESTIONS"] = 0


def test_interview_questions_are_judged_with_one_tap_each(open_page, city, log_in, screenshot, browser_errors):
    checks = applicable_codes(city, PERSON)
    visit_id = seed_visit(city, PERSON, results=all_ok(city, PERSON))
    page = open_page(city)
    log_in(page, "auditor")
    page.goto(f"/visits/{visit_id}#step-{len(checks) + 1}")
    with closing(city.db()) as db:
        asked = interview.asked(db, visit_id)
    assert len(asked) == 3
    total = len(checks) + len(asked)
    verdicts = ["correct", "wrong", "correct"]
    for number, (question, verdict) in enumerate(zip(asked, verdicts), start=len(checks) + 1):
        step = page.locator("section.step:not([hidden])")
        assert step.get_attribute("data-question") == question.question.code
        expect(page.locator(".step-count")).to_have_text(f"{number} / {total}")
        expect(step.locator(".read-aloud")).to_have_text(question.question.question)
        expect(step.locator(".model-answer")).to_contain_text(question.question.answer)
        for button in step.locator("[data-answer-code]").all():
            box = button.bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44
        if number == len(checks) + 1:
            screenshot(page, "interview-01-question")
        time.sleep(0.45)  # a person's pace: the tap comes after the question has settled
        label = "正答" if verdict == "correct" else "誤答"
        step.get_by_role("button", name=label).tap()
        if number == len(checks) + 2:
            screenshot(page, "interview-02-after-wrong")
    expect(page.locator("section.summary")).to_be_visible()
    for question, verdict in zip(asked, verdicts):  # まとめ lists each question with its verdict
        expect(page.locator(f'[data-summary-question="{question.question.code}"] [data-summary-answer]')).to_have_text(
            "正答" if verdict == "correct" else "誤答")
    screenshot(page, "interview-04-summary")
    expect(page.locator("[data-sync]")).to_have_text("保存済み")
    with closing(city.db()) as db:
        assert [a.answer for a in interview.asked(db, visit_id)] == verdicts
        assert interview.verify(db, visit_id)[0]
    # Back to the wrong answer: it shows as chosen after a reload too.
    page.goto(f"/visits/{visit_id}#step-{len(checks) + 2}")
    expect(page.locator("section.step:not([hidden])").get_by_role("button", name="誤答")).to_have_attribute(
        "aria-pressed", "true")
    screenshot(page, "interview-03-wrong-chosen")
    assert not browser_errors
