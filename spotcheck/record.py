"""A visit as one typed record: live while it is open, read from its frozen snapshot once locked.

A locked visit must state for ever what both sides signed. Its results, remarks, photos and
signatures are rows the database keeps read-only; everything else it states (the person, the
section, which checks applied, the self-reports shown, the auditors) is frozen into
`visit_records` at lock, so later roster or self-check imports change nothing already signed.
"""
import hashlib
import json
from dataclasses import asdict, dataclass, field

from . import crosscheck, interview, subjects
from .campaigns import get_campaign, pinned_selfcheck
from .checklists import AnswerOption, OnsiteCheck, OnsiteChecklist, SelfCheckItem
from .clock import now_iso
from .selfcheck import applies

FORMAT = 2  # frozen records written since 0008; format 1 was rebuilt from sheets issued before it
NO_REMARK = "（所見の記載なし）"


@dataclass(frozen=True)
class Subject:
    """Who and where was audited, exactly as the roster had them (names are never normalised)."""

    staff_no: str
    name: str
    kana: str
    employment: str  # code: regular, fiscal_year, reappointed, other
    section_code: str
    section_name: str
    uses_pc: bool = True
    my_number: bool = False
    outsourced: bool = False
    kind: str = "person"  # person, section or contract (subjects.KINDS)
    contract_no: str = ""
    contract_title: str = ""
    contractor: str = ""
    system: str = ""


@dataclass(frozen=True)
class Report:
    """One self-check answer shown beside a check; option None when the person sent nothing."""

    item: SelfCheckItem
    option: AnswerOption | None
    answered_on: str | None


@dataclass(frozen=True)
class PhotoRef:
    """A photo kept on a check."""

    id: int
    file_name: str
    sha256: str
    width: int
    height: int


@dataclass(frozen=True)
class Step:
    """One check as walked: its result and remark next to what the person reported."""

    check: OnsiteCheck
    result: str
    result_label: str
    remark: str
    photos: tuple[PhotoRef, ...]
    reports: tuple[Report, ...]
    tallies: tuple[subjects.Tally, ...] = ()  # a section's or contract owner's answers, counted
    # The campaign's pinned checklist: it says which results are findings (`finding = true`).
    checklist: OnsiteChecklist | None = field(default=None, repr=False, compare=False)

    @property
    def failed(self) -> bool:
        """A finding the section must answer (不適合・重大 in today's forms)."""
        return self.checklist.is_finding(self.result)

    @property
    def fact(self) -> str:
        """What the sheet and the follow-up state as seen: the auditor's remark, never the criterion."""
        return self.remark or NO_REMARK

    @property
    def claims_done(self) -> bool:
        return any(r.option and r.option.reported == "done" for r in self.reports)

    @property
    def discrepancy(self) -> bool:
        return crosscheck.is_discrepancy([r.option.reported if r.option else None for r in self.reports], self.result,
                                         self.checklist)


@dataclass(frozen=True)
class Auditor:
    """A member of the visit's team; the lead opened it."""

    user_id: int | None
    name: str
    lead: bool


@dataclass(frozen=True)
class Selection:
    """How the person came to be audited: by a recorded draw, or picked by hand with a reason."""

    draw_id: int | None
    reason: str

    @property
    def drawn(self) -> bool:
        return self.draw_id is not None

    @property
    def label(self) -> str:
        if self.drawn:
            return f"抽選（抽選記録 No.{self.draw_id}）"
        return f"任意選定（理由：{self.reason or '記録なし'}）"


@dataclass(frozen=True)
class VisitRecord:
    """Everything one visit states, built once per request or lock."""

    id: int
    campaign_id: int
    campaign_code: str
    section_id: int
    staff_id: int | None  # None for a section or contract visit
    status: str
    version: int
    supersedes_id: int | None
    started_at: str
    locked_at: str | None
    comment: str
    format: int
    subject: Subject
    auditors: tuple[Auditor, ...]
    selection: Selection
    checklist: OnsiteChecklist
    steps: tuple[Step, ...]
    purged: bool = False  # its personal data went at the end of the retention period

    @property
    def locked(self) -> bool:
        return self.status == "locked"

    @property
    def findings(self) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if step.failed)

    @property
    def lead(self) -> Auditor:
        return next(a for a in self.auditors if a.lead)


def scope_at_start(db, campaign_id, subject: Subject) -> str:
    """The checks that apply to this person, fixed when the visit starts (JSON for visits.scope)."""
    checklist = checklist_for(db, get_campaign(db, campaign_id=campaign_id), subject.kind)
    return scope_json([c.code for c in checklist.applicable(**_flags(subject))], subject)


def checklist_for(db, campaign, kind):
    """The checklist a campaign pinned for a kind of subject (person: onsite.toml)."""
    return subjects.pinned(db, campaign, kind)


