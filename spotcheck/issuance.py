"""Issuing a locked visit as a numbered findings sheet, and telling whether a sheet is still genuine."""
import hashlib
import json

from . import aggregates, audit, followups, integrity, interview, record, retention, signatures, visits
from .clock import now_iso
from .sqlite import immediate

VALID, ALTERED, SUPERSEDED, UNKNOWN, PURGED = "valid", "altered", "superseded", "unknown", "purged"


def sign(db, visit_id, user_id, *, due_days, **signature):
    """Record a signature; when it locks the visit, close it out in the same transaction."""
    with immediate(db):
        locked = signatures.sign(db, visit_id, user_id, **signature)
        if locked:
            close(db, visit_id, due_days, user_id)
    return locked


def close(db, visit_id, due_days, user_id=None):
    """A visit just locked: issue its sheet, count its observations, open its follow-ups."""
    signed = record.load(db, visit_id)
    issue(db, signed, user_id)
    if signed.subject.kind == "person":  # the tallies cross-check one person's answers; a section has no one's
        aggregates.record_visit(db, signed)
        if signed.supersedes_id:
            aggregates.record_visit(db, record.load(db, signed.supersedes_id), sign=-1)
    followups.open_for_visit(db, signed, due_days)
    interview.open_followups(db, signed, due_days)  # 知識不足: each wrong answer of the interview


def content(db, visit_id):
    """Everything the sheet states, as plain data, from the visit's locked rows and frozen record."""
    return record.content(db, record.load(db, visit_id))


def issue(db, signed, user_id=None):
    """Give a locked visit its serial, record its digest and chain it; returns the serial.

    The audit entry is about the sheet, keyed by its visit's id (one sheet per visit), so a visit's
    変更履歴 shows its issue and prints beside its changes.
    """
    data = record.content(db, signed)
    if signed.supersedes_id:
        serial = f"{_root_serial(db, signed.supersedes_id)}-v{signed.version}"
    else:
        number = db.execute(
            "SELECT count(*) FROM sheets s JOIN visits v ON v.id = s.visit_id WHERE v.campaign_id = ? AND v.version = 1",
            [signed.campaign_id]).fetchone()[0] + 1
        serial = f"{signed.campaign_code}-{number:04d}"
    content_digest = integrity.digest(data)
    db["sheets"].insert({"visit_id": signed.id, "serial": serial, "digest": content_digest,
                         "content": json.dumps(data, ensure_ascii=False), "issued_at": now_iso()})
    integrity.append(db, serial, "issue", content_digest)
    if data["supersedes"]:
        integrity.append(db, data["supersedes"], "supersede", content_digest)
    audit.record(db, user_id=user_id, action="issue", entity="sheet", entity_id=signed.id,
                 after={"serial": serial, "digest": content_digest, "supersedes": data["supersedes"]})
    return serial


def serial_of(db, visit_id):
    """The serial a visit's sheet was issued under, or None (also for no visit)."""
    if visit_id is None:
        return None
    row = db.execute("SELECT serial FROM sheets WHERE visit_id = ?", [visit_id]).fetchone()
    return row[0] if row else None


def _root_serial(db, visit_id):
    """The first version's serial, which every amendment extends."""
    while True:
        row = db.execute("SELECT supersedes_id FROM visits WHERE id = ?", [visit_id]).fetchone()
        if row[0] is None:
            return serial_of(db, visit_id)
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
    if retention.is_purged(db, sheet["visit_id"]):
        return _purged_status(db, sheet, visit)
    try:
        current = integrity.digest(content(db, sheet["visit_id"]))
    except (KeyError, TypeError, ValueError):  # a frozen record edited into nonsense is not genuine either
        current = None
    genuine = current == sheet["digest"] == integrity.chain_digest(db, serial)
    if genuine and photo_check:
        genuine = all(photo_check(row[0], row[1]) for row in db.execute(
            "SELECT file_name, sha256 FROM photos WHERE visit_id = ? AND deleted_at IS NULL", [sheet["visit_id"]]))
    newer = db.execute("SELECT s.serial FROM visits v JOIN sheets s ON s.visit_id = v.id WHERE v.supersedes_id = ?",
                       [sheet["visit_id"]]).fetchone()
    state = ALTERED if not genuine else SUPERSEDED if newer else VALID
    link = integrity.link_of(db, serial)
    return {"state": state, "serial": serial, "digest": sheet["digest"], "issued_at": sheet["issued_at"],
            "section": visit["section_name"], "superseded_by": newer[0] if newer else None,
            "chain": f"第{link.number}号 {link.short}" if link else None}


