"""Knowledge checks on site (聞き取り): the campaign's pinned question bank and the provable draw of a visit's questions.

The questions are drawn like the person: draw.pick over the applicable questions (ids are their
places in the pinned bank, weight 1) with a fresh seed, then again over those not yet drawn, so the
same seed and pool always give the same questions in the same order. The draw is a `draws` row of
kind 'interview' plus its audit entry, so `verify` can recompute it and notice any rewritten row.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext

from . import audit, calendar_days, checklists, draw, interview_bank
from .campaigns import _pinned, get_campaign, pinned_selfcheck
from .clock import now_iso
from .interview_bank import InterviewBank, Question
from .sqlite import immediate

KIND = "interview"
ANSWERS = ("correct", "wrong")
ANSWER_LABELS = {"correct": "正答", "wrong": "誤答", "": "未実施"}
KNOWLEDGE_GAP = "knowledge_gap"  # the finding class of a wrong answer
CLASS_LABELS = {KNOWLEDGE_GAP: "知識不足"}
COMPLETION = "後日の確認テスト（理解度テスト）に合格した時点で完了とします。"
CODE_PREFIX = "interview:"  # follow-ups of questions are keyed apart from check codes


@dataclass(frozen=True)
class Asked:
    """One drawn question of a visit and the auditor's verdict ('' until tapped)."""

    position: int
    question: Question
    answer: str

    @property
    def label(self) -> str:
        return ANSWER_LABELS[self.answer]

    @property
    def wrong(self) -> bool:
        return self.answer == "wrong"


def pinned_bank(db, campaign_id, bank: InterviewBank) -> tuple[str, InterviewBank]:
    """(digest, bank) the campaign uses: its pinned copy, or `bank` pinned now for a campaign that has none yet."""
    row = get_campaign(db, campaign_id=campaign_id)
    if row["interview_digest"]:
        return row["interview_digest"], _pinned(db, row["interview_digest"], interview_bank.from_dict)
    digest = pin(db, campaign_id, bank)
    return digest, bank


def pin(db, campaign_id, bank: InterviewBank) -> str:
    """Keep this bank as the campaign's (only when it has none); returns the campaign's digest."""
    digest = checklists.digest(bank)
    db.execute("INSERT OR IGNORE INTO checklists (digest, kind, version, body, created_at) VALUES (?, ?, ?, ?, ?)",
               [digest, KIND, bank.version, json.dumps(checklists.to_dict(bank), ensure_ascii=False), now_iso()])
    db.execute("UPDATE campaigns SET interview_digest = ? WHERE id = ? AND interview_digest IS NULL",
               [digest, campaign_id])
    return db.execute("SELECT interview_digest FROM campaigns WHERE id = ?", [campaign_id]).fetchone()[0]


def pick_questions(pool, seed, count) -> list[int]:
    """Ids of `count` questions drawn in order: each one draw.pick over those not yet drawn."""
    remaining, chosen = list(pool), []
    while remaining and len(chosen) < count:
        chosen.append(draw.pick(remaining, seed))
        remaining = [c for c in remaining if c.id != chosen[-1]]
    return chosen


def draw_questions(db, visit_id, *, bank: InterviewBank, count: int, user_id: int) -> tuple[Asked, ...]:
    """The visit's questions, drawn on first call and fixed after; a correction keeps the signed version's."""
    with immediate(db):
        if not db.execute("SELECT 1 FROM visit_interviews WHERE visit_id = ?", [visit_id]).fetchone():
            visit = next(iter(db.query("SELECT * FROM visits WHERE id = ?", [visit_id])), None)
            if visit and visit["status"] == "open" and visit["staff_id"] is not None:
                if visit["supersedes_id"]:
                    _carry(db, visit["supersedes_id"], visit_id)
                elif count > 0:
                    _draw(db, visit, bank, count, user_id)
    return asked(db, visit_id)


