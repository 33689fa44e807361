"""Retention: personal data past its keeping period is removed; the anonymised counts and the chain stay.

Fiscal years run from 1 April to 31 March. "Beyond retention" means:
- a campaign's personal data is kept through the end of fiscal year FY + RETENTION_FISCAL_YEARS, FY being
  the campaign's fiscal year (or, when it has none, the fiscal year it was created in), and may go from
  the following 1 April;
- a retired person's name, kana and staff number on the roster are kept through the end of fiscal year
  R + RETENTION_AFTER_RETIREMENT_YEARS, R being the fiscal year they were retired in.
So on any day the cut-off is the latest 31 March: whatever's period ended on or before it goes.

A purge blanks names, kana, staff numbers, free text, signature images and signer names, deletes
photos and issued PDF files, removes self-check answers, and moves every visit, observation and
follow-up of a purged campaign onto an anonymous roster row per section, so nothing links them to a
person any more. Result codes, tallies, follow-up states, digests, serials and the chain stay: the
council report's figures do not move, and the chain still proves each issued sheet's digest.
"""
import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from . import audit, photos
from .clock import now_iso
from .sqlite import immediate
from .wareki import fiscal_year, format_date, format_fiscal_year

PURGED_LABEL = "（保存期間満了により廃棄）"
LABELS = {
    "campaigns": "キャンペーン",
    "visits": "実地監査の記録",
    "sheets": "結果票の控え",
    "signatures": "署名",
    "photos": "写真",
    "followups": "フォローアップ",
    "responses": "セルフチェックの回答",
    "draws": "抽選の対象者一覧",
    "staff": "退職者の名簿情報",
    "devices": "管理外の機器の使用者・メモ・ラベル写真",
    "files": "ファイル",
    "tests": "理解度テストの結果",
}
# What an audit-log entry about purged data may still say: codes, ids of records, digests — no names or text.
KEPT_LOG_KEYS = {"check", "role", "photo_id", "sha256", "supersedes", "draw_id", "severity", "state", "visit_id",
                 "amended_by", "result", "pool_digest", "seed", "method", "kind",
                 # A test follow-up's entries name only the test and its date; the follow-up itself becomes anonymous.
                 "test", "taken_on"}
PLACEHOLDER = "#section-{section_id}"  # '#' is never in an imported staff number, so no import can match it


class RetentionError(ValueError):
    """A Japanese reason why a purge was refused."""


@dataclass(frozen=True)
class Plan:
    """What a purge on `today` removes; the dry run prints it and the purge applies exactly it."""

    today: date
    cutoff: date  # the latest 31 March: periods that ended on or before it are over
    last_campaign_year: int  # campaigns of this fiscal year or earlier go
    last_retirement_year: int  # people retired in this fiscal year or earlier lose their roster details
    campaigns: tuple[tuple[int, str], ...]  # (id, code)
    visits: tuple[int, ...]
    sheets: tuple[str, ...]  # serials whose stored copy goes (digest and chain stay)
    signatures: int
    photos: tuple[int, ...]
    followups: tuple[int, ...]
    responses: tuple[int, ...]
    draws: tuple[int, ...]
    staff: tuple[int, ...]
    devices: tuple[int, ...]  # settled (移行・撤去) devices whose user, notes and label photo go
    files: tuple[str, ...]  # relative to the instance folder
    tests: tuple[int, ...] = ()  # test attempts taken in a fiscal year whose period is over

    @property
    def counts(self) -> dict[str, int]:
        return {name: value if isinstance(value, int) else len(value)
                for name, value in ((name, getattr(self, name)) for name in LABELS)}

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())

    @property
    def digest(self) -> str:
        """SHA-256 of everything the plan removes, so the purge can prove it did what was shown."""
        data = {k: v for k, v in asdict(self).items() if k != "today"}
        return hashlib.sha256(json.dumps(data, default=str, sort_keys=True).encode()).hexdigest()


def fiscal_year_end(year: int) -> date:
    """The last day of a fiscal year (西暦の年度): 31 March of the next calendar year."""
    return date(year + 1, 3, 31)


