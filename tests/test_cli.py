"""The admin commands: Japanese messages, exit 0 on success and non-zero on any error."""
import pytest

from tests.factories import SECTIONS, SECTION_HEADER, STAFF, STAFF_HEADER, csv_bytes


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_init_db_can_run_twice(runner):
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0 and "データベースを準備しました" in result.output


def test_create_user_reads_the_password_from_stdin(runner, db):
    result = runner.invoke(args=["create-user", "tanaka", "--role", "auditor", "--password-stdin"],
                           input="a long password\n")
    assert result.exit_code == 0 and "監査員" in result.output
    assert db.execute("SELECT role FROM users WHERE username = 'tanaka'").fetchone()[0] == "auditor"


@pytest.mark.parametrize(
    "args, password, message",
    [
        (["create-user", "tanaka", "--role", "auditor", "--password-stdin"], "short\n", "10 文字以上"),
        (["create-user", "kacho", "--role", "section_head", "--password-stdin"], "a long password\n", "所属コード"),
    ],
)
def test_create_user_errors_exit_non_zero(runner, db, args, password, message):
    result = runner.invoke(args=args, input=password)
    assert result.exit_code == 1 and message in result.output
    assert db["users"].count == 0


def test_imports_print_counts_then_reimport_says_unchanged(runner, tmp_path, db):
    sections = write(tmp_path, "所属.csv", csv_bytes(SECTION_HEADER, SECTIONS))
    staff = write(tmp_path, "名簿.csv", csv_bytes(STAFF_HEADER, STAFF, "cp932"))
    assert runner.invoke(args=["import-sections", sections]).exit_code == 0
    result = runner.invoke(args=["import-staff", staff])
    assert result.exit_code == 0 and "新規 3 件" in result.output
    result = runner.invoke(args=["import-staff", staff])
    assert "変更なし 3 件" in result.output and "退職扱い 0 件" in result.output


def test_failed_import_lists_every_error_and_exits_1(runner, tmp_path, db):
    rows = [["000101", "", "", "0101", "正規職員", "有"], ["000102", "x", "", "9999", "正規職員", "有"]]
    result = runner.invoke(args=["import-staff", write(tmp_path, "名簿.csv", csv_bytes(STAFF_HEADER, rows))])
    assert result.exit_code == 1
    assert "名簿.csv:2: 氏名: 空欄です。" in result.output
    assert "名簿.csv:3: 所属コード: 9999 は所属一覧にありません" in result.output
    assert "データは変更していません" in result.output and db["staff"].count == 0


def test_campaign_and_selfcheck_import(runner, tmp_path, db, city):
    assert runner.invoke(args=["create-campaign", "R7", "--title", "令和7年度", "--fiscal-year", "2025"]).exit_code == 0
    duplicate = runner.invoke(args=["create-campaign", "R7", "--title", "x"])
    assert duplicate.exit_code == 1 and "既にあります" in duplicate.output
    answers = write(tmp_path, "回答.csv", csv_bytes(["職員番号", "1", "19"], [["000101", "①", "③"]]))
    result = runner.invoke(args=["import-selfcheck", answers, "--campaign", "R7"])
    assert result.exit_code == 0 and "新規 1 件" in result.output
    missing = runner.invoke(args=["import-selfcheck", answers, "--campaign", "R9"])
    assert missing.exit_code == 1 and "キャンペーン「R9」はありません" in missing.output


def test_check_forms_passes_on_the_shipped_forms_and_fails_with_file_line(runner, app, tmp_path):
    result = runner.invoke(args=["check-forms"])
    assert result.exit_code == 0 and "問題はありません" in result.output
    broken = tmp_path / "forms"
    broken.mkdir()
    (broken / "selfcheck.toml").write_text('kind = "selfcheck"\nversion = \n', encoding="utf-8")
    result = runner.invoke(args=["check-forms", str(broken)])
    assert result.exit_code == 1 and "selfcheck.toml:2:" in result.output


