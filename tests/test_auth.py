"""Accounts and logging in: hashing, roles, throttling, idle timeout, safe redirects."""
from datetime import timedelta

import pytest

from spotcheck import auth, clock
from tests.factories import PASSWORD


def test_passwords_are_stored_as_scrypt_hashes(db, make_user):
    make_user("auditor")
    stored = db.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("scrypt:") and PASSWORD not in stored


@pytest.mark.parametrize(
    "username, password, role, section, message",
    [
        ("a", PASSWORD, "auditor", None, "2〜40 文字"),
        ("ok-name", "short", "auditor", None, "10 文字以上"),
        ("ok-name", PASSWORD, "boss", None, "役割「boss」はありません"),
        ("ok-name", PASSWORD, "section_head", None, "所属コードを指定"),
        ("ok-name", PASSWORD, "section_head", "9999", "所属コード「9999」は登録されていません"),
    ],
)
def test_create_user_refuses_bad_fields_in_japanese(db, username, password, role, section, message):
    with pytest.raises(auth.AccountError, match=message):
        auth.create_user(db, username, password, role, section_code=section)
    assert db["users"].count == 0


def test_duplicate_username_is_refused_case_insensitively(db, make_user):
    make_user("auditor", "tanaka")
    with pytest.raises(auth.AccountError, match="既に使われています"):
        auth.create_user(db, "TANAKA", PASSWORD, "auditor")


def test_login_and_logout(client, make_user):
    make_user("auditor", "sato")
    response = client.post("/login", data={"username": "sato", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    logout = client.post("/logout")
    assert logout.headers["Clear-Site-Data"] == '"cache", "storage"'  # the shared tablet forgets the visit
    assert client.get("/").status_code == 302


def test_wrong_password_gives_one_japanese_message_for_unknown_and_known_users(client, make_user):
    make_user("auditor", "sato")
    for name in ("sato", "nobody"):
        response = client.post("/login", data={"username": name, "password": "wrong password!"})
        assert response.status_code == 401
        assert "ユーザー名またはパスワードが違います" in response.get_data(as_text=True)


def test_five_failures_lock_the_user_even_with_the_right_password(client, make_user, app):
    make_user("auditor", "sato")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"username": "sato", "password": "wrong password!"})
    response = client.post("/login", data={"username": "sato", "password": PASSWORD})
    assert response.status_code == 401
    assert "15 分間ログインできません" in response.get_data(as_text=True)


def test_failures_from_one_ip_lock_that_ip_for_every_user(client, make_user, app):
    make_user("auditor", "sato")
    for i in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"username": f"guess{i}", "password": "wrong password!"})
    response = client.post("/login", data={"username": "sato", "password": PASSWORD})
    assert response.status_code == 401
    other_ip = client.post(
        "/login", data={"username": "sato", "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.9.9.9"}
    )
    assert other_ip.status_code == 302


def test_lock_expires(db, make_user, monkeypatch):
    make_user("auditor", "sato")
    for _ in range(5):
        with pytest.raises(auth.AccountError):
            auth.authenticate(db, "sato", "wrong password!", "1.2.3.4", max_failures=5, lock_minutes=15)
    later = clock.now() + timedelta(minutes=16)
    monkeypatch.setattr(auth, "now_iso", lambda: later.isoformat(timespec="seconds"))
    monkeypatch.setattr(auth, "now", lambda: later)
    assert auth.authenticate(db, "sato", PASSWORD, "1.2.3.4", max_failures=5, lock_minutes=15).username == "sato"


def test_disabled_account_cannot_log_in_and_loses_its_session(client, db, make_user, login):
    login("auditor", "sato")
    user_id = db.execute("SELECT id FROM users WHERE username = 'sato'").fetchone()[0]
    auth.set_active(db, user_id, False)
    assert client.get("/").status_code == 302
    assert client.post("/login", data={"username": "sato", "password": PASSWORD}).status_code == 401


def test_idle_session_is_logged_out(client, login, app, monkeypatch):
    login("auditor")
    assert client.get("/").status_code == 200
    later = clock.now() + timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"] + 1)
    monkeypatch.setattr("spotcheck.security.now", lambda: later)
    response = client.get("/staff")
    assert response.status_code == 302 and "expired=1" in response.headers["Location"]
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, make_user, target):
    make_user("auditor", "sato")
    response = client.post(f"/login?next={target}", data={"username": "sato", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_login_follows_a_local_next(client, make_user):
    make_user("auditor", "sato")
    response = client.post("/login?next=/staff?q=x", data={"username": "sato", "password": PASSWORD})
    assert response.headers["Location"] == "/staff?q=x"


def copied_session(client, app):
    """A second browser holding a copy of this client's session cookie."""
    thief = app.test_client()
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    thief.set_cookie(cookie.key, cookie.value)
    return thief


def test_logout_ends_a_copied_session_too(client, login, app):
    login("auditor")
    thief = copied_session(client, app)
    assert thief.get("/visits").status_code == 200
    client.post("/logout")
    assert thief.get("/visits").status_code in (302, 401)


@pytest.mark.parametrize("change", ["password", "disable"])
def test_a_new_password_or_a_disabled_account_ends_every_session(client, login, app, db, make_user, change):
    user_id = login("auditor")
    thief = copied_session(client, app)
    admin = make_user("admin", "lead")
    if change == "password":
        auth.set_password(db, user_id, "a brand new long passphrase", actor_id=admin)
    else:
        auth.set_active(db, user_id, False, actor_id=admin)
    for browser in (client, thief):
        assert browser.get("/visits").status_code in (302, 401)


def test_a_session_from_before_generations_is_asked_to_log_in_again(app):
    with app.test_request_context():
        assert auth.load_user("1") is None and auth.load_user("x:1") is None
