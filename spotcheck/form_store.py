"""Where checklist edits live: per-user drafts, trial validation, and saving a new version of forms/*.toml.

A draft is kept only while it passes the same validator as `flask check-forms`; saving checks it
again, copies the previous file to instance/forms-history/, and replaces the file atomically, so
a crash or a full disk never leaves a half-written forms/ file.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import audit, form_editing
from .checklists import Checklists, FormsError, load_checklists
from .clock import now, now_iso
from .sqlite import immediate

KINDS = ("onsite", "selfcheck")
FILES = {"onsite": "onsite.toml", "selfcheck": "selfcheck.toml"}
_SAFE_NAME = re.compile(r"[^0-9A-Za-z._-]")
_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")
_SAVING = threading.Lock()  # one save at a time in this process: history, file and audit entry stay in step


class EditRefused(Exception):
    """The change or save was refused; `.errors` lists why, in Japanese ('file:line: 内容' where the validator said so)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class Draft:
    """One admin's unsaved, valid edit of one form file, and the file text it started from."""

    kind: str
    text: str
    base_sha256: str
    updated_at: str


@dataclass(frozen=True)
class SavedVersion:
    """What a save did: the versions, the history copy, and the checklists now in force."""

    kind: str
    old_version: str
    new_version: str
    history_path: Path
    checklists: Checklists


def live_text(forms_dir, kind: str) -> str:
    """The text of forms_dir/<kind>.toml as it is now."""
    # newline="": a file saved with CRLF on Windows keeps its line ends, so the diff shows only real changes.
    with open(Path(forms_dir) / FILES[kind], encoding="utf-8-sig", newline="") as handle:
        return handle.read()


def typed_text(forms_dir, kind: str, submitted: str) -> str:
    """Text typed into the whole-file box, with the line ends the live file uses (browsers send CRLF)."""
    text = submitted.replace("\r\n", "\n")
    return text.replace("\n", "\r\n") if "\r\n" in live_text(forms_dir, kind) else text


def trial(forms_dir, kind: str, text: str) -> tuple[Checklists | None, list[str]]:
    """Load the forms as they would be with `text` as <kind>.toml: (checklists, []) or (None, check-forms errors)."""
    forms_dir = Path(forms_dir)
    with tempfile.TemporaryDirectory(prefix="spotcheck-forms-") as scratch:
        scratch = Path(scratch)
        (scratch / FILES[kind]).write_bytes(text.encode("utf-8"))  # bytes: no newline translation on Windows
        for other in forms_dir.glob("*.toml"):  # every form, so the bank and the coverage are checked too
            if other.name != FILES[kind]:
                shutil.copyfile(other, scratch / other.name)
        try:
            return load_checklists(scratch), []
        except FormsError as error:
            # The very messages check-forms prints, naming the real file rather than the scratch copy.
            return None, [_rename(message, scratch, forms_dir) for message in error.errors]


def _rename(message: str, scratch: Path, forms_dir: Path) -> str:
    prefix = str(scratch)
    return str(forms_dir) + message[len(prefix):] if message.startswith(prefix) else message


# ---------------------------------------------------------------- drafts


def _draft_path(instance_path, user_id: int, kind: str) -> Path:
    return Path(instance_path) / "forms-drafts" / f"{int(user_id)}-{kind}.json"


def load_draft(instance_path, user_id: int, kind: str) -> Draft | None:
    """This admin's draft of one file, or None."""
    path = _draft_path(instance_path, user_id, kind)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None  # an unreadable draft is treated as none; the live file is untouched
    return Draft(kind, data["text"], data["base_sha256"], data["updated_at"])


def working_text(forms_dir, instance_path, user_id: int, kind: str) -> str:
    """The draft's text when there is one, else the live file's."""
    draft = load_draft(instance_path, user_id, kind)
    return draft.text if draft else live_text(forms_dir, kind)


def keep_draft(forms_dir, instance_path, user_id: int, kind: str, text: str) -> Checklists:
    """Validate `text` and keep it as the draft (or drop the draft when it equals the live file)."""
    checklists, errors = trial(forms_dir, kind, text)
    if errors:
        raise EditRefused(errors)
    live = live_text(forms_dir, kind)
    previous = load_draft(instance_path, user_id, kind)
    if text == live:
        discard_draft(instance_path, user_id, kind)
        return checklists
    base = previous.base_sha256 if previous else _sha256(live)
    path = _draft_path(instance_path, user_id, kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"text": text, "base_sha256": base, "updated_at": now_iso()}, ensure_ascii=False)
    _write_atomically(path, body)
    return checklists


def discard_draft(instance_path, user_id: int, kind: str) -> None:
    """Forget this admin's draft of one file."""
    _draft_path(instance_path, user_id, kind).unlink(missing_ok=True)


# ---------------------------------------------------------------- versions


def history_dir(instance_path) -> Path:
    """Where every replaced version of a forms/ file is kept."""
    return Path(instance_path) / "forms-history"


