"""Who has passed which understanding test: a person's attempts, and who has not passed yet (the latest attempt decides)."""
from dataclasses import dataclass

# Each person's latest attempt per test; a day holds one attempt, so the date orders them.
LATEST = """
    SELECT a.*, row_number() OVER (PARTITION BY a.staff_id, a.test_name ORDER BY a.taken_on DESC) AS recency,
           count(*) OVER (PARTITION BY a.staff_id, a.test_name) AS tries
    FROM test_attempts a
"""


@dataclass(frozen=True)
class AttemptRow:
    """One attempt as the person page shows it."""

    taken_on: str
    score: int | None
    passed: bool


@dataclass(frozen=True)
class AttemptHistory:
    """A person's attempts at one test, newest first; `passed` is what the latest says."""

    test_name: str
    attempts: tuple[AttemptRow, ...]

    @property
    def passed(self):
        return self.attempts[0].passed


@dataclass(frozen=True)
class NotPassed:
    """An active person whose latest attempt at a test failed."""

    staff_id: int
    staff_no: str
    name: str
    section_code: str
    section_name: str
    test_name: str
    last_taken_on: str
    tries: int


@dataclass(frozen=True)
class PassCounts:
    """One test: active people who took it, how many passed, how many have not passed yet."""

    test_name: str
    takers: int
    passed: int
    not_passed: int


def history(db, staff_id) -> tuple[AttemptHistory, ...]:
    """Every test a person took, by name, each with its attempts newest first."""
    by_test = {}
    for name, taken_on, score, passed in db.execute(
            "SELECT test_name, taken_on, score, passed FROM test_attempts WHERE staff_id = ?"
            " ORDER BY test_name, taken_on DESC", [staff_id]):
        by_test.setdefault(name, []).append(AttemptRow(taken_on, score, bool(passed)))
    return tuple(AttemptHistory(name, tuple(rows)) for name, rows in by_test.items())


def not_passed(db, *, test_name=None, section_id=None) -> list[NotPassed]:
    """Active people whose latest attempt failed, by section and staff number."""
    where, params = ["l.recency = 1", "l.passed = 0", "s.retired_at IS NULL"], []
    if test_name:
        where.append("l.test_name = ?")
        params.append(test_name)
    if section_id:
        where.append("s.section_id = ?")
        params.append(section_id)
    rows = db.execute(
        f"SELECT s.id, s.staff_no, s.name, sec.code, sec.name, l.test_name, l.taken_on, l.tries FROM ({LATEST}) l"
        " JOIN staff s ON s.id = l.staff_id JOIN sections sec ON sec.id = s.section_id"
        f" WHERE {' AND '.join(where)} ORDER BY sec.code, s.staff_no, l.test_name", params)
    return [NotPassed(*row) for row in rows]


def counts_by_test(db) -> list[PassCounts]:
    """Per test, over active staff: who took it, passed (latest attempt) and not passed yet."""
    rows = db.execute(
        f"SELECT l.test_name, count(*), sum(l.passed), sum(1 - l.passed) FROM ({LATEST}) l"
        " JOIN staff s ON s.id = l.staff_id WHERE l.recency = 1 AND s.retired_at IS NULL"
        " GROUP BY l.test_name ORDER BY l.test_name")
    return [PassCounts(*row) for row in rows]


def not_passed_by_section(db) -> dict[tuple[str, str], dict[str, int]]:
    """{(section code, section name): {test: people not passed yet}} for sections with any."""
    result = {}
    for code, name, test, n in db.execute(
            f"SELECT sec.code, sec.name, l.test_name, count(*) FROM ({LATEST}) l JOIN staff s ON s.id = l.staff_id"
            " JOIN sections sec ON sec.id = s.section_id WHERE l.recency = 1 AND l.passed = 0 AND s.retired_at IS NULL"
            " GROUP BY sec.id, l.test_name ORDER BY sec.code, l.test_name"):
        result.setdefault((code, name), {})[test] = n
    return result


def test_names(db) -> list[str]:
    """Every test name on file."""
    return [row[0] for row in db.execute("SELECT DISTINCT test_name FROM test_attempts ORDER BY test_name")]
