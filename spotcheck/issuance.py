"""Issuing a locked visit as a numbered findings sheet, and telling whether a sheet is still genuine."""
import hashlib
import json

from . import aggregates, followups, integrity, visits
from .clock import now_iso
from .sqlite import immediate

VALID, ALTERED, SUPERSEDED, UNKNOWN = "valid", "altered", "superseded", "unknown"


def sign(db, visit_id, user_id, *, due_days, **signature):
    """Record a signature; when it locks the visit, close it out in the same transaction."""
    with immediate(db):
        locked = visits.sign(db, visit_id, user_id, **signature)
        if locked:
            close(db, visit_id, due_days)
    return locked


def close(db, visit_id, due_days):
    """A visit just locked: issue its sheet, count its observations, open its follow-ups."""
    issue(db, visit_id)
    visit = visits.get_visit(db, visit_id)
    _checklist, steps = visits.walk(db, visit)
    aggregates.record_visit(db, visit, steps)
    if visit["supersedes_id"]:
        old = visits.get_visit(db, visit["supersedes_id"])
        aggregates.record_visit(db, old, visits.walk(db, old)[1], sign=-1)
    followups.open_for_visit(db, visit, steps, due_days, superseded_visit_id=visit["supersedes_id"])


def content(db, visit_id):
    """Everything the sheet states, as plain data, read afresh from the database."""
    visit = visits.get_visit(db, visit_id)
    _checklist, steps = visits.walk(db, visit)
    photo_hashes = {
        row["check_code"]: row["hashes"].split(",")
        for row in db.query(
            "SELECT check_code, group_concat(sha256) AS hashes FROM (SELECT check_code, sha256 FROM photos"
            " WHERE visit_id = ? AND deleted_at IS NULL ORDER BY id) GROUP BY check_code", [visit_id])
    }
    signatures = [
        {"role": role, "name": row["name"], "signed_at": row["signed_at"], "refused": bool(row["refused"]),
         "reason": row["refusal_reason"], "sha256": hashlib.sha256(row["png"]).hexdigest() if row["png"] else None}
        for role, row in sorted(visits.signatures(db, visit_id).items())
    ]
    return {
        "version": visit["version"],
        "supersedes": _serial_of(db, visit["supersedes_id"]),
        "campaign": visit["campaign_code"],
        "section": [visit["section_code"], visit["section_name"]],
        "person": [visit["staff_no"], visit["person_name"], visit["employment"]],
        "auditor": visit["auditor_name"],
        "started_at": visit["started_at"],
        "locked_at": visit["locked_at"],
        "comment": visit["overall_comment"],
        "checks": [
            {"code": s["check"].code, "result": s["result"], "remark": s["remark"],
             "photos": photo_hashes.get(s["check"].code, []),
             "reports": [[item.no, option.code if option else None] for item, option, _ in s["reports"]]}
            for s in steps
        ],
        "signatures": signatures,
    }


def issue(db, visit_id):
    """Give a locked visit its serial, record its digest and chain it; returns the serial."""
    visit = visits.get_visit(db, visit_id)
    data = content(db, visit_id)
    if visit["supersedes_id"]:
        serial = f"{_root_serial(db, visit['supersedes_id'])}-v{visit['version']}"
    else:
        number = db.execute(
            "SELECT count(*) FROM sheets s JOIN visits v ON v.id = s.visit_id WHERE v.campaign_id = ? AND v.version = 1",
            [visit["campaign_id"]]).fetchone()[0] + 1
        serial = f"{visit['campaign_code']}-{number:04d}"
    content_digest = integrity.digest(data)
    db["sheets"].insert({"visit_id": visit_id, "serial": serial, "digest": content_digest,
                         "content": json.dumps(data, ensure_ascii=False), "issued_at": now_iso()})
    integrity.append(db, serial, "issue", content_digest)
    if data["supersedes"]:
        integrity.append(db, data["supersedes"], "supersede", content_digest)
    return serial


def _serial_of(db, visit_id):
    if visit_id is None:
        return None
    row = db.execute("SELECT serial FROM sheets WHERE visit_id = ?", [visit_id]).fetchone()
    return row[0] if row else None


def _root_serial(db, visit_id):
    """The first version's serial, which every amendment extends."""
    while True:
        row = db.execute("SELECT supersedes_id FROM visits WHERE id = ?", [visit_id]).fetchone()
        if row[0] is None:
            return _serial_of(db, visit_id)
        visit_id = row[0]


def get_sheet(db, *, serial=None, visit_id=None):
    """An issued sheet row by serial or visit, or None."""
    column, value = ("serial", serial) if serial is not None else ("visit_id", visit_id)
    rows = list(db.query(f"SELECT * FROM sheets WHERE {column} = ?", [value]))
    return rows[0] if rows else None


def status(db, serial, photo_check=None):
    """Is this serial's sheet genuine and current? Only facts safe to show a stranger.

    `photo_check(name, sha256) -> bool` confirms a photo file on disk still has its recorded hash.
    """
    sheet = get_sheet(db, serial=serial)
    if sheet is None:
        return {"state": UNKNOWN, "serial": serial}
    visit = visits.get_visit(db, sheet["visit_id"])
    current = integrity.digest(content(db, sheet["visit_id"]))
    genuine = current == sheet["digest"] == integrity.chain_digest(db, serial)
    if genuine and photo_check:
        genuine = all(photo_check(row[0], row[1]) for row in db.execute(
            "SELECT file_name, sha256 FROM photos WHERE visit_id = ? AND deleted_at IS NULL", [sheet["visit_id"]]))
    newer = db.execute("SELECT s.serial FROM visits v JOIN sheets s ON s.visit_id = v.id WHERE v.supersedes_id = ?",
                       [sheet["visit_id"]]).fetchone()
    state = ALTERED if not genuine else SUPERSEDED if newer else VALID
    return {"state": state, "serial": serial, "digest": sheet["digest"], "issued_at": sheet["issued_at"],
            "section": visit["section_name"], "superseded_by": newer[0] if newer else None}


def record_pdf(db, serial, pdf_bytes):
    """Remember the hash of the PDF file as first printed, so an uploaded copy can be matched."""
    db.execute("UPDATE sheets SET pdf_sha256 = ? WHERE serial = ? AND pdf_sha256 IS NULL",
               [hashlib.sha256(pdf_bytes).hexdigest(), serial])


def find_by_pdf(db, pdf_bytes):
    """The serial whose issued PDF is exactly these bytes, or None."""
    row = db.execute("SELECT serial FROM sheets WHERE pdf_sha256 = ?", [hashlib.sha256(pdf_bytes).hexdigest()]).fetchone()
    return row[0] if row else None
