"""Serving on the city LAN: the QR address, cookie flags, reverse proxies, and `flask doctor`."""
import os
from datetime import timedelta
from types import SimpleNamespace

import pytest

from spotcheck import backup, create_app, deployment, doctor
from spotcheck.clock import now
from spotcheck.security import public
from tests.factories import PASSWORD

LAN = "192.168.10.5"


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.5.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True), ("LOCALHOST", True),
    ("0.0.0.0", False), (LAN, False), ("spotcheck.example.lg.jp", False), ("", False), (None, False),
])
def test_loopback_addresses(host, loopback):
    assert deployment.is_loopback(host) is loopback


@pytest.mark.parametrize("address, host", [
    ("https://spotcheck.example.lg.jp/verify", "spotcheck.example.lg.jp"), (f"{LAN}:5000", LAN),
    ("http://127.0.0.1:5000", "127.0.0.1"), ("[::1]:5000", "::1"), (None, None),
])
def test_host_of_a_url_or_host_header(address, host):
    assert deployment.host_of(address) == host


def test_a_loopback_qr_address_may_print_only_while_the_app_is_reached_on_this_machine():
    loopback = "http://127.0.0.1:5000"
    assert deployment.print_problem(loopback) is None
    assert deployment.print_problem(loopback, bound_host="127.0.0.1", request_host="localhost:5000") is None
    assert "BASE_URL が http://127.0.0.1:5000 のまま" in deployment.print_problem(loopback, bound_host="0.0.0.0")
    assert "結果票を発行できません" in deployment.print_problem(loopback, request_host=f"{LAN}:5000")
    assert deployment.print_problem("https://spotcheck.example.lg.jp", bound_host="0.0.0.0",
                                     request_host=f"{LAN}:5000") is None


@pytest.mark.parametrize("bad", ["", None, "spotcheck.example.lg.jp", "ftp://x.example", "https://"])
def test_a_malformed_qr_address_never_prints(bad):
    assert "BASE_URL" in deployment.print_problem(bad)


def _app(tmp_path, monkeypatch, **settings):
    monkeypatch.setenv("SPOTCHECK_INSTANCE", str(tmp_path / "instance"))
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, **settings})


@pytest.mark.parametrize("base_url, secure", [("https://spotcheck.example.lg.jp", True), ("http://127.0.0.1:5000", False),
                                              ("http://spotcheck.example.lg.jp", False)])
def test_cookies_are_https_only_exactly_when_the_public_address_is(tmp_path, monkeypatch, base_url, secure):
    app = _app(tmp_path, monkeypatch, BASE_URL=base_url)
    assert app.config["SESSION_COOKIE_SECURE"] is secure and app.config["REMEMBER_COOKIE_SECURE"] is secure


