"""The register of unmanaged devices (管理外の機器): recording one, its status lifecycle and history, and sweeps.

A device is found during a visit or during a 「機器の棚卸し」 sweep of a floor or section. Its status goes
確認済み (confirmed) → 管理へ移行 (managed) or 撤去 (removed), once, with a note; every change is audited.
`used_by` is free text that may name a person: it is kept out of the audit log and out of every report.
"""
import hashlib
import json
import sqlite3
from dataclasses import dataclass

from . import audit
from .clock import now_iso
from .sqlite import immediate


def N_(message):
    """Mark a message for the catalogue; the screen translates it (i18n.translated)."""
    return message


KINDS = {
    "pc": N_("PC"),
    "tablet": N_("タブレット"),
    "storage": N_("NAS・外付けHDD"),
    "network": N_("ルーター・無線LAN"),
    "printer": N_("プリンタ複合機"),
    "other": N_("その他"),
}
STATUSES = {"confirmed": N_("確認済み"), "managed": N_("管理へ移行"), "removed": N_("撤去")}
CONNECTION = {"yes": N_("つながる"), "no": N_("つながらない"), "unknown": N_("不明")}
# Only a confirmed device moves on, and only once: 管理へ移行 and 撤去 are where its story ends.
NEXT = {"confirmed": ("managed", "removed"), "managed": (), "removed": ()}
MAX_TEXT = 200
MAX_NOTE = 500
MAX_AREA = 100


class DeviceError(ValueError):
    """Input we refuse: `problems` are (msgid, values) pairs, str(error) the Japanese lines joined."""

    def __init__(self, *problems):
        self.problems = tuple((p, {}) if isinstance(p, str) else p for p in problems)
        super().__init__("\n".join(msgid % values if values else msgid for msgid, values in self.problems))


@dataclass(frozen=True)
class DeviceInput:
    """What the auditor typed and tapped on the form, before it is checked."""

    kind: str
    section_id: int | None
    location: str
    purpose: str
    lan: str
    internet: str
    used_by: str
    visit_id: int | None = None
    sweep_id: int | None = None


@dataclass(frozen=True)
class Photo:
    """The label photo's stored names and digest (photos.StoredPhoto's, without the sizes)."""

    name: str
    thumb_name: str
    sha256: str


def check_input(db, data: DeviceInput):
    """The Japanese problems of a form, all at once (an empty list when it may be stored)."""
    problems = []
    if data.kind not in KINDS:
        problems.append(N_("機器の種類を選んでください。"))
    if data.section_id is None or db.execute("SELECT 1 FROM sections WHERE id = ?", [data.section_id]).fetchone() is None:
        problems.append(N_("所属を選んでください。"))
    if not data.location.strip():
        problems.append(N_("設置場所を入力してください。"))
    too_long = {"location": N_("設置場所は %(n)s 文字以内で入力してください。"),
                "purpose": N_("用途・システムは %(n)s 文字以内で入力してください。"),
                "used_by": N_("使用者は %(n)s 文字以内で入力してください。")}
    problems += [(message, {"n": MAX_TEXT}) for field, message in too_long.items() if len(getattr(data, field)) > MAX_TEXT]
    if data.lan not in CONNECTION:
        problems.append(N_("庁内LANへの接続を選んでください。"))
    if data.internet not in CONNECTION:
        problems.append(N_("インターネットへの接続を選んでください。"))
    if data.visit_id is not None and data.sweep_id is not None:
        problems.append(N_("実地監査と棚卸しの両方には記録できません。"))
    if data.visit_id is not None:
        visit = db.execute("SELECT status FROM visits WHERE id = ?", [data.visit_id]).fetchone()
        if visit is None:
            problems.append(N_("実地監査が見つかりません。"))
    if data.sweep_id is not None:
        sweep = get_sweep(db, data.sweep_id)
        if sweep is None:
            problems.append(N_("棚卸しが見つかりません。"))
        elif sweep["finished_at"]:
            problems.append(N_("この棚卸しは終了しています。新しい棚卸しを始めてください。"))
    return problems


def record(db, data: DeviceInput, user_id, submit_key, photo: Photo | None = None):
    """Store one found device (status 確認済み) with its first history line; returns (id, created).

    The same submit_key twice (a double tap, a re-sent form) returns the first device and stores nothing.
    """
    if not submit_key or len(submit_key) > 64:
        raise DeviceError(N_("画面を読み込み直してから、もう一度お試しください。"))
    existing = db.execute("SELECT id FROM devices WHERE submit_key = ?", [submit_key]).fetchone()
    if existing:
        return existing[0], False
    problems = check_input(db, data)
    if problems:
        raise DeviceError(*problems)
    stamp = now_iso()
    try:
        return _insert(db, data, user_id, submit_key, photo, stamp), True
    except sqlite3.IntegrityError:
        # Two sends of one form racing: the loser finds the winner's device (anything else is a real error).
        existing = db.execute("SELECT id FROM devices WHERE submit_key = ?", [submit_key]).fetchone()
        if existing is None:
            raise
        return existing[0], False


