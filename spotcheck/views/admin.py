"""Admin screens: campaigns, imports with preview, and user accounts."""
import re
from datetime import datetime, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import auth, backup, campaigns, imports, loaded_forms, roster, roster_safety, staging
from ..clock import now
from ..db import get_db
from ..importing import ImportRejected, recent_imports
from ..security import roles

bp = Blueprint("admin", __name__, url_prefix="/admin")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,40}$")


@bp.route("/campaigns", methods=["GET", "POST"])
@roles("admin")
def campaign_list():
    """List campaigns; create one pinned to today's checklists."""
    db = get_db()
    if request.method == "POST":
        form = request.form
        try:
            campaigns.create_campaign(
                db, form.get("code", ""), form.get("title", ""), loaded_forms.current(),
                fiscal_year=form.get("fiscal_year", type=int), user_id=current_user.id,
            )
        except campaigns.CampaignError as error:
            flash(str(error), "error")
            return _campaigns_page(db, form), 422
        flash(_("キャンペーン「%(code)s」を作成しました。", code=form["code"].strip()), "success")
        return redirect(url_for("admin.campaign_list"))
    return _campaigns_page(db, {})


def _campaigns_page(db, form):
    listed = campaigns.list_campaigns(db)
    return render_template("admin/campaigns.html", campaigns=listed, form=form, text_labels=campaigns.REPORT_TEXTS,
                           texts={c["id"]: campaigns.report_texts(db, c["id"]) for c in listed})


@bp.route("/campaigns/<int:campaign_id>/texts", methods=["POST"])
@roles("admin")
def report_texts(campaign_id):
    """Save the 総評 and 今後の取組 printed in the campaign's reports (each change kept as a new version)."""
    try:
        changed = campaigns.save_report_texts(get_db(), campaign_id, current_user.id, request.form)
    except campaigns.CampaignError as error:
        flash(str(error), "error")
    else:
        flash(_("報告書の文章を保存しました。") if changed else _("変更はありませんでした。"), "success")
    return redirect(url_for("admin.campaign_list"))


@bp.route("/imports", methods=["GET"])
@roles("admin")
def import_form():
    """The upload form and the latest imports."""
    db = get_db()
    return render_template(
        "admin/imports.html", kinds=imports.KINDS, campaigns=campaigns.list_campaigns(db), imports=recent_imports(db),
        selected=request.args.get("kind") if request.args.get("kind") in imports.KINDS else None,
    )


@bp.route("/imports", methods=["POST"])
@roles("admin")
def import_preview():
    """Check an uploaded file and show what importing it would change; nothing is written yet."""
    kind, upload = request.form.get("kind"), request.files.get("file")
    if kind not in imports.KINDS or upload is None or not upload.filename:
        flash(_("種類とファイルを選んでください。"), "error")
        return redirect(url_for("admin.import_form"))
    meta = {"kind": kind, "filename": upload.filename, "campaign_id": request.form.get("campaign_id", type=int),
            "user_id": current_user.id}
    token = staging.stage(current_app.instance_path, upload.read(), meta)
    return _plan_page(token, meta)


@bp.route("/imports/<token>", methods=["POST"])
@roles("admin")
def import_confirm(token):
    """Apply a previewed import (planned again, so it reflects the database as it is now)."""
    staged = staging.load(current_app.instance_path, token) if TOKEN.match(token) else None
    if staged is None or staged[1]["user_id"] != current_user.id:
        flash(_("取り込むファイルが見つかりません。もう一度アップロードしてください。"), "error")
        return redirect(url_for("admin.import_form"))
    if request.form.get("action") == "cancel":
        staging.discard(current_app.instance_path, token)
        flash(_("取り込みを取り消しました。"), "info")
        return redirect(url_for("admin.import_form"))
    data, meta = staged
    db = get_db()
    try:
        plan = _plan(db, data, meta)
        guard = _mass_retire(db, plan)
        # The tick names the count it confirmed: if the roster on file changed since the preview, ask again.
        if guard and request.form.get("confirm_retire") != str(guard.retiring):
            return _plan_page(token, meta, plan=plan, unconfirmed=True)
        imports.apply(db, plan, current_user.id)
    except ImportRejected:
        return _plan_page(token, meta)
    staging.discard(current_app.instance_path, token)
    flash(_("%(label)s「%(name)s」を取り込みました。", label=imports.KINDS[meta["kind"]].label, name=meta["filename"]),
          "success")
    return redirect(url_for("admin.import_form"))


