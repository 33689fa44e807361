"""チェックリスト編集: the audit lead edits forms/*.toml in a draft, previews it and saves a new version."""
import difflib

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import checklists, form_editing, form_store
from ..db import get_db
from ..security import roles

bp = Blueprint("forms_editor", __name__, url_prefix="/admin/forms")


def N_(text):
    """Mark a label for the translation catalogue; it is translated where it is shown."""
    return text


KIND_LABELS = {"onsite": N_("実地監査の確認項目（onsite.toml）"), "selfcheck": N_("セルフチェック項目（selfcheck.toml）")}


def _where():
    return current_app.config["FORMS_DIR"], current_app.instance_path, current_user.id


def _working(kind):
    forms_dir, instance_path, user_id = _where()
    return form_store.working_text(forms_dir, instance_path, user_id, kind)


def _loaded(kind):
    """The checklists as this admin's draft of `kind` would make them: (checklists or None, errors)."""
    return form_store.trial(current_app.config["FORMS_DIR"], kind, _working(kind))


def _keep(kind, text):
    """Validate and keep `text` as the draft; EditRefused carries the check-forms messages."""
    forms_dir, instance_path, user_id = _where()
    return form_store.keep_draft(forms_dir, instance_path, user_id, kind, text)


@bp.route("/")
@roles("admin")
def index():
    """Both files: the draft's checks and items, what changed, and the save form."""
    return _index_page({})


def _index_page(errors_by_kind, status=200, versions=None):
    forms_dir, instance_path, user_id = _where()
    db = get_db()
    states, loaded = {}, {}
    for kind in form_store.KINDS:
        live = form_store.live_text(forms_dir, kind)
        working = form_store.working_text(forms_dir, instance_path, user_id, kind)
        loaded[kind], trial_errors = form_store.trial(forms_dir, kind, working)
        current = form_store.version_of(live)
        states[kind] = {
            "label": KIND_LABELS[kind],
            "version": current,
            "draft": form_store.load_draft(instance_path, user_id, kind),
            "diff": list(difflib.unified_diff(live.splitlines(), working.splitlines(), f"{kind}.toml（保存済み）",
                                              f"{kind}.toml（下書き）", n=1, lineterm="")),
            "suggested": (versions or {}).get(kind)
            or form_store.next_version(current, form_store.used_versions(db, instance_path, kind)),
            "errors": errors_by_kind.get(kind) or trial_errors,
        }
    return render_template("forms_editor/index.html", states=states, onsite=loaded["onsite"],
                           selfcheck=loaded["selfcheck"]), status


@bp.route("/checks/new", methods=["GET", "POST"])
@roles("admin")
def new_check():
    """Add an on-site check at the end of the list."""
    if request.method == "GET":
        blank = checklists.OnsiteCheck("", "", (), "all", "", "", "", "allowed", "", ())
        return _check_page(blank, [], is_new=True)
    code = (request.form.get("code") or "").strip()
    check, problems = form_editing.check_from_form(request.form, code)
    if problems:
        return _check_page(check, problems, is_new=True, status=422)
    try:
        _keep("onsite", form_editing.add_check(_working("onsite"), check))
    except (form_store.EditRefused, form_editing.EditError) as error:
        return _check_page(check, _errors(error), is_new=True, status=422)
    flash(_("確認項目「%(title)s」を下書きに追加しました。", title=check.title), "success")
    return redirect(url_for("forms_editor.edit_check", code=check.code))


@bp.route("/checks/<code>", methods=["GET", "POST"])
@roles("admin")
def edit_check(code):
    """Edit one on-site check in the draft; 「プレビュー」 shows it as the tablet will."""
    onsite = _onsite_or_404(code)
    if request.method == "GET":
        return _check_page(onsite.check(code), [])
    check, problems = form_editing.check_from_form(request.form, code)
    if problems:
        return _check_page(check, problems, status=422)
    try:
        _keep("onsite", form_editing.update_check(_working("onsite"), code, check))
    except (form_store.EditRefused, form_editing.EditError) as error:
        return _check_page(check, _errors(error), status=422)
    if request.form.get("action") == "preview":
        return redirect(url_for("forms_editor.preview_check", code=code))
    flash(_("確認項目「%(title)s」の変更を下書きに反映しました。", title=check.title), "success")
    return redirect(url_for("forms_editor.edit_check", code=code))


def _onsite_or_404(code):
    loaded, _errors_ = _loaded("onsite")
    if loaded is None or code not in {check.code for check in loaded.onsite.checks}:
        abort(404)
    return loaded.onsite


def _check_page(check, errors, *, is_new=False, status=200, new_code=""):
    return render_template("forms_editor/check.html", check=check, errors=errors, is_new=is_new, new_code=new_code,
                           applies_to=checklists.APPLIES_TO, photo_choices=checklists.PHOTO,
                           item_count=checklists.ITEM_COUNT), status


def _errors(error):
    return error.errors if isinstance(error, form_store.EditRefused) else [str(error)]


@bp.route("/checks/<code>/split", methods=["POST"])
@roles("admin")
def split_check(code):
    """Copy a check under a new code right after it, so one check can become two."""
    _onsite_or_404(code)
    new_code = (request.form.get("new_code") or "").strip()
    try:
        _keep("onsite", form_editing.split_check(_working("onsite"), code, new_code))
    except (form_store.EditRefused, form_editing.EditError) as error:
        return _check_page(_onsite_or_404(code).check(code), _errors(error), status=422, new_code=new_code)
    flash(_("「%(code)s」の写しを「%(new)s」として作りました。両方の文言を、分けた内容に合わせて直してください。",
            code=code, new=new_code), "success")
    return redirect(url_for("forms_editor.edit_check", code=new_code))


