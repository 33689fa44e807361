"""The start page: what this user can do next."""
from flask import Blueprint, render_template

from .. import auth, campaigns, roster
from ..db import get_db
from ..importing import recent_imports
from ..security import roles

bp = Blueprint("main", __name__)


@bp.route("/")
@roles(*auth.ROLES)
def index():
    """Campaigns and the state of the roster, for everyone logged in."""
    db = get_db()
    return render_template(
        "main/index.html",
        campaigns=campaigns.list_campaigns(db),
        counts=roster.counts(db),
        imports=recent_imports(db, limit=5),
    )
