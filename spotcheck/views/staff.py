"""Browsing sections and staff, and one person's self-check answers."""
from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from .. import carryover, followups, roster, selfcheck, comprehension_status, trends, visits
from ..db import get_db
from ..security import roles

bp = Blueprint("staff", __name__)
STAFF_READERS = ("admin", "auditor", "section_head")


def _own_section_only():
    """A section head sees only their own section; others see all."""
    return current_user.section_id if current_user.role == "section_head" else None


@bp.route("/staff")
@roles(*STAFF_READERS)
def staff_list():
    """Search staff by name, kana or number; filter by section and employment."""
    db = get_db()
    args = request.args
    section_id = _own_section_only() or args.get("section", type=int)
    page = max(args.get("page", 1, type=int), 1)
    rows, total = roster.search_staff(
        db, query=args.get("q", "").strip(), section_id=section_id, employment=args.get("employment") or None,
        include_retired=args.get("retired") == "1", page=page, page_size=current_app.config["PAGE_SIZE"],
    )
    return render_template(
        "staff/list.html", rows=rows, total=total, page=page, page_size=current_app.config["PAGE_SIZE"],
        sections=roster.section_choices(db), employment=roster.EMPLOYMENT, locked_section=_own_section_only(),
    )


@bp.route("/staff/<int:staff_id>")
@roles(*STAFF_READERS)
def staff_detail(staff_id):
    """One person on one screen: self-checks across campaigns, visits, findings and follow-ups."""
    db = get_db()
    person = roster.get_staff(db, staff_id)
    if person is None or (_own_section_only() and person["section_id"] != _own_section_only()):
        abort(404)  # 404, not 403: do not confirm that someone exists in another section
    audit_team = current_user.role in ("admin", "auditor")
    return render_template(
        "staff/detail.html", person=person, employment=roster.EMPLOYMENT,
        campaigns=selfcheck.answers_for_staff(db, staff_id), tests=comprehension_status.history(db, staff_id),
        # Section heads see findings once issued, never the audit team's visit list.
        visits=visits.list_visits(db, staff_id=staff_id) if audit_team else [],
        followups=followups.listing(db, staff_id=staff_id), states=followups.STATES, severity=followups.severity_labels(get_db()),
        # Year over year (the audit team's view: visits and 乖離 are theirs to compare).
        trend=trends.person(db, staff_id) if audit_team else None, scale_text=trends.scale_text,
        years=carryover.year_labels(db),
    )


@bp.route("/sections")
@roles("admin", "auditor")
def section_list():
    """Every section with its My Number / outsourcing flags and staff count."""
    return render_template("staff/sections.html", sections=roster.list_sections(get_db()))
