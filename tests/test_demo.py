"""Tests for spotcheck.demo (the fictional city) and a smoke run of the City-10x benchmark."""
import json
import random
import re
import stat
from pathlib import Path

from bench import city as city10x
from bench import run as bench_run
from spotcheck import campaigns, demo, imports, roster
from spotcheck.tabular import read_table

LOGIN_LINE = re.compile(r"^  (\S+) / (\S+) / (.+)$")


def logins(output):
    """{username: password} from the lines `flask demo` prints."""
    return {m[1]: m[2] for m in map(LOGIN_LINE.match, output.splitlines()) if m}


def flask_demo(app, runner):
    """Run `flask demo`. The `flask` command pushes an app context for plain click commands; the test runner does not."""
    with app.app_context():
        return runner.invoke(args=["demo"])


def not_done_rate(db, item_no):
    answers = [row[0] for row in db.execute("SELECT answer FROM selfcheck_answers WHERE item_no = ?", [item_no])]
    return sum(answer == "3" for answer in answers) / len(answers)


def test_demo_command_loads_a_plausible_city(runner, db, app):
    result = flask_demo(app, runner)

    assert result.exit_code == 0, result.output
    assert "デモ用ログイン（" in result.output
    assert set(logins(result.output)) == {"admin", "auditor1", "auditor2", "kacho_somu", "viewer"}
    counts = roster.counts(db)
    assert 25 <= counts["sections"] <= 35
    assert 550 <= counts["active"] <= 650
    employment = dict(db.execute("SELECT employment, count(*) FROM staff GROUP BY employment").fetchall())
    assert 0.15 <= employment["fiscal_year"] / counts["active"] <= 0.3
    assert db.execute("SELECT count(*) FROM staff WHERE uses_pc = 0").fetchone()[0] > 0
    campaign = db.execute("SELECT id, title, fiscal_year FROM campaigns WHERE code = 'R6'").fetchone()
    assert campaign[1:] == ("令和6年度 情報セキュリティ監査", 2024)
    responses = db.execute("SELECT count(*) FROM selfcheck_responses WHERE campaign_id = ?", [campaign[0]]).fetchone()[0]
    assert 0.85 * counts["active"] <= responses < counts["active"]  # PC users, minus a few who did not submit
    assert 0.10 <= not_done_rate(db, 19) <= 0.20
    assert not_done_rate(db, 1) < not_done_rate(db, 9)
    assert db.execute("SELECT count(*) FROM staff WHERE name LIKE '%髙%' OR name LIKE '%﨑%'").fetchone()[0] > 0
    head = db.execute("SELECT s.code FROM users u JOIN sections s ON s.id = u.section_id WHERE username = 'kacho_somu'")
    assert head.fetchone()[0] == "0101"


def test_second_demo_run_changes_nothing_and_keeps_the_private_logins(runner, db, app):
    first = flask_demo(app, runner)
    tables = ("sections", "staff", "selfcheck_responses", "selfcheck_answers", "users", "campaigns")
    before = {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}

    second = flask_demo(app, runner)

    assert second.exit_code == 0, second.output
    assert "すべて変更なし" in second.output
    assert "新規 0 件、変更 0 件" in second.output
    assert logins(second.output) == logins(first.output)
    assert {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables} == before
    path = Path(app.instance_path) / demo.LOGINS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = path.read_text(encoding="utf-8")
    assert all(f"{username} / {password} /" in saved for username, password in logins(second.output).items())


def test_demo_passwords_are_not_in_the_code():
    source = Path(demo.__file__).read_text(encoding="utf-8")
    assert "secrets.choice" in source
    assert not re.search(r"password\s*=\s*[\"']", source)


def test_demo_files_are_identical_on_every_call_and_encoded_like_excel():
    first, second = demo.city_files(), demo.city_files()

    assert first == second
    assert first["staff"][1].startswith(b"\xef\xbb\xbf")
    tables = {kind: read_table(data, name) for kind, (name, data) in first.items()}
    assert tables["sections"].encoding == "cp932"
    assert tables["selfcheck"].encoding == "cp932"
    staff_numbers = [row.cells[0] for row in tables["staff"].rows]
    assert all(re.fullmatch(r"\d{6}", no) for no in staff_numbers)
    assert len(set(staff_numbers)) == len(staff_numbers)
    assert all(re.fullmatch(r"\S+ \S+", row.cells[2]) for row in tables["staff"].rows)  # フリガナ with a space


