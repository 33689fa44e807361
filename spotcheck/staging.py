"""Uploaded import files held between preview and confirmation, under generated names."""
import json
import secrets
import time
from pathlib import Path

from werkzeug.security import safe_join

MAX_AGE_SECONDS = 24 * 3600


def folder(instance_path) -> Path:
    """The staging folder inside the instance."""
    path = Path(instance_path) / "staging"
    path.mkdir(exist_ok=True)
    return path


def stage(instance_path, data, meta):
    """Keep the file and what it is for; returns the token that names it."""
    _sweep(folder(instance_path))
    token = secrets.token_urlsafe(18)  # never the client's file name
    base = folder(instance_path)
    (base / f"{token}.bin").write_bytes(data)
    (base / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False))
    return token


def load(instance_path, token):
    """The staged (data, meta) for a token, or None when unknown or expired."""
    base = folder(instance_path)
    data_path, meta_path = safe_join(str(base), f"{token}.bin"), safe_join(str(base), f"{token}.json")
    if not data_path or not meta_path or not Path(meta_path).exists() or not Path(data_path).exists():
        return None
    return Path(data_path).read_bytes(), json.loads(Path(meta_path).read_text())


def discard(instance_path, token):
    """Remove a staged file once it is imported or abandoned."""
    base = folder(instance_path)
    for suffix in (".bin", ".json"):
        path = safe_join(str(base), f"{token}{suffix}")
        if path:
            Path(path).unlink(missing_ok=True)


def _sweep(base):
    """Drop staged files nobody confirmed within a day (they may hold personal data)."""
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in base.iterdir():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
