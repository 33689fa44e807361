"""The understanding tests (理解度テスト): who has not passed yet, per test and section, for the audit team."""
from flask import Blueprint, render_template, request

from .. import auth, comprehension_status, roster
from ..db import get_db
from ..security import roles

bp = Blueprint("comprehension", __name__)
AUDIT_TEAM = auth.AUDIT_TEAM


@bp.route("/tests")
@roles(*AUDIT_TEAM)
def not_passed():
    """Counts per test and section, and the people whose latest attempt failed (filter by test and section)."""
    db = get_db()
    names = comprehension_status.test_names(db)
    test_name = request.args.get("test") if request.args.get("test") in names else None
    section_id = request.args.get("section", type=int)
    return render_template(
        "comprehension/not_passed.html", counts=comprehension_status.counts_by_test(db), names=names, test_name=test_name,
        by_section=comprehension_status.not_passed_by_section(db), sections=roster.section_choices(db), section_id=section_id,
        people=comprehension_status.not_passed(db, test_name=test_name, section_id=section_id))
