"""The contract register (委託契約一覧): importing the city's file, and listing the contracts."""
from dataclasses import dataclass

from flask_babel import gettext as _

from . import texts
from .clock import now_iso
from .importing import Column, Plan, Problems, ZeroPadder, file_digest, map_columns, parse_flag, read, record_import
from .sqlite import immediate
from .tabular import normalize
from .wareki import parse_date

COLUMNS = (
    Column("contract_no", "契約番号", "contract_no"),
    Column("title", "契約名", "title"),
    Column("contractor", "委託先", "contractor"),
    Column("dept_code", "所管課コード", "dept_code"),
    Column("system", "システム名", "system", required=False),
    Column("starts_on", "契約期間開始", "starts_on"),
    Column("ends_on", "契約期間終了", "ends_on"),
    Column("subcontracting", "再委託", "subcontracting"),
    Column("personal_data", "個人情報の取扱い", "personal_data"),
)
# Column key → (label, longest text kept); the label is a column's Japanese header, translated when shown.
TEXT_LIMITS = {"contract_no": ("契約番号", 40), "title": ("契約名", 200), "contractor": ("委託先", 100),
               "system": ("システム名", 100)}
FIELDS = ("title", "contractor", "section_id", "system", "starts_on", "ends_on", "subcontracting", "personal_data")
FORMULA_STARTS = ("=", "+", "-", "@")
STATES = {"active": "契約中", "ended": "終了"}


@dataclass(frozen=True, slots=True)
class ContractRecord:
    """One validated row of the register, its section by code (ids are looked up when written)."""

    contract_no: str
    title: str
    contractor: str
    dept_code: str
    system: str
    starts_on: str
    ends_on: str
    subcontracting: int
    personal_data: int

    def fields(self, section_id):
        """The stored fields an import compares and writes, in FIELDS order plus ended_at (None: in force)."""
        return (self.title, self.contractor, section_id, self.system, self.starts_on, self.ends_on,
                self.subcontracting, self.personal_data, None)


@dataclass(frozen=True, slots=True)
class StoredContract:
    """What an import needs of a contract already on file."""

    id: int
    fields: tuple  # FIELDS + ended_at, as ContractRecord.fields gives them

    @property
    def in_force(self):
        return self.fields[-1] is None


@dataclass(frozen=True, slots=True)
class ContractRow:
    """One contract as the register screen shows it (codes and ISO dates; labels are the screen's)."""

    id: int
    contract_no: str
    title: str
    contractor: str
    section_code: str
    section_name: str
    system: str
    starts_on: str | None
    ends_on: str | None
    subcontracting: bool
    personal_data: bool
    ended_at: str | None

    @property
    def state(self):
        return "ended" if self.ended_at else "active"


def plan_import(db, data, filename, *, max_rows=200_000):
    """Validate a contract register and work out which contracts are new, changed, unchanged or ended."""
    table = read(data, filename, max_rows)
    index, _items, notices = map_columns(table, COLUMNS, filename)
    sections = {code: id_ for id_, code in db.execute("SELECT id, code FROM sections")}
    dept_column = index["dept_code"]
    typed_codes = {normalize(row.cells[dept_column]) for row in table.rows if dept_column not in row.numeric}
    pad = ZeroPadder([*sections, *typed_codes])
    problems, seen, records = Problems(filename), {}, []
    for row in table.rows:
        record = _record(row, index, pad, sections, problems, seen)
        if record is not None:
            records.append(record)
    problems.raise_if_any()
    stored = stored_contracts(db)
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    for record in records:
        old = stored.get(record.contract_no)
        key = "new" if old is None else "unchanged" if old.fields == record.fields(sections[record.dept_code]) else "changed"
        counts[key] += 1
    listed = {record.contract_no for record in records}
    counts["ended"] = sum(1 for no, old in stored.items() if no not in listed and old.in_force)
    return Plan("contracts", filename, file_digest(data), counts, notices + pad.notice("所管課コード"),
                payload=tuple(records))


