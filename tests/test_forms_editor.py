"""チェックリスト編集: drafts, the check-forms validator's own messages, new versions, history and pinning."""
import difflib
import errno
import hashlib
import html
import json
import re
import shutil
from pathlib import Path

import pytest

from spotcheck import campaigns, checklists, form_editing, form_store

REPO_FORMS = Path(__file__).resolve().parent.parent / "forms"
REPO_DIGESTS = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in REPO_FORMS.glob("*.toml")}
ERROR_ITEM = re.compile(r"<li><code>(.*?)</code></li>", re.S)


@pytest.fixture(autouse=True)
def repo_forms_untouched():
    """The repository's forms/ is never written by these tests (they edit a copy)."""
    yield
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in REPO_FORMS.glob("*.toml")} == REPO_DIGESTS


@pytest.fixture
def forms_dir(tmp_path):
    target = tmp_path / "forms"
    shutil.copytree(REPO_FORMS, target)
    return target


@pytest.fixture
def app_settings(forms_dir):
    """The conftest app, but reading its checklists from a temporary copy of forms/."""
    return {"FORMS_DIR": str(forms_dir)}


@pytest.fixture
def original(forms_dir):
    """The bytes of both files before the test."""
    return {name: (forms_dir / name).read_bytes() for name in ("onsite.toml", "selfcheck.toml")}


def check_form(check, **changes):
    """The edit form as the browser posts it for `check`, with some fields changed."""
    form = {
        "title": check.title, "applies_to": check.applies_to, "verifies": ", ".join(map(str, check.verifies)),
        "how": check.how, "compliant": check.compliant, "noncompliant": check.noncompliant, "photo": check.photo,
        "photo_advice": check.photo_advice, "quick_remarks": "\r\n".join(check.quick_remarks), "action": "apply",
    }
    form.update(changes)
    return form


def shown_errors(response):
    return [html.unescape(item) for item in ERROR_ITEM.findall(response.get_data(as_text=True))]


def check_forms_says(runner, tmp_path, forms_dir, kind, text):
    """What `flask check-forms` prints for the forms with `text` as <kind>.toml, naming forms_dir's files."""
    candidate = tmp_path / "candidate"
    shutil.copytree(forms_dir, candidate, dirs_exist_ok=True)
    (candidate / form_store.FILES[kind]).write_text(text, encoding="utf-8")
    result = runner.invoke(args=["check-forms", str(candidate)])
    assert result.exit_code == 1
    lines = result.output.strip().split("\n")[:-1]  # the last line counts the problems
    assert lines == checklists.validate_forms(candidate)
    return [line.replace(str(candidate), str(forms_dir), 1) for line in lines]


def edit_log(db):
    return list(db.query("SELECT * FROM audit_log WHERE action = 'edit_checklist' ORDER BY id"))


def nothing_written(app, db, forms_dir, original):
    """The forms files as they were, no history copy and no audit entry."""
    assert {name: (forms_dir / name).read_bytes() for name in original} == original
    assert not list(form_store.history_dir(app.instance_path).glob("*"))
    assert edit_log(db) == []


def changed_lines(before: str, after: str):
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and line[:3] not in ("+++", "---")]


# ---------------------------------------------------------------- who may edit


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/forms/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["auditor", "section_head", "viewer"])
def test_only_admins_may_edit(client, login, role, forms_dir, original, app, db, city):
    login(role, section_code="0101" if role == "section_head" else None)
    for url in ("/admin/forms/", "/admin/forms/checks/wire_lock", "/admin/forms/onsite/toml", "/admin/forms/items/3"):
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/forms/checks/wire_lock", data={"title": "x"}).status_code == 403
    assert client.post("/admin/forms/onsite/save", data={"version": "2024.9"}).status_code == 403
    nothing_written(app, db, forms_dir, original)


def test_admin_menu_links_to_the_editor(client, login):
    login("admin")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/admin/forms/"' in page and "チェックリスト編集" in page


# ---------------------------------------------------------------- a good edit


