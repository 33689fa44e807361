"""The provable draw: deterministic, weighted as configured, verifiable, and hidden from section heads."""
import json
from collections import Counter

import pytest

from spotcheck import draw
from spotcheck.draw import Candidate
from tests.factories import SELFCHECK_HEADER, answers_row, csv_bytes, import_selfcheck

WEIGHTS = {"base": 1, "not_done": 2, "unanswered": 1, "fiscal_year": 1, "my_number": 1}


def test_same_pool_and_seed_always_pick_the_same_person():
    pool = [Candidate(i, 1 + i % 3) for i in range(1, 40)]
    assert len({draw.pick(pool, "seed-1") for _ in range(20)}) == 1
    assert draw.pick(list(reversed(pool)), "seed-1") == draw.pick(pool, "seed-1")


def test_picks_follow_the_weights():
    pool = [Candidate(1, 1), Candidate(2, 3)]
    counts = Counter(draw.pick(pool, f"s{i}") for i in range(4000))
    assert 0.70 < counts[2] / 4000 < 0.80
    assert draw.chances(pool) == {1: 0.25, 2: 0.75}


def test_pool_digest_changes_when_anyone_or_any_weight_changes():
    pool = [Candidate(1, 1), Candidate(2, 2)]
    assert draw.pool_digest(pool) != draw.pool_digest([Candidate(1, 1), Candidate(2, 3)])
    assert draw.pool_digest(pool) != draw.pool_digest([Candidate(1, 1)])
    assert draw.pool_digest(pool) == draw.pool_digest(list(reversed(pool)))


def test_empty_pool_is_refused_in_japanese():
    with pytest.raises(draw.DrawError, match="対象"):
        draw.pick([], "x")


def test_staff_pool_weights_people_by_their_self_check(db, city, make_user):
    import_selfcheck(db, city, csv_bytes(SELFCHECK_HEADER, [answers_row("000102", s19="③")]))
    # 市民課 (0201): 000102 is a fiscal-year appointee in a My Number section who answered ③.
    section_id = db.execute("SELECT id FROM sections WHERE code = '0201'").fetchone()[0]
    [person] = draw.staff_pool(db, city["id"], section_id, WEIGHTS)
    assert person.weight == 1 + 2 + 1 + 1
    assert any("③" in reason for reason in person.reasons)


def test_recorded_draw_verifies_and_tampering_is_detected(db, city, make_user):
    user_id = make_user("auditor")
    pool = [Candidate(i, 1 + i % 2) for i in range(1, 10)]
    draw_id, chosen = draw.record_draw(db, campaign_id=city["id"], kind="staff", section_id=None, pool=pool,
                                       options={}, user_id=user_id)
    assert draw.verify(db, draw_id)[0]
    stored = json.loads(db.execute("SELECT pool FROM draws WHERE id = ?", [draw_id]).fetchone()[0])
    stored[0][1] = 50  # someone raises one weight afterwards
    db.execute("UPDATE draws SET pool = ? WHERE id = ?", [json.dumps(stored), draw_id])
    ok, findings = draw.verify(db, draw_id)
    assert not ok and any("ダイジェストと一致しません" in f for f in findings)


def test_rewriting_the_whole_record_still_disagrees_with_the_audit_log(db, city, make_user):
    user_id = make_user("auditor")
    pool = [Candidate(i, 1) for i in range(1, 10)]
    draw_id, chosen = draw.record_draw(db, campaign_id=city["id"], kind="staff", section_id=None, pool=pool,
                                       options={}, user_id=user_id)
    # A forger picks someone else and recomputes a matching seed-free record: the log still disagrees.
    other = next(c.id for c in pool if c.id != chosen)
    seed = next(f"x{i}" for i in range(10_000) if draw.pick(pool, f"x{i}") == other)
    db.execute("UPDATE draws SET seed = ?, chosen_id = ? WHERE id = ?", [seed, other, draw_id])
    ok, findings = draw.verify(db, draw_id)
    assert not ok and any("監査ログ" in f for f in findings)


def test_verify_draw_command(runner, db, city, make_user):
    user_id = make_user("auditor")
    draw_id, _ = draw.record_draw(db, campaign_id=city["id"], kind="staff", section_id=None,
                                  pool=[Candidate(1, 1), Candidate(2, 1)], options={}, user_id=user_id)
    result = runner.invoke(args=["verify-draw", str(draw_id)])
    assert result.exit_code == 0 and "一致します" in result.output
    db.execute("UPDATE draws SET chosen_id = 99 WHERE id = ?", [draw_id])
    result = runner.invoke(args=["verify-draw", str(draw_id)])
    assert result.exit_code == 1 and "一致しません" in result.output
