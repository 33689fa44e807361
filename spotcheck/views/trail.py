"""The admin's 操作履歴: who did what and when across the app, filtered, paged, and as CSV."""
from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext
from flask_login import current_user

from .. import audit, auth, exports, loaded_forms, trail
from ..db import database_path, get_db
from ..security import roles
from ..sqlite import connect

bp = Blueprint("trail", __name__, url_prefix="/admin")
FILTERS = ("from", "to", "user", "entity", "action")
CSV_HEADER = ["日時（和暦）", "日時（ISO）", "利用者", "対象", "対象ID", "操作", "変更前", "変更後"]


def _filters(db):
    users = auth.list_users(db)
    query, problems = trail.parse_query(request.args, {u["id"] for u in users})
    return users, query, problems


@bp.app_template_filter("words")
def words(label):
    """A trail label in the chosen language, still escaped: Jinja's own _() marks its result safe,
    and a label made from a stored code must never become markup."""
    return gettext(label)


@bp.route("/audit")
@roles("admin")
def audit_trail():
    """Every logged action, newest first, filtered by period, user, kind and action."""
    db = get_db()
    users, query, problems = _filters(db)
    return _page(db, users, query, problems)


def _page(db, users, query, problems):
    page, size = max(request.args.get("page", 1, type=int), 1), current_app.config["PAGE_SIZE"]
    rows, total = ([], 0) if problems else audit.search(db, query, limit=size, offset=(page - 1) * size)
    checklist = loaded_forms.current().onsite
    return render_template(
        "admin/audit.html", entries=[trail.entry(row, checklist) for row in rows], total=total, page=page,
        page_size=size, problems=problems, users=users, entities=trail.ENTITIES, actions=trail.ACTIONS,
        csv_args=_chosen(),
    ), (400 if problems else 200)


@bp.route("/audit.csv")
@roles("admin")
def audit_csv():
    """The same entries as a CSV Excel opens (UTF-8 with BOM), streamed row by row."""
    db = get_db()
    users, query, problems = _filters(db)
    if problems:
        return _page(db, users, query, problems)
    # Taking the log home is itself an action worth knowing about.
    audit.record(db, user_id=current_user.id, action="export", entity="audit_log",
                 after={"format": "csv", "filters": _chosen()})
    rows = _csv_rows(database_path(), query, loaded_forms.current().onsite)
    response = Response(exports.csv_stream(CSV_HEADER, rows), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    return response


def _chosen():
    """The filters in use (already checked), and nothing else a URL may carry."""
    return {key: request.args[key] for key in FILTERS if request.args.get(key)}


def _csv_rows(path, query, checklist):
    """The rows, read on a connection of their own: the request's is closed before the last row is sent."""
    db = connect(path)
    try:
        for row in audit.stream(db, query):
            yield _csv_row(trail.entry(row, checklist))
    finally:
        db.close()


def _csv_row(entry):
    return [trail.era_time(entry.at), entry.at, entry.actor, entry.entity,
            "" if entry.entity_id is None else entry.entity_id, entry.action, entry.before_text, entry.after_text]