def used_versions(db, instance_path, kind: str) -> set[str]:
    """Versions this kind has had: pinned by a campaign or kept in the history folder."""
    used = {row[0] for row in db.execute("SELECT version FROM checklists WHERE kind = ?", [kind])}
    for path in history_dir(instance_path).glob(f"{kind}-*.toml"):
        try:
            version = tomllib.loads(path.read_text(encoding="utf-8-sig")).get("version")
        except (OSError, ValueError):
            continue
        if isinstance(version, str):
            used.add(version)
    return used


def next_version(current: str, used: set[str]) -> str:
    """The version to suggest after `current`: its last number plus one ("2024.1" → "2024.2"), never a used one."""
    match = _LAST_NUMBER.search(current)
    stem, number, tail = (current[: match.start()], int(match[1]), current[match.end():]) if match else (current + ".", 1, "")
    while True:
        number += 1
        candidate = f"{stem}{number}{tail}"
        if candidate not in used and candidate != current:
            return candidate


def version_of(text: str) -> str:
    """The version a form text declares ("" when it cannot be read)."""
    try:
        version = tomllib.loads(text).get("version")
    except tomllib.TOMLDecodeError:
        return ""
    return version if isinstance(version, str) else ""


def save_version(db, forms_dir, instance_path, *, user_id: int, kind: str, version: str) -> SavedVersion:
    """Write this admin's draft as a new version of forms/<kind>.toml; EditRefused leaves every file as it was."""
    forms_dir, version = Path(forms_dir), version.strip()
    target = forms_dir / FILES[kind]
    with _SAVING:
        draft = load_draft(instance_path, user_id, kind)
        if draft is None:
            raise EditRefused(["変更がありません。項目を編集してから保存してください。"])
        live = live_text(forms_dir, kind)
        if _sha256(live) != draft.base_sha256:
            raise EditRefused([f"{target} は、この下書きを作り始めた後に変更されています（ほかの管理者の保存など）。"
                               "下書きを破棄して、いまの内容から編集し直してください。"])
        old_version = version_of(live)
        text = form_editing.set_version(draft.text, version)
        checklists, errors = trial(forms_dir, kind, text)
        if errors:
            raise EditRefused(errors)
        used = used_versions(db, instance_path, kind) | {old_version}
        if version in used:
            suggestion = next_version(old_version, used)
            raise EditRefused([f"{target}:{form_editing.version_line(text)}: version = {json.dumps(version, ensure_ascii=False)}"
                               f" は使用済みの版です。新しい版の名前にしてください（例 {json.dumps(suggestion, ensure_ascii=False)}）"])
        with immediate(db):  # the audit entry commits only if the file was replaced
            audit.record(db, user_id=user_id, action="edit_checklist", entity="checklist", entity_id=None,
                         before={"kind": kind, "version": old_version}, after={"kind": kind, "version": version})
            history_path = _keep_history(instance_path, target, kind, old_version)
            try:
                _replace_form(target, text)
            except EditRefused:
                history_path.unlink(missing_ok=True)  # the live file is still this version
                raise
        discard_draft(instance_path, user_id, kind)
    return SavedVersion(kind, old_version, version, history_path, checklists)


def _keep_history(instance_path, target: Path, kind: str, old_version: str) -> Path:
    """Copy the file about to be replaced, byte for byte, to instance/forms-history/<kind>-<version>-<time>.toml."""
    folder = history_dir(instance_path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = _free_name(folder, f"{kind}-{_SAFE_NAME.sub('_', old_version)}-{now():%Y%m%dT%H%M%S}")
        shutil.copyfile(target, path)
    except OSError as error:
        raise EditRefused([f"{folder} に以前の版を控えられませんでした（{error.strerror}）。"
                           "ファイルは何も変更していません。"]) from error
    return path


def _replace_form(target: Path, text: str) -> None:
    """Write the new file beside the old one and swap it in at once; a read-only forms/ is said plainly."""
    try:
        _write_atomically(target, text, mode_from=target)
    except OSError as error:
        if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise EditRefused([f"{target.parent} に書き込めません（読み取り専用です）。サーバーの管理者に書き込みの"
                               "権限を確認してもらってください。ファイルは何も変更していません。"]) from error
        raise EditRefused([f"{target} を保存できませんでした（{error.strerror}）。ファイルは何も変更していません。"]) from error


def _write_atomically(target: Path, text: str, *, mode_from: Path | None = None) -> None:
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="\n", dir=target.parent,
                                         prefix=f".{target.name}.", suffix=".part", delete=False)
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if mode_from is not None and mode_from.exists():
            shutil.copymode(mode_from, handle.name)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _free_name(folder: Path, stem: str) -> Path:
    path, counter = folder / f"{stem}.toml", 1
    while path.exists():  # two saves within one second
        counter += 1
        path = folder / f"{stem}-{counter}.toml"
    return path


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