def _record(row, index, pad, sections, problems, seen):
    """One row checked cell by cell; every problem is added with its line; None when the row is bad."""
    line, bad = row.line, len(problems.messages)

    def cell(key):
        return row.cells[index[key]] if key in index else ""

    contract_no = normalize(cell("contract_no"))
    if contract_no in seen:
        problems.add(line, "契約番号", _("%(code)s が %(line)s 行目と重複しています。", code=contract_no, line=seen[contract_no]))
    elif contract_no.startswith(FORMULA_STARTS):
        # A number is copied into other spreadsheets; one read as a formula there would run.
        problems.add(line, "契約番号", _("「%(code)s」は契約番号として使えません（先頭に = + - @ は使えません）。", code=contract_no))
    if contract_no:
        seen.setdefault(contract_no, line)
    values = {"contract_no": contract_no, "title": cell("title").strip(), "contractor": cell("contractor").strip(),
              "system": cell("system").strip()}
    for key, (label, limit) in TEXT_LIMITS.items():
        if key != "system" and not values[key]:
            problems.add(line, label, _("空欄です。"))
        elif problem := texts.problem(values[key], label=_(label), limit=limit):
            problems.add(line, label, problem)
    dept_code = pad(normalize(cell("dept_code")))
    if dept_code not in sections:
        problems.add(line, "所管課コード", _("%(code)s は所属一覧にありません。", code=dept_code or _("（空欄）")))
    dates = {}
    for key, label in (("starts_on", "契約期間開始"), ("ends_on", "契約期間終了")):
        try:
            dates[key] = parse_date(cell(key)).isoformat() if cell(key) else None
        except ValueError as error:
            problems.add(line, label, str(error))
            continue
        if dates[key] is None:
            problems.add(line, label, _("空欄です。"))
    if dates.get("starts_on") and dates.get("ends_on") and dates["ends_on"] < dates["starts_on"]:
        problems.add(line, "契約期間終了", _("契約期間開始より前の日付です。"))
    flags = {}
    for key, label in (("subcontracting", "再委託"), ("personal_data", "個人情報の取扱い")):
        flags[key] = parse_flag(cell(key))
        if flags[key] is None:
            problems.add(line, label, _("「%(value)s」は 有/無 として読めません。", value=cell(key)))
    if len(problems.messages) > bad:
        return None
    return ContractRecord(contract_no, values["title"], values["contractor"], dept_code, values["system"],
                          dates["starts_on"], dates["ends_on"], int(flags["subcontracting"]), int(flags["personal_data"]))


def apply_import(db, plan, user_id):
    """Write a planned register in one transaction; contracts missing from it are marked ended, never deleted."""
    stamp = now_iso()
    with immediate(db):
        import_id = record_import(db, plan, user_id)
        section_ids = {code: id_ for id_, code in db.execute("SELECT id, code FROM sections")}
        stored = stored_contracts(db)  # again: the register may have changed since the preview
        inserts, updates = [], []
        for record in plan.payload:
            old = stored.get(record.contract_no)
            fields = record.fields(section_ids[record.dept_code])
            if old is None:
                inserts.append((record.contract_no, *fields[:-1], import_id, stamp, stamp))
            elif old.fields != fields:
                updates.append((*fields[:-1], import_id, stamp, old.id))
        db.conn.executemany(
            f"INSERT INTO contracts (contract_no, {', '.join(FIELDS)}, import_id, created_at, updated_at)"
            f" VALUES ({', '.join('?' * (len(FIELDS) + 4))})", inserts)
        # ended_at = NULL: a contract that comes back in a later register is in force again.
        db.conn.executemany(
            f"UPDATE contracts SET {', '.join(f'{f} = ?' for f in FIELDS)}, ended_at = NULL, import_id = ?,"
            " updated_at = ? WHERE id = ?", updates)
        listed = {record.contract_no for record in plan.payload}
        db.conn.executemany(
            "UPDATE contracts SET ended_at = ?, import_id = ?, updated_at = ? WHERE id = ?",
            [(stamp, import_id, stamp, old.id) for no, old in stored.items() if no not in listed and old.in_force])
        return import_id


def stored_contracts(db):
    """Every contract on file by its number, read in one query."""
    rows = db.execute(f"SELECT id, contract_no, {', '.join(FIELDS)}, ended_at FROM contracts")
    return {row[1]: StoredContract(row[0], tuple(row[2:])) for row in rows}


def list_contracts(db, *, include_ended=True):
    """The register for the screen: contracts in force first, then by section and number."""
    where = "" if include_ended else "WHERE c.ended_at IS NULL"
    rows = db.execute(
        "SELECT c.id, c.contract_no, c.title, c.contractor, s.code, s.name, c.system, c.starts_on, c.ends_on,"
        f" c.subcontracting, c.personal_data, c.ended_at FROM contracts c JOIN sections s ON s.id = c.section_id {where}"
        " ORDER BY c.ended_at IS NOT NULL, s.code, c.contract_no")
    return [ContractRow(*row[:9], bool(row[9]), bool(row[10]), row[11]) for row in rows]


def counts(db):
    """How many contracts are in force and ended, for the register's heading."""
    active, ended = db.execute(
        "SELECT count(*) FILTER (WHERE ended_at IS NULL), count(*) FILTER (WHERE ended_at IS NOT NULL) FROM contracts"
    ).fetchone()
    return {"active": active, "ended": ended}

