"""The fair, provable draw of whom (or which section) to visit.

The pick is a pure function of the pool and a random seed: SHA-256 of "seed:pool digest" is read
as a number and mapped onto the cumulative weights of the pool sorted by id. The stored record
(pool with weights, digest, seed, method) lets anyone recompute the pick later; the same facts go
to the append-only audit log, so a rewritten draws row no longer matches its log entry.
"""
import hashlib
import json
import secrets
from dataclasses import dataclass

from flask_babel import gettext, lazy_gettext as _

from . import audit, carryover, followups
from .campaigns import get_campaign, pinned_selfcheck
from .clock import now_iso
from .sqlite import immediate

METHOD = "sha256-weighted-v1"
WEIGHT_LABELS = {
    "base": "基本",
    "not_done": "③（できていない）・C・D の回答あり",
    "unanswered": "未回答・未提出あり",
    "fiscal_year": "会計年度任用職員",
    "my_number": "特定個人情報を扱う所属",
    # Section and contract draws (subject_draw.py):
    "outsourced": "業務委託システムのある所属",
    "findings": "前回のキャンペーンで指摘あり",
    "personal_data": "個人情報の取扱いあり",
    "subcontracting": "再委託あり",
    "my_number_system": "特定個人情報を扱う所属のシステム",
    # Learned from earlier campaigns (staff and section draws):
    "over_reported": "前回のキャンペーンで過大申告（乖離）あり",
    "open_findings": "前年度以前の指摘が未完了",
}


class DrawError(ValueError):
    """A user-facing reason why no draw could be made (Japanese, or the language of the request that shows it)."""


@dataclass(frozen=True)
class Candidate:
    """One entry of a pool: who, how heavily weighted, and why."""

    id: int
    weight: int
    reasons: tuple[str, ...] = ()


def pool_digest(pool):
    """SHA-256 over the pool's ids and weights in id order."""
    entries = sorted([c.id, c.weight] for c in pool)
    return hashlib.sha256(json.dumps(entries, separators=(",", ":")).encode()).hexdigest()


def pick(pool, seed):
    """The chosen id: deterministic for a given pool and seed."""
    ordered = sorted(pool, key=lambda c: c.id)
    total = sum(c.weight for c in ordered)
    if not ordered or total <= 0:
        raise DrawError(_("抽選の対象者がいません。"))
    number = int(hashlib.sha256(f"{seed}:{pool_digest(ordered)}".encode()).hexdigest(), 16) % total
    for candidate in ordered:
        number -= candidate.weight
        if number < 0:
            return candidate.id
    raise AssertionError("unreachable: the number is below the total weight")


def chances(pool):
    """Each candidate's probability of being picked."""
    total = sum(c.weight for c in pool)
    return {c.id: c.weight / total for c in pool}


def weigh(weights, flags):
    """A weight and its reasons from the base plus each bonus whose flag is set."""
    weight, reasons = weights["base"], []
    for key, present in flags.items():
        if present and weights.get(key):
            weight += weights[key]
            reasons.append(f"{WEIGHT_LABELS[key]} +{weights[key]}")
    return weight, tuple(reasons)


def _not_done_codes(db, campaign_id):
    """③/C/D as the campaign's pinned self-check sheet defines "not done" (none for an unknown campaign)."""
    campaign = get_campaign(db, campaign_id=campaign_id)
    return sorted(pinned_selfcheck(db, campaign).not_done_codes) if campaign else []


def learned_params(db, campaign_id):
    """The query parameters of what earlier campaigns teach: the previous campaign, and every earlier one as JSON."""
    earlier = carryover.earlier_ids(db, campaign_id)
    return {"previous": earlier[0] if earlier else None, "earlier": json.dumps(earlier)}