def test_an_import_that_waits_too_long_for_the_lock_says_so_in_japanese(runner, app, tmp_path, monkeypatch):
    """Another writer holding the lock longer than the busy timeout: a clear message, nothing written."""
    import sqlite3

    from spotcheck import db as request_db
    from spotcheck.sqlite import connect
    from tests.factories import SECTION_HEADER, SECTIONS, csv_bytes

    def impatient(path):  # the same connection, with a busy timeout of 0.1 s instead of 10 s
        db = connect(path)
        db.execute("PRAGMA busy_timeout = 100")
        return db

    monkeypatch.setattr(request_db, "connect", impatient)
    path = tmp_path / "sections.csv"
    path.write_bytes(csv_bytes(SECTION_HEADER, SECTIONS))
    holder = sqlite3.connect(app.config["DATABASE"], timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = runner.invoke(args=["import-sections", str(path)])
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 1 and "ほかの書き込みが終わらない" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_partial_roster_on_the_command_line_retires_no_one_without_saying_so(runner, app, db, tmp_path):
    from tests.factories import SECTION_HEADER, SECTIONS, STAFF_HEADER, csv_bytes

    (tmp_path / "sections.csv").write_bytes(csv_bytes(SECTION_HEADER, SECTIONS))
    assert runner.invoke(args=["import-sections", str(tmp_path / "sections.csv")]).exit_code == 0
    everyone = [[f"{n:06d}", f"職員 {n}", "ショクイン", "0101", "正規職員", "有"] for n in range(1, 31)]
    (tmp_path / "all.csv").write_bytes(csv_bytes(STAFF_HEADER, everyone))
    assert runner.invoke(args=["import-staff", str(tmp_path / "all.csv")]).exit_code == 0
    (tmp_path / "two.csv").write_bytes(csv_bytes(STAFF_HEADER, everyone[:2]))
    result = runner.invoke(args=["import-staff", str(tmp_path / "two.csv")])
    assert result.exit_code == 1 and "この名簿を取り込むと 28 人（93%）が退職扱いになります" in result.output
    assert "在職者 30 人の 20% を超えています" in result.output and "--allow-mass-retire" in result.output
    assert "データは変更していません" in result.output
    assert db.execute("SELECT count(*) FROM staff WHERE retired_at IS NULL").fetchone()[0] == 30
    assert db.execute("SELECT count(*) FROM imports WHERE filename = 'two.csv'").fetchone()[0] == 0
    assert runner.invoke(args=["import-staff", str(tmp_path / "two.csv"), "--allow-mass-retire"]).exit_code == 0
    assert db.execute("SELECT count(*) FROM staff WHERE retired_at IS NULL").fetchone()[0] == 2


def test_the_mass_retire_boundary_on_the_command_line(runner, app, db, tmp_path):
    from tests.factories import SECTION_HEADER, SECTIONS, STAFF_HEADER, csv_bytes

    (tmp_path / "sections.csv").write_bytes(csv_bytes(SECTION_HEADER, SECTIONS))
    assert runner.invoke(args=["import-sections", str(tmp_path / "sections.csv")]).exit_code == 0
    everyone = [[f"{n:06d}", f"職員 {n}", "ショクイン", "0101", "正規職員", "有"] for n in range(1, 31)]
    for name, people in (("all.csv", everyone), ("24.csv", everyone[:24]), ("23.csv", everyone[:23])):
        (tmp_path / name).write_bytes(csv_bytes(STAFF_HEADER, people))
    assert runner.invoke(args=["import-staff", str(tmp_path / "all.csv")]).exit_code == 0
    # 6 of 30 is exactly 20 %: imported without the flag.
    assert runner.invoke(args=["import-staff", str(tmp_path / "24.csv")]).exit_code == 0
    assert runner.invoke(args=["import-staff", str(tmp_path / "all.csv")]).exit_code == 0
    # 7 of 30 is more: refused, then accepted under the old flag name, which still works.
    refused = runner.invoke(args=["import-staff", str(tmp_path / "23.csv")])
    assert refused.exit_code == 1 and "7 人（23%）" in refused.output
    old_flag = runner.invoke(args=["import-staff", str(tmp_path / "23.csv"), "--allow-retire"])
    assert old_flag.exit_code == 0 and "--allow-mass-retire を使ってください" in old_flag.output
    assert db.execute("SELECT count(*) FROM staff WHERE retired_at IS NULL").fetchone()[0] == 23
    assert "--allow-retire" not in runner.invoke(args=["import-staff", "--help"]).output