@bp.route("/checks/<code>/move", methods=["POST"])
@roles("admin")
def move_check(code):
    """Move a check one place up or down (the order the tablet walks through)."""
    _onsite_or_404(code)
    step = -1 if request.form.get("direction") == "up" else 1
    return _structural("onsite", form_editing.move_check(_working("onsite"), code, step), None)


@bp.route("/checks/<code>/delete", methods=["POST"])
@roles("admin")
def delete_check(code):
    """Remove a check from the draft (campaigns that pinned it keep it)."""
    _onsite_or_404(code)
    return _structural("onsite", form_editing.delete_check(_working("onsite"), code),
                       _("確認項目「%(code)s」を下書きから削除しました。", code=code))


def _structural(kind, text, message):
    try:
        _keep(kind, text)
    except form_store.EditRefused as error:
        return _index_page({kind: error.errors}, status=422)
    if message:
        flash(message, "success")
    return redirect(url_for("forms_editor.index", _anchor=f"{kind}-list"))


@bp.route("/checks/<code>/preview")
@roles("admin")
def preview_check(code):
    """The draft's check laid out as the tablet shows it during a visit."""
    onsite = _onsite_or_404(code)
    selfcheck, _errors_ = _loaded("selfcheck")
    items = {item.no: item for item in (selfcheck or current_app.extensions["checklists"]).selfcheck.items}
    number = [check.code for check in onsite.checks].index(code) + 1
    return render_template("forms_editor/preview.html", check=onsite.check(code), results=onsite.results,
                           items=items, number=number, total=len(onsite.checks))


@bp.route("/items/<int:no>", methods=["GET", "POST"])
@roles("admin")
def edit_item(no):
    """Reword one self-check item (its number and group stay)."""
    loaded, _errors_ = _loaded("selfcheck")
    if loaded is None or no not in {item.no for item in loaded.selfcheck.items}:
        abort(404)
    item = loaded.selfcheck.item(no)
    if request.method == "GET":
        return _item_page(item, [])
    topic, question = request.form.get("topic") or "", request.form.get("question") or ""
    shown = checklists.SelfCheckItem(no, item.group, topic, question)
    text, problems = form_editing.update_item(_working("selfcheck"), no, topic, question)
    if problems:
        return _item_page(shown, problems, status=422)
    try:
        _keep("selfcheck", text)
    except form_store.EditRefused as error:
        return _item_page(shown, error.errors, status=422)
    flash(_("項目 %(no)s の変更を下書きに反映しました。", no=no), "success")
    return redirect(url_for("forms_editor.index", _anchor="selfcheck-list"))


def _item_page(item, errors, status=200):
    return render_template("forms_editor/item.html", item=item, errors=errors), status


@bp.route("/<any(onsite, selfcheck):kind>/toml", methods=["GET", "POST"])
@roles("admin")
def edit_toml(kind):
    """The whole file in one box, for anything the fields do not cover; the same validation applies."""
    if request.method == "GET":
        return _toml_page(kind, _working(kind), [])
    text = form_store.typed_text(current_app.config["FORMS_DIR"], kind, request.form.get("text") or "")
    try:
        _keep(kind, text)
    except form_store.EditRefused as error:
        return _toml_page(kind, text, error.errors, status=422)
    flash(_("ファイル全体の変更を下書きに反映しました。"), "success")
    return redirect(url_for("forms_editor.index"))


def _toml_page(kind, text, errors, status=200):
    return render_template("forms_editor/toml.html", kind=kind, label=KIND_LABELS[kind], text=text,
                           errors=errors), status


@bp.route("/<any(onsite, selfcheck):kind>/save", methods=["POST"])
@roles("admin")
def save(kind):
    """Write the draft as a new version of the file and use it from now on (new campaigns pin it)."""
    forms_dir, instance_path, user_id = _where()
    version = request.form.get("version") or ""
    try:
        saved = form_store.save_version(get_db(), forms_dir, instance_path, user_id=user_id, kind=kind,
                                        version=version)
    except form_store.EditRefused as error:
        return _index_page({kind: error.errors}, status=422, versions={kind: version})
    # This process uses the new version at once; campaigns created before keep their pinned copies.
    current_app.extensions["checklists"] = saved.checklists
    current_app.extensions["forms_errors"] = []
    flash(_("%(label)s を版 %(new)s として保存しました（以前の版 %(old)s は %(path)s に控えました）。"
            "git で管理している場合は forms/ をコミットしてください。", label=_(KIND_LABELS[kind]),
            new=saved.new_version, old=saved.old_version, path=saved.history_path.name), "success")
    return redirect(url_for("forms_editor.index"))


@bp.route("/<any(onsite, selfcheck):kind>/discard", methods=["POST"])
@roles("admin")
def discard(kind):
    """Throw the draft away and start again from the saved file."""
    forms_dir, instance_path, user_id = _where()
    form_store.discard_draft(instance_path, user_id, kind)
    flash(_("下書きを破棄しました。"), "info")
    return redirect(url_for("forms_editor.index"))
