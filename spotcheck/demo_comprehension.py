"""Demo understanding tests and absences: two test-result files and a few people on leave, through the real imports.

The June file (CP932) has one attempt per person; some fail, which opens their follow-ups. The
September file (UTF-8 with BOM) has the retakes: most pass and so complete those follow-ups, a few
fail again. One 知識不足 follow-up of the demo visits is completed by a test passed on the day it
was opened. Three people who sent no self-check are marked 病休・育休・長期研修 in a second
self-check file. Every run imports the same files, so later runs change nothing.
"""
import random

from . import imports
from .importing import COUNT_LABELS

SEED = "spotcheck-demo-2024/tests"
HEADER = ("職員番号", "氏名", "テスト名", "実施日", "得点", "合否")  # 氏名 is ignored by the import, and said so
MY_NUMBER_TEST, PRIVACY_TEST = "マイナンバー理解度テスト", "個人情報保護 確認テスト"
FILES = {"june": ("demo-理解度テスト結果-R6.6.csv", "cp932"), "september": ("demo-理解度テスト結果-R6.9.csv", "utf-8-sig"),
         "absence": ("demo-セルフチェック結果-R6-不在.csv", "utf-8-sig")}
FILENAMES = frozenset(name for name, _ in FILES.values())
ABSENCES = ("病休", "育休", "長期研修")
PASS_MARK = 70


def _csv(header, rows, encoding):
    from .demo import to_csv_bytes  # demo.py calls this module
    return to_csv_bytes(header, rows, encoding)


def _attempt(rng, person, test, day, fail_rate):
    score = rng.randint(40, PASS_MARK - 1) if rng.random() < fail_rate else rng.randint(PASS_MARK, 100)
    return [person[0], person[1], test, day, str(score), "合格" if score >= PASS_MARK else "不合格"]


def result_files(db):
    """{which: (file name, bytes)}: June's attempts and September's retakes, from the roster as it stands."""
    people = list(db.execute(
        "SELECT s.staff_no, s.name, sec.my_number FROM staff s JOIN sections sec ON sec.id = s.section_id"
        " WHERE s.retired_at IS NULL AND s.uses_pc = 1 AND s.staff_no NOT LIKE '#%' ORDER BY s.staff_no"))
    rng = random.Random(SEED)
    june = [_attempt(rng, p, MY_NUMBER_TEST, "R6.6.14", 0.12) for p in people if p[2]]
    june += [_attempt(rng, p, PRIVACY_TEST, "2024/06/20", 0.12) for p in rng.sample(people, min(80, len(people)))]
    september = [_attempt(rng, row[:2], row[2], "令和6年9月10日", 0.3) for row in june if row[5] == "不合格"]
    gap = _knowledge_gap(db)
    if gap:  # the retake that completes a 知識不足 follow-up: passed on the day it was opened
        september.append([gap[0], gap[1], PRIVACY_TEST, gap[2], "85", "合格"])
    return {which: (FILES[which][0], _csv(HEADER, rows, FILES[which][1]))
            for which, rows in (("june", june), ("september", september))}


def _knowledge_gap(db):
    """(staff_no, name, day) of the first 知識不足 follow-up still open or completed by a test (stable across runs)."""
    return db.execute(
        "SELECT s.staff_no, s.name, substr(f.created_at, 1, 10) FROM followups f JOIN staff s ON s.id = f.staff_id"
        " WHERE f.kind = 'knowledge' AND (f.state = 'open' OR f.closed_by_attempt IS NOT NULL) ORDER BY f.id LIMIT 1"
    ).fetchone()


def absence_file(db, campaign, header):
    """A self-check file marking three PC users who sent nothing and were not visited as on leave."""
    rows = list(db.execute(
        "SELECT s.staff_no FROM staff s WHERE s.retired_at IS NULL AND s.uses_pc = 1 AND s.staff_no NOT LIKE '#%'"
        " AND NOT EXISTS (SELECT 1 FROM selfcheck_responses r WHERE r.staff_id = s.id AND r.campaign_id = ?"
        "                 AND r.absence IS NULL)"
        " AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.staff_id = s.id) ORDER BY s.staff_no", [campaign["id"]]))
    chosen = random.Random(SEED + "/absence").sample([r[0] for r in rows], min(len(ABSENCES), len(rows)))
    blanks = [""] * (len(header) - 1)
    return FILES["absence"][0], _csv((*header, "状況"), [[no, *blanks, why] for no, why in zip(sorted(chosen), ABSENCES)],
                                     FILES["absence"][1])


def load_tests(db, campaign, selfcheck_header, user_id, max_rows):
    """Import the demo's absences and test results; returns the lines to print."""
    lines, plans = [], []
    name, data = absence_file(db, campaign, selfcheck_header)
    plans.append(_run(db, "selfcheck", name, data, user_id, max_rows, campaign))
    for which, (name, data) in result_files(db).items():
        plans.append(_run(db, "test_results", name, data, user_id, max_rows))
    for plan in plans:
        counts = "、".join(f"{COUNT_LABELS[k]} {v} 件" for k, v in plan.counts.items())
        lines.append(f"{imports.KINDS[plan.kind].label}（{plan.filename}）: {counts}")
    return lines


def _run(db, kind, name, data, user_id, max_rows, campaign=None):
    plan = imports.plan(db, kind, data, name, campaign=campaign, max_rows=max_rows)
    imports.apply(db, plan, user_id)
    return plan