def _draw(db, visit, bank, count, user_id):
    digest, bank = pinned_bank(db, visit["campaign_id"], bank)
    sheet = pinned_selfcheck(db, get_campaign(db, campaign_id=visit["campaign_id"]))
    scope = json.loads(visit["scope"]) if visit["scope"] else {}
    flags = {key: bool(scope.get(key, key == "uses_pc")) for key in ("uses_pc", "my_number", "outsourced")}
    applicable = {q.code for q in bank.applicable(sheet.group_of, **flags)}
    pool = [draw.Candidate(place, 1, (q.code,)) for place, q in enumerate(bank.questions, start=1)
            if q.code in applicable]
    if not pool:
        return
    seed = secrets.token_hex(16)
    chosen = pick_questions(pool, seed, count)
    codes = [bank.questions[place - 1].code for place in chosen]
    record = {
        "campaign_id": visit["campaign_id"], "kind": KIND, "section_id": visit["section_id"],
        "pool": json.dumps([[c.id, c.weight, list(c.reasons)] for c in pool], ensure_ascii=False),
        "pool_digest": draw.pool_digest(pool), "seed": seed, "method": draw.METHOD,
        "options": json.dumps({"visit_id": visit["id"], "count": count, "bank_digest": digest, "chosen": chosen},
                              sort_keys=True),
        "chosen_id": chosen[0], "drawn_by": user_id, "drawn_at": now_iso(),
    }
    draw_id = db["draws"].insert(record).last_pk
    audit.record(db, user_id=user_id, action="draw", entity="draw", entity_id=draw_id,
                 after={k: record[k] for k in ("pool_digest", "seed", "method", "chosen_id", "kind")}
                 | {"chosen": chosen, "visit_id": visit["id"]})
    db["visit_interviews"].insert({"visit_id": visit["id"], "draw_id": draw_id, "bank_digest": digest,
                                   "created_at": now_iso()})
    for position, code in enumerate(codes, start=1):
        db["interview_answers"].insert({"visit_id": visit["id"], "position": position, "question_code": code})
    audit.record(db, user_id=user_id, action="draw_interview", entity="visit", entity_id=visit["id"],
                 after={"draw_id": draw_id, "questions": codes})


def _carry(db, signed_id, visit_id):
    """A correction asks nothing new: the signed version's questions and verdicts are its starting point."""
    row = db.execute("SELECT draw_id, bank_digest FROM visit_interviews WHERE visit_id = ?", [signed_id]).fetchone()
    if row is None:
        return
    db["visit_interviews"].insert({"visit_id": visit_id, "draw_id": row[0], "bank_digest": row[1],
                                   "created_at": now_iso()})
    db.execute("INSERT INTO interview_answers (visit_id, position, question_code, answer, answer_changed_at,"
               " updated_at, updated_by) SELECT ?, position, question_code, answer, answer_changed_at, updated_at,"
               " updated_by FROM interview_answers WHERE visit_id = ?", [visit_id, signed_id])


def asked(db, visit_id) -> tuple[Asked, ...]:
    """The visit's drawn questions with their verdicts, in the order drawn (empty when it had no interview)."""
    row = db.execute("SELECT bank_digest FROM visit_interviews WHERE visit_id = ?", [visit_id]).fetchone()
    if row is None:
        return ()
    bank = _pinned(db, row[0], interview_bank.from_dict)
    return tuple(Asked(position, bank.question(code), answer) for position, code, answer in db.execute(
        "SELECT position, question_code, answer FROM interview_answers WHERE visit_id = ? ORDER BY position",
        [visit_id]))


def content(db, visit_id) -> list[list[str]]:
    """What the sheet's digest covers of the interview: [question code, verdict] in the order asked."""
    return [[a.question.code, a.answer] for a in asked(db, visit_id)]


