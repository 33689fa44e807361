"""The demo's understanding tests and absences: visible on the first run, unchanged on the second."""
from spotcheck import demo, comprehension_status


def test_demo_has_failures_a_later_pass_and_people_on_leave(db, forms, tmp_path):
    lines = demo.load(db, forms, tmp_path)
    assert any("理解度テスト結果（demo-理解度テスト結果-R6.9.csv）" in line for line in lines)
    states = dict(db.execute("SELECT state, count(*) FROM followups WHERE kind = 'test' GROUP BY state").fetchall())
    assert states.get("closed", 0) > 0 and states.get("open", 0) > 0  # retakes passed, some still failing
    assert db.execute("SELECT count(*) FROM followups WHERE kind = 'knowledge' AND closed_by_attempt IS NOT NULL"
                      ).fetchone()[0] >= 1
    assert db.execute("SELECT count(*) FROM selfcheck_responses WHERE absence IS NOT NULL").fetchone()[0] == 3
    assert comprehension_status.not_passed(db) and len(comprehension_status.counts_by_test(db)) == 2
    again = demo.load(db, forms, tmp_path)
    tests_lines = [line for line in again if "理解度テスト結果（" in line or "不在.csv" in line]
    assert len(tests_lines) == 3 and all("新規 0 件、変更 0 件" in line for line in tests_lines), tests_lines
    assert all("フォローアップ 0 件、合格で完了するフォローアップ 0 件" in line for line in tests_lines[1:])


def test_the_sample_file_imports_into_the_demo_city(db, forms, tmp_path):
    from pathlib import Path

    from spotcheck import imports
    demo.load(db, forms, tmp_path)
    sample = Path(__file__).resolve().parent.parent / "samples" / "理解度テスト結果.csv"
    plan = imports.plan(db, "test_results", sample.read_bytes(), sample.name, max_rows=100)
    assert plan.counts["new"] + plan.counts["changed"] + plan.counts["unchanged"] == 6
