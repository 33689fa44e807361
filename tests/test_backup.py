"""Backup and restore: taken while tablets save, checked on the way back, refused when damaged or foreign."""
import json
import threading
import time
import zipfile
from pathlib import Path

import pytest

from spotcheck import backup, visits
from spotcheck.sqlite import connect
from tests.factories import soon

pytestmark = pytest.mark.usefixtures("city")


def restore_into(tmp_path, monkeypatch, archive, name="restored"):
    """Run `flask restore` in a second, empty instance; returns (result, its app)."""
    from spotcheck import create_app

    monkeypatch.setenv("SPOTCHECK_INSTANCE", str(tmp_path / name))
    other = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
    return other.test_cli_runner().invoke(args=["restore", str(archive)]), other


def test_a_backup_taken_while_tablets_save_restores_every_acknowledged_save(app, db, issued, visit, runner,
                                                                          tmp_path, monkeypatch):
    _visit, serial = issued
    open_visit = visits.start_visit(db, campaign_id=1, staff_id=2, auditor_id=visit["auditor"], reason="バックアップ試験")
    acknowledged, stop = [], threading.Event()

    def tablet():
        conn = connect(app.config["DATABASE"])
        try:
            for i in range(10_000):
                if stop.is_set():
                    break
                key = f"bk{i:020d}"
                visits.save_change(conn, open_visit, visit["auditor"], key=key, field="remark", value=f"所見{i}",
                                   changed_at=soon(i), check_code="clear_desk")
                acknowledged.append((key, time.monotonic()))
        finally:
            conn.close()

    saver = threading.Thread(target=tablet)
    saver.start()
    time.sleep(0.3)
    started = time.monotonic()
    result = runner.invoke(args=["backup", "-o", str(tmp_path / "backup.zip")])
    stop.set()
    saver.join()
    assert result.exit_code == 0 and "バックアップしました" in result.output
    before = {key for key, at in acknowledged if at < started}
    assert len(before) > 5

    result, other = restore_into(tmp_path, monkeypatch, tmp_path / "backup.zip")
    assert result.exit_code == 0, result.output
    assert "すべて正常" in result.output
    restored = connect(other.config["DATABASE"])
    keys = {row[0] for row in restored.execute("SELECT key FROM idempotency_keys WHERE key LIKE 'bk%'")}
    assert before <= keys  # every save acknowledged before the backup began is in it
    assert restored.execute("SELECT serial FROM sheets").fetchone()[0] == serial
    assert list((Path(other.instance_path) / "photos").iterdir())
    restored.close()
    assert db.execute("SELECT count(*) FROM backups").fetchone()[0] == 1  # recorded where it was taken


def damaged(tmp_path, source, change):
    """A copy of an archive with one member replaced."""
    target = tmp_path / "damaged.zip"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            new.writestr(item.filename, change(item.filename, data))
    return target


@pytest.mark.parametrize("change, message", [
    (lambda name, data: data + b"x" if name.startswith("photos/") else data, "ハッシュが一覧と一致しません"),
    (lambda name, data: b"{}" if name == "manifest.json" else data, "spotcheck のバックアップではありません"),
    (lambda name, data: json.dumps({**json.loads(data), "files": {**json.loads(data)["files"], "../evil": "0" * 64}}).encode()
     if name == "manifest.json" else data, "想定外のファイル名"),
])
def test_a_damaged_or_foreign_archive_is_refused_and_nothing_is_written(runner, issued, tmp_path, monkeypatch,
                                                                        change, message):
    assert runner.invoke(args=["backup", "-o", str(tmp_path / "backup.zip")]).exit_code == 0
    result, other = restore_into(tmp_path, monkeypatch, damaged(tmp_path, tmp_path / "backup.zip", change))
    assert result.exit_code == 1 and message in result.output and "何も書き込んでいません" in result.output
    assert not (Path(other.instance_path) / "photos").exists()


def test_not_a_zip_at_all_is_refused(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("これはバックアップではありません")
    result, _other = restore_into(tmp_path, monkeypatch, tmp_path / "notes.txt")
    assert result.exit_code == 1 and "バックアップファイルとして読めません" in result.output


def test_a_restore_never_overwrites_an_instance_that_has_data(runner, issued, tmp_path):
    assert runner.invoke(args=["backup", "-o", str(tmp_path / "backup.zip")]).exit_code == 0
    result = runner.invoke(args=["restore", str(tmp_path / "backup.zip")])
    assert result.exit_code == 1 and "既にデータがあります" in result.output


def test_the_admin_screen_warns_when_the_newest_backup_is_old(client, login, db, app, tmp_path, runner):
    login("admin")
    assert "バックアップがありません" in client.get("/admin/users").get_data(as_text=True)
    assert runner.invoke(args=["backup", "-o", str(tmp_path / "b.zip")]).exit_code == 0
    page = client.get("/admin/users").get_data(as_text=True)
    assert "最新のバックアップ" in page and "古くなっています" not in page
    db.execute("UPDATE backups SET created_at = '2020-01-01T00:00:00+09:00'")
    db.conn.commit()
    assert "古くなっています" in client.get("/admin/users").get_data(as_text=True)
