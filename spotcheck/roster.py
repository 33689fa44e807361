"""Sections and staff: importing the city's files, and finding people."""
import contextlib
import re
import sys
import unicodedata
from typing import NamedTuple

from flask_babel import gettext as _

from . import texts
from .clock import now_iso
from .importing import Column, Plan, Problems, ZeroPadder, file_digest, map_columns, parse_flag, read, record_import
from .sqlite import immediate, indexes_rebuilt
from .tabular import normalize

EMPLOYMENT = {
    "regular": "正規職員",
    "fiscal_year": "会計年度任用職員",
    "reappointed": "再任用職員",
    "other": "その他",
}
_EMPLOYMENT_BY_WORD = {**{label: code for code, label in EMPLOYMENT.items()}, **{code: code for code in EMPLOYMENT}}
CODE_PATTERN = re.compile(r"[0-9A-Za-z_-]{1,20}")


def _all_codes(values):
    """is_code for a whole column, asked of the column at once when it is plain letters and digits."""
    joined = "".join(values)
    if joined.isascii() and joined.isalnum() and all(values) and max(map(len, values), default=0) <= 20:
        return True
    return all(map(is_code, values))


def is_code(text):
    """A staff number or section code: 1–20 ASCII letters, digits, _ or -."""
    if len(text) <= 20 and text.isascii() and text.isalnum():  # the usual case without a regex: 100,000 a roster
        return True
    return CODE_PATTERN.fullmatch(text) is not None
MAX_NAME = 100  # a person's or a section's name, its kana

SECTION_COLUMNS = (
    Column("code", "所属コード", "dept_code"),
    Column("name", "所属名", "dept_name"),
    Column("my_number", "特定個人情報", "my_number"),
    Column("outsourced", "業務委託システム", "outsourced"),
)
STAFF_COLUMNS = (
    Column("staff_no", "職員番号", "staff_no"),
    Column("name", "氏名", "name"),
    Column("kana", "フリガナ", "kana", required=False),
    Column("dept_code", "所属コード", "dept_code"),
    Column("dept_name", "所属名", "dept_name", required=False),
    Column("employment", "任用区分", "employment"),
    Column("uses_pc", "PC使用", "uses_pc"),
)
SECTION_FIELDS = ("name", "my_number", "outsourced")
STAFF_FIELDS = ("name", "kana", "section_id", "employment", "uses_pc")
STAFF_INSERT = ("staff_no", *STAFF_FIELDS, "search_key", "created_at", "updated_at")
# Hiragana → katakana, so 「すずき」 finds 「スズキ」.
_KATAKANA = str.maketrans({chr(code): chr(code + 0x60) for code in range(ord("ぁ"), ord("ゖ") + 1)})


def plan_sections(db, data, filename, *, max_rows=200_000):
    """Validate a sections file and work out what importing it would change."""
    table = read(data, filename, max_rows)
    index, _items, notices = map_columns(table, SECTION_COLUMNS, filename)
    existing = {row["code"]: row for row in db.query("SELECT * FROM sections")}
    pad = ZeroPadder([*existing, *_text_codes(table, index["code"])])
    problems, seen, records = Problems(filename), {}, {}
    for row in table.rows:
        cell = lambda key: row.cells[index[key]]  # noqa: E731 — reads better than four lookups
        code = pad(normalize(cell("code")))
        if not is_code(code):
            problems.add(row.line, "所属コード", _("「%(code)s」は所属コードとして使えません（半角英数字 20 文字まで）。", code=code))
        elif code in seen:
            problems.add(row.line, "所属コード", _("%(code)s が %(line)s 行目と重複しています。", code=code, line=seen[code]))
        seen.setdefault(code, row.line)
        record = {"code": code, "name": cell("name").strip()}
        if not record["name"]:
            problems.add(row.line, "所属名", _("空欄です。"))
        _check_text(problems, row.line, "所属名", record["name"])
        for key, label in (("my_number", "特定個人情報"), ("outsourced", "業務委託システム")):
            flag = parse_flag(cell(key))
            if flag is None:
                problems.add(row.line, label, _("「%(value)s」は 有/無 として読めません。", value=cell(key)))
            record[key] = int(bool(flag))
        records[code] = record
    problems.raise_if_any()
    counts = _diff_counts(existing, records, SECTION_FIELDS)
    untouched = len(set(existing) - set(records))
    if untouched:
        notices.append(f"ファイルにない所属が {untouched} 件あります（変更していません）。")
    return Plan("sections", filename, file_digest(data), counts, notices + pad.notice("所属コード"), payload=records)


