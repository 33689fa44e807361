"""From an issued visit to its findings-sheet PDF: gather the data, build once, keep the file."""
import io
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from pypdf import PdfWriter

from . import issuance, photos, roster, sheets, visits
from .campaigns import get_campaign, pinned_onsite
from .crosscheck import FAILED

SIGNER_LABELS = {"auditor": "監査員", "auditee": "被監査者"}


def verify_url(base_url, serial, digest):
    """The address a sheet's QR code points to."""
    return f"{base_url.rstrip('/')}/verify/{quote(serial)}?d={digest}"


def sheet_data(db, serial, *, base_url, photo_folder, basis, due_days):
    """Everything the sheet prints, as plain data for sheets.build_sheet."""
    sheet = issuance.get_sheet(db, serial=serial)
    visit = visits.get_visit(db, sheet["visit_id"])
    campaign = get_campaign(db, campaign_id=visit["campaign_id"])
    checklist, steps = visits.walk(db, visit)
    locked_at = datetime.fromisoformat(visit["locked_at"])
    photos, rows, findings = [], [], []
    for no, step in enumerate(steps, start=1):
        numbers = []
        for photo in step["photos"]:
            row = visits.get_photo(db, visit["id"], photo["id"])
            photos.append(sheets.Photo(len(photos) + 1, step["check"].title, Path(photo_folder) / row["file_name"]))
            numbers.append(len(photos))
        reports = tuple(
            sheets.SelfReport(item.no, item.topic, option.label if option and option.code else "",
                              date.fromisoformat(answered_on) if answered_on else None)
            for item, option, answered_on in step["reports"]
        )
        rows.append(sheets.CheckRow(no, step["check"].title, reports, step["result_label"], step["discrepancy"],
                                    step["remark"], tuple(numbers)))
        if step["result"] in FAILED:
            items = "、".join(f"No.{item.no} {item.topic}" for item, _, _ in step["reports"])
            findings.append(sheets.Finding(
                len(findings) + 1, step["check"].title, f"セルフチェック {items}／{basis}" if items else basis,
                step["remark"] or step["check"].noncompliant, step["result_label"], tuple(numbers),
                locked_at.date() + timedelta(days=due_days[step["result"]]),
            ))
    signatures = visits.signatures(db, visit["id"])
    return sheets.SheetData(
        serial=serial, version=visit["version"], amended=visit["version"] > 1,
        supersedes=issuance.content(db, visit["id"])["supersedes"], title=sheets.SHEET_TITLE, issued_on=locked_at.date(),
        campaign_title=campaign["title"], fiscal_year=campaign["fiscal_year"] or locked_at.year,
        checklist_version=pinned_onsite(db, campaign).version, basis=basis,
        section=f"{visit['section_code']} {visit['section_name']}", person_name=visit["person_name"],
        staff_no=visit["staff_no"], employment=roster.EMPLOYMENT[visit["employment"]],
        auditors=(visit["auditor_name"],), started_at=datetime.fromisoformat(visit["started_at"]),
        finished_at=locked_at, overall_comment=visit["overall_comment"], rows=tuple(rows), findings=tuple(findings),
        photos=tuple(photos),
        signatures=tuple(
            sheets.Signature(SIGNER_LABELS[role], s["name"], datetime.fromisoformat(s["signed_at"]), s["png"],
                             bool(s["refused"]), s["refusal_reason"])
            for role, s in ((r, signatures[r]) for r in SIGNER_LABELS if r in signatures)
        ),
        verify_url=verify_url(base_url, serial, sheet["digest"]), digest=sheet["digest"],
    )


def pdf(db, serial, *, folder, fonts, **settings):
    """The sheet's PDF: built on first request, then always the same file (so copies can be verified)."""
    path = Path(folder) / f"{serial}.pdf"
    if not path.exists():
        data = sheets.build_sheet(sheet_data(db, serial, **settings), fonts)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)
        issuance.record_pdf(db, serial, data)
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
    where, params = ["NOT EXISTS (SELECT 1 FROM visits n WHERE n.supersedes_id = v.id)"], []
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