def test_an_explicit_cookie_setting_wins(tmp_path, monkeypatch):
    app = _app(tmp_path, monkeypatch, BASE_URL="https://spotcheck.example.lg.jp", SESSION_COOKIE_SECURE=False)
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_behind_a_trusted_proxy_the_clients_address_and_https_come_from_its_headers(tmp_path, monkeypatch):
    app = _app(tmp_path, monkeypatch, TRUSTED_PROXIES=1)
    seen = {}

    @app.get("/_probe")
    @public
    def probe():
        from flask import request
        seen.update(addr=request.remote_addr, secure=request.is_secure)
        return ""

    app.test_client().get("/_probe", headers={"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"},
                          environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert seen == {"addr": "10.1.2.3", "secure": True}


def test_without_trusted_proxies_forwarded_headers_are_ignored(tmp_path, monkeypatch):
    app = _app(tmp_path, monkeypatch)
    seen = {}

    @app.get("/_probe")
    @public
    def probe():
        from flask import request
        seen.update(addr=request.remote_addr)
        return ""

    app.test_client().get("/_probe", headers={"X-Forwarded-For": "10.1.2.3"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert seen == {"addr": "127.0.0.1"}  # anyone could send the header: trusting it would defeat the login lock


def test_the_sheet_is_refused_in_japanese_when_reached_from_the_lan_with_a_loopback_qr_address(app, client, make_user,
                                                                                                issued):
    visit, _serial = issued
    make_user("admin")
    client.post("/login", data={"username": "admin-user", "password": PASSWORD}, base_url=f"http://{LAN}:5000")
    response = client.get(f"/visits/{visit['id']}/sheet.pdf", base_url=f"http://{LAN}:5000")
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and "BASE_URL" in page and "結果票を発行できません" in page
    batch = client.get("/sheets?day=2000-01-01", base_url=f"http://{LAN}:5000")
    assert batch.status_code == 503
    app.config["BASE_URL"] = "https://spotcheck.example.lg.jp"
    assert client.get(f"/visits/{visit['id']}/sheet.pdf", base_url=f"http://{LAN}:5000").mimetype == "application/pdf"


def test_serving_on_the_lan_with_a_loopback_qr_address_refuses_sheets_even_from_this_machine(app, client, login, issued):
    visit, _serial = issued
    login("admin")
    app.extensions["serve_host"] = "0.0.0.0"
    assert client.get(f"/visits/{visit['id']}/sheet.pdf").status_code == 503


# ---------------------------------------------------------------------------------------------- doctor

def _healthy(app, db):
    app.config["BASE_URL"] = "https://spotcheck.example.lg.jp"
    app.config["SESSION_COOKIE_SECURE"] = True
    db["backups"].insert({"created_at": now().isoformat(timespec="seconds"), "file_name": "b.zip", "size": 1,
                          "files": 1})


def _levels(app, db):
    with app.app_context():
        return {f.name: f.level for f in doctor.examine(app, db)}


def test_doctor_passes_a_sound_installation(app, db, runner):
    _healthy(app, db)
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 0, result.output
    assert "すべて問題ありません。" in result.output and "✖" not in result.output


def test_doctor_names_each_problem_with_a_fix_and_fails(app, db, runner):
    result = runner.invoke(args=["doctor"])  # a fresh install: no backup yet, QR address on loopback
    assert result.exit_code == 1
    assert "✖ バックアップ: まだ一度も取られていません。" in result.output
    assert "→ flask --app app backup" in result.output
    assert "△ 公開アドレス（BASE_URL）" in result.output


def test_doctor_fonts():
    assert doctor.fonts(SimpleNamespace(embedded=True, warning=None)).level == doctor.OK
    assert doctor.fonts(SimpleNamespace(embedded=True, warning="明朝がない")).level == doctor.WARN
    missing = doctor.fonts(SimpleNamespace(embedded=False, warning="x"))
    assert missing.level == doctor.FAIL and "fonts-ipaexfont" in missing.fix


def test_doctor_base_url():
    assert doctor.base_url("http://127.0.0.1:5000", "0.0.0.0", False).level == doctor.FAIL
    assert doctor.base_url("http://127.0.0.1:5000", "127.0.0.1", False).level == doctor.WARN
    assert "https ではありません" in doctor.base_url("http://spotcheck.example.lg.jp", "0.0.0.0", False).message
    assert doctor.base_url("https://spotcheck.example.lg.jp", "127.0.0.1", False).level == doctor.WARN
    assert doctor.base_url("https://spotcheck.example.lg.jp", "127.0.0.1", True).level == doctor.OK


def test_doctor_secret_key(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("k" * 64)
    key_file.chmod(0o600)
    assert doctor.secret_key("k" * 64, key_file).level == doctor.OK
    assert doctor.secret_key("dev", key_file).level == doctor.FAIL
    assert doctor.secret_key("", key_file).level == doctor.FAIL
    key_file.chmod(0o644)
    readable = doctor.secret_key("k" * 64, key_file)
    assert readable.level == doctor.FAIL and readable.fix == f"chmod 600 {key_file}"


def test_doctor_unwritable_instance(tmp_path, monkeypatch):
    monkeypatch.setattr(doctor.os, "access", lambda path, mode: False)  # as the app's account would see it (CI is root)
    unwritable = doctor.permissions(tmp_path)
    assert unwritable.level == doctor.FAIL and "書き込めません" in unwritable.message


def test_doctor_instance_open_to_others(tmp_path):
    tmp_path.chmod(0o755)
    open_folder = doctor.permissions(tmp_path)
    assert open_folder.level == doctor.FAIL and open_folder.fix == f"chmod 700 {tmp_path}"
    tmp_path.chmod(0o700)
    assert doctor.permissions(tmp_path).level == doctor.OK


def test_a_new_instance_folder_is_closed_to_other_users(app):
    assert os.stat(app.instance_path).st_mode & 0o077 == 0


def test_doctor_free_disk(tmp_path):
    assert doctor.free_disk(tmp_path, 1).level == doctor.OK
    assert doctor.free_disk(tmp_path, 10**12).level == doctor.FAIL


def test_doctor_database(app, db):
    assert doctor.database(db).level == doctor.OK
    db.execute("DELETE FROM _sqlite_migrations WHERE name = (SELECT max(name) FROM _sqlite_migrations)")
    pending = doctor.database(db)
    assert pending.level == doctor.FAIL and "未適用の更新が 1 件" in pending.message


def test_doctor_backup_age(app, db):
    assert doctor.backups(db, 7).level == doctor.FAIL
    stamp = (now() - timedelta(days=8)).isoformat(timespec="seconds")
    db["backups"].insert({"created_at": stamp, "file_name": "b.zip", "size": 1, "files": 1})
    old = doctor.backups(db, 7)
    assert old.level == doctor.FAIL and "8 日前" in old.message
    assert doctor.backups(db, 30).level == doctor.OK


def test_doctor_forms_and_time_zone(monkeypatch):
    assert doctor.forms([]).level == doctor.OK
    broken = doctor.forms(["onsite.toml:3: code がありません"])
    assert broken.level == doctor.FAIL and "onsite.toml:3" in broken.message
    assert doctor.time_zone().level == doctor.OK

    def no_zone(_name):
        raise doctor.ZoneInfoNotFoundError("Asia/Tokyo")

    monkeypatch.setattr(doctor, "ZoneInfo", no_zone)
    assert doctor.time_zone().level == doctor.FAIL


def test_doctor_levels_add_up_on_a_sound_installation(app, db):
    _healthy(app, db)
    assert set(_levels(app, db).values()) == {doctor.OK}
