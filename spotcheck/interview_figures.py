"""What the on-site interviews (聞き取り) found: answers per self-check item, and the 知識不足 follow-ups they opened."""
from dataclasses import dataclass

from . import interview_bank
from .campaigns import _pinned, pinned_selfcheck


@dataclass(frozen=True)
class ItemAnswers:
    """The questions asked about one self-check item across the campaign's signed visits."""

    item_no: int
    topic: str
    asked: int
    wrong: int


@dataclass(frozen=True)
class InterviewFigures:
    """A campaign's interviews: how many people were asked, what they got wrong, and what followed."""

    people: int  # signed visits that had an interview
    asked: int
    wrong: int
    people_wrong: int  # people with at least one wrong answer (知識不足)
    followups_open: int
    followups_closed: int  # closed: passed a later test
    by_item: tuple[ItemAnswers, ...]


_ANSWERS = """
    SELECT a.visit_id, i.bank_digest, a.question_code, a.answer
      FROM interview_answers a JOIN visit_interviews i ON i.visit_id = a.visit_id JOIN visits v ON v.id = a.visit_id
     WHERE v.campaign_id = ? AND v.status = 'locked' AND a.answer <> ''
       AND NOT EXISTS (SELECT 1 FROM visits n WHERE n.supersedes_id = v.id)"""


def figures(db, campaign) -> InterviewFigures | None:
    """The campaign's interview figures, or None when no signed visit had an answered interview."""
    rows = db.execute(_ANSWERS, [campaign["id"]]).fetchall()
    if not rows:
        return None
    banks = {digest: _pinned(db, digest, interview_bank.from_dict) for digest in {row[1] for row in rows}}
    asked: dict[int, int] = {}
    wrong: dict[int, int] = {}
    for _visit, digest, code, answer in rows:
        for no in banks[digest].question(code).covers:
            asked[no] = asked.get(no, 0) + 1
            wrong[no] = wrong.get(no, 0) + (answer == "wrong")
    sheet = pinned_selfcheck(db, campaign)
    states = dict(db.execute(
        "SELECT state = 'closed', count(*) FROM followups WHERE campaign_id = ? AND kind = 'knowledge'"
        " AND state <> 'withdrawn' GROUP BY 1", [campaign["id"]]).fetchall())
    return InterviewFigures(
        people=len({row[0] for row in rows}), asked=len(rows), wrong=sum(row[3] == "wrong" for row in rows),
        people_wrong=len({row[0] for row in rows if row[3] == "wrong"}),
        followups_open=states.get(0, 0), followups_closed=states.get(1, 0),
        by_item=tuple(ItemAnswers(no, sheet.item(no).topic, asked[no], wrong[no]) for no in sorted(asked)),
    )
