"""Absence markers (状況): people on leave who could not answer the self-check, kept apart from 未回答.

A marked row has no answers. The person counts as 不在 in every table, never as 未回答, and is left
out of the person draw of that campaign (the draw record names who was left out and why).
"""
from .tabular import normalize

# Code → the word the city's file uses (formats.md §3); blank is present.
REASONS = {
    "sick_leave": "病休",
    "leave_of_absence": "休職",
    "childcare_leave": "育休",
    "maternity_leave": "産休",
    "long_training": "長期研修",
    "other": "その他不在",
}
_BY_WORD = {word: code for code, word in REASONS.items()}
_ALIASES = {"病気休暇": "sick_leave", "育児休業": "childcare_leave", "産前産後休暇": "maternity_leave",
            "産休・育休": "childcare_leave", "研修": "long_training", "不在": "other"}
PRESENT_WORDS = {"", "在籍", "在職", "出勤"}
ALLOWED = "・".join(REASONS.values())


def parse(value):
    """A status cell → (True, code or None for present) or (False, None) when it is not a known word."""
    word = normalize(value).replace(" ", "")
    if word in PRESENT_WORDS:
        return True, None
    code = _BY_WORD.get(word) or _ALIASES.get(word) or (word.lower() if word.lower() in REASONS else None)
    return (code is not None), code


def absent_staff(db, campaign_id, staff_ids=None):
    """{staff_id: reason code} of the people the campaign's self-check marks absent (optionally among staff_ids)."""
    rows = db.execute("SELECT staff_id, absence FROM selfcheck_responses WHERE campaign_id = ? AND absence IS NOT NULL",
                      [campaign_id])
    wanted = None if staff_ids is None else set(staff_ids)
    return {staff_id: code for staff_id, code in rows if wanted is None or staff_id in wanted}


def without_absent(db, campaign_id, pool):
    """The draw pool without the people marked absent, and the ids left out (for the draw record's options)."""
    absent = absent_staff(db, campaign_id, [c.id for c in pool])
    return [c for c in pool if c.id not in absent], sorted(absent)
