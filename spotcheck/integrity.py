"""Digests and the hash chain that let anyone check an issued sheet.

Each issued sheet's content is reduced to one SHA-256 over canonical JSON (sorted keys, no
whitespace). That digest is appended to a chain in which every entry hashes the previous
entry's hash, so removing or rewriting an entry breaks every link after it.
"""
import hashlib
import json
import re
from dataclasses import dataclass

from .clock import now_iso

GENESIS = "0" * 64
SHORT = 16  # hex digits of a hash printed on paper: enough that no two entries share them by chance
HEX = re.compile(r"^[0-9a-f]{16,64}$")


@dataclass(frozen=True)
class ChainLink:
    """One entry of the chain as printed on paper: its number, its hash and the hash before it."""

    number: int
    entry_hash: str
    previous_hash: str
    created_at: str

    @property
    def short(self) -> str:
        return self.entry_hash[:SHORT]

    @property
    def previous_short(self) -> str:
        return self.previous_hash[:SHORT]


def canonical(content) -> bytes:
    """The one byte string a content dict stands for."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def digest(content) -> str:
    """SHA-256 hex of the canonical form."""
    return hashlib.sha256(canonical(content)).hexdigest()


def entry_hash(prev_hash, serial, kind, content_digest, created_at):
    """The hash of one chain entry, binding it to the entry before."""
    return digest({"prev": prev_hash, "serial": serial, "kind": kind, "digest": content_digest, "at": created_at})


def append(db, serial, kind, content_digest):
    """Add an entry to the chain (inside the caller's transaction); returns its hash."""
    last = db.execute("SELECT entry_hash FROM chain ORDER BY id DESC LIMIT 1").fetchone()
    prev = last[0] if last else GENESIS
    created_at = now_iso()
    new_hash = entry_hash(prev, serial, kind, content_digest, created_at)
    db["chain"].insert({"serial": serial, "kind": kind, "digest": content_digest, "created_at": created_at,
                        "prev_hash": prev, "entry_hash": new_hash})
    return new_hash


def verify_chain(db, head=None):
    """Walk the whole chain; returns (ok, Japanese message naming the first broken link).

    `head` is an entry hash (or its first 16+ hex digits) written down or printed earlier: the chain
    must still contain it, which proves that nothing up to it was deleted or rewritten.
    """
    if head is not None:
        head = head.strip().lower()
        if not HEX.match(head):
            return False, "--head には検証ログのハッシュ（16〜64 桁の英数字 0-9a-f）を指定してください。"
    prev, count, head_seen = GENESIS, 0, None
    for row in db.query("SELECT * FROM chain ORDER BY id"):
        count += 1
        if row["prev_hash"] != prev:
            return False, (f"検証ログ {row['id']} 番（{row['serial']}）の前の記録が失われたか書き換えられています"
                           "（前の記録のハッシュと一致しません）。")
        expected = entry_hash(prev, row["serial"], row["kind"], row["digest"], row["created_at"])
        if row["entry_hash"] != expected:
            return False, f"検証ログ {row['id']} 番（{row['serial']}）の内容が書き換えられています。"
        prev = row["entry_hash"]
        if head and head_seen is None and prev.startswith(head):
            head_seen = count
    if head and head_seen is None:
        return False, (f"控えの検証ログ {head[:SHORT]} が見つかりません。控えを取った後に記録が削除されたか、"
                       "書き換えられています。")
    found = f"（控え {head[:SHORT]} は第{head_seen}号として含まれています）" if head else ""
    return True, f"検証ログ {count} 件はすべて正しくつながっています{found}。"


def link_of(db, serial):
    """The chain entry that issued a serial, as printed on its sheet, or None."""
    row = db.execute("SELECT (SELECT count(*) FROM chain c WHERE c.id <= chain.id), entry_hash, prev_hash, created_at"
                     " FROM chain WHERE serial = ? AND kind = 'issue' ORDER BY id LIMIT 1", [serial]).fetchone()
    return ChainLink(*row) if row else None


def head(db):
    """The newest chain entry, which anyone may write down to prove later that nothing was lost; or None."""
    row = db.execute("SELECT (SELECT count(*) FROM chain), entry_hash, prev_hash, created_at FROM chain"
                     " ORDER BY id DESC LIMIT 1").fetchone()
    return ChainLink(*row) if row else None


def chain_digest(db, serial):
    """The digest the chain recorded when a serial was issued, or None."""
    row = db.execute("SELECT digest FROM chain WHERE serial = ? AND kind = 'issue' ORDER BY id LIMIT 1",
                     [serial]).fetchone()
    return row[0] if row else None