def verify(db, visit_id) -> tuple[bool, list[str]]:
    """Recompute the visit's question draw from its record; (ok, findings in the request's language)."""
    row = db.execute("SELECT draw_id, bank_digest FROM visit_interviews WHERE visit_id = ?", [visit_id]).fetchone()
    if row is None:
        return False, [gettext("この実地監査には聞き取りの抽選記録がありません。")]
    ok, problems = draw.verify(db, row[0])
    problems = [] if ok else problems
    drawn = draw.get_draw(db, row[0])
    options = json.loads(drawn["options"])
    bank = _pinned(db, row[1], interview_bank.from_dict)
    recomputed = pick_questions(drawn["candidates"], drawn["seed"], options.get("count", 0))
    stored = [code for (code,) in db.execute(
        "SELECT question_code FROM interview_answers WHERE visit_id = ? ORDER BY position", [visit_id])]
    pool_codes = {c.id: (c.reasons[0] if c.reasons else None) for c in drawn["candidates"]}
    if drawn["kind"] != KIND or options.get("visit_id") != _root(db, visit_id) or options.get("bank_digest") != row[1]:
        problems.append(gettext("抽選記録がこの実地監査の聞き取りの抽選ではありません。"))
    if any(place > len(bank.questions) or bank.questions[place - 1].code != code for place, code in pool_codes.items()):
        problems.append(gettext("抽選母集団の質問が、キャンペーンの質問集と一致しません。"))
    if recomputed != options.get("chosen") or [pool_codes.get(place) for place in recomputed] != stored:
        problems.append(gettext("出題された質問が、記録から再計算した結果と一致しません。"))
    logged = [json.loads(e["after"]) for e in audit.entries(db, "draw", row[0]) if e["action"] == "draw"]
    if not logged or logged[0].get("chosen") != recomputed:
        problems.append(gettext("抽選記録が監査ログの記録と一致しません。"))
    if problems:
        return False, list(dict.fromkeys(problems))
    return True, [gettext("聞き取りの抽選記録は正しく、再計算した結果と一致します。")]


def _root(db, visit_id):
    """The visit a correction descends from: the one whose interview was drawn."""
    while True:
        row = db.execute("SELECT supersedes_id FROM visits WHERE id = ?", [visit_id]).fetchone()
        if row is None or row[0] is None:
            return visit_id
        visit_id = row[0]


def open_followups(db, signed, due_days):
    """A 知識不足 follow-up for each wrong answer of a locked visit (record.VisitRecord); a correction carries them."""
    locked_on = date.fromisoformat(signed.locked_at[:10])
    carried = {}
    if signed.supersedes_id:
        carried = {row["check_code"]: row for row in db.query(
            "SELECT * FROM followups WHERE visit_id = ? AND kind = 'knowledge'", [signed.supersedes_id])}
    stamp = now_iso()
    wrong = {CODE_PREFIX + a.question.code: a for a in asked(db, signed.id) if a.wrong}
    for code, answer in wrong.items():
        fields = {"visit_id": signed.id, "severity": "nonconformity", "finding": finding_text(answer),
                  "check_title": title(answer), "employment": signed.subject.employment, "updated_at": stamp}
        if code in carried:
            db["followups"].update(carried[code]["id"], fields)
            continue
        followup_id = db["followups"].insert(dict(
            fields, campaign_id=signed.campaign_id, section_id=signed.section_id, staff_id=signed.staff_id,
            check_code=code, kind="knowledge", state="open", created_at=stamp,
            due_on=calendar_days.due_date(locked_on, due_days["nonconformity"]).isoformat(),
        )).last_pk
        audit.record(db, user_id=None, action="open", entity="followup", entity_id=followup_id,
                     after={"visit_id": signed.id, "check": code, "class": KNOWLEDGE_GAP})
    for code, row in carried.items():
        if code not in wrong and row["state"] != "withdrawn":
            db["followups"].update(row["id"], {"state": "withdrawn", "updated_at": stamp})
            audit.record(db, user_id=None, action="withdraw", entity="followup", entity_id=row["id"],
                         before={"state": row["state"]}, after={"state": "withdrawn", "amended_by": signed.id})


def title(answer: Asked) -> str:
    """The follow-up's heading: the finding class and the self-check items the question tests."""
    items = "・".join(f"No.{no}" for no in answer.question.covers)
    return f"{CLASS_LABELS[KNOWLEDGE_GAP]}（聞き取り {items}）"


def finding_text(answer: Asked) -> str:
    """What the follow-up states: the question not answered right, and how it is completed."""
    return f"質問「{answer.question.question}」に正答できなかった。{COMPLETION}"
