"""Understanding-test results (理解度テスト結果): importing the city's file of attempts, one row per attempt."""
from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import gettext as _

from . import clock, comprehension_followups, texts
from .clock import now_iso
from .config import defaults
from .importing import Column, Plan, Problems, ZeroPadder, file_digest, map_columns, read, record_import
from .sqlite import immediate
from .tabular import normalize
from .wareki import parse_date

COLUMNS = (
    Column("staff_no", "職員番号", "staff_no"),
    Column("test", "テスト名", "test"),
    Column("taken_on", "実施日", "taken_on"),
    Column("score", "得点", "score", required=False),
    Column("passed", "合否", "passed"),
)
PASS_WORDS = {"合格", "○", "〇", "◯", "1", "PASS", "PASSED", "TRUE", "YES", "Y"}
FAIL_WORDS = {"不合格", "×", "✕", "0", "FAIL", "FAILED", "FALSE", "NO", "N"}
FORMULA_STARTS = ("=", "+", "-", "@")
MAX_TEST_NAME = 100
MAX_SCORE = 100_000


@dataclass(frozen=True, slots=True)
class Attempt:
    """One validated attempt: who, which test, when, the score (None when not given) and whether passed."""

    staff_id: int
    test_name: str
    taken_on: str
    score: int | None
    passed: bool

    @property
    def key(self):
        return (self.staff_id, self.test_name, self.taken_on)


def parse_passed(value):
    """合格/不合格, ○/×, 1/0, pass/fail → True/False; None when unreadable."""
    key = normalize(value).upper()
    return True if key in PASS_WORDS else False if key in FAIL_WORDS else None


def test_name(value):
    """A test's name as stored and compared: NFKC, inner runs of spaces made one (「個人情報保護　確認テスト」)."""
    return " ".join(normalize(value).split())


def plan_import(db, data, filename, *, max_rows=200_000, due_days=None):
    """Validate a test-results file and work out the new and changed attempts and the follow-ups they move."""
    table = read(data, filename, max_rows)
    index, _items, notices = map_columns(table, COLUMNS, filename)
    people = dict(db.execute("SELECT staff_no, id FROM staff"))
    pad = ZeroPadder([no for no in people if not no.startswith("#")])  # purged rows are not staff numbers
    problems, seen, attempts = Problems(filename), {}, []
    today = clock.now().date()
    for row in table.rows:
        attempt = _attempt(row, index, pad, people, problems, seen, today)
        if attempt is not None:
            attempts.append(attempt)
    problems.raise_if_any()
    stored = stored_attempts(db)
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    for attempt in attempts:
        old = stored.get(attempt.key)
        counts["new" if old is None else "unchanged" if old == (attempt.score, attempt.passed) else "changed"] += 1
    moves = comprehension_followups.preview(db, attempts)
    counts.update(followups_opened=moves.opened, followups_closed=moves.closed)
    if moves.no_campaign:
        notices.append(f"キャンペーンがないため、不合格の {moves.no_campaign} 人のフォローアップは開きません"
                       "（キャンペーンを作成してから取り込み直してください）。")
    return Plan("test_results", filename, file_digest(data), counts, notices + pad.notice("職員番号"),
                payload={"attempts": tuple(attempts), "due_days": dict(due_days or _followup_days())})


def _followup_days():
    """The configured FOLLOWUP_DAYS (the import kinds share one plan signature, so it is read here), else the default."""
    return current_app.config["FOLLOWUP_DAYS"] if has_app_context() else defaults()["FOLLOWUP_DAYS"]


def _attempt(row, index, pad, people, problems, seen, today):
    """One row checked cell by cell; every problem is added with its line; None when the row is bad."""
    line, bad = row.line, len(problems.messages)

    def cell(key):
        return row.cells[index[key]] if key in index else ""

    staff_no = pad(normalize(cell("staff_no")))
    staff_id = people.get(staff_no) if not staff_no.startswith("#") else None
    if staff_id is None:
        problems.add(line, "職員番号", _("%(code)s は職員名簿にありません。", code=staff_no or _("（空欄）")))
    name = test_name(cell("test"))
    if not name:
        problems.add(line, "テスト名", _("空欄です。"))
    elif name.startswith(FORMULA_STARTS):
        # The name is shown and exported again; one read as a formula by a spreadsheet would run there.
        problems.add(line, "テスト名", _("「%(value)s」はテスト名として使えません（先頭に = + - @ は使えません）。", value=name))
    elif problem := texts.problem(name, label=_("テスト名"), limit=MAX_TEST_NAME):
        problems.add(line, "テスト名", problem)
    taken_on = None
    try:
        taken = parse_date(cell("taken_on")) if cell("taken_on").strip() else None
    except ValueError as error:
        problems.add(line, "実施日", str(error))
    else:
        if taken is None:
            problems.add(line, "実施日", _("空欄です。"))
        elif taken > today:
            problems.add(line, "実施日", _("%(date)s は今日より後の日付です。", date=taken.isoformat()))
        else:
            taken_on = taken.isoformat()
    score = _score(cell("score"), line, problems)
    passed = parse_passed(cell("passed"))
    if passed is None:
        problems.add(line, "合否", _("「%(value)s」は 合格/不合格 として読めません（合格・不合格・○・×・1・0・pass・fail）。",
                                   value=cell("passed")))
    if len(problems.messages) > bad:
        return None
    key = (staff_id, name, taken_on)
    if key in seen:
        problems.add(line, "実施日", _("同じ職員・テスト・実施日の行が %(line)s 行目にもあります（1 日 1 回の受験として記録します）。",
                                    line=seen[key]))
        return None
    seen[key] = line
    return Attempt(staff_id, name, taken_on, score, passed)


def _score(value, line, problems):
    """The score as an integer, None when blank; a problem when it is not a whole number in range."""
    text = normalize(value)
    if not text:
        return None
    if text.endswith(".0"):  # Excel stores every number as a float
        text = text[:-2]
    if not text.isascii() or not text.isdigit() or int(text) > MAX_SCORE:
        problems.add(line, "得点", _("「%(value)s」は得点（0 以上の整数）として読めません。", value=value))
        return None
    return int(text)


def apply_import(db, plan, user_id):
    """Write planned attempts in one transaction, then open and complete the follow-ups they decide."""
    stamp = now_iso()
    attempts = plan.payload["attempts"]
    with immediate(db):
        import_id = record_import(db, plan, user_id)
        stored = stored_attempts(db)  # again: another import may have landed since the preview
        db.conn.executemany(
            "INSERT INTO test_attempts (staff_id, test_name, taken_on, score, passed, import_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(*a.key, a.score, int(a.passed), import_id, stamp, stamp) for a in attempts if a.key not in stored])
        db.conn.executemany(
            "UPDATE test_attempts SET score = ?, passed = ?, import_id = ?, updated_at = ?"
            " WHERE staff_id = ? AND test_name = ? AND taken_on = ?",
            [(a.score, int(a.passed), import_id, stamp, *a.key) for a in attempts
             if a.key in stored and stored[a.key] != (a.score, a.passed)])
        comprehension_followups.settle(db, {(a.staff_id, a.test_name) for a in attempts}, user_id=user_id,
                              due_days=plan.payload["due_days"])
        return import_id


def stored_attempts(db):
    """Every attempt on file as {(staff_id, test, taken_on): (score, passed)}."""
    return {(staff_id, name, taken_on): (score, bool(passed)) for staff_id, name, taken_on, score, passed in db.execute(
        "SELECT staff_id, test_name, taken_on, score, passed FROM test_attempts")}