def scope_json(codes, subject: Subject) -> str:
    """visits.scope: the checks a visit covers and the circumstances that chose them."""
    return json.dumps({"checks": list(codes), **_flags(subject)})


def open_checks(db, visit):
    """(pinned checklist, check codes) of an open visit (a visits row): from its scope, or the roster's
    flags for a visit opened before scopes were kept. Cheaper than load() for the autosave path."""
    checklist = checklist_for(db, get_campaign(db, campaign_id=visit["campaign_id"]), visit["subject_kind"])
    scope = json.loads(visit["scope"]) if visit["scope"] else {}
    codes = scope.get("checks") or [c.code for c in checklist.applicable(**_flags(subject_of(db, visit)))]
    return checklist, codes


def live_subject(db, staff_id) -> Subject | None:
    """The person and their section as the roster has them now."""
    row = db.execute(
        "SELECT s.staff_no, s.name, s.kana, s.employment, sec.code, sec.name, s.uses_pc, sec.my_number, sec.outsourced"
        " FROM staff s JOIN sections sec ON sec.id = s.section_id WHERE s.id = ?", [staff_id]).fetchone()
    if row is None:
        return None
    return Subject(*row[:6], uses_pc=bool(row[6]), my_number=bool(row[7]), outsourced=bool(row[8]))


def subject_of(db, visit) -> Subject | None:
    """The subject of a visit (a visits row) as the roster or the contract register has it now."""
    if visit["subject_kind"] == "person":
        return live_subject(db, visit["staff_id"])
    return subjects.live_subject(db, visit, Subject)


def load(db, visit_id) -> VisitRecord | None:
    """The visit as it stands: frozen if locked, otherwise from the roster and the answers as they are now."""
    rows = list(db.query("SELECT * FROM visits WHERE id = ?", [visit_id]))
    if not rows:
        return None
    visit = rows[0]
    campaign = get_campaign(db, campaign_id=visit["campaign_id"])
    checklist, sheet = checklist_for(db, campaign, visit["subject_kind"]), pinned_selfcheck(db, campaign)
    frozen = _frozen_body(db, visit_id) if visit["status"] == "locked" else None
    if frozen:
        subject = Subject(**frozen["subject"])
        codes = frozen["checks"]
        reports = {code: tuple(Report(sheet.item(no), sheet.answer(answer) if answer is not None else None, on)
                               for no, answer, on in shown) for code, shown in frozen["reports"].items()}
        tallies = subjects.tallies_from_json(frozen.get("tallies", {}), sheet)
        auditors = _frozen_auditors(frozen)
    else:
        subject = subject_of(db, visit)
        scope = json.loads(visit["scope"]) if visit["scope"] else _flags(subject)
        codes = open_checks(db, visit)[1]
        flags = {k: scope.get(k, v) for k, v in _flags(subject).items()}
        if subject.kind == "person":
            reports, tallies = _live_reports(db, visit, sheet, flags, codes, checklist), {}
        else:  # a contract shows what its owning section answered
            reports = {}
            tallies = subjects.live_tallies(db, visit["campaign_id"], visit["section_id"], sheet, checklist, codes,
                                            flags)
        auditors = team(db, visit_id)
    return VisitRecord(
        id=visit["id"], campaign_id=visit["campaign_id"], campaign_code=campaign["code"],
        section_id=visit["section_id"], staff_id=visit["staff_id"], status=visit["status"],
        version=visit["version"], supersedes_id=visit["supersedes_id"], started_at=visit["started_at"],
        locked_at=visit["locked_at"], comment=visit["overall_comment"], format=frozen["format"] if frozen else FORMAT,
        subject=subject, auditors=auditors, selection=Selection(visit["draw_id"], visit["selection_reason"]),
        checklist=checklist, steps=_steps(db, visit_id, checklist, codes, reports, tallies),
        purged=db.execute("SELECT 1 FROM purged_visits WHERE visit_id = ?", [visit_id]).fetchone() is not None,
    )


def team(db, visit_id) -> tuple[Auditor, ...]:
    """The visit's auditors, lead first."""
    return tuple(Auditor(row[0], row[1], row[2] == "lead") for row in db.execute(
        "SELECT a.user_id, u.display_name, a.role FROM visit_auditors a JOIN users u ON u.id = a.user_id"
        " WHERE a.visit_id = ? ORDER BY a.role = 'co', a.added_at, a.user_id", [visit_id]))


def freeze(db, record: VisitRecord):
    """Store what the open visit states beyond its own rows; called in the locking transaction."""
    body = {
        "format": FORMAT,
        "subject": asdict(record.subject),
        "auditors": [[a.user_id, a.name, a.lead] for a in record.auditors],
        "checks": [step.check.code for step in record.steps],
        "reports": {step.check.code: [[r.item.no, r.option.code if r.option else None, r.answered_on]
                                      for r in step.reports] for step in record.steps},
    }
    if record.subject.kind != "person":
        body["tallies"] = subjects.tallies_json({step.check.code: step.tallies for step in record.steps})
    db["visit_records"].insert({"visit_id": record.id, "body": json.dumps(body, ensure_ascii=False),
                                "frozen_at": now_iso()})


