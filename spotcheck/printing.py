"""From an issued visit to its findings-sheet PDF: gather the data, build once, keep the file."""
import io
import os
import tempfile
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

from pypdf import PdfWriter

from . import calendar_days, integrity, interview, issuance, photos, record, roster, sheets, signatures, subject_sheets
from .campaigns import get_campaign, pinned_selfcheck
from .sqlite import immediate

SIGNER_LABELS = {"auditor": "監査員", "auditee": "被監査者"}


def verify_url(base_url, serial, digest):
    """The address a sheet's QR code points to."""
    return f"{base_url.rstrip('/')}/verify/{quote(serial)}?d={digest}"


def sheet_data(db, serial, *, base_url, photo_folder, basis, due_days):
    """Everything the sheet prints, as plain data for sheets.build_sheet, from the frozen record."""
    sheet = issuance.get_sheet(db, serial=serial)
    signed = record.load(db, sheet["visit_id"])
    campaign = get_campaign(db, campaign_id=signed.campaign_id)
    sheet_items = pinned_selfcheck(db, campaign)
    locked_at = datetime.fromisoformat(signed.locked_at)
    photos, rows, findings = [], [], []
    for no, step in enumerate(signed.steps, start=1):
        numbers = []
        for photo in step.photos:
            photos.append(sheets.Photo(len(photos) + 1, step.check.title, Path(photo_folder) / photo.file_name))
            numbers.append(len(photos))
        reports = tuple(
            sheets.SelfReport(r.item.no, r.item.topic, r.option.label if r.option and r.option.code else "",
                              date.fromisoformat(r.answered_on) if r.answered_on else None)
            for r in step.reports
        ) + tuple(sheets.SelfReport(t.item.no, t.item.topic, t.text, None) for t in step.tallies)
        rows.append(sheets.CheckRow(no, step.check.title, reports, step.result_label, step.discrepancy,
                                    step.remark, tuple(numbers)))
        if step.failed:
            items = "、".join(f"No.{r.item.no} {r.item.topic}" for r in (*step.reports, *step.tallies))
            findings.append(sheets.Finding(
                len(findings) + 1, step.check.title, f"セルフチェック {items}／{basis}" if items else basis,
                step.fact, step.result_label, tuple(numbers),
                calendar_days.due_date(locked_at.date(), due_days[step.result]),
            ))
    asked = interview.asked(db, signed.id)
    for a in (a for a in asked if a.wrong):  # 知識不足: answered by passing a later test
        items = "、".join(f"No.{no} {sheet_items.item(no).topic}" for no in a.question.covers)
        findings.append(sheets.Finding(len(findings) + 1, interview.title(a), f"セルフチェック {items}／{basis}",
                                       interview.finding_text(a), interview.CLASS_LABELS[interview.KNOWLEDGE_GAP], (),
                                       calendar_days.due_date(locked_at.date(), due_days["nonconformity"])))
    signed_by = signatures.signatures(db, signed.id)
    subject = signed.subject
    return sheets.SheetData(
        serial=serial, version=signed.version, amended=signed.version > 1,
        supersedes=issuance.serial_of(db, signed.supersedes_id), title=sheets.SHEET_TITLE, issued_on=locked_at.date(),
        campaign_title=campaign["title"], fiscal_year=campaign["fiscal_year"] or locked_at.year,
        checklist_version=signed.checklist.version, basis=basis,
        section=f"{subject.section_code} {subject.section_name}", person_name=subject.name,
        staff_no=subject.staff_no, employment=roster.EMPLOYMENT.get(subject.employment, subject.employment),
        auditors=tuple(a.name if a.lead or len(signed.auditors) == 1 else f"{a.name}（共同）" for a in signed.auditors),
        selection=signed.selection.label, started_at=datetime.fromisoformat(signed.started_at),
        finished_at=locked_at, overall_comment=signed.comment, rows=tuple(rows), findings=tuple(findings),
        photos=tuple(photos),
        signatures=tuple(
            sheets.Signature(subject_sheets.signer_labels(subject.kind)[role], s["name"], datetime.fromisoformat(s["signed_at"]), s["png"],
                             bool(s["refused"]), s["refusal_reason"])
            for role, s in ((r, signed_by[r]) for r in SIGNER_LABELS if r in signed_by)
        ),
        verify_url=verify_url(base_url, serial, sheet["digest"]), digest=sheet["digest"],
        chain=integrity.link_of(db, serial),
        subject=subject_sheets.header(subject, signed_by.get("auditee")),
        categories=tuple(r.label for r in signed.checklist.findings),
        interview=tuple(sheets.InterviewRow(a.position, a.question.question,
                                            "・".join(f"No.{no}" for no in a.question.covers), a.label, a.wrong)
                        for a in asked),
    )


def pdf(db, serial, *, folder, fonts, **settings):
    """The sheet's PDF: built on first request, then always the same file (so copies can be verified).

    Two tablets may ask for a new sheet at the same moment: each builds into its own temporary file,
    and only the one that records its hash first puts its file in place; the other serves that file.
    """
    path = Path(folder) / f"{serial}.pdf"
    if path.exists():
        return path.read_bytes()
    data = sheets.build_sheet(sheet_data(db, serial, **settings), fonts)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{serial}.", suffix=".part", delete=False) as part:
        part.write(data)
    with immediate(db):
        if issuance.record_pdf(db, serial, data) or not path.exists():
            os.replace(part.name, path)
        else:
            os.unlink(part.name)
    return path.read_bytes()


def combined(pdfs):
    """Several sheets as one PDF, for printing a day's or a section's visits in one go."""
    writer = PdfWriter()
    for data in pdfs:
        writer.append(io.BytesIO(data))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def serials_for(db, *, day=None, section_id=None):
    """Serials of current (not superseded) sheets locked on a day and/or in a section."""
    where, params = ["NOT EXISTS (SELECT 1 FROM visits n WHERE n.supersedes_id = v.id)",
                     "NOT EXISTS (SELECT 1 FROM purged_visits p WHERE p.visit_id = v.id)"], []
    if day:
        where.append("substr(v.locked_at, 1, 10) = ?")
        params.append(day)
    if section_id:
        where.append("v.section_id = ?")
        params.append(section_id)
    return [row[0] for row in db.execute(
        f"SELECT s.serial FROM sheets s JOIN visits v ON v.id = s.visit_id WHERE {' AND '.join(where)}"
        " ORDER BY s.serial", params)]


def photo_checker(folder):
    """A check that a photo file on disk still has the hash recorded at upload."""

    def check(name, sha256):
        try:
            photos.read_verified(Path(folder), name, sha256)
        except photos.PhotoError:
            return False
        return True

    return check
