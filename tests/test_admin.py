"""Admin screens: campaigns, the import preview → confirm flow, and accounts."""
import io
import re

from tests.factories import SECTIONS, SECTION_HEADER, STAFF, STAFF_HEADER, csv_bytes


def upload(client, kind, data, name="file.csv", campaign_id=""):
    return client.post(
        "/admin/imports",
        data={"kind": kind, "campaign_id": campaign_id, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def confirm_token(html):
    return re.search(r'action="/admin/imports/([A-Za-z0-9_-]+)"', html).group(1)


def staged_files(app):
    from pathlib import Path

    folder = Path(app.instance_path) / "staging"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_campaign_is_created_from_the_form(client, login, db):
    login("admin")
    response = client.post("/admin/campaigns", data={"code": "R6", "title": "令和6年度 監査", "fiscal_year": "2024"})
    assert response.status_code == 302
    page = client.get("/admin/campaigns").get_data(as_text=True)
    assert "令和6年度 監査" in page and "令和6年度" in page


def test_campaign_form_errors_are_japanese_and_keep_the_input(client, login):
    login("admin")
    response = client.post("/admin/campaigns", data={"code": "令和6", "title": "監査"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "半角英数字" in html and 'value="監査"' in html


def test_preview_shows_counts_and_writes_nothing_until_confirmed(client, login, db, app):
    login("admin")
    response = upload(client, "sections", csv_bytes(SECTION_HEADER, SECTIONS))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "この内容で取り込む" in html and "新規" in html
    assert db["sections"].count == 0
    response = client.post(f"/admin/imports/{confirm_token(html)}", data={"action": "apply"})
    assert response.status_code == 302 and db["sections"].count == 3
    assert staged_files(app) == []
    assert "所属一覧「file.csv」を取り込みました" in client.get("/admin/imports").get_data(as_text=True)


def test_preview_of_a_bad_file_lists_errors_and_offers_no_import(client, login, db, app):
    login("admin")
    token = confirm_token(upload(client, "sections", csv_bytes(SECTION_HEADER, SECTIONS)).get_data(as_text=True))
    client.post(f"/admin/imports/{token}", data={"action": "apply"})
    rows = STAFF + [["000101", "重複 太郎", "", "0101", "正規職員", "有"]]
    response = upload(client, "staff", csv_bytes(STAFF_HEADER, rows), "名簿.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "名簿.csv:5: 職員番号: 000101 が 2 行目と重複しています。" in html
    assert "この内容で取り込む" not in html
    assert db["staff"].count == 0 and staged_files(app) == []


def test_cancel_discards_the_staged_file(client, login, db, app):
    login("admin")
    token = confirm_token(upload(client, "sections", csv_bytes(SECTION_HEADER, SECTIONS)).get_data(as_text=True))
    client.post(f"/admin/imports/{token}", data={"action": "cancel"})
    assert staged_files(app) == [] and db["sections"].count == 0


def test_a_token_from_another_admin_or_a_made_up_one_is_refused(client, login, db, app):
    login("admin")
    token = confirm_token(upload(client, "sections", csv_bytes(SECTION_HEADER, SECTIONS)).get_data(as_text=True))
    client.post("/logout")
    login("admin", "second-admin")
    for candidate in (token, "x" * 24, "..secret_key.."):
        response = client.post(f"/admin/imports/{candidate}", data={"action": "apply"}, follow_redirects=True)
        assert "取り込むファイルが見つかりません" in response.get_data(as_text=True)
    assert client.post("/admin/imports/../../secret_key", data={"action": "apply"}).status_code == 404
    assert db["sections"].count == 0


def test_selfcheck_upload_needs_a_campaign(client, login, city):
    login("admin")
    response = upload(client, "selfcheck", csv_bytes(["職員番号", "1"], [["000101", "①"]]))
    assert "キャンペーンを選んで" in response.get_data(as_text=True)
    response = upload(client, "selfcheck", csv_bytes(["職員番号", "1"], [["000101", "①"]]), campaign_id=city["id"])
    assert "この内容で取り込む" in response.get_data(as_text=True)


def test_double_submitted_confirm_imports_once(client, login, db):
    login("admin")
    token = confirm_token(upload(client, "sections", csv_bytes(SECTION_HEADER, SECTIONS)).get_data(as_text=True))
    client.post(f"/admin/imports/{token}", data={"action": "apply"})
    second = client.post(f"/admin/imports/{token}", data={"action": "apply"}, follow_redirects=True)
    assert "取り込むファイルが見つかりません" in second.get_data(as_text=True)
    assert db["imports"].count == 1


def test_upload_over_the_size_limit_gets_a_japanese_413(client, login, app):
    login("admin")
    # A hand-made multipart body: the test client would spool a large dict upload to a temp file it never closes.
    body = (b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
            + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1024) + b"\r\n--B--\r\n")
    response = client.post("/admin/imports", data=body, content_type="multipart/form-data; boundary=B")
    assert response.status_code == 413
    assert "ファイルが大きすぎます（上限 16 MB）" in response.get_data(as_text=True)


def test_admin_creates_disables_and_resets_accounts(client, login, db, city):
    admin_id = login("admin")
    response = client.post("/admin/users", data={"username": "kacho", "password": "long enough pw",
                                                 "role": "section_head", "section_code": "0101"})
    assert response.status_code == 302
    user_id = db.execute("SELECT id FROM users WHERE username = 'kacho'").fetchone()[0]
    client.post(f"/admin/users/{user_id}/active", data={"active": "0"})
    assert db.execute("SELECT active FROM users WHERE id = ?", [user_id]).fetchone()[0] == 0
    response = client.post(f"/admin/users/{user_id}/password", data={"password": "short"}, follow_redirects=True)
    assert "10 文字以上" in response.get_data(as_text=True)
    response = client.post(f"/admin/users/{admin_id}/active", data={"active": "0"}, follow_redirects=True)
    assert "自分自身のアカウントは無効にできません" in response.get_data(as_text=True)
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE entity = 'user' ORDER BY id")]
    assert actions[-2:] == ["create", "disable"]


def roster_of(db, people):
    """Sections and `people` on file already, imported through the real path."""
    from spotcheck import imports

    for kind, header, rows in (("sections", SECTION_HEADER, SECTIONS), ("staff", STAFF_HEADER, people)):
        imports.apply(db, imports.plan(db, kind, csv_bytes(header, rows), f"{kind}.csv", max_rows=100), None)


def active(db):
    return db.execute("SELECT count(*) FROM staff WHERE retired_at IS NULL").fetchone()[0]


TEN = [[f"{n:06d}", f"職員 {n}", "", "0101", "正規職員", "有"] for n in range(1, 11)]


def test_a_roster_retiring_more_than_the_share_needs_the_tick_checked_on_the_server(client, login, db, app):
    roster_of(db, TEN)
    login("admin")
    response = upload(client, "staff", csv_bytes(STAFF_HEADER, TEN[:7]), "一部.csv")  # 3 of 10 = 30 % > 20 %
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "この名簿を取り込むと 3 人（30%）が退職扱いになります。" in html and "在職者 10 人の 20% を超えています" in html
    assert 'name="confirm_retire" value="3" required' in html and "3 人を退職扱いにすることを確認しました" in html
    token = confirm_token(html)
    imports_before = db["imports"].count
    # HTML `required` is not the guard: a POST without the tick, or ticking a different count, writes nothing.
    for form in ({"action": "apply"}, {"action": "apply", "confirm_retire": "2"}, {"action": "apply", "confirm_retire": "on"}):
        refused = client.post(f"/admin/imports/{token}", data=form)
        page = refused.get_data(as_text=True)
        assert refused.status_code == 422 and "この名簿を取り込むと 3 人（30%）" in page and "取り込んでいません" in page
        assert confirm_token(page) == token
        assert active(db) == 10 and db["imports"].count == imports_before
    assert len(staged_files(app)) == 2  # still there to confirm
    done = client.post(f"/admin/imports/{token}", data={"action": "apply", "confirm_retire": "3"})
    assert done.status_code == 302 and active(db) == 7 and db["imports"].count == imports_before + 1


def test_a_roster_retiring_exactly_the_share_needs_no_extra_step(client, login, db):
    roster_of(db, TEN)
    login("admin")
    html = upload(client, "staff", csv_bytes(STAFF_HEADER, TEN[:8]), "八人.csv").get_data(as_text=True)  # 2 of 10
    assert "confirm_retire" not in html and "退職扱いになります" not in html
    assert client.post(f"/admin/imports/{confirm_token(html)}", data={"action": "apply"}).status_code == 302
    assert active(db) == 8


def test_the_share_comes_from_the_setting(client, login, db, app):
    roster_of(db, TEN)
    app.config["ROSTER_RETIRE_CONFIRM_SHARE"] = 0.5
    login("admin")
    html = upload(client, "staff", csv_bytes(STAFF_HEADER, TEN[:5]), "半分.csv").get_data(as_text=True)
    assert "confirm_retire" not in html
    app.config["ROSTER_RETIRE_CONFIRM_SHARE"] = 0.1
    html = upload(client, "staff", csv_bytes(STAFF_HEADER, TEN[:8]), "八人.csv").get_data(as_text=True)
    assert 'name="confirm_retire" value="2"' in html and "在職者 10 人の 10% を超えています" in html


def test_cancel_works_without_the_tick(client, login, db, app):
    roster_of(db, TEN)
    login("admin")
    token = confirm_token(upload(client, "staff", csv_bytes(STAFF_HEADER, TEN[:1]), "一人.csv").get_data(as_text=True))
    assert client.post(f"/admin/imports/{token}", data={"action": "cancel"}).status_code == 302
    assert staged_files(app) == [] and active(db) == 10