def apply_sections(db, plan, user_id):
    """Write a planned sections import in one transaction; returns the import id."""
    stamp = now_iso()
    with immediate(db):
        existing = {row["code"]: row for row in db.query("SELECT * FROM sections")}
        for code, record in plan.payload.items():
            _upsert(db, "sections", existing.get(code), record, SECTION_FIELDS, stamp)
        return record_import(db, plan, user_id)


def plan_staff(db, data, filename, *, max_rows=200_000):
    """Validate a roster and work out who is new, changed, unchanged or retired."""
    table = read(data, filename, max_rows)
    index, _items, notices = map_columns(table, STAFF_COLUMNS, filename)
    sections = {code: id_ for id_, code in db.execute("SELECT id, code FROM sections")}
    existing = _stored_staff(db)
    staff_nos = [normalize(row.cells[index["staff_no"]]) for row in table.rows]  # once: the padder reads them too
    typed_as_text = [no for no, row in zip(staff_nos, table.rows) if index["staff_no"] not in row.numeric]
    pad_staff = ZeroPadder(list(existing) + typed_as_text)
    pad_section = ZeroPadder([*sections, *_text_codes(table, index["dept_code"])])
    # A roster of 100,000 people names a few hundred sections and four kinds of appointment: each distinct
    # cell is read once. Names are checked column by column first; row by row only when something is wrong.
    section_code_of = _Memo(normalize)  # padded per cell below, so the notice counts cells
    employment_of = _Memo(lambda text: _EMPLOYMENT_BY_WORD.get(normalize(text)))
    flag_of = _Memo(parse_flag)
    at = {key: index.get(key) for key in ("staff_no", "name", "kana", "dept_code", "dept_name", "employment", "uses_pc")}
    texts_clean = _clean_texts(table, (at["name"], at["kana"], at["dept_name"]))

    def column(key):
        return [row.cells[at[key]] for row in table.rows] if at[key] is not None else [""] * len(table.rows)

    # Column by column, each value read once (a comprehension costs a fraction of a loop body per row).
    staff_nos = [pad_staff(no) for no in staff_nos]
    names, kanas, dept_names = column("name"), column("kana"), column("dept_name")
    dept_codes = [pad_section(section_code_of[text]) for text in column("dept_code")]
    employments = [employment_of[text] for text in column("employment")]
    flags = [flag_of[text] for text in column("uses_pc")]
    problems, seen, new_sections = Problems(filename), {}, {}
    if (texts_clean and all(names) and None not in employments and None not in flags
            and _all_codes(staff_nos) and len(set(staff_nos)) == len(staff_nos)
            and set(dept_codes) <= sections.keys()):
        # The usual roster: nothing to report, so no row needs looking at on its own.
        seen = dict.fromkeys(staff_nos)
        records = list(map(StaffRecord, staff_nos, names, kanas, dept_codes, employments, map(int, flags)))
    else:
        records = _staff_rows(table, problems, sections, new_sections, seen, texts_clean,
                              zip(staff_nos, names, kanas, dept_codes, dept_names, employments, flags),
                              column("employment"), column("uses_pc"))
    problems.raise_if_any()
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    for record in records:
        old = existing.get(record.staff_no)
        if old is None:
            counts["new"] += 1
        elif old.fields != record.fields(sections.get(record.dept_code)):
            counts["changed"] += 1
        else:
            counts["unchanged"] += 1
    listed = set(seen)
    counts["retired"] = sum(1 for no, old in existing.items() if no not in listed and old.active)
    counts["new_sections"] = len(new_sections)
    notices += pad_staff.notice("職員番号") + pad_section.notice("所属コード")
    if new_sections:
        notices.append(f"所属一覧にない所属 {len(new_sections)} 件を名簿の所属名で登録します: {'、'.join(new_sections.values())}")
    return Plan("staff", filename, file_digest(data), counts, notices, payload=(records, new_sections))


