"""One translation mechanism: Japanese source strings, English from a .po catalog."""
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, has_request_context, session
from flask_babel import Babel, gettext

CATALOG_DIR = Path(__file__).parent / "translations"
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}

babel = Babel()


def select_locale():
    """The language the user picked, else the city's default (Japanese); CLI commands (no request) get the default."""
    chosen = session.get("lang") if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def translated(error):
    """An error's message in the request's language (Japanese outside a request).

    Most domain errors carry a lazy string already; a module that may not import Flask-Babel (photos:
    standard library and Pillow only) raises errors with their `msgid` and `values` instead.
    """
    msgid = getattr(error, "msgid", None)
    return str(error) if msgid is None else gettext(msgid, **error.values)


def compile_catalogs(target: Path) -> Path:
    """Compile the shipped .po files into target, so no build step is needed on any OS."""
    for po_path in CATALOG_DIR.glob("*/LC_MESSAGES/messages.po"):
        mo_path = target / po_path.relative_to(CATALOG_DIR).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
    return target


def init_app(app):
    """Compile catalogs into the instance folder and install Flask-Babel."""
    compiled = compile_catalogs(Path(app.instance_path) / "translations")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled)
    babel.init_app(app, locale_selector=select_locale)
