"""Blueprints, one per area of the app; each view is thin over a domain function."""
import sqlite3
from datetime import date, datetime

from flask import current_app, render_template
from flask_babel import get_locale, gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.routing import IntegerConverter

from .. import campaigns, imports, retention, roster, signatures, wareki
from .. import followups as followups_domain
from .. import visits as visits_domain
from ..i18n import LANGUAGE_NAMES
from ..importing import COUNT_LABELS
from . import admin, auth, followups, forms_editor, main, reports, sheets, staff, trail, verify, visits
from . import contracts as contracts_views
from . import devices, subjects
from . import interview
from . import plans as plans_views
from . import inbox
from . import comprehension as comprehension_views

ERROR_MESSAGES = {
    400: "リクエストを処理できませんでした。画面を読み込み直してから、もう一度お試しください。",
    401: "ログインが必要です。",
    403: "この画面を開く権限がありません。",
    404: "ページが見つかりません。",
    405: "この操作はできません。",
    413: "ファイルが大きすぎます。",
    429: "短い時間に多くの要求がありました。しばらくしてから、もう一度お試しください。",
    500: "サーバーでエラーが起きました。管理者に連絡してください。",
}


class DatabaseInt(IntegerConverter):
    """An <int:…> in a URL that SQLite can hold: a larger number is simply no such page (404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


# The browser's maxlength is the server's own limit, read from where each field is checked.
TEXT_LIMITS = {
    "remark": visits_domain.MAX_REMARK, "comment": visits_domain.MAX_COMMENT, "reason": visits_domain.MAX_REASON,
    "signer_name": signatures.MAX_NAME, "refusal_reason": signatures.MAX_REASON, "followup": followups_domain.MAX_TEXT,
    "report_text": campaigns.MAX_REPORT_TEXT, "title": campaigns.MAX_TITLE,
}


def register_blueprints(app):
    """Attach every blueprint and the Japanese error pages."""
    app.url_map.converters["int"] = DatabaseInt  # before the routes are added, which bind their converters
    for blueprint in (auth.bp, main.bp, admin.bp, staff.bp, visits.bp, sheets.bp, verify.bp, followups.bp, reports.bp,
                      trail.bp, forms_editor.bp, contracts_views.bp, devices.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(subjects.bp)
    app.register_blueprint(interview.bp)
    app.register_blueprint(plans_views.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(comprehension_views.bp)
    for code in ERROR_MESSAGES:
        app.register_error_handler(code, _error_page)
    app.register_error_handler(OverflowError, _number_too_large)
    app.register_error_handler(sqlite3.OperationalError, _storage_trouble)
    app.add_template_filter(_era_date, "wareki")
    app.add_template_filter(_era_datetime, "wareki_datetime")
    app.add_template_filter(lambda fy: wareki.format_fiscal_year(fy) if fy else "—", "fiscal_year")
    app.add_template_filter(_or_purged, "or_purged")
    app.add_template_filter(_shown_staff_no, "staff_no")
    app.context_processor(_template_globals)


def _template_globals():
    return {
        "get_locale": get_locale,
        "language_names": LANGUAGE_NAMES,
        "count_labels": COUNT_LABELS,
        "employment_labels": roster.EMPLOYMENT,
        "import_labels": {code: kind.label for code, kind in imports.KINDS.items()},
        "limits": TEXT_LIMITS,
    }


def _or_purged(text):
    """A name or text a purge blanked (names are never empty otherwise) reads as 「（保存期間満了により廃棄）」."""
    return text or gettext(retention.PURGED_LABEL)


def _shown_staff_no(staff_no):
    """An anonymous roster row's internal number ('#…', never imported) is not shown."""
    return "" if staff_no.startswith("#") else staff_no


def _era_date(iso):
    """'2024-01-15' → 令和6年1月15日."""
    return wareki.format_date(date.fromisoformat(iso[:10]))


def _era_datetime(iso):
    """A stored timestamp → 令和6年1月15日 9時30分."""
    return wareki.format_datetime(datetime.fromisoformat(iso))


def _number_too_large(_error):
    """A number in a query or form too large for the database: the request is bad, not the server."""
    return render_template("error.html", code=400, message="数値が大きすぎます。入力を確かめてください。"), 400


# What SQLite says when the instance folder cannot be written, and what the people at the tablets read.
STORAGE_TROUBLE = {
    "database or disk is full": "サーバーのディスクの空きがありません。管理者に連絡してください。",
    "readonly database": "サーバーのデータに書き込みできません。管理者に連絡してください。",
    "disk i/o error": "サーバーのディスクを読み書きできません。管理者に連絡してください。",
    "unable to open database": "サーバーのデータを開けません。管理者に連絡してください。",
    "database is locked": "ほかの書き込みが終わるのを待ちきれませんでした。しばらくしてから、もう一度お試しください。",
}


def _storage_trouble(error):
    """A full or read-only disk is a 503 the auditor can understand, on a page that needs no database."""
    text = str(error).lower()
    message = next((m for key, m in STORAGE_TROUBLE.items() if key in text), None)
    if message is None:
        return _plain_error(500, ERROR_MESSAGES[500])
    current_app.logger.error("storage trouble: %s", error)
    return _plain_error(503, message)


def _plain_error(code, message):
    return render_template("error_plain.html", code=code, message=message), code


def _error_page(error):
    code = getattr(error, "code", 500) or 500
    if code >= 500:  # the server is in trouble: its usual page (login state, menus) may be too
        return _plain_error(code, ERROR_MESSAGES.get(code, ERROR_MESSAGES[500]))
    message = ERROR_MESSAGES.get(code, ERROR_MESSAGES[500])
    if isinstance(error, CSRFError):
        message = "画面の有効期限が切れました。画面を読み込み直してから、もう一度お試しください。"
    if code == 413:
        authenticated = current_user.is_authenticated
        limit = current_app.config["MAX_CONTENT_LENGTH" if authenticated else "PUBLIC_MAX_CONTENT_LENGTH"] // 2**20
        message = f"ファイルが大きすぎます（上限 {limit} MB）。"
    return render_template("error.html", code=code, message=message), code
