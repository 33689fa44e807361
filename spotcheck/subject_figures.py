"""How the section (所属) and contract (委託契約) audits fared: figures for the dashboard and the council report.

A section or a contract is not a person, so its rows may carry its name; the 公表版 still prints only the totals
and the per-check table (see subject_report), because a small section's result points at the few who work there.
"""
from dataclasses import dataclass
from datetime import date, datetime

from . import subjects
from .checklists import OnsiteChecklist

KINDS = ("section", "contract")
# The flags that weigh in each kind's draw, worded for the page.
FLAG_LABELS = {"my_number": "特定個人情報", "outsourced": "業務委託", "personal_data": "個人情報", "subcontracting": "再委託"}


@dataclass(frozen=True)
class AuditedSubject:
    """One signed audit of a section or a contract, and what became of its findings."""

    label: str  # 「市民課」, or 「R6-委-012 住民記録システム保守業務委託（㈱〇〇）」
    flags: tuple[str, ...]  # the risk flags that weigh in its draw: my_number, outsourced / personal_data, subcontracting
    risky: bool  # a My Number section, or a contract that handles personal data
    locked_on: date  # the day the sheet was signed
    findings: int
    major: int
    open_followups: int  # still open or reported-not-confirmed


@dataclass(frozen=True)
class CheckTally:
    """One check of the form across every audit of this kind: how many of each result."""

    code: str
    title: str
    counts: tuple[int, ...]  # in the order of KindResults.results
    findings: int


@dataclass(frozen=True)
class KindResults:
    """Every signed audit of one subject kind in a campaign."""

    kind: str
    population: int  # sections in the roster, or contracts in force
    population_risky: int  # of which My Number sections, or contracts with personal data
    audited: tuple[AuditedSubject, ...]
    checks: tuple[CheckTally, ...]
    results: tuple[tuple[str, str], ...]  # (code, label) in the pinned form's order
    finding_codes: tuple[str, ...]

    @property
    def audited_risky(self) -> int:
        """Distinct risky subjects audited (a subject audited twice counts once)."""
        return len({a.label for a in self.audited if a.risky})

    @property
    def audited_distinct(self) -> int:
        """Distinct subjects audited."""
        return len({a.label for a in self.audited})

    @property
    def findings(self) -> int:
        return sum(a.findings for a in self.audited)

    @property
    def major(self) -> int:
        return sum(a.major for a in self.audited)

    @property
    def open_followups(self) -> int:
        return sum(a.open_followups for a in self.audited)


@dataclass(frozen=True)
class SubjectResults:
    """The section and contract audits of a campaign (either is None when none of its kind was ever started)."""

    section: KindResults | None
    contract: KindResults | None

    @property
    def empty(self) -> bool:
        return self.section is None and self.contract is None


_VISITS = """
    SELECT v.id, v.locked_at, s.code, s.name, s.my_number, s.outsourced,
           c.contract_no, c.title, c.contractor, c.personal_data, c.subcontracting
      FROM visits v JOIN sections s ON s.id = v.section_id LEFT JOIN contracts c ON c.id = v.contract_id
     WHERE v.campaign_id = ? AND v.subject_kind = ? AND v.status = 'locked'
       AND NOT EXISTS (SELECT 1 FROM visits n WHERE n.supersedes_id = v.id)
     ORDER BY s.code, c.contract_no, v.locked_at, v.id"""


def results(db, campaign) -> SubjectResults:
    """The campaign's signed section and contract audits (the newest version of each sheet)."""
    return SubjectResults(*(_kind(db, campaign, kind) for kind in KINDS))


def _kind(db, campaign, kind) -> KindResults | None:
    if not db.execute("SELECT 1 FROM visits WHERE campaign_id = ? AND subject_kind = ? LIMIT 1",
                      [campaign["id"], kind]).fetchone():
        return None  # no audit of this kind was ever started: nothing to report, not a row of zeros
    checklist = subjects.pinned(db, campaign, kind)
    visits = list(db.query(_VISITS, [campaign["id"], kind]))
    ids = [row["id"] for row in visits]
    by_visit: dict[int, dict[str, str]] = {visit_id: {} for visit_id in ids}
    for visit_id, code, result in _in(db, "SELECT visit_id, check_code, result FROM visit_results"
                                          " WHERE result <> '' AND visit_id IN ({})", ids):
        by_visit[visit_id][code] = result
    open_by_visit = dict(_in(db, "SELECT visit_id, count(*) FROM followups WHERE state IN ('open', 'reported')"
                                 " AND visit_id IN ({}) GROUP BY visit_id", ids))
    audited = tuple(_audited(row, kind, by_visit[row["id"]], checklist, open_by_visit.get(row["id"], 0))
                    for row in visits)
    population, risky = _population(db, kind)
    return KindResults(
        kind=kind, population=population, population_risky=risky, audited=audited,
        checks=_checks(checklist, by_visit.values()),
        results=tuple((r.code, r.label) for r in checklist.results),
        finding_codes=tuple(r.code for r in checklist.findings),
    )


def _in(db, sql, ids):
    """Rows of `sql` over a list of ids (an empty list reads nothing)."""
    if not ids:
        return []
    return db.execute(sql.format(", ".join("?" * len(ids))), ids).fetchall()


def _audited(row, kind, answers, checklist: OnsiteChecklist, open_followups) -> AuditedSubject:
    findings = [code for code in answers.values() if checklist.is_finding(code)]
    if kind == "section":
        label = row["name"]
        flags = tuple(f for f in ("my_number", "outsourced") if row[f])
        risky = bool(row["my_number"])
    else:
        label = f"{row['contract_no']} {row['title']}（{row['contractor']}）"
        flags = tuple(f for f in ("personal_data", "subcontracting") if row[f])
        risky = bool(row["personal_data"])
    return AuditedSubject(label=label, flags=flags, risky=risky,
                          locked_on=datetime.fromisoformat(row["locked_at"]).date(),
                          findings=len(findings), major=sum(code == "major" for code in findings),
                          open_followups=open_followups)


def _checks(checklist: OnsiteChecklist, answered) -> tuple[CheckTally, ...]:
    answered = list(answered)
    tallies = []
    for check in checklist.checks:
        given = [answers[check.code] for answers in answered if check.code in answers]
        counts = tuple(sum(code == r.code for code in given) for r in checklist.results)
        tallies.append(CheckTally(check.code, check.title, counts, sum(checklist.is_finding(c) for c in given)))
    return tuple(tallies)


def _population(db, kind) -> tuple[int, int]:
    if kind == "section":
        return tuple(db.execute("SELECT count(*), coalesce(sum(my_number), 0) FROM sections").fetchone())
    return tuple(db.execute(
        "SELECT count(*), coalesce(sum(personal_data), 0) FROM contracts WHERE ended_at IS NULL").fetchone())