def _plan(db, data, meta):
    campaign = campaigns.get_campaign(db, campaign_id=meta["campaign_id"]) if meta["campaign_id"] else None
    if imports.KINDS[meta["kind"]].needs_campaign and campaign is None:
        raise ImportRejected([_("セルフチェック結果はキャンペーンを選んで取り込んでください。")])
    return imports.plan(db, meta["kind"], data, meta["filename"], campaign=campaign,
                        max_rows=current_app.config["MAX_IMPORT_ROWS"])


def _mass_retire(db, plan):
    return roster_safety.check(db, plan, current_app.config["ROSTER_RETIRE_CONFIRM_SHARE"])


def _plan_page(token, meta, plan=None, unconfirmed=False):
    """Render the preview: counts, notices, the mass-retire warning and a confirm button; or every error."""
    db, errors = get_db(), []
    if plan is None:
        data, _meta = staging.load(current_app.instance_path, token)
        try:
            plan = _plan(db, data, meta)
        except ImportRejected as error:
            staging.discard(current_app.instance_path, token)
            errors = error.messages
    return render_template(
        "admin/import_preview.html", plan=plan, errors=errors, token=token, meta=meta, kind=imports.KINDS[meta["kind"]],
        mass_retire=plan and _mass_retire(db, plan), unconfirmed=unconfirmed,
    ), (422 if errors or unconfirmed else 200)


@bp.route("/users", methods=["GET", "POST"])
@roles("admin")
def user_list():
    """List accounts; create one."""
    db = get_db()
    if request.method == "POST":
        form = request.form
        try:
            auth.create_user(
                db, form.get("username", ""), form.get("password", ""), form.get("role", ""),
                display_name=form.get("display_name") or None, section_code=form.get("section_code") or None,
                actor_id=current_user.id,
            )
        except auth.AccountError as error:
            flash(str(error), "error")
            return _users_page(db, form), 422
        flash(_("ユーザー「%(name)s」を作成しました。", name=form["username"].strip()), "success")
        return redirect(url_for("admin.user_list"))
    return _users_page(db, {})


def _users_page(db, form):
    return render_template(
        "admin/users.html", users=auth.list_users(db), roles=auth.ROLES, sections=roster.list_sections(db), form=form,
        backup=_backup_state(db),
    )


def _backup_state(db):
    """The newest backup's time and whether it is older than BACKUP_WARN_DAYS (None when there is none)."""
    newest = backup.last_backup(db)
    if newest is None:
        return None
    age = now() - datetime.fromisoformat(newest)
    return {"at": newest, "days": age.days, "stale": age > timedelta(days=current_app.config["BACKUP_WARN_DAYS"])}


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles("admin")
def user_active(user_id):
    """Enable or disable an account; an admin cannot lock themself out."""
    db = get_db()
    if auth.get_user(db, user_id) is None:
        abort(404)
    if user_id == current_user.id:
        flash(_("自分自身のアカウントは無効にできません。"), "error")
    else:
        auth.set_active(db, user_id, request.form.get("active") == "1", actor_id=current_user.id)
        flash(_("アカウントの状態を変更しました。"), "success")
    return redirect(url_for("admin.user_list"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@roles("admin")
def user_password(user_id):
    """Set a new password for an account."""
    db = get_db()
    if auth.get_user(db, user_id) is None:
        abort(404)
    try:
        auth.set_password(db, user_id, request.form.get("password", ""), actor_id=current_user.id)
        flash(_("パスワードを変更しました。"), "success")
    except auth.AccountError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.user_list"))