def test_edit_saves_a_new_version_with_a_minimal_diff(app, client, login, db, forms, forms_dir, original):
    admin = login("admin")
    wire_lock = forms.onsite.check("wire_lock")
    page = client.get("/admin/forms/checks/wire_lock").get_data(as_text=True)
    assert wire_lock.title in page and wire_lock.quick_remarks[0] in page

    response = client.post("/admin/forms/checks/wire_lock", data=check_form(wire_lock, title="ワイヤーロックと鍵の保管"))
    assert response.status_code == 302
    assert (forms_dir / "onsite.toml").read_bytes() == original["onsite.toml"]  # only the draft so far
    index = client.get("/admin/forms/").get_data(as_text=True)
    assert "+title = &#34;ワイヤーロックと鍵の保管&#34;" in index and 'value="2024.2"' in index

    response = client.post("/admin/forms/onsite/save", data={"version": "2024.2"})
    assert response.status_code == 302

    before, after = original["onsite.toml"].decode(), (forms_dir / "onsite.toml").read_text(encoding="utf-8")
    assert changed_lines(before, after) == [
        '-version = "2024.1"', '+version = "2024.2"', '-title = "ワイヤーロック"', '+title = "ワイヤーロックと鍵の保管"',
    ]
    header = before[: before.index("kind = ")]
    assert header.startswith("# 実地監査（抜き打ち）の確認項目の定義") and after.startswith(header)
    assert checklists.validate_forms(forms_dir) == []
    assert (forms_dir / "selfcheck.toml").read_bytes() == original["selfcheck.toml"]
    assert not list(forms_dir.glob(".*.part"))  # no temporary file left beside the forms

    history = list(form_store.history_dir(app.instance_path).glob("*.toml"))
    assert len(history) == 1 and re.fullmatch(r"onsite-2024\.1-\d{8}T\d{6}\.toml", history[0].name)
    assert history[0].read_bytes() == original["onsite.toml"]

    [entry] = edit_log(db)
    assert entry["user_id"] == admin and entry["entity"] == "checklist" and entry["entity_id"] is None
    assert json.loads(entry["before"]) == {"kind": "onsite", "version": "2024.1"}
    assert json.loads(entry["after"]) == {"kind": "onsite", "version": "2024.2"}

    # This process uses the new version at once, and the draft is gone.
    loaded = app.extensions["checklists"]
    assert loaded.onsite.version == "2024.2" and loaded.onsite.check("wire_lock").title == "ワイヤーロックと鍵の保管"
    assert form_store.load_draft(app.instance_path, admin, "onsite") is None


def test_past_campaign_keeps_its_copy_and_a_new_one_pins_the_new_version(app, client, login, db, city, forms):
    login("admin")
    wire_lock = forms.onsite.check("wire_lock")
    client.post("/admin/forms/checks/wire_lock", data=check_form(wire_lock, title="固定と鍵", verifies="3, 4"))
    assert client.post("/admin/forms/onsite/save", data={"version": "2024.2"}).status_code == 302
    response = client.post("/admin/campaigns", data={"code": "R7", "title": "令和7年度 監査", "fiscal_year": "2025"})
    assert response.status_code == 302

    old = campaigns.pinned_onsite(db, campaigns.get_campaign(db, campaign_id=city["id"]))
    new = campaigns.pinned_onsite(db, campaigns.get_campaign(db, code="R7"))
    assert (old.version, old.check("wire_lock").title, old.check("wire_lock").verifies) == ("2024.1", "ワイヤーロック", (3,))
    assert (new.version, new.check("wire_lock").title, new.check("wire_lock").verifies) == ("2024.2", "固定と鍵", (3, 4))


