"""Demo interviews: each demo visit asks its drawn questions and some are answered wrong (知識不足), as on site."""
import hashlib

from . import interview
from .campaigns import get_campaign
from .interview_answers import save_answer

WRONG_SHARE = 0.15  # about one person in seven misses a question: enough 知識不足 follow-ups to show
QUESTIONS = 3  # as the INTERVIEW_QUESTIONS default


def answer_questions(db, rng, visit_id, auditor):
    """Draw the visit's questions from the campaign's pinned bank and record a verdict on each."""
    campaign_id = db.execute("SELECT campaign_id FROM visits WHERE id = ?", [visit_id]).fetchone()[0]
    if not get_campaign(db, campaign_id=campaign_id)["interview_digest"]:
        return  # a campaign made before interviews existed: its demo visits stay as they were
    bank = interview.pinned_bank(db, campaign_id, None)[1]
    for asked in interview.draw_questions(db, visit_id, bank=bank, count=QUESTIONS, user_id=auditor):
        verdict = "wrong" if rng.random() < WRONG_SHARE else "correct"
        key = hashlib.sha256(f"demo-interview:{visit_id}:{asked.question.code}".encode()).hexdigest()[:32]
        save_answer(db, visit_id, auditor, key=key, question=asked.question.code, value=verdict, changed_at=None)