def plan(db, today: date, *, instance, campaign_years=5, retirement_years=5) -> Plan:
    """What is beyond retention on `today` and not purged yet (plus files a crashed purge left behind)."""
    current = fiscal_year(today)
    last_campaign, last_retired = current - campaign_years - 1, current - retirement_years - 1
    campaigns = tuple((cid, code) for cid, code, fy, created in db.execute(
        "SELECT id, code, fiscal_year, created_at FROM campaigns ORDER BY id")
        if (fy if fy is not None else fiscal_year(date.fromisoformat(created[:10]))) <= last_campaign)
    expired = [cid for cid, _ in campaigns] + [row[0] for row in db.execute(
        "SELECT campaign_id FROM purged_campaigns")]
    new_campaigns = tuple(c for c in campaigns if not _exists(db, "purged_campaigns", "campaign_id", c[0]))
    visits = _ids(db, "SELECT id FROM visits WHERE campaign_id IN ({}) AND id NOT IN (SELECT visit_id FROM purged_visits)"
                  " ORDER BY id", expired)
    staff = tuple(sid for sid, retired in db.execute(
        "SELECT id, retired_at FROM staff WHERE retired_at IS NOT NULL"
        " AND id NOT IN (SELECT staff_id FROM purged_staff) ORDER BY id")
        if fiscal_year(date.fromisoformat(retired[:10])) <= last_retired)
    devices = _settled_devices(db, last_campaign)
    return Plan(
        today=today, cutoff=fiscal_year_end(current - 1), last_campaign_year=last_campaign,
        last_retirement_year=last_retired, campaigns=new_campaigns, visits=visits,
        sheets=tuple(r[0] for r in db.execute(_in("SELECT serial FROM sheets WHERE visit_id IN ({}) ORDER BY serial",
                                                  visits), visits)),
        signatures=db.execute(_in("SELECT count(*) FROM signatures WHERE visit_id IN ({})", visits), visits).fetchone()[0],
        photos=_ids(db, "SELECT id FROM photos WHERE visit_id IN ({}) ORDER BY id", visits),
        # A failed test's follow-up has no visit: it goes with its campaign, unless a purge already made it anonymous.
        followups=_ids(db, "SELECT id FROM followups WHERE visit_id IN ({}) ORDER BY id", visits) + _ids(
            db, "SELECT id FROM followups WHERE visit_id IS NULL AND campaign_id IN ({})"
            " AND staff_id NOT IN (SELECT staff_id FROM purged_staff) ORDER BY id", expired),
        responses=_ids(db, "SELECT id FROM selfcheck_responses WHERE campaign_id IN ({}) ORDER BY id", expired),
        draws=_ids(db, "SELECT id FROM draws WHERE campaign_id IN ({}) AND kind = 'staff' AND pool <> '[]' ORDER BY id",
                   expired),
        staff=staff, devices=devices, files=_files(db, Path(instance), visits) + _device_files(db, Path(instance), devices),
        tests=tuple(attempt_id for attempt_id, taken_on in db.execute("SELECT id, taken_on FROM test_attempts ORDER BY id")
                    if fiscal_year(date.fromisoformat(taken_on)) <= last_campaign),
    )