def content(db, record: VisitRecord) -> dict:
    """Everything the sheet states, as the plain data its digest is taken over (no label, only codes)."""
    photos = [[p.sha256 for p in step.photos] for step in record.steps]
    # The drawn signature is hashed afresh, so an image swapped in the database file is caught.
    signatures = [
        {"role": row[0], "name": row[1], "signed_at": row[2], "refused": bool(row[3]), "reason": row[4],
         "sha256": hashlib.sha256(row[5]).hexdigest() if row[5] else None}
        for row in db.execute("SELECT role, name, signed_at, refused, refusal_reason, png FROM signatures"
                              " WHERE visit_id = ? ORDER BY role", [record.id])
    ]
    supersedes = db.execute("SELECT serial FROM sheets WHERE visit_id = ?", [record.supersedes_id]).fetchone()
    data = {
        "version": record.version,
        "supersedes": supersedes[0] if supersedes else None,
        "campaign": record.campaign_code,
        "section": [record.subject.section_code, record.subject.section_name],
        "person": [record.subject.staff_no, record.subject.name, record.subject.employment],
        "auditor": record.lead.name,
        "started_at": record.started_at,
        "locked_at": record.locked_at,
        "comment": record.comment,
        "checks": [
            {"code": step.check.code, "result": step.result, "remark": step.remark, "photos": hashes,
             "reports": [[r.item.no, r.option.code if r.option else None] for r in step.reports]}
            for step, hashes in zip(record.steps, photos)
        ],
        "signatures": signatures,
    }
    if record.format >= 2:
        data.update(
            format=record.format, kana=record.subject.kana,
            auditors=[[a.name, a.lead] for a in record.auditors],
            selection={"draw_id": record.selection.draw_id, "reason": record.selection.reason},
            answered_on={step.check.code: [r.answered_on for r in step.reports] for step in record.steps},
        )
    if record.subject.kind != "person":  # person sheets keep the exact content their digests were taken over
        subject = record.subject
        data["subject"] = {"kind": subject.kind, "contract_no": subject.contract_no,
                           "contract_title": subject.contract_title, "contractor": subject.contractor,
                           "system": subject.system}
        data["tallies"] = subjects.tallies_json({step.check.code: step.tallies for step in record.steps})
    if asked := interview.content(db, record.id):  # only with an interview: older sheets keep their digest
        data["interview"] = asked
    return data


def _frozen_body(db, visit_id):
    row = db.execute("SELECT body FROM visit_records WHERE visit_id = ?", [visit_id]).fetchone()
    return json.loads(row[0]) if row else None


def _frozen_auditors(frozen):
    if frozen["format"] == 1:
        return (Auditor(None, frozen["auditors"][0], True),)
    return tuple(Auditor(user_id, name, lead) for user_id, name, lead in frozen["auditors"])


def _flags(subject: Subject) -> dict:
    return {"uses_pc": subject.uses_pc, "my_number": subject.my_number, "outsourced": subject.outsourced}


def _live_reports(db, visit, sheet, flags, codes, checklist):
    """Per check, the person's current answers to its linked items (only items that apply to them)."""
    response = db.execute("SELECT id, answered_on FROM selfcheck_responses WHERE campaign_id = ? AND staff_id = ?",
                          [visit["campaign_id"], visit["staff_id"]]).fetchone()
    answers = dict(db.execute("SELECT item_no, answer FROM selfcheck_answers WHERE response_id = ?",
                              [response[0]])) if response else {}
    answered_on = response[1] if response else None
    reports = {}
    for code in codes:
        # Item 23 means nothing in a section without My Number work, so it is not shown there.
        items = [sheet.item(no) for no in checklist.check(code).verifies if applies(sheet.item(no).group, **flags)]
        reports[code] = tuple(
            Report(item, sheet.answer(answers[item.no]) if item.no in answers else None, answered_on)
            for item in items)
    return reports


def _steps(db, visit_id, checklist, codes, reports, tallies):
    saved = {row[0]: row[1:] for row in db.execute(
        "SELECT check_code, result, remark FROM visit_results WHERE visit_id = ?", [visit_id])}
    photos = {}
    for row in db.execute("SELECT check_code, id, file_name, sha256, width, height FROM photos"
                          " WHERE visit_id = ? AND deleted_at IS NULL ORDER BY id", [visit_id]):
        photos.setdefault(row[0], []).append(PhotoRef(*row[1:]))
    steps = []
    for code in codes:
        result, remark = saved.get(code, ("", ""))
        steps.append(Step(checklist.check(code), result, checklist.label(result), remark,
                          tuple(photos.get(code, ())), reports.get(code, ()), tallies.get(code, ()), checklist))
    return tuple(steps)