def _staff_rows(table, problems, sections, new_sections, seen, texts_clean, values, employment_cells, flag_cells):
    """Row by row, for a roster with something to report: every problem, with its line."""
    records = []
    for row, fields, employment_cell, flag_cell in zip(table.rows, values, employment_cells, flag_cells):
        staff_no, name, kana, dept_code, dept_name, employment, uses_pc = fields
        line = row.line
        if not is_code(staff_no):
            problems.add(line, "職員番号", _("「%(code)s」は職員番号として使えません（半角英数字 20 文字まで）。", code=staff_no))
        elif staff_no in seen:
            problems.add(line, "職員番号", _("%(code)s が %(line)s 行目と重複しています。", code=staff_no, line=seen[staff_no]))
        else:
            seen[staff_no] = line
        if not name:
            problems.add(line, "氏名", _("空欄です。"))
        if dept_code not in sections and dept_code not in new_sections:
            if not dept_name:
                problems.add(line, "所属コード", _("%(code)s は所属一覧にありません（所属名の列があれば新しい所属として登録します）。",
                                                code=dept_code or _("（空欄）")))
            elif is_code(dept_code):
                new_sections[dept_code] = dept_name
        if employment is None:
            problems.add(line, "任用区分", _("「%(value)s」は %(choices)s のいずれでもありません。", value=employment_cell,
                                              choices="/".join(_(label) for label in EMPLOYMENT.values())))
        if uses_pc is None:
            problems.add(line, "PC使用", _("「%(value)s」は 有/無 として読めません。", value=flag_cell))
        if not texts_clean:
            for label, text in (("氏名", name), ("フリガナ", kana), ("所属名", dept_name)):
                _check_text(problems, line, label, text)
        records.append(StaffRecord(staff_no, name, kana, dept_code, employment, int(bool(uses_pc))))
    return records


def apply_staff(db, plan, user_id):
    """Write a planned roster import in one transaction; people missing from it are retired."""
    records, new_sections = plan.payload
    stamp = now_iso()
    with immediate(db):
        db.conn.executemany(
            "INSERT INTO sections (code, name, my_number, outsourced, created_at, updated_at) VALUES (?, ?, 0, 0, ?, ?)",
            [(code, name, stamp, stamp) for code, name in new_sections.items()],
        )
        section_ids = {code: id_ for id_, code in db.execute("SELECT id, code FROM sections")}
        existing = _stored_staff(db)  # again: the database may have changed since the preview
        inserts, updates = [], []
        for record in records:
            old = existing.get(record.staff_no)
            section_id = section_ids.get(record.dept_code)
            key = search_key(record.name, record.kana)
            if old is None:  # STAFF_INSERT order, spelled out: a first roster builds 100,000 of these
                inserts.append((record.staff_no, record.name, record.kana, section_id, record.employment,
                                record.uses_pc, key, stamp, stamp))
            elif old.fields != (fields := record.fields(section_id)) or old.search_key != key:
                updates.append((*fields[:-1], key, stamp, old.id))
        # executemany, not sqlite-utils per row: a first roster of 100,000 people is all inserts.
        with indexes_rebuilt(db, "staff") if len(inserts) > len(existing) else contextlib.nullcontext():
            db.conn.executemany(
                f"INSERT INTO staff ({', '.join(STAFF_INSERT)}) VALUES ({', '.join('?' * len(STAFF_INSERT))})", inserts
            )
        db.conn.executemany(
            "UPDATE staff SET name = ?, kana = ?, section_id = ?, employment = ?, uses_pc = ?, retired_at = NULL,"
            " search_key = ?, updated_at = ? WHERE id = ?",
            updates,
        )
        listed = {record.staff_no for record in records}
        retired = [old.id for no, old in existing.items() if no not in listed and old.active]
        db.conn.executemany(
            "UPDATE staff SET retired_at = ?, updated_at = ? WHERE id = ?", [(stamp, stamp, i) for i in retired]
        )
        # Statistics let SQLite pick the section index over the 4-value employment one; a sample of the
        # table says as much as reading all 100,000 rows of it.
        db.execute("PRAGMA analysis_limit = 1000")
        db.execute("ANALYZE staff")
        return record_import(db, plan, user_id)


class StaffRecord(NamedTuple):
    """One validated roster row, as planned (its section by code: a new section has no id yet)."""

    staff_no: str
    name: str
    kana: str
    dept_code: str
    employment: str
    uses_pc: int

    def fields(self, section_id):
        """The stored fields an import compares and writes, in STAFF_FIELDS order plus retired_at (active)."""
        return (self.name, self.kana, section_id, self.employment, self.uses_pc, None)


class StoredStaff(NamedTuple):
    """What an import needs of a person already on file."""

    id: int
    fields: tuple  # STAFF_FIELDS + retired_at, as StaffRecord.fields gives them
    search_key: str

    @property
    def active(self):
        return self.fields[-1] is None


def _stored_staff(db):
    """Everyone on file by staff number, read in one query."""
    rows = db.execute(f"SELECT id, staff_no, {', '.join(STAFF_FIELDS)}, retired_at, search_key FROM staff")
    return {row[1]: StoredStaff(row[0], row[2:-1], row[-1]) for row in rows}