def purge(db, planned: Plan, *, instance, user_id=None, campaign_years=5, retirement_years=5):
    """Apply a plan in one transaction, then delete its files; returns the purge id (None when empty).

    The plan is made again under the write lock: if anything changed since it was shown, nothing is done.
    """
    with immediate(db):
        fresh = plan(db, planned.today, instance=instance, campaign_years=campaign_years,
                     retirement_years=retirement_years)
        if fresh.digest != planned.digest:
            raise RetentionError("廃棄の対象が、確認した後に変わりました。何も廃棄していません。もう一度実行してください。")
        if planned.empty:
            return None
        stamp = now_iso()
        purge_id = db["purges"].insert({"created_at": stamp, "user_id": user_id, "cutoff": planned.cutoff.isoformat(),
                                        "counts": json.dumps(planned.counts), "plan_digest": planned.digest}).last_pk
        db.conn.executemany("INSERT INTO purged_campaigns (campaign_id, purge_id) VALUES (?, ?)",
                            [(cid, purge_id) for cid, _ in planned.campaigns])
        db.conn.executemany("INSERT INTO purged_visits (visit_id, purge_id) VALUES (?, ?)",
                            [(vid, purge_id) for vid in planned.visits])
        _blank_visits(db, planned, purge_id, stamp)
        _blank_staff(db, planned.staff, purge_id)
        _blank_devices(db, planned.devices)
        _blank_test_followups(db, planned.followups, purge_id, stamp)
        db.conn.executemany("UPDATE followups SET closed_by_attempt = NULL WHERE closed_by_attempt = ?",
                            [(i,) for i in planned.tests])
        db.conn.executemany("DELETE FROM test_attempts WHERE id = ?", [(i,) for i in planned.tests])
        db.conn.executemany("DELETE FROM selfcheck_responses WHERE id = ?", [(i,) for i in planned.responses])
        # The pool and the pick name people; a section draw's pool names sections only and stays verifiable.
        db.conn.executemany("UPDATE draws SET pool = '[]', chosen_id = 0, options = json_remove(options, '$.absent_excluded')"
                            " WHERE id = ?", [(i,) for i in planned.draws])
        _strip_log(db, planned)
        audit.record(db, user_id=user_id, action="purge", entity="retention", entity_id=purge_id,
                     after={"cutoff": planned.cutoff.isoformat(), **planned.counts})
    remove_files(Path(instance), planned.files)
    return purge_id


def plan_lines(planned: Plan, *, campaign_years, retirement_years) -> list[str]:
    """The plan in Japanese, as the dry run and the purge print it."""
    lines = [f"基準日 {format_date(planned.today)}：保存期間が {format_date(planned.cutoff)} までに満了した個人情報が対象です。",
             f"  キャンペーン: {format_fiscal_year(planned.last_campaign_year)}以前（年度末から {campaign_years} 年度保存）",
             f"  退職者: {format_fiscal_year(planned.last_retirement_year)}以前に退職（退職の年度末から {retirement_years} 年度保存）"]
    if planned.empty:
        return lines + ["保存期間を過ぎた個人情報はありません。廃棄するものはありません。"]
    codes = "、".join(code for _, code in planned.campaigns)
    return lines + [f"  {LABELS[name]}: {n} 件" + (f"（{codes}）" if name == "campaigns" and codes else "")
                    for name, n in planned.counts.items()]


def remove_files(instance: Path, files):
    """Delete the plan's files (after the commit: a crash before this leaves them for the next purge)."""
    for name in files:
        folder, _, file_name = name.partition("/")
        if folder == "photos" and photos.NAME.fullmatch(file_name):
            (instance / "photos" / file_name).unlink(missing_ok=True)
        elif folder == "sheets" and "/" not in file_name and file_name.endswith(".pdf"):
            (instance / "sheets" / file_name).unlink(missing_ok=True)


def is_purged(db, visit_id) -> bool:
    """Whether a visit's personal data was removed by a purge."""
    return _exists(db, "purged_visits", "visit_id", visit_id)


def campaign_purged(db, campaign_id) -> bool:
    """Whether a campaign's personal data was removed by a purge."""
    return _exists(db, "purged_campaigns", "campaign_id", campaign_id)


def purge_of_visit(db, visit_id):
    """(purge id, when) that removed a visit's personal data, or None."""
    return db.execute("SELECT p.id, p.created_at FROM purged_visits v JOIN purges p ON p.id = v.purge_id"
                      " WHERE v.visit_id = ?", [visit_id]).fetchone()