def _insert(db, data, user_id, submit_key, photo, stamp):
    """The device row, its first history line and its audit entry, in one transaction."""
    with db.conn:
        device_id = db["devices"].insert({
            "kind": data.kind, "location": data.location.strip(), "section_id": data.section_id,
            "purpose": data.purpose.strip(), "lan": data.lan, "internet": data.internet,
            "used_by": data.used_by.strip(), "photo_name": photo.name if photo else None,
            "photo_thumb": photo.thumb_name if photo else None, "photo_sha256": photo.sha256 if photo else None,
            "visit_id": data.visit_id, "sweep_id": data.sweep_id, "status": "confirmed", "found_at": stamp,
            "found_by": user_id, "submit_key": submit_key, "updated_at": stamp,
        }).last_pk
        db["device_events"].insert({"device_id": device_id, "status_from": None, "status_to": "confirmed",
                                    "note": "", "user_id": user_id, "created_at": stamp})
        # Codes and ids only: where it stands and who uses it are on the device's page, not in the log.
        audit.record(db, user_id=user_id, action="record", entity="device", entity_id=device_id,
                     after={"kind": data.kind, "section_id": data.section_id, "status": "confirmed",
                            "lan": data.lan, "internet": data.internet, "visit_id": data.visit_id,
                            "sweep_id": data.sweep_id, "photo": photo is not None})
    return device_id


def change_status(db, device_id, user_id, *, expected, status, note):
    """Move a device on (管理へ移行・撤去) with a note; returns False when `expected` is no longer its status.

    `expected` is the status the person saw: a second tap, or a colleague who acted first, changes nothing.
    """
    note = (note or "").strip()
    device = get(db, device_id)
    if device is None:
        raise DeviceError(N_("機器が見つかりません。"))
    if status not in STATUSES:
        raise DeviceError(N_("変更後の状態を選んでください。"))
    if not note:
        raise DeviceError(N_("変更の理由・経緯を入力してください。"))
    if len(note) > MAX_NOTE:
        raise DeviceError((N_("メモは %(n)s 文字以内で入力してください。"), {"n": MAX_NOTE}))
    if device["status"] != expected:
        return False
    if status not in NEXT[expected]:
        raise DeviceError(N_("この状態には変更できません。"))
    stamp = now_iso()
    with db.conn:
        # The guard and the change in one statement: of two requests racing, only one passes it.
        if not db.execute("UPDATE devices SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
                          [status, stamp, device_id, expected]).rowcount:
            return False
        db["device_events"].insert({"device_id": device_id, "status_from": expected, "status_to": status,
                                    "note": note, "user_id": user_id, "created_at": stamp})
        audit.record(db, user_id=user_id, action="set_status", entity="device", entity_id=device_id,
                     before={"status": expected}, after={"status": status})  # the note may name people: history only
    return True


def update_details(db, device_id, user_id, data: DeviceInput, *, expected):
    """Correct what was recorded (kind, section, place, purpose, connections, user); returns False when the record
    changed since the form was opened (`expected` is the shown record's details_token), so no one overwrites a colleague.

    Sending the same correction twice changes nothing the second time and is not a conflict.
    """
    problems = check_input(db, DeviceInput(**_details(data)))
    if problems:
        raise DeviceError(*problems)
    values = _details(data)
    with immediate(db):  # the comparison and the change under one write lock: of two racing saves, one wins
        device = get(db, device_id)
        if device is None:
            raise DeviceError(N_("機器が見つかりません。"))
        changed = sorted(field for field, value in values.items() if device[field] != value)
        if not changed:
            return True
        if details_token(device) != expected:
            return False
        db.execute(f"UPDATE devices SET {', '.join(f'{f} = ?' for f in changed)}, updated_at = ? WHERE id = ?",
                   [*(values[f] for f in changed), now_iso(), device_id])
        # Which fields changed, and the codes among them; places and users stay on the device's page.
        audit.record(db, user_id=user_id, action="edit", entity="device", entity_id=device_id,
                     before={f: device[f] for f in changed if f in CODED_FIELDS},
                     after={"fields": changed, **{f: values[f] for f in changed if f in CODED_FIELDS}})
    return True


CODED_FIELDS = ("kind", "section_id", "lan", "internet")
DETAIL_FIELDS = ("kind", "section_id", "location", "purpose", "lan", "internet", "used_by")


def details_token(device) -> str:
    """A digest of the record's details as a form shows them: the form sends it back to detect a colleague's change."""
    return hashlib.sha256(json.dumps([device[f] for f in DETAIL_FIELDS], ensure_ascii=False).encode()).hexdigest()


