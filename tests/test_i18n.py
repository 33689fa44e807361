"""Japanese first, English complete: every UI string has an English translation."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from spotcheck import auth, crosscheck, draw, followups, imports, roster, signatures, trail
from spotcheck.views.reports import EXPORT_LABELS
from spotcheck.importing import COUNT_LABELS
from spotcheck.views import ERROR_MESSAGES

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "spotcheck/translations/en/LC_MESSAGES/messages.po"


def ui_strings():
    """Strings marked for translation in code and templates, plus labels the templates translate."""
    method_map = [("spotcheck/**.py", "python"), ("spotcheck/templates/**.html", "jinja2")]
    marked = {message for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map) if message}
    labels = [*auth.ROLES.values(), *roster.EMPLOYMENT.values(), *COUNT_LABELS.values(),
              *(kind.label for kind in imports.KINDS.values()), *ERROR_MESSAGES.values(),
              *signatures.ROLES.values(), *draw.WEIGHT_LABELS.values(), *followups.STATES.values(),
              *followups.SEVERITY.values(), *followups.ACTIONS.values(), *crosscheck.LABELS.values(),
              *EXPORT_LABELS.values(), *trail.ENTITIES.values(), *trail.ACTIONS.values(),
              *trail.FIELDS.values(), "値"]
    return marked | set(labels)


def test_every_ui_string_has_an_english_translation():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert sorted(ui_strings() - translated) == []


def test_english_is_served_when_chosen_and_japanese_by_default(client, login):
    login("admin")
    assert 'lang="ja"' in client.get("/").get_data(as_text=True)
    client.post("/language", data={"lang": "en"})
    page = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in page and "Audit campaigns" in page and "監査キャンペーン" not in page


def test_unknown_language_is_ignored(client, login):
    login("admin")
    client.post("/language", data={"lang": "xx"})
    assert 'lang="ja"' in client.get("/").get_data(as_text=True)
