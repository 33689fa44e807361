"""The three kinds of city file the app imports, behind one plan/apply interface."""
from dataclasses import dataclass
from typing import Callable

from . import roster, selfcheck


@dataclass(frozen=True)
class ImportKind:
    """How to plan and apply one kind of import, and what users call it."""

    label: str
    plan: Callable
    apply: Callable
    needs_campaign: bool = False


KINDS = {
    "sections": ImportKind("所属一覧", roster.plan_sections, roster.apply_sections),
    "staff": ImportKind("職員名簿", roster.plan_staff, roster.apply_staff),
    "selfcheck": ImportKind("セルフチェック結果", selfcheck.plan_import, selfcheck.apply_import, needs_campaign=True),
}


def plan(db, kind, data, filename, *, campaign=None, max_rows):
    """Validate a file of this kind and return its Plan (raises ImportRejected)."""
    spec = KINDS[kind]
    if spec.needs_campaign:
        return spec.plan(db, campaign, data, filename, max_rows=max_rows)
    return spec.plan(db, data, filename, max_rows=max_rows)


def apply(db, plan_, user_id):
    """Write a Plan in one transaction; returns the import id."""
    return KINDS[plan_.kind].apply(db, plan_, user_id)
