"""Log in, log out, and choose the interface language."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import auth
from ..db import get_db
from ..security import public, roles, safe_next

bp = Blueprint("auth", __name__)
EVERYONE = tuple(auth.ROLES)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the login form; on a correct password start a fresh session."""
    if request.method == "POST":
        config = current_app.config
        try:
            user = auth.authenticate(
                get_db(), request.form.get("username", ""), request.form.get("password", ""), request.remote_addr,
                max_failures=config["LOGIN_MAX_FAILURES"], lock_minutes=config["LOGIN_LOCK_MINUTES"],
            )
        except auth.AccountError as error:
            flash(str(error), "error")
            return render_template("auth/login.html", username=request.form.get("username", "")), 401
        lang = session.get("lang")
        session.clear()  # a new session id on login, so a planted one is worthless
        session.permanent = True
        if lang:
            session["lang"] = lang
        login_user(user)
        return redirect(safe_next(request.args.get("next"), url_for("main.index")))
    if request.args.get("expired"):
        flash(_("一定時間操作がなかったため、ログアウトしました。"), "info")
    return render_template("auth/login.html", username="")


@bp.route("/logout", methods=["POST"])
@roles(*EVERYONE)
def logout():
    """End the session, and every other session of this user (a copied cookie stops working too)."""
    auth.log_out(get_db(), current_user.id)
    logout_user()
    session.clear()
    flash(_("ログアウトしました。"), "info")
    response = redirect(url_for("auth.login"))
    # A shared tablet keeps no visit pages, photos or queued input of the one who left (logout.js does the same
    # where the browser ignores this header, e.g. on plain http).
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/language", methods=["POST"])
@public
def language():
    """Remember the chosen language for this browser session."""
    if request.form.get("lang") in current_app.config["LANGUAGES"]:
        session["lang"] = request.form["lang"]
    target = url_for("main.index") if current_user.is_authenticated else url_for("auth.login")
    return redirect(safe_next(request.form.get("next"), target))
