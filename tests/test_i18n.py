"""Japanese first, English complete: every UI string has an English translation, domain errors included (CLI: Japanese)."""
import html
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import session

from spotcheck import (auth, campaigns, contracts, crosscheck, draw, followups, imports, photos, roster, selfcheck, signatures, trail,
                       visits)
from spotcheck import subject_sheets
from spotcheck import absence, comprehension
from spotcheck.checklists import load_checklists
from spotcheck.draw import Candidate
from spotcheck.i18n import translated
from spotcheck.views.reports import EXPORT_LABELS
from spotcheck.importing import COUNT_LABELS
from spotcheck.views import ERROR_MESSAGES
from tests.factories import change, fill_all, sign_both, soon

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "spotcheck/translations/en/LC_MESSAGES/messages.po"


def ui_strings():
    """Strings marked for translation in code and templates, plus labels the templates translate."""
    method_map = [("spotcheck/**.py", "python"), ("spotcheck/templates/**.html", "jinja2")]
    marked = {message for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map) if message}
    labels = [*auth.ROLES.values(), *roster.EMPLOYMENT.values(), *COUNT_LABELS.values(),
              *(kind.label for kind in imports.KINDS.values()), *ERROR_MESSAGES.values(),
              *signatures.ROLES.values(), *draw.WEIGHT_LABELS.values(),
              *(label for labels in subject_sheets.SIGNER_LABELS.values() for label in labels.values()), *followups.STATES.values(),
              *(r.label for r in load_checklists(ROOT / "forms").onsite.findings), *followups.ACTIONS.values(), *crosscheck.LABELS.values(),
              *EXPORT_LABELS.values(), *trail.ENTITIES.values(), *trail.ACTIONS.values(),
              *trail.FIELDS.values(), "値", *campaigns.REPORT_TEXTS.values(),
              *(c.ja for c in (*roster.SECTION_COLUMNS, *roster.STAFF_COLUMNS, *selfcheck.COLUMNS)),
              *(c.ja for c in contracts.COLUMNS), *contracts.STATES.values(),
              *(c.ja for c in comprehension.COLUMNS), *absence.REASONS.values()]
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


JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")
FLASHED_ERROR = re.compile(r'<p class="flash error" role="alert">(.*?)</p>', re.S)


def speak(client, lang):
    """Choose the interface language the way a user does (Japanese is the default: nothing to choose)."""
    if lang == "en":
        client.post("/language", data={"lang": "en"})


def flashed_error(response):
    [message] = FLASHED_ERROR.findall(response.get_data(as_text=True))
    return html.unescape(message)


def expect(lang, japanese, english):
    """The message for this language; the English one must hold no Japanese at all."""
    assert not JAPANESE.search(english)
    return english if lang == "en" else japanese


def test_a_domain_error_is_japanese_in_the_cli_context_and_english_in_an_english_request(app):
    with pytest.raises(auth.AccountError) as raised:
        auth.check_password("short")
    with app.app_context():  # what a CLI command runs in: no request, no session
        assert str(raised.value) == "パスワードは 10 文字以上にしてください。"
    with app.test_request_context():
        assert str(raised.value) == "パスワードは 10 文字以上にしてください。"
    with app.test_request_context():
        session["lang"] = "en"
        assert str(raised.value) == "The password must be at least 10 characters long."
        assert translated(photos.PhotoError(photos.TOO_LARGE, mb="15")) == "The photo is too large (limit 15 MB)."
    assert str(photos.PhotoError(photos.TOO_LARGE, mb="15")) == "写真が大きすぎます（上限 15 MB）。"


def test_cli_messages_stay_japanese(runner, db, city, make_user):
    result = runner.invoke(args=["create-user", "ok-name", "--role", "auditor", "--password-stdin"], input="short\n")
    assert result.exit_code == 1 and "パスワードは 10 文字以上にしてください。" in result.output
    draw_id, _chosen = draw.record_draw(db, campaign_id=city["id"], kind="staff", section_id=None,
                                        pool=[Candidate(1, 1), Candidate(2, 1)], options={},
                                        user_id=make_user("auditor"))
    result = runner.invoke(args=["verify-draw", str(draw_id)])
    assert result.exit_code == 0 and "抽選記録は正しく、再計算した結果と一致します。" in result.output


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_bad_campaign_code_is_refused_in_the_chosen_language(client, login, lang):
    login("admin")
    speak(client, lang)
    response = client.post("/admin/campaigns", data={"code": "bad code!", "title": "x"})
    assert response.status_code == 422
    assert flashed_error(response) == expect(
        lang, "キャンペーンコードは半角英数字と _ - の 20 文字までにしてください（例: R6）。",
        "The campaign code must be up to 20 letters, digits, _ or - (e.g. R6).")


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("form, japanese, english", [
    ({"password": "short"}, "パスワードは 10 文字以上にしてください。",
     "The password must be at least 10 characters long."),
    ({"display_name": "名前\x07"}, "表示名に使えない制御文字が含まれています。",
     "Display name contains control characters that are not allowed."),
])
def test_a_bad_user_is_refused_in_the_chosen_language(client, login, db, lang, form, japanese, english):
    login("admin")
    speak(client, lang)
    response = client.post("/admin/users", data={"username": "new-user", "password": "long enough pw",
                                                 "role": "auditor", **form})
    assert response.status_code == 422 and flashed_error(response) == expect(lang, japanese, english)
    assert db.execute("SELECT count(*) FROM users WHERE username = 'new-user'").fetchone()[0] == 0


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_refused_visit_change_answers_json_in_the_chosen_language(client, login, db, visit, lang):
    visits.add_co_auditor(db, visit["id"], visit["auditor"], login("auditor", "tablet"))
    speak(client, lang)
    response = client.post(f"/visits/{visit['id']}/changes", json={
        "key": "r" * 20, "field": "remark", "check": "clear_desk", "value": "x" * (visits.MAX_REMARK + 1)})
    assert response.status_code == 422
    assert response.get_json()["error"] == expect(
        lang, "所見は 2000 文字以内にしてください（いま 2,001 文字）。",
        "Remarks must be at most 2000 characters (it is 2,001 now).")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_refused_photo_answers_in_the_chosen_language(client, login, db, visit, lang):
    visits.add_co_auditor(db, visit["id"], visit["auditor"], login("auditor", "camera"))
    speak(client, lang)
    response = client.post(f"/visits/{visit['id']}/photos", content_type="multipart/form-data",
                           data={"check": "external_media", "photo": (io.BytesIO(b"<html></html>"), "x.jpg")})
    assert response.status_code == 422
    assert response.get_json()["error"] == expect(lang, "JPEG または PNG の写真を選んでください。",
                                                  "Choose a JPEG or PNG photo.")