def staff_pool(db, campaign_id, section_id, weights, *, pc_only=True, exclude_visited=True):
    """The section's active staff in scope, weighted by what their self-check suggests and what earlier
    campaigns found: 乖離 in the previous campaign, findings of any earlier campaign still open."""
    rows = db.query(
        f"""
        SELECT s.id, s.employment, sec.my_number, r.id AS response_id,
               (SELECT count(*) FROM selfcheck_answers a WHERE a.response_id = r.id
                  AND a.out_of_scope = 0 AND a.answer IN (SELECT value FROM json_each(:not_done))) AS not_done,
               (SELECT count(*) FROM selfcheck_answers a WHERE a.response_id = r.id
                  AND a.out_of_scope = 0 AND a.answer = '') AS blank,
               EXISTS (SELECT 1 FROM observations o WHERE o.staff_id = s.id AND o.campaign_id = :previous
                         AND o.current = 1 AND o.class = 'over_reported') AS over_reported,
               EXISTS (SELECT 1 FROM followups f WHERE f.staff_id = s.id AND f.state IN ('open', 'reported')
                         AND f.{followups.AUDIT_FINDING}
                         AND f.campaign_id IN (SELECT value FROM json_each(:earlier))) AS open_findings
        FROM staff s JOIN sections sec ON sec.id = s.section_id
        LEFT JOIN selfcheck_responses r ON r.staff_id = s.id AND r.campaign_id = :campaign
        WHERE s.section_id = :section AND s.retired_at IS NULL
          AND (:pc_only = 0 OR s.uses_pc = 1)
          AND (:exclude = 0 OR NOT EXISTS (
                SELECT 1 FROM visits v WHERE v.staff_id = s.id AND v.campaign_id = :campaign))
        ORDER BY s.id
        """,
        {"campaign": campaign_id, "section": section_id, "pc_only": int(pc_only), "exclude": int(exclude_visited),
         "not_done": json.dumps(_not_done_codes(db, campaign_id)), **learned_params(db, campaign_id)},
    )
    pool = []
    for row in rows:
        flags = {
            "not_done": row["not_done"] > 0,
            "unanswered": row["response_id"] is None or row["blank"] > 0,
            "fiscal_year": row["employment"] == "fiscal_year",
            "my_number": bool(row["my_number"]),
            "over_reported": bool(row["over_reported"]),
            "open_findings": bool(row["open_findings"]),
        }
        pool.append(Candidate(row["id"], *weigh(weights, flags)))
    return pool


def section_pool(db, campaign_id, weights, *, exclude_visited=True):
    """Sections with active staff, weighted toward My Number work and what earlier campaigns found there."""
    return [Candidate(section_id, *weigh(weights, {key: flags[key] for key in ("my_number", "over_reported",
                                                                                "open_findings")}))
            for section_id, flags in section_flags(db, campaign_id, exclude_visited=exclude_visited)]


def section_flags(db, campaign_id, *, exclude_visited=True, visited_kind=None):
    """[(section id, flags)] of the sections with active staff: My Number work, an outsourced system, findings and
    乖離 in the previous campaign, findings of earlier campaigns still open. With `exclude_visited`, a section with a
    visit in this campaign (of `visited_kind` only, when given) is left out. Each draw weighs the flags it uses."""
    rows = db.query(
        f"""
        SELECT sec.id, sec.my_number, sec.outsourced,
               EXISTS (SELECT 1 FROM followups f WHERE f.section_id = sec.id AND f.campaign_id = :previous
                         AND f.state <> 'withdrawn' AND f.{followups.AUDIT_FINDING}) AS findings,
               EXISTS (SELECT 1 FROM observations o WHERE o.section_id = sec.id AND o.campaign_id = :previous
                         AND o.current = 1 AND o.class = 'over_reported') AS over_reported,
               EXISTS (SELECT 1 FROM followups f WHERE f.section_id = sec.id AND f.state IN ('open', 'reported')
                         AND f.{followups.AUDIT_FINDING}
                         AND f.campaign_id IN (SELECT value FROM json_each(:earlier))) AS open_findings
        FROM sections sec
        WHERE EXISTS (SELECT 1 FROM staff s WHERE s.section_id = sec.id AND s.retired_at IS NULL)
          AND (:exclude = 0 OR NOT EXISTS (
                SELECT 1 FROM visits v WHERE v.section_id = sec.id AND v.campaign_id = :campaign
                  AND (:kind IS NULL OR v.subject_kind = :kind)))
        ORDER BY sec.id
        """,
        {"campaign": campaign_id, "exclude": int(exclude_visited), "kind": visited_kind,
         **learned_params(db, campaign_id)},
    )
    keys = ("my_number", "outsourced", "findings", "over_reported", "open_findings")
    return [(row["id"], {key: bool(row[key]) for key in keys}) for row in rows]


