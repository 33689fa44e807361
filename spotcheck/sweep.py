"""After a crash: leftovers in the instance folder are found and put aside, never silently deleted.

A `.part` file is a write that never finished (photos and sheets are written to one and then
renamed), so one older than a minute is removed. A photo file that no row refers to, or a sheet file
whose hash was never recorded or no longer matches, is moved to `quarantine/` for a person to look
at; a sheet moved there is simply built again at its next print, and its hash recorded then.
"""
import hashlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

PART_AGE_SECONDS = 60


@dataclass(frozen=True)
class SweepReport:
    """What a sweep did, file by file (names relative to the instance folder)."""

    removed_parts: tuple[str, ...]
    quarantined: tuple[str, ...]

    def lines(self):
        """Japanese lines for the command line and the start-up log."""
        if not self.removed_parts and not self.quarantined:
            return ["書きかけのファイルや、記録にないファイルはありませんでした。"]
        return ([f"書きかけのファイルを削除しました: {name}" for name in self.removed_parts]
                + [f"記録と合わないファイルを quarantine/ に移しました: {name}" for name in self.quarantined])


def sweep(db, instance, *, now=None, hash_sheets=True):
    """Clean up after a crash in `instance` (photos/, sheets/); returns what was done.

    hash_sheets=False (at every server start) skips re-hashing every issued PDF, which grows with the
    years; a sheet whose hash was never recorded is still put aside.
    """
    instance, now = Path(instance), now or time.time()
    removed, quarantined = [], []
    for folder in (instance / "photos", instance / "sheets"):
        for part in sorted(folder.glob(".*.part")) if folder.is_dir() else ():
            if now - part.stat().st_mtime > PART_AGE_SECONDS:
                part.unlink()
                removed.append(str(part.relative_to(instance)))
    # Only files older than a minute: a photo is stored a moment before its row is written.
    settled = [p for folder in ("photos", "sheets") for p in _files(instance / folder)
               if now - p.stat().st_mtime > PART_AGE_SECONDS]
    known_photos = _photo_names(db)
    for path in (p for p in settled if p.parent.name == "photos"):
        if path.name not in known_photos:
            quarantined.append(_quarantine(instance, path))
    recorded = dict(db.execute("SELECT serial || '.pdf', pdf_sha256 FROM sheets"))
    for path in (p for p in settled if p.parent.name == "sheets"):
        digest = recorded.get(path.name)
        if digest is None or (hash_sheets and hashlib.sha256(path.read_bytes()).hexdigest() != digest):
            quarantined.append(_quarantine(instance, path))
    return SweepReport(tuple(removed), tuple(quarantined))


def _photo_names(db):
    names = set()
    for row in db.execute("SELECT file_name, thumb_name FROM photos UNION ALL"
                          " SELECT report_photo, report_thumb FROM followups WHERE report_photo IS NOT NULL UNION ALL"
                          " SELECT photo_name, photo_thumb FROM devices WHERE photo_name IS NOT NULL"):
        names.update(name for name in row if name)
    return names


def _files(folder):
    """The visible regular files of a folder (hidden ones are the .part files handled above)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")) if folder.is_dir() else []


def _quarantine(instance, path):
    """Move a file under quarantine/, keeping its folder's name; returns its old name."""
    target = instance / "quarantine" / path.parent.name / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(path), str(target))
    return str(path.relative_to(instance))