@pytest.fixture
def finding(db, visit):
    """A locked visit with one 重大, so one open follow-up."""
    fill_all(db, visit)
    change(db, visit, "result", "major", check="external_media", at=soon(60))
    sign_both(db, visit)
    [row] = followups.listing(db)
    return row


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("data, japanese, english", [
    ({"report": ""}, "講じた措置を入力してください。", "Enter the measures taken."),
    ({"report": "回収した", "photo": b"not a photo"},
     "JPEG または PNG の写真を選んでください。", "Choose a JPEG or PNG photo."),
])
def test_a_refused_follow_up_step_is_flashed_in_the_chosen_language(client, login, db, finding, lang, data,
                                                                    japanese, english):
    login("admin")
    speak(client, lang)
    data = {key: (io.BytesIO(value), "x.jpg") if key == "photo" else value for key, value in data.items()}
    response = client.post(f"/followups/{finding['id']}/report", data=data, content_type="multipart/form-data",
                           follow_redirects=True)
    assert flashed_error(response) == expect(lang, japanese, english)
    assert followups.get(db, finding["id"])["state"] == "open"


def test_draw_findings_read_english_and_stay_escaped(client, login, db, city):
    draw_id, _chosen = draw.record_draw(db, campaign_id=city["id"], kind="staff", section_id=None,
                                        pool=[Candidate(1, 1), Candidate(2, 1)], options={}, user_id=login("admin"))
    speak(client, "en")
    assert "The draw record is intact" in client.get(f"/draws/{draw_id}").get_data(as_text=True)
    db.execute("UPDATE draws SET method = '<b>forged</b>' WHERE id = ?", [draw_id])
    page = client.get(f"/draws/{draw_id}").get_data(as_text=True)
    assert "Draw method &#34;&lt;b&gt;forged&lt;/b&gt;&#34; cannot be verified" in page and "<b>forged" not in page


IMPORT_ERRORS = re.compile(r'<ol class="errors">(.*?)</ol>', re.S)


def import_errors(client, kind, data, name):
    response = client.post("/admin/imports", data={"kind": kind, "campaign_id": "", "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    listed = IMPORT_ERRORS.search(response.get_data(as_text=True)).group(1)
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", listed)]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_rejected_roster_lists_its_problems_in_the_chosen_language(client, login, city, lang):
    login("admin")
    speak(client, lang)
    rows = "職員番号,氏名,フリガナ,所属コード,任用区分,PC使用\r\n000201,,,0101,正規職員,たぶん\r\n000201,山田,,9999,臨時,有\r\n"
    expected = {"ja": [
        "roster.csv:2: 氏名: 空欄です。",
        "roster.csv:2: PC使用: 「たぶん」は 有/無 として読めません。",
        "roster.csv:3: 職員番号: 000201 が 2 行目と重複しています。",
        "roster.csv:3: 所属コード: 9999 は所属一覧にありません（所属名の列があれば新しい所属として登録します）。",
        "roster.csv:3: 任用区分: 「臨時」は 正規職員/会計年度任用職員/再任用職員/その他 のいずれでもありません。",
    ], "en": [
        "roster.csv:2: Name: It is blank.",
        'roster.csv:2: Uses a PC: "たぶん" cannot be read as yes/no (有/無).',
        "roster.csv:3: Staff no.: 000201 is a duplicate of line 2.",
        "roster.csv:3: Section code: 9999 is not in the section list (with a section name column it would be added as a"
        " new section).",
        'roster.csv:3: Employment: "臨時" is none of Regular staff/Fiscal-year appointee/Re-appointed staff/Other.',
    ]}
    assert import_errors(client, "staff", rows.encode(), "roster.csv") == expected[lang]


@pytest.mark.parametrize("lang, expected", [
    ("ja", ["empty.csv: ファイルが空です。"]), ("en", ["empty.csv: The file is empty."]),
])
def test_an_unreadable_file_is_refused_in_the_chosen_language(client, login, lang, expected):
    login("admin")
    speak(client, lang)
    assert import_errors(client, "sections", b"", "empty.csv") == expected