def record_draw(db, *, campaign_id, kind, section_id, pool, options, user_id):
    """Draw with a fresh seed, store the full record and log it; returns (draw id, chosen id)."""
    if db.execute("SELECT 1 FROM campaigns WHERE id = ?", [campaign_id]).fetchone() is None:
        raise DrawError(_("キャンペーンを選んでください。"))
    if not pool:
        raise DrawError(_("抽選の対象がいません（全員が監査済み、または対象者がいません）。"))
    seed = secrets.token_hex(16)
    chosen = pick(pool, seed)
    record = {
        "campaign_id": campaign_id,
        "kind": kind,
        "section_id": section_id,
        "pool": json.dumps([[c.id, c.weight, list(c.reasons)] for c in sorted(pool, key=lambda c: c.id)],
                           ensure_ascii=False),
        "pool_digest": pool_digest(pool),
        "seed": seed,
        "method": METHOD,
        "options": json.dumps(options, ensure_ascii=False, sort_keys=True),
        "chosen_id": chosen,
        "drawn_by": user_id,
        "drawn_at": now_iso(),
    }
    with immediate(db):
        draw_id = db["draws"].insert(record).last_pk
        audit.record(db, user_id=user_id, action="draw", entity="draw", entity_id=draw_id,
                     after={k: record[k] for k in ("pool_digest", "seed", "method", "chosen_id", "kind")})
    return draw_id, chosen


def get_draw(db, draw_id):
    """A stored draw with its pool decoded, or None."""
    rows = list(db.query("SELECT * FROM draws WHERE id = ?", [draw_id]))
    if not rows:
        return None
    row = dict(rows[0])
    row["candidates"] = [Candidate(i, w, tuple(r)) for i, w, r in json.loads(row["pool"])]
    row["chances"] = chances(row["candidates"])
    return row


def verify(db, draw_id):
    """Recompute a stored draw; returns (ok, findings): plain strings, Japanese in the CLI, the user's language on screen."""
    draw = get_draw(db, draw_id)
    if draw is None:
        return False, [gettext("抽選記録 %(id)s はありません。", id=draw_id)]
    if draw["kind"] == "staff" and not draw["candidates"] and db.execute(
            "SELECT 1 FROM purged_campaigns WHERE campaign_id = ?", [draw["campaign_id"]]).fetchone():
        return True, [gettext("抽選記録 %(id)s の対象者の一覧は保存期間満了により廃棄済みです"
                              "（シードと母集団のダイジェストは残っていますが、再計算はできません）。", id=draw_id)]
    problems = []
    if draw["method"] != METHOD:
        problems.append(gettext("抽選方式「%(method)s」はこの版では検証できません。", method=draw["method"]))
    digest = pool_digest(draw["candidates"])
    if digest != draw["pool_digest"]:
        problems.append(gettext("対象者の一覧（抽選母集団）が記録時のダイジェストと一致しません。"))
    if draw["candidates"] and pick(draw["candidates"], draw["seed"]) != draw["chosen_id"]:
        problems.append(gettext("記録された当選者が、記録から再計算した結果と一致しません。"))
    logged = [json.loads(e["after"]) for e in audit.entries(db, "draw", draw_id) if e["action"] == "draw"]
    facts = {"pool_digest": digest, "seed": draw["seed"], "chosen_id": draw["chosen_id"]}
    if not logged or any(logged[0].get(k) != v for k, v in facts.items()):
        problems.append(gettext("抽選記録が監査ログの記録と一致しません。"))
    return not problems, problems or [gettext("抽選記録は正しく、再計算した結果と一致します。")]
