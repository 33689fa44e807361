"""The checklists of section and contract visits (forms/section.toml, forms/contract.toml).

Both are written exactly like onsite.toml and read by its readers; only `kind` differs. A form
that is absent is simply not offered (the forms editor and older copies of forms/ lack it); a
form that is present must be valid, or the app refuses to start, as for onsite.toml.
"""
from __future__ import annotations

from pathlib import Path

from .checklists import OnsiteChecklist, _FormFile, _read_checks, _read_results

# subject kind -> form file; the person visit's form (onsite.toml) is read by checklists.py.
FILES = {"section": "section.toml", "contract": "contract.toml"}


def read_form(path: Path, kind: str) -> tuple[OnsiteChecklist | None, list[str]]:
    """(checklist or None when the file is absent, its problems as 'path:line: 内容')."""
    if not path.exists():
        return None, []
    form = _FormFile(path)
    if not form.read():
        return None, form.messages()
    top = form.top(kind, {"kind", "version", "title", "result", "check"})
    if top is None:
        return None, form.messages()
    version, title = top
    results = _read_results(form)
    checks = _read_checks(form)
    if form.problems:
        return None, form.messages()
    return OnsiteChecklist(version, title, tuple(results), tuple(checks)), []


def read_all(forms_dir: Path) -> tuple[dict[str, OnsiteChecklist | None], list[str]]:
    """({kind: checklist or None}, problems) for every subject form in forms_dir."""
    found, errors = {}, []
    for kind, name in FILES.items():
        found[kind], problems = read_form(Path(forms_dir) / name, kind)
        errors += problems
    return found, errors


def summary(loaded) -> list[str]:
    """check-forms' lines about the subject forms: each one's title, version and checks, or that it is absent."""
    lines = []
    for kind, name in FILES.items():
        form = getattr(loaded, kind)
        if form is None:
            lines.append(f"{name}: ありません（この種類の監査は選べません）。")
        else:
            lines.append(f"{name}: {form.title}（版 {form.version}、確認項目 {len(form.checks)} 件）")
    return lines
