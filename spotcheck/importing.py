"""What every import shares: header mapping, error collection, flags, lost leading zeros, the plan."""
import hashlib
import json
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

from . import audit
from .clock import now_iso
from .tabular import Message, RawTable, TableError, normalize, read_table

MAX_LISTED_ERRORS = 50
TRUE_WORDS = {"有", "あり", "○", "〇", "◯", "1", "TRUE", "YES", "Y", "はい"}
FALSE_WORDS = {"無", "なし", "×", "✕", "0", "FALSE", "NO", "N", "いいえ"}
DIGITS = re.compile(r"^[0-9]+$")
COUNT_LABELS = {
    "new": "新規",
    "changed": "変更",
    "unchanged": "変更なし",
    "retired": "退職扱い",
    "new_sections": "新しい所属",
    "ended": "終了扱い",
    "absent": "不在（病休等）",
    "followups_opened": "開くフォローアップ",
    "followups_closed": "合格で完了するフォローアップ",
}


class ImportRejected(Exception):
    """The file cannot be imported; nothing was written. `messages` are Japanese, one per problem."""

    def __init__(self, messages):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Column:
    """A column the city's file may have, by its Japanese header and English alias."""

    key: str
    ja: str
    en: str
    required: bool = True

    def accepts(self, header):
        return _header_key(header) in (_header_key(self.ja), _header_key(self.en))


@dataclass
class Plan:
    """A validated import, ready to preview and to apply: what would change, and notices."""

    kind: str
    filename: str
    sha256: str
    counts: dict
    notices: list = field(default_factory=list)
    campaign_id: int | None = None
    payload: object = None  # the validated records the module's apply step writes


class Problems:
    """Collects `file:line: column: problem` messages, so every bad row is reported at once."""

    def __init__(self, filename):
        self.filename = filename
        self.messages = []

    def add(self, line, column, problem):
        """One problem; `column` is a header as the file has it, or a known column's label (shown translated)."""
        self.messages.append(f"{self.filename}:{line}: {_(column) if column else column}: {problem}")

    def raise_if_any(self):
        if self.messages:
            raise ImportRejected(cap(self.messages))


def cap(messages):
    """The first 50 messages, then how many more there were."""
    if len(messages) <= MAX_LISTED_ERRORS:
        return list(messages)
    return messages[:MAX_LISTED_ERRORS] + [_("ほか %(count)s 件のエラーがあります。", count=len(messages) - MAX_LISTED_ERRORS)]


def read(data, filename, max_rows):
    """Read the upload into a RawTable, turning its errors into a rejection."""
    try:
        return read_table(data, filename, max_rows=max_rows)
    except TableError as error:
        # The reader may not import Flask-Babel: its messages carry their catalogue id, translated here.
        raise ImportRejected([m.translated(_) if isinstance(m, Message) else m for m in error.messages]) from None


def map_columns(table: RawTable, columns, filename, item_column=None):
    """Find each known column's index; report missing required ones and ignored extras.

    `item_column(header) -> int | None` claims numbered item columns (self-check answers).
    Returns (index by key, index by item number, notices).
    """
    found, items, ignored = {}, {}, []
    problems = Problems(filename)
    for index, header in enumerate(table.header):
        column = next((c for c in columns if c.accepts(header)), None)
        item = None if column or item_column is None else item_column(header)
        if column is not None:
            if column.key in found:
                problems.add(1, header, _("同じ列が2つあります。"))
            found[column.key] = index
        elif item is not None:
            if item in items:
                problems.add(1, header, _("項目 %(item)s の列が2つあります。", item=item))
            items[item] = index
        elif header:
            ignored.append(header)
    for column in columns:
        if column.required and column.key not in found:
            problems.add(1, column.ja, _("必須の列「%(column)s」（%(alias)s）がありません。", column=_(column.ja), alias=column.en))
    problems.raise_if_any()
    notices = [f"次の列は使わないため無視しました: {'、'.join(ignored)}"] if ignored else []
    return found, items, notices


def parse_flag(value):
    """有/無, ○/×, 1/0, true/false, yes/no → True/False; None when unreadable."""
    key = normalize(value).upper()
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    return None


class ZeroPadder:
    """Restores leading zeros Excel dropped, when every known code has the same digit count."""

    def __init__(self, known_codes):
        # str methods, not DIGITS: this sees every staff number of a 100,000-row roster twice.
        all_digits = all(code.isascii() and code.isdigit() for code in known_codes)
        widths = {len(code) for code in known_codes} if all_digits else set()
        self.width = widths.pop() if len(widths) == 1 else None
        self.padded = 0

    def __call__(self, code):
        if self.width and len(code) < self.width and DIGITS.match(code):  # the cheap test first: once per cell
            self.padded += 1
            return code.zfill(self.width)
        return code

    def notice(self, label):
        """A sentence for the preview when zeros were restored."""
        if not self.padded:
            return []
        return [f"{label} {self.padded} 件の先頭の 0 を補いました（{self.width} 桁にそろえました）。"]


def file_digest(data):
    """SHA-256 of the uploaded bytes, kept with the import record."""
    return hashlib.sha256(data).hexdigest()


def record_import(db, plan, user_id):
    """Store the import's summary and an audit entry; returns the import id."""
    summary = {"counts": plan.counts, "notices": plan.notices}
    import_id = db["imports"].insert(
        {
            "kind": plan.kind,
            "filename": plan.filename,
            "sha256": plan.sha256,
            "campaign_id": plan.campaign_id,
            "user_id": user_id,
            "summary": json.dumps(summary, ensure_ascii=False),
            "created_at": now_iso(),
        }
    ).last_pk
    audit.record(db, user_id=user_id, action="import", entity=plan.kind, entity_id=import_id, after=summary)
    return import_id


def recent_imports(db, limit=20):
    """The latest imports, newest first, with who ran them."""
    rows = db.query(
        "SELECT i.*, u.username, c.code AS campaign_code FROM imports i"
        " LEFT JOIN users u ON u.id = i.user_id LEFT JOIN campaigns c ON c.id = i.campaign_id"
        " ORDER BY i.id DESC LIMIT ?",
        [limit],
    )
    return [dict(row, summary=json.loads(row["summary"])) for row in rows]


def _header_key(text):
    return normalize(text).lower().replace(" ", "")
