"""Backup and restore: one archive of the database, photos and issued sheets, checked on the way back.

The database is copied with SQLite's online backup API (never as a file copy of a live database),
so a backup can run while auditors are saving. The archive carries a manifest with every file's
SHA-256; a restore refuses a damaged or foreign archive, writes only into an empty instance, and
then runs the integrity checks (PRAGMA integrity_check, the hash chain and every issued record,
the photo hashes).
"""
import hashlib
import json
import re
import shutil
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import audit
from .clock import now_iso

APP = "spotcheck"
FORMAT = 1
DATABASE = "spotcheck.sqlite"
FOLDERS = ("photos", "sheets")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")


class BackupError(ValueError):
    """A Japanese reason why a backup or restore was refused."""


@dataclass(frozen=True)
class Archive:
    """A written backup: where, how big, and what it holds."""

    path: Path
    size: int
    files: int
    created_at: str


def backup(database, instance, out_path):
    """Write one archive of the live database and the instance's photos and sheets; returns it."""
    instance, out_path = Path(instance), Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_path.parent) as work:
        copy = Path(work) / DATABASE
        source, target = sqlite3.connect(str(database)), sqlite3.connect(str(copy))
        try:
            source.backup(target)  # a consistent snapshot, taken page by page while others write
        finally:
            target.close()
            source.close()
        entries = [(DATABASE, copy)] + [(f"{folder}/{p.name}", p) for folder in FOLDERS
                                         for p in sorted((instance / folder).glob("*"))
                                         if p.is_file() and not p.name.startswith(".")]
        manifest = {"app": APP, "format": FORMAT, "created_at": now_iso(),
                    "files": {name: _sha256(path) for name, path in entries}}
        partial = Path(work) / "archive.part"
        with zipfile.ZipFile(partial, "w") as archive:
            for name, path in entries:
                # Photos and PDFs are compressed already; the database shrinks a lot.
                kind = zipfile.ZIP_DEFLATED if name == DATABASE else zipfile.ZIP_STORED
                archive.write(path, name, compress_type=kind)
            archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        partial.replace(out_path)
    return Archive(out_path, out_path.stat().st_size, len(entries), manifest["created_at"])


def restore(archive_path, instance):
    """Unpack a checked archive into an empty instance folder; returns the names written."""
    instance = Path(instance)
    if (instance / DATABASE).exists() and _has_data(instance / DATABASE):
        raise BackupError(f"{instance} には既にデータがあります。空のインスタンスに復元してください"
                          "（SPOTCHECK_INSTANCE で別のフォルダーを指定できます）。")
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError):
        raise BackupError("バックアップファイルとして読めません（壊れているか、別の種類のファイルです）。") from None
    with archive:
        manifest = _manifest(archive)
        for name, digest in manifest["files"].items():
            if not _allowed(name):
                raise BackupError(f"バックアップに想定外のファイル名があります: {name}")
            try:
                data = archive.read(name)
            except (KeyError, zipfile.BadZipFile, OSError):
                raise BackupError(f"バックアップが壊れています: {name} を読めません。") from None
            if hashlib.sha256(data).hexdigest() != digest:
                raise BackupError(f"バックアップが壊れています: {name} のハッシュが一覧と一致しません。")
        extra = set(archive.namelist()) - set(manifest["files"]) - {"manifest.json"}
        if extra:
            raise BackupError(f"バックアップに一覧にないファイルがあります: {sorted(extra)[0]}")
        instance.mkdir(parents=True, exist_ok=True)
        for leftover in (DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm"):  # an empty database from a first start;
            (instance / leftover).unlink(missing_ok=True)  # its write-ahead log must not be replayed onto the copy
        for name in manifest["files"]:
            target = instance / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(name) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
    return sorted(manifest["files"])


def integrity_problems(db):
    """PRAGMA integrity_check of a restored database, in Japanese; empty when it is sound."""
    answer = [row[0] for row in db.execute("PRAGMA integrity_check")]
    return [] if answer == ["ok"] else [f"データベースの整合性検査で問題が見つかりました: {line}" for line in answer]


def record(db, archive, user_id=None):
    """Remember a backup, so the admin screen can say how old the newest one is (the command has no user)."""
    with db.conn:
        backup_id = db["backups"].insert({"created_at": archive.created_at, "file_name": archive.path.name,
                                          "size": archive.size, "files": archive.files}).last_pk
        audit.record(db, user_id=user_id, action="backup", entity="backup", entity_id=backup_id,
                     after={"file": archive.path.name, "files": archive.files, "size": archive.size})


def record_restore(db, archive_path, files, problems, user_id=None):
    """Log a restore into the restored database, with whether its checks passed."""
    audit.record(db, user_id=user_id, action="restore", entity="backup",
                 after={"file": Path(archive_path).name, "files": files, "ok": not problems})


def last_backup(db):
    """The newest recorded backup's time (ISO), or None."""
    row = db.execute("SELECT max(created_at) FROM backups").fetchone()
    return row[0] if row else None


def _manifest(archive):
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError, zipfile.BadZipFile):
        raise BackupError("spotcheck のバックアップではありません（manifest.json がありません）。") from None
    if not isinstance(manifest, dict) or manifest.get("app") != APP or not isinstance(manifest.get("files"), dict):
        raise BackupError("spotcheck のバックアップではありません。")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"このバージョンでは読めない形式のバックアップです（形式 {manifest.get('format')}）。")
    if DATABASE not in manifest["files"]:
        raise BackupError("バックアップにデータベースが含まれていません。")
    return manifest


def _allowed(name):
    """Only the database and flat files in photos/ and sheets/: nothing may land outside the instance."""
    if name == DATABASE:
        return True
    folder, _, file_name = name.partition("/")
    return folder in FOLDERS and bool(SAFE_NAME.match(file_name))


def _has_data(path):
    """True when the database holds any account, person or campaign (a fresh `init-db` holds none)."""
    connection = sqlite3.connect(str(path))
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return any(connection.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
                   for table in ("users", "staff", "campaigns") if table in tables)
    finally:
        connection.close()


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
