"""Test data as the city and the tablet would produce it: files, answers, changes, signatures."""
import base64
import csv
import hashlib
import io
from datetime import datetime, timedelta, timezone

from PIL import Image, ImageDraw

from spotcheck import followups, imports, issuance, record, visits

PASSWORD = "correct horse battery"
DUE = {"nonconformity": 30, "major": 7}
SECTION_HEADER = ["所属コード", "所属名", "特定個人情報", "業務委託システム"]
STAFF_HEADER = ["職員番号", "氏名", "フリガナ", "所属コード", "任用区分", "PC使用"]
SELFCHECK_HEADER = ["職員番号", "回答日"] + [str(n) for n in range(1, 36)]
SECTIONS = [
    ["0101", "総務課", "無", "有"],
    ["0201", "市民課", "有", "無"],
    ["0301", "図書館", "無", "無"],
]
STAFF = [
    ["000101", "鈴木 一郎", "スズキ イチロウ", "0101", "正規職員", "有"],
    ["000102", "髙橋 花子", "タカハシ ハナコ", "0201", "会計年度任用職員", "有"],
    ["000103", "山﨑 次郎", "ヤマザキ ジロウ", "0301", "再任用職員", "無"],
]


def csv_bytes(header, rows, encoding="utf-8-sig"):
    """A CSV file as Excel would save it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def answers_row(staff_no, answered_on="2024/01/15", value="①", **overrides):
    """One person's row of a self-check results file: `value` everywhere except overrides like s19="③"."""
    cells = {n: value for n in range(1, 36)}
    cells.update({int(k[1:]): v for k, v in overrides.items()})
    return [staff_no, answered_on] + [cells[n] for n in range(1, 36)]


def import_selfcheck(db, campaign, data, name="selfcheck.csv"):
    """Import a self-check results file through the real path; returns the Plan."""
    plan = imports.plan(db, "selfcheck", data, name, campaign=campaign, max_rows=200_000)
    imports.apply(db, plan, None)
    return plan


def signature_url(blank=False):
    """A finger signature as the browser's canvas sends it."""
    image = Image.new("RGBA", (600, 220), (0, 0, 0, 0))
    if not blank:
        ImageDraw.Draw(image).line([(20, 150), (200, 40), (400, 170), (580, 60)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


# The tablets' clock in tests: the server trusts a browser time only within a day of its own.
BASE = datetime.now(timezone.utc).replace(microsecond=0)


def soon(seconds=0):
    """A browser timestamp `seconds` after the start of the test run."""
    return (BASE + timedelta(seconds=seconds)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def change(db, v, field, value, check="external_media", at=None, key=None):
    """One autosaved change from the tablet (a stable key per visit, field, check, value and time)."""
    at = at or soon()
    key = key or hashlib.sha256(f"{v['id']}{field}{check}{value}{at}".encode()).hexdigest()[:32]
    return visits.save_change(db, v["id"], v["auditor"], key=key, field=field, value=value, changed_at=at,
                              check_code=check)


def steps_by_code(db, v):
    """The visit's steps (record.Step) keyed by check code."""
    return {step.check.code: step for step in record.load(db, v["id"]).steps}


def fill_all(db, v, result="ok"):
    """Record the same result on every applicable check."""
    for code in steps_by_code(db, v):
        change(db, v, "result", result, check=code)


def sign_both(db, visit, refusal=None, remark="机上に未登録のUSBメモリがあった"):
    """Both sides sign (or the audited person refuses), which locks and issues the visit.

    A finding cannot be signed without the auditor's remark, so one is written where it is missing.
    """
    for code, step in steps_by_code(db, visit).items():
        if step.failed and not step.remark and remark:
            change(db, visit, "remark", remark, check=code, at=soon(30))
    issuance.sign(db, visit["id"], visit["auditor"], due_days=DUE, role="auditor", name="監査 太郎",
                  data_url=signature_url())
    issuance.sign(db, visit["id"], visit["auditor"], due_days=DUE, role="auditee", name="鈴木 一郎",
                  data_url=None if refusal else signature_url(), refused=bool(refusal), reason=refusal or "")


def overdue_followup(db, visit, due_on):
    """Sign the visit with one 重大 (external_media) and set its follow-up's deadline to `due_on`; the follow-up row."""
    fill_all(db, visit)
    change(db, visit, "result", "major", check="external_media", at=soon(60))
    sign_both(db, visit)
    [row] = followups.listing(db)
    db.execute("UPDATE followups SET due_on = ? WHERE id = ?", [due_on, row["id"]])
    db.conn.commit()
    return row


def jpeg(color=(200, 60, 60)):
    """A plain 800×600 camera-like JPEG."""
    out = io.BytesIO()
    Image.new("RGB", (800, 600), color).save(out, "JPEG")
    return out.getvalue()


def add_contract(db, contract_no="R6-委-001", *, section_code="0101", title="住民記録システム保守", contractor="株式会社サンプル",
                 system="住民記録システム", subcontracting=0, personal_data=1, ended_at=None):
    """One row of the contract register, as its import would store it; returns its id."""
    section_id = db.execute("SELECT id FROM sections WHERE code = ?", [section_code]).fetchone()[0]
    return db["contracts"].insert({
        "contract_no": contract_no, "title": title, "contractor": contractor, "section_id": section_id,
        "system": system, "starts_on": "2024-04-01", "ends_on": "2027-03-31", "subcontracting": subcontracting,
        "personal_data": personal_data, "ended_at": ended_at, "created_at": "2024-04-01T00:00:00+00:00",
        "updated_at": "2024-04-01T00:00:00+00:00"}).last_pk