def _blank_visits(db, planned, purge_id, stamp):
    visits = planned.visits
    if not visits:
        return
    marks = ", ".join("?" * len(visits))
    placeholders = {section_id: _placeholder(db, section_id, purge_id, stamp) for (section_id,) in db.execute(
        f"SELECT DISTINCT section_id FROM visits WHERE id IN ({marks})", visits)}
    for table in ("visits", "observations", "followups"):
        key = "id" if table == "visits" else "visit_id"
        db.conn.executemany(
            f"UPDATE {table} SET staff_id = ? WHERE staff_id IS NOT NULL AND section_id = ? AND {key} IN ({marks})",
            [(person, section_id, *visits) for section_id, person in placeholders.items()])
    db.execute(f"UPDATE visits SET overall_comment = '', selection_reason = '',"
               f" amendment_reason = CASE WHEN amendment_reason IS NULL THEN NULL ELSE '' END WHERE id IN ({marks})",
               visits)
    db.execute(f"UPDATE visit_results SET remark = '' WHERE visit_id IN ({marks})", visits)
    db.execute(f"UPDATE photos SET deleted_at = coalesce(deleted_at, ?) WHERE visit_id IN ({marks})", [stamp, *visits])
    # An empty image, not NULL: the table demands one for a signature that was not refused.
    db.execute(f"UPDATE signatures SET name = '', refusal_reason = '',"
               f" png = CASE WHEN png IS NULL THEN NULL ELSE x'' END WHERE visit_id IN ({marks})", visits)
    db.execute(f"UPDATE followups SET finding = '', report = '', confirmation = '', report_photo = NULL,"
               f" report_thumb = NULL, report_photo_sha256 = NULL WHERE visit_id IN ({marks})", visits)
    for visit_id, body in list(db.execute(f"SELECT visit_id, body FROM visit_records WHERE visit_id IN ({marks})",
                                          visits)):
        db.execute("UPDATE visit_records SET body = ? WHERE visit_id = ?", [_tombstone(body), visit_id])
    db.execute(f"UPDATE sheets SET content = '{{\"purged\":true}}' WHERE visit_id IN ({marks})", visits)


def _blank_test_followups(db, followups, purge_id, stamp):
    """Follow-ups no visit opened (failed tests): their text goes and the section's anonymous row takes the person's place."""
    for followup_id, section_id in list(db.execute(_in(
            "SELECT id, section_id FROM followups WHERE visit_id IS NULL AND id IN ({})", followups), followups)):
        db.execute("UPDATE followups SET staff_id = ?, finding = '', report = '', confirmation = '', report_photo = NULL,"
                   " report_thumb = NULL, report_photo_sha256 = NULL WHERE id = ?",
                   [_placeholder(db, section_id, purge_id, stamp), followup_id])