def test_add_split_move_delete_keep_the_layout(app, client, login, forms, forms_dir, original):
    login("admin")
    wire_lock = forms.onsite.check("wire_lock")
    new = check_form(wire_lock, code="usb_port_lock", title="USBポートの封印", verifies="１９、20", photo="never",
                     photo_advice="ポートの写真は撮影しないでください。", quick_remarks="封印がなかった\n\n封印が破れていた")
    assert client.post("/admin/forms/checks/new", data=new).status_code == 302
    response = client.post("/admin/forms/checks/wire_lock/split", data={"new_code": "wire_lock_key"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/checks/wire_lock_key")
    assert client.post("/admin/forms/checks/wire_lock_key/move", data={"direction": "up"}).status_code == 302
    assert client.post("/admin/forms/checks/clear_desk/delete").status_code == 302
    assert client.post("/admin/forms/onsite/save", data={"version": "2024.2"}).status_code == 302

    text = (forms_dir / "onsite.toml").read_text(encoding="utf-8")
    assert checklists.validate_forms(forms_dir) == []
    codes = [check.code for check in app.extensions["checklists"].onsite.checks]
    before = [check.code for check in forms.onsite.checks]
    assert codes[:2] == ["wire_lock_key", "wire_lock"] and codes[-1] == "usb_port_lock"
    assert "clear_desk" not in codes and len(codes) == len(before) + 1
    added = app.extensions["checklists"].onsite.check("usb_port_lock")
    assert added.verifies == (19, 20) and added.quick_remarks == ("封印がなかった", "封印が破れていた")
    lines = text.split("\n")
    assert all(lines[n - 1] == "" for n, line in enumerate(lines) if line == "[[check]]" and n > 0)
    assert text.endswith('  "封印が破れていた",\n]\n')
    # The header comments and the results are as they were; only the version line changed before the checks.
    head = original["onsite.toml"].decode().split("[[check]]")[0]
    assert text.split("[[check]]")[0] == head.replace('version = "2024.1"', 'version = "2024.2"')


def test_selfcheck_item_reworded_and_previewed(app, client, login, forms, forms_dir, original):
    login("admin")
    response = client.post("/admin/forms/items/3", data={"topic": "ワイヤーロック等", "question": "パソコンを固定していますか。"})
    assert response.status_code == 302
    # The preview of a check that verifies item 3 shows the draft's topic, the tablet's results and remarks.
    wire_lock = forms.onsite.check("wire_lock")
    client.post("/admin/forms/checks/wire_lock", data=check_form(wire_lock, action="preview", photo_advice="鍵穴だけ"))
    page = client.get("/admin/forms/checks/wire_lock/preview").get_data(as_text=True)
    assert "No.3 ワイヤーロック等" in page and "鍵穴だけ" in page and "写真を撮る" in page
    assert all(result.label in page for result in forms.onsite.results) and wire_lock.quick_remarks[1] in page
    assert client.post("/admin/forms/selfcheck/save", data={"version": "2024.2"}).status_code == 302
    after = (forms_dir / "selfcheck.toml").read_text(encoding="utf-8")
    assert len(changed_lines(original["selfcheck.toml"].decode(), after)) == 6  # version, topic, question
    assert app.extensions["checklists"].selfcheck.item(3).topic == "ワイヤーロック等"
    assert (forms_dir / "onsite.toml").read_bytes() == original["onsite.toml"]  # its draft is still a draft


# ---------------------------------------------------------------- refused input: check-forms' own messages


def test_duplicate_code_is_refused_as_check_forms_says(app, client, login, db, forms, runner, tmp_path, forms_dir,
                                                       original):
    login("admin")
    duplicate = check_form(forms.onsite.check("wire_lock"), code="clear_desk")
    response = client.post("/admin/forms/checks/new", data=duplicate)
    assert response.status_code == 422
    candidate, _problems = form_editing.check_from_form(duplicate, "clear_desk")
    expected = check_forms_says(runner, tmp_path, forms_dir, "onsite",
                                form_editing.add_check(original["onsite.toml"].decode(), candidate))
    assert shown_errors(response) == expected
    assert re.fullmatch(rf"{re.escape(str(forms_dir))}/onsite\.toml:\d+: code = \"clear_desk\" が他の確認項目と重複しています",
                        expected[0])
    nothing_written(app, db, forms_dir, original)
    assert form_store.load_draft(app.instance_path, 1, "onsite") is None


@pytest.mark.parametrize("field, value, message", [
    ("applies_to", "everyone",
     'applies_to = "everyone" は使えません（"all"、"pc"、"my_number"、"outsourcing" のいずれかにしてください）'),
    ("verifies", "3, 36", "verifies の 36 はセルフチェックの項目番号（1〜35）にありません"),
    ("photo_advice", "", 'photo = "allowed" のときは photo_advice（撮影についての注意）を書いてください'),
])
def test_invalid_field_is_refused_as_check_forms_says(app, client, login, db, forms, runner, tmp_path, forms_dir,
                                                      original, field, value, message):
    login("admin")
    data = check_form(forms.onsite.check("wire_lock"), **{field: value})
    response = client.post("/admin/forms/checks/wire_lock", data=data)
    assert response.status_code == 422
    candidate, _problems = form_editing.check_from_form(data, "wire_lock")
    expected = check_forms_says(runner, tmp_path, forms_dir, "onsite",
                                form_editing.update_check(original["onsite.toml"].decode(), "wire_lock", candidate))
    assert shown_errors(response) == expected and len(expected) == 1 and expected[0].endswith(message)
    assert 'value="everyone"' not in response.get_data(as_text=True)  # the select offers only real choices
    nothing_written(app, db, forms_dir, original)


def test_bad_toml_in_the_textarea_is_refused_as_check_forms_says(app, client, login, db, runner, tmp_path,
                                                                 forms_dir, original):
    login("admin")
    broken = original["onsite.toml"].decode().replace('title = "ワイヤーロック"', 'title = "ワイヤーロック', 1)
    response = client.post("/admin/forms/onsite/toml", data={"text": broken.replace("\n", "\r\n")})
    assert response.status_code == 422
    expected = check_forms_says(runner, tmp_path, forms_dir, "onsite", broken)
    assert shown_errors(response) == expected and "TOML の書式エラー" in expected[0]
    assert 'title = &#34;ワイヤーロック\n' in response.get_data(as_text=True)  # what was typed is kept to fix
    nothing_written(app, db, forms_dir, original)


def test_topic_too_long_is_refused(app, client, login, db, runner, tmp_path, forms_dir, original):
    login("admin")
    response = client.post("/admin/forms/items/3", data={"topic": "とても長い見出しで十三文字", "question": "設問"})
    assert response.status_code == 422
    text, _problems = form_editing.update_item(original["selfcheck.toml"].decode(), 3, "とても長い見出しで十三文字", "設問")
    assert shown_errors(response) == check_forms_says(runner, tmp_path, forms_dir, "selfcheck", text)
    assert "topic は 12 文字以内にしてください（13 文字あります）" in shown_errors(response)[0]
    nothing_written(app, db, forms_dir, original)


def test_version_must_be_new(app, client, login, db, forms, forms_dir, original):
    login("admin")
    wire_lock = forms.onsite.check("wire_lock")
    client.post("/admin/forms/checks/wire_lock", data=check_form(wire_lock, title="一回目"))
    response = client.post("/admin/forms/onsite/save", data={"version": "2024.1"})
    assert response.status_code == 422
    assert shown_errors(response) == [f'{forms_dir}/onsite.toml:38: version = "2024.1" は使用済みの版です。'
                                      '新しい版の名前にしてください（例 "2024.2"）']
    nothing_written(app, db, forms_dir, original)

    assert client.post("/admin/forms/onsite/save", data={"version": "2024.2"}).status_code == 302
    client.post("/admin/forms/checks/wire_lock", data=check_form(wire_lock, title="二回目"))
    # 2024.1 is now only in the history folder; it is still not new.
    response = client.post("/admin/forms/onsite/save", data={"version": "2024.1"})
    assert response.status_code == 422 and "（例 &#34;2024.3&#34;）" in response.get_data(as_text=True)
    response = client.post("/admin/forms/onsite/save", data={"version": " "})
    assert shown_errors(response) == [f"{forms_dir}/onsite.toml:38: version が空です"]
    assert app.extensions["checklists"].onsite.check("wire_lock").title == "一回目"


def test_save_without_changes_is_refused(app, client, login, db, forms_dir, original):
    login("admin")
    response = client.post("/admin/forms/onsite/save", data={"version": "2024.2"})
    assert response.status_code == 422 and "変更がありません" in response.get_data(as_text=True)
    nothing_written(app, db, forms_dir, original)


def test_read_only_forms_folder_is_said_in_japanese(app, client, login, db, forms, forms_dir, original, monkeypatch):
    admin = login("admin")
    client.post("/admin/forms/checks/wire_lock", data=check_form(forms.onsite.check("wire_lock"), title="新しい名前"))

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(form_store.tempfile, "NamedTemporaryFile", read_only)
    response = client.post("/admin/forms/onsite/save", data={"version": "2024.2"})
    assert response.status_code == 422
    assert shown_errors(response) == [f"{forms_dir} に書き込めません（読み取り専用です）。サーバーの管理者に書き込みの"
                                      "権限を確認してもらってください。ファイルは何も変更していません。"]
    nothing_written(app, db, forms_dir, original)
    assert form_store.load_draft(app.instance_path, admin, "onsite").text.count("新しい名前") == 1  # kept to retry


def test_draft_started_before_someone_else_saved_is_refused(app, client, login, forms, forms_dir, original):
    login("admin")
    client.post("/admin/forms/checks/wire_lock", data=check_form(forms.onsite.check("wire_lock"), title="私の変更"))
    changed = original["onsite.toml"].decode().replace('version = "2024.1"', 'version = "2024.5"')
    (forms_dir / "onsite.toml").write_text(changed, encoding="utf-8")
    response = client.post("/admin/forms/onsite/save", data={"version": "2024.6"})
    assert response.status_code == 422 and "下書きを破棄して" in response.get_data(as_text=True)
    assert (forms_dir / "onsite.toml").read_text(encoding="utf-8") == changed
    assert client.post("/admin/forms/onsite/discard").status_code == 302
    assert form_store.load_draft(app.instance_path, 1, "onsite") is None


def test_unreadable_verifies_is_a_plain_japanese_error(client, login, forms):
    login("admin")
    response = client.post("/admin/forms/checks/wire_lock", data=check_form(forms.onsite.check("wire_lock"), verifies="3, x"))
    assert response.status_code == 422
    assert shown_errors(response) == ["裏付けるセルフチェック項目の「x」は項目番号ではありません（例: 3, 5）。"]


def test_unknown_check_is_404(client, login):
    login("admin")
    assert client.get("/admin/forms/checks/no_such_check").status_code == 404
    assert client.get("/admin/forms/items/36").status_code == 404
    assert client.get("/admin/forms/other/toml").status_code == 404


# ---------------------------------------------------------------- versions


@pytest.mark.parametrize("current, used, suggested", [
    ("2024.1", set(), "2024.2"), ("2024.1", {"2024.2"}, "2024.3"), ("2024.9", set(), "2024.10"),
    ("R6", set(), "R7"), ("2024.1-draft", set(), "2024.2-draft"), ("初版", set(), "初版.2"),
])
def test_next_version(current, used, suggested):
    assert form_store.next_version(current, used) == suggested