class _Memo(dict):
    """A function of a cell's text, computed once per distinct text."""

    def __init__(self, function):
        super().__init__()
        self.function = function

    def __missing__(self, text):
        value = self[text] = self.function(text)
        return value


def _clean_texts(table, columns):
    """True when no cell of these columns can have a problem, so rows need not be checked one by one."""
    for column in columns:
        if column is None:
            continue
        values = [row.cells[column] for row in table.rows]
        if max(map(len, values), default=0) > MAX_NAME or texts.problem("".join(values), label="", limit=sys.maxsize):
            return False
    return True


def _diff_counts(existing, records, fields):
    """How many records are new, changed or unchanged compared with the stored rows."""
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    for key, record in records.items():
        old = existing.get(key)
        if old is None:
            counts["new"] += 1
        elif any(old[f] != record.get(f) for f in fields):
            counts["changed"] += 1
        else:
            counts["unchanged"] += 1
    return counts


def _upsert(db, table, old, record, fields, stamp):
    """Insert a new row, or update only the fields that differ."""
    if old is None:
        db[table].insert(dict(record, created_at=stamp, updated_at=stamp))
        return
    changes = {f: record.get(f) for f in fields if old[f] != record.get(f)}
    if changes:
        db[table].update(old["id"], dict(changes, updated_at=stamp))


def _text_codes(table, column):
    """The distinct codes typed as text in the file: they show the width a roster uses."""
    return {normalize(cell) for cell in {row.cells[column] for row in table.rows if column not in row.numeric}}


def search_key(*parts):
    """A form of name and kana that matches however people type them (width, kana, spaces)."""
    text = unicodedata.normalize("NFKC", "".join(parts)).translate(_KATAKANA)
    return "".join(text.split()).lower()


def search_staff(db, *, query="", section_id=None, employment=None, include_retired=False, page=1, page_size=50):
    """Staff matching a name/kana/number query and filters, one page at a time; (rows, total)."""
    where, params = [], []
    if query:
        where.append("(s.search_key LIKE ? ESCAPE '\\' OR s.staff_no = ?)")
        params += [f"%{_escape_like(search_key(query))}%", normalize(query)]
    if section_id:
        where.append("s.section_id = ?")
        params.append(section_id)
    if employment:
        where.append("s.employment = ?")
        params.append(employment)
    if not include_retired:
        where.append("s.retired_at IS NULL")
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    total = db.execute(f"SELECT count(*) FROM staff s {clause}", params).fetchone()[0]
    rows = db.query(
        f"SELECT s.*, sec.code AS section_code, sec.name AS section_name FROM staff s"
        f" JOIN sections sec ON sec.id = s.section_id {clause}"
        f" ORDER BY sec.code, s.kana, s.staff_no LIMIT ? OFFSET ?",
        params + [page_size, (page - 1) * page_size],
    )
    return list(rows), total


def _escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def get_staff(db, staff_id):
    """One person with their section, or None."""
    rows = list(
        db.query(
            "SELECT s.*, sec.code AS section_code, sec.name AS section_name, sec.my_number, sec.outsourced"
            " FROM staff s JOIN sections sec ON sec.id = s.section_id WHERE s.id = ?",
            [staff_id],
        )
    )
    return rows[0] if rows else None


def list_sections(db):
    """Every section with its count of active staff."""
    return list(
        db.query(
            "SELECT sec.*, count(s.id) AS staff_count FROM sections sec"
            " LEFT JOIN staff s ON s.section_id = sec.id AND s.retired_at IS NULL"
            " GROUP BY sec.id ORDER BY sec.code"
        )
    )


def counts(db):
    """How many sections and active/retired staff are on file."""
    row = db.execute(
        "SELECT (SELECT count(*) FROM sections),"
        " (SELECT count(*) FROM staff WHERE retired_at IS NULL),"
        " (SELECT count(*) FROM staff WHERE retired_at IS NOT NULL)"
    ).fetchone()
    return {"sections": row[0], "active": row[1], "retired": row[2]}


def _check_text(problems, line, label, text):
    """A name with control characters or bidi overrides is refused: it would print differently than it is."""
    if problem := texts.problem(text, label=_(label), limit=MAX_NAME):
        problems.add(line, label, problem)


def section_choices(db):
    """Sections for a filter drop-down (no counts: cheap on every page load)."""
    return list(db.query("SELECT id, code, name FROM sections ORDER BY code"))