def _tombstone(body):
    """A frozen record without the person: the checks, answer codes and section stay for the record page."""
    try:
        record = json.loads(body)
        record["subject"].update(staff_no="", name="", kana="")
        record["reports"] = {code: [[no, answer, None] for no, answer, _ in shown]
                             for code, shown in record["reports"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        record = {}  # a record edited into nonsense keeps nothing
    record["purged"] = True
    return json.dumps(record, ensure_ascii=False)


def _placeholder(db, section_id, purge_id, stamp):
    """The anonymous roster row of a section that purged visits point to (made once, kept retired)."""
    staff_no = PLACEHOLDER.format(section_id=section_id)
    row = db.execute("SELECT id FROM staff WHERE staff_no = ?", [staff_no]).fetchone()
    if row:
        return row[0]
    staff_id = db["staff"].insert({
        "staff_no": staff_no, "name": "", "kana": "", "section_id": section_id, "employment": "other", "uses_pc": 0,
        "search_key": "", "retired_at": stamp, "created_at": stamp, "updated_at": stamp}).last_pk
    db.execute("INSERT INTO purged_staff (staff_id, purge_id) VALUES (?, ?)", [staff_id, purge_id])
    return staff_id


def _blank_staff(db, staff, purge_id):
    for staff_id in staff:
        db.execute("UPDATE staff SET staff_no = '#' || id, name = '', kana = '', search_key = '' WHERE id = ?",
                   [staff_id])
        db.execute("INSERT INTO purged_staff (staff_id, purge_id) VALUES (?, ?)", [staff_id, purge_id])


def _strip_log(db, planned):
    """Take names and free text out of the log entries about what was purged; the entries themselves stay."""
    followups, draws = planned.followups, planned.draws
    for entity, ids in (("visit", planned.visits), ("followup", followups), ("draw", draws)):
        for entry_id, before, after in list(db.execute(
                _in(f"SELECT id, before, after FROM audit_log WHERE entity = '{entity}' AND entity_id IN ({{}})", ids),
                ids)):
            stripped = [_strip(before), _strip(after)]
            if stripped != [before, after]:
                db.execute("UPDATE audit_log SET before = ?, after = ? WHERE id = ?", [*stripped, entry_id])


def _strip(text):
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    return json.dumps({k: v for k, v in value.items() if k in KEPT_LOG_KEYS}, ensure_ascii=False, sort_keys=True)


def _files(db, instance, visits):
    """Photo and sheet files of the visits being purged or purged before, still on disk and used by no one else."""
    gone = list(visits) + [row[0] for row in db.execute("SELECT visit_id FROM purged_visits")]
    names = {row[0] for row in db.execute(_in(
        "SELECT file_name FROM photos WHERE visit_id IN ({0}) UNION SELECT thumb_name FROM photos WHERE visit_id IN ({0})"
        " UNION SELECT report_photo FROM followups WHERE visit_id IN ({0})"
        " UNION SELECT report_thumb FROM followups WHERE visit_id IN ({0})", gone), gone * 4) if row[0]}
    kept = {row[0] for row in db.execute(_in(
        "SELECT file_name FROM photos WHERE visit_id NOT IN ({0}) UNION SELECT thumb_name FROM photos"
        " WHERE visit_id NOT IN ({0}) UNION SELECT report_photo FROM followups WHERE visit_id NOT IN ({0})"
        " UNION SELECT report_thumb FROM followups WHERE visit_id NOT IN ({0})", gone), gone * 4) if row[0]}
    serials = [row[0] for row in db.execute(_in("SELECT serial FROM sheets WHERE visit_id IN ({})", gone), gone)]
    files = [f"photos/{name}" for name in names - kept if (instance / "photos" / name).is_file()]
    files += [f"sheets/{serial}.pdf" for serial in serials if (instance / "sheets" / f"{serial}.pdf").is_file()]
    return tuple(sorted(files))


def _settled_devices(db, last_year):
    """Devices moved under management or removed in `last_year` or before that still hold who used them, notes or a photo.

    A device still 確認済み is an open matter and keeps everything; the register's counts never change.
    """
    return tuple(device_id for device_id, settled in db.execute(
        "SELECT d.id, max(e.created_at) FROM devices d JOIN device_events e ON e.device_id = d.id"
        " WHERE d.status IN ('managed', 'removed') AND (d.used_by <> '' OR d.photo_name IS NOT NULL"
        "  OR EXISTS (SELECT 1 FROM device_events n WHERE n.device_id = d.id AND n.note <> ''))"
        " GROUP BY d.id ORDER BY d.id")
        if fiscal_year(date.fromisoformat(settled[:10])) <= last_year)


def _device_files(db, instance, devices):
    names = [name for row in db.execute(_in("SELECT photo_name, photo_thumb FROM devices WHERE id IN ({})", devices),
                                        list(devices)) for name in row if name]
    return tuple(sorted(f"photos/{name}" for name in names if (instance / "photos" / name).is_file()))


def _blank_devices(db, devices):
    params = [(i,) for i in devices]
    db.conn.executemany("UPDATE devices SET used_by = '', photo_name = NULL, photo_thumb = NULL, photo_sha256 = NULL"
                        " WHERE id = ?", params)
    db.conn.executemany("UPDATE device_events SET note = '' WHERE device_id = ?", params)


def _in(sql, ids):
    """`sql` with its IN lists filled with one placeholder per id (an empty list matches nothing)."""
    return sql.format(", ".join("?" * len(ids)) if ids else "NULL")


def _ids(db, sql, ids):
    return tuple(row[0] for row in db.execute(_in(sql, ids), list(ids)))


def _exists(db, table, column, value):
    return db.execute(f"SELECT 1 FROM {table} WHERE {column} = ?", [value]).fetchone() is not None