def test_cp932_names_survive_a_cp932_roster(db):
    sections = demo.make_sections(random.Random(1), 3)
    people = demo.staff_rows(random.Random(2), sections, 40)
    people[0]["name"], people[1]["name"] = "髙橋 陽子", "﨑山 圭"
    for kind, header, rows in (
        ("sections", demo.SECTION_HEADER, demo.section_rows(sections)),
        ("staff", demo.STAFF_HEADER, demo.roster_rows(people)),
    ):
        plan = imports.plan(db, kind, demo.to_csv_bytes(header, rows, "cp932"), f"{kind}.csv", max_rows=1000)
        imports.apply(db, plan, None)

    names = {row[0] for row in db.execute("SELECT name FROM staff")}
    assert {"髙橋 陽子", "﨑山 圭"} <= names


def test_demo_leaves_an_instance_with_real_imports_alone(db, forms, tmp_path):
    data = demo.to_csv_bytes(demo.SECTION_HEADER, [["0101", "総務課", "無", "有"]], "utf-8-sig")
    imports.apply(db, imports.plan(db, "sections", data, "所属一覧_2024.csv", max_rows=10), None)

    lines = demo.load(db, forms, tmp_path)

    assert "実データ" in lines[0]
    assert db.execute("SELECT count(*) FROM users").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM sections").fetchone()[0] == 1
    assert not (tmp_path / demo.LOGINS_FILE).exists()


def test_city10x_generators_at_tiny_size_import_every_answer(db, forms):
    city = city10x.build(n_staff=50, n_sections=12)
    campaign_id = campaigns.create_campaign(db, "R6", "令和6年度 情報セキュリティ監査", forms, fiscal_year=2024)
    campaign = campaigns.get_campaign(db, campaign_id=campaign_id)
    for kind in ("sections", "staff", "selfcheck"):
        filename, data = city.files[kind]
        imports.apply(db, imports.plan(db, kind, data, filename, campaign=campaign, max_rows=1000), None)

    assert db.execute("SELECT count(*) FROM sections").fetchone()[0] == 12
    assert db.execute("SELECT count(*) FROM selfcheck_answers").fetchone()[0] == city.answer_count == 50 * 35
    assert len(city10x.raw_staff_dicts(city)) == 50
    assert len(city10x.raw_answer_dicts(city)) == 50 * 35


def test_benchmark_command_runs_at_tiny_size(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPOTCHECK_INSTANCE", str(tmp_path / "unused"))  # restored after the test
    out = tmp_path / "city10x.json"

    bench_run.main(["--staff", "60", "--sections", "6", "--rounds", "1", "--runs", "2", "--out", str(out)])

    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["size"]["answers_stored"] == 60 * 35
    assert set(results["ratio"]) == {"staff", "selfcheck"}
    assert results["search"]["hits"] >= 1
    assert "City-10x" in capsys.readouterr().out


def test_demo_includes_signed_visits_findings_and_follow_ups(app, runner, db):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0 and "デモの実地監査 40 件" in result.output
    assert db.execute("SELECT c.code, count(*) FROM visits v JOIN campaigns c ON c.id = v.campaign_id WHERE status = 'locked'"
                      " AND subject_kind = 'person' GROUP BY 1 ORDER BY 1").fetchall() == [("R5", 12), ("R6", 40)]
    # demo_subjects.py: four signed section visits, two signed and one open contract visit, ten contracts.
    assert db.execute("SELECT subject_kind, status, count(*) FROM visits WHERE subject_kind <> 'person'"
                      " GROUP BY 1, 2 ORDER BY 1, 2").fetchall() == [("contract", "locked", 2), ("contract", "open", 1),
                                                                  ("section", "locked", 4)]
    assert db.execute("SELECT count(*), count(ended_at) FROM contracts").fetchone() == (10, 1)
    assert db.execute("SELECT count(*) FROM sheets").fetchone()[0] == 46 + 12  # R6's, and the year before's
    states = dict(db.execute("SELECT state, count(*) FROM followups GROUP BY state").fetchall())
    assert states.get("open") and states.get("closed") and states.get("reported")
    assert runner.invoke(args=["verify-chain"]).exit_code == 0


def test_demo_shows_the_year_before_carried_over_and_learned_from(app, runner, db):
    """demo_years.py: R5 (令和5年度) before R6, its open findings carried into R6, R6's draws weighted by them."""
    from spotcheck import carryover, trends

    assert runner.invoke(args=["demo"]).exit_code == 0
    assert [year.code for year in carryover.chronology(db)] == ["R5", "R6"]
    assert campaigns.list_campaigns(db)[0]["code"] == "R6"  # still the dashboard's default
    r6 = campaigns.get_campaign(db, code="R6")
    assert carryover.counts(db, r6["id"]).total > 0
    r5_figures, r6_figures = trends.city(db).years
    assert r5_figures.visits == 12 and r5_figures.answered > 500 and r5_figures.not_done > r6_figures.not_done
    pools = " ".join(row[0] for row in db.execute("SELECT pool FROM draws WHERE campaign_id = ?", [r6["id"]]))
    assert "前年度以前の指摘が未完了" in pools