def _purged_status(db, sheet, visit):
    """A sheet whose record went at the end of its retention: genuine if the chain still holds its digest."""
    serial = sheet["serial"]
    link = integrity.link_of(db, serial)
    chained = integrity.chain_digest(db, serial) == sheet["digest"] and visit["status"] == "locked"
    return {"state": PURGED if chained else ALTERED, "serial": serial, "digest": sheet["digest"],
            "issued_at": sheet["issued_at"], "section": visit["section_name"], "superseded_by": None,
            "purged_at": retention.purge_of_visit(db, sheet["visit_id"])[1],
            "chain": f"第{link.number}号 {link.short}" if link else None}


def record_pdf(db, serial, pdf_bytes):
    """Remember the hash of the PDF file as first printed, so an uploaded copy can be matched.

    Returns True when this was the first print (only its file may become the stored one).
    """
    cursor = db.execute("UPDATE sheets SET pdf_sha256 = ? WHERE serial = ? AND pdf_sha256 IS NULL",
                        [hashlib.sha256(pdf_bytes).hexdigest(), serial])
    return cursor.rowcount == 1


def find_by_pdf(db, pdf_bytes):
    """The serial whose issued PDF is exactly these bytes, or None."""
    row = db.execute("SELECT serial FROM sheets WHERE pdf_sha256 = ?", [hashlib.sha256(pdf_bytes).hexdigest()]).fetchone()
    return row[0] if row else None


def verify_records(db, photo_check=None):
    """Hold every issued sheet's stored rows and frozen record against its digest and the chain.

    Returns Japanese problems, each naming the sheet and what differs; empty when all is intact.
    """
    chained = dict(db.execute("SELECT serial, digest FROM chain WHERE kind = 'issue'"))
    problems, issued = [], set()
    for sheet in db.query("SELECT s.*, v.status FROM sheets s LEFT JOIN visits v ON v.id = s.visit_id ORDER BY s.id"):
        serial = sheet["serial"]
        issued.add(serial)
        if sheet["status"] != "locked":
            problems.append(f"{serial}: 署名済みの記録が確定していない状態に戻されています（改ざんの疑い）。")
            continue
        if chained.get(serial) != sheet["digest"]:
            problems.append(f"{serial}: 検証ログに、この結果票の発行の記録がないか、ダイジェストが一致しません。")
            continue
        if retention.is_purged(db, sheet["visit_id"]):
            continue  # the content is gone by design; the chain above still holds its digest
        try:
            current = content(db, sheet["visit_id"])
        except (KeyError, TypeError, ValueError):
            problems.append(f"{serial}: 保存されている記録が読めません（改ざんの疑い）。")
            continue
        if integrity.digest(current) != sheet["digest"]:
            changed = "、".join(_differences(json.loads(sheet["content"]), current)) or "発行時の控え"
            problems.append(f"{serial}: 署名時の内容と一致しません（改ざんの疑い）。変わった箇所: {changed}")
        elif photo_check and not all(photo_check(name, sha) for name, sha in db.execute(
                "SELECT file_name, sha256 FROM photos WHERE visit_id = ? AND deleted_at IS NULL", [sheet["visit_id"]])):
            problems.append(f"{serial}: 写真のファイルが記録されたハッシュと一致しません。")
    for (visit_id,) in db.execute("SELECT v.id FROM visits v WHERE v.status = 'locked'"
                                  " AND NOT EXISTS (SELECT 1 FROM sheets s WHERE s.visit_id = v.id)"):
        problems.append(f"確定した実地監査（記録 {visit_id}）の結果票の記録がありません（削除の疑い）。")
    for serial in sorted(chained.keys() - issued):
        problems.append(f"{serial}: 検証ログにある結果票の記録がデータベースにありません（削除の疑い）。")
    return problems


def _differences(issued, current):
    """Where today's stored record differs from the content digested at issue, e.g. 確認項目 usb の result."""
    out = [key for key in sorted(issued.keys() | current.keys()) if key != "checks" and issued.get(key) != current.get(key)]
    old = {c["code"]: c for c in issued.get("checks", [])}
    for check in current.get("checks", []):
        before = old.pop(check["code"], None)
        if before is None:
            out.append(f"確認項目 {check['code']}（追加）")
        else:
            out += [f"確認項目 {check['code']} の {field}" for field in sorted(check) if check[field] != before.get(field)]
    out += [f"確認項目 {code}（削除）" for code in old]
    return out