def _details(data: DeviceInput) -> dict:
    return {"kind": data.kind, "section_id": data.section_id, "location": data.location.strip(),
            "purpose": data.purpose.strip(), "lan": data.lan, "internet": data.internet, "used_by": data.used_by.strip()}


def get(db, device_id):
    """One device with its section's and finder's names, or None."""
    rows = list(db.query(
        "SELECT d.*, s.code AS section_code, s.name AS section_name, u.display_name AS found_by_name,"
        " w.area AS sweep_area FROM devices d JOIN sections s ON s.id = d.section_id"
        " JOIN users u ON u.id = d.found_by LEFT JOIN device_sweeps w ON w.id = d.sweep_id WHERE d.id = ?",
        [device_id]))
    return rows[0] if rows else None


def history(db, device_id):
    """The device's status changes, oldest first, with who made them."""
    return list(db.query(
        "SELECT e.*, u.display_name AS user_name FROM device_events e JOIN users u ON u.id = e.user_id"
        " WHERE e.device_id = ? ORDER BY e.id", [device_id]))


def listing(db, *, section_id=None, status=None, kind=None, sweep_id=None):
    """Devices matching the filters, newest first (a filter of None takes all)."""
    clauses, params = ["1 = 1"], []
    for column, value in (("d.section_id", section_id), ("d.status", status), ("d.kind", kind),
                          ("d.sweep_id", sweep_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    return list(db.query(
        "SELECT d.*, s.code AS section_code, s.name AS section_name FROM devices d"
        f" JOIN sections s ON s.id = d.section_id WHERE {' AND '.join(clauses)} ORDER BY d.id DESC", params))


# ---------------------------------------------------------------- sweeps (機器の棚卸し)


def start_sweep(db, section_id, area, user_id):
    """Begin a sweep of a section's floor or area; returns its id."""
    area = (area or "").strip()
    problems = []
    if section_id is None or db.execute("SELECT 1 FROM sections WHERE id = ?", [section_id]).fetchone() is None:
        problems.append(N_("所属を選んでください。"))
    if not area:
        problems.append(N_("棚卸しする場所（フロア・区域）を入力してください。"))
    elif len(area) > MAX_AREA:
        problems.append((N_("場所は %(n)s 文字以内で入力してください。"), {"n": MAX_AREA}))
    if problems:
        raise DeviceError(*problems)
    with db.conn:
        sweep_id = db["device_sweeps"].insert({"section_id": section_id, "area": area, "started_by": user_id,
                                               "started_at": now_iso()}).last_pk
        audit.record(db, user_id=user_id, action="start", entity="device_sweep", entity_id=sweep_id,
                     after={"section_id": section_id, "area": area})
    return sweep_id


def finish_sweep(db, sweep_id, user_id):
    """End a sweep, recording how many devices it found (0 is a result too); returns the count.

    Finishing twice keeps the first count and writes nothing more.
    """
    sweep = get_sweep(db, sweep_id)
    if sweep is None:
        raise DeviceError(N_("棚卸しが見つかりません。"))
    if sweep["finished_at"]:
        return sweep["found_count"]
    with db.conn:
        count = db.execute("SELECT count(*) FROM devices WHERE sweep_id = ?", [sweep_id]).fetchone()[0]
        changed = db.execute(
            "UPDATE device_sweeps SET finished_at = ?, finished_by = ?, found_count = ? WHERE id = ? AND finished_at IS NULL",
            [now_iso(), user_id, count, sweep_id]).rowcount
        if changed:
            audit.record(db, user_id=user_id, action="finish", entity="device_sweep", entity_id=sweep_id,
                         after={"found_count": count})
    return count


def get_sweep(db, sweep_id):
    """One sweep with its section's name and the devices recorded so far, or None."""
    rows = list(db.query(
        "SELECT w.*, s.code AS section_code, s.name AS section_name, u.display_name AS started_by_name,"
        " (SELECT count(*) FROM devices d WHERE d.sweep_id = w.id) AS devices_so_far"
        " FROM device_sweeps w JOIN sections s ON s.id = w.section_id JOIN users u ON u.id = w.started_by"
        " WHERE w.id = ?", [sweep_id]))
    return rows[0] if rows else None


def list_sweeps(db, *, section_id=None, limit=50):
    """Recent sweeps, newest first."""
    where, params = ("WHERE w.section_id = ?", [section_id]) if section_id is not None else ("", [])
    return list(db.query(
        "SELECT w.*, s.code AS section_code, s.name AS section_name,"
        " (SELECT count(*) FROM devices d WHERE d.sweep_id = w.id) AS devices_so_far"
        f" FROM device_sweeps w JOIN sections s ON s.id = w.section_id {where} ORDER BY w.id DESC LIMIT ?",
        [*params, limit]))


def visit_section(db, visit_id):
    """The section a visit took place in (the form's default owner), or None."""
    row = db.execute("SELECT section_id FROM visits WHERE id = ?", [visit_id]).fetchone()
    return row[0] if row else None
