"""The checklists from forms/, loaded and validated once at start-up.

A broken forms/ file must never surface in the middle of a visit: the app then serves only
an error page naming each `file:line`, while the CLI (check-forms) keeps working to fix it.
"""
from flask import current_app, render_template

from .checklists import FormsError, load_checklists


def init_app(app):
    """Load forms/ into the app, or put the app into 'fix forms first' mode."""
    try:
        app.extensions["checklists"] = load_checklists(app.config["FORMS_DIR"])
        app.extensions["forms_errors"] = []
    except FormsError as error:
        app.extensions["checklists"] = None
        app.extensions["forms_errors"] = error.errors
        app.logger.error("forms/ のチェックリスト定義に誤りがあります:\n%s", "\n".join(error.errors))
        app.before_request(_refuse_while_broken)


def current():
    """The app's checklists; raises FormsError while forms/ is broken."""
    if current_app.extensions["checklists"] is None:
        raise FormsError(current_app.extensions["forms_errors"])
    return current_app.extensions["checklists"]


def _refuse_while_broken():
    if current_app.extensions["checklists"] is None:
        return render_template("forms_broken.html", errors=current_app.extensions["forms_errors"]), 503
    return None
