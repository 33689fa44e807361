"""City-10x benchmark: the real imports against a raw sqlite-utils insert, and the staff search.

    .venv/bin/python -m bench.run               # 20,000 staff, 700,000 answers, 3 rounds
    .venv/bin/python -m bench.run --staff 2000  # quick run

Everything runs in one process on one machine. Each round imports into a fresh temporary
instance and then inserts the same rows raw into plain tables of another fresh file opened
with the same pragmas (spotcheck.db.connect), so machine noise hits both sides alike; the
figures are medians over the rounds. Results go to bench/out/city10x.json.
"""
import argparse
import gc
import json
import os
import platform
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

from bench import city as city10x

TARGET_RATIO = 1.5
TARGET_IMPORT_SECONDS = 8.0
TARGET_SEARCH_MS = 30.0
OUT = Path(__file__).resolve().parent / "out" / "city10x.json"
TEST_CONFIG = {"TESTING": True, "WTF_CSRF_ENABLED": False}


def timed(function, *args, **kwargs):
    """(result, seconds) of one call, after a garbage collection so earlier work does not bill it."""
    gc.collect()
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def median_ms(function, runs, warmup=2):
    """{median, p95, min, max} wall time of `runs` calls in milliseconds, after `warmup` untimed calls."""
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    p95 = statistics.quantiles(samples, n=20)[18] if len(samples) > 1 else samples[0]
    return {"median": statistics.median(samples), "p95": p95, "min": min(samples), "max": max(samples)}


def run_import(db, kind, files, user_id, campaign=None):
    """Plan and apply one file through `imports`, timing each step; returns the timings and counts."""
    from spotcheck import imports

    filename, data = files[kind]
    plan, plan_s = timed(imports.plan, db, kind, data, filename, campaign=campaign, max_rows=200_000)
    _, apply_s = timed(imports.apply, db, plan, user_id)
    return {"plan_s": plan_s, "apply_s": apply_s, "total_s": plan_s + apply_s, "counts": plan.counts}


def raw_insert(path, table, rows):
    """Seconds for sqlite-utils insert_all of prebuilt dicts into a new plain table, in one transaction."""
    from spotcheck.db import connect

    raw = connect(path)
    try:
        def insert():
            with raw.atomic():
                raw[table].insert_all(rows)

        return timed(insert)[1]
    finally:
        raw.close()


def raw_executemany(path, table, rows):
    """Seconds for one sqlite3 executemany of the same rows as tuples into a new plain table (context only)."""
    from spotcheck.db import connect

    raw = connect(path)
    try:
        columns = list(rows[0])
        raw.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
        values = [tuple(row.values()) for row in rows]
        sql = f"INSERT INTO {table} VALUES ({', '.join('?' for _ in columns)})"

        def insert():
            with raw.atomic():
                raw.conn.executemany(sql, values)

        return timed(insert)[1]
    finally:
        raw.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description="City-10x: import and search timings for spotcheck.")
    parser.add_argument("--staff", type=int, default=city10x.N_STAFF, help="staff in the roster (default 20000)")
    parser.add_argument("--sections", type=int, default=city10x.N_SECTIONS, help="sections (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="fresh-instance rounds of import + raw (default 3)")
    parser.add_argument("--runs", type=int, default=50, help="timed runs per search measurement (default 50)")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the JSON results")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="spotcheck-city10x-"))
    try:
        results = benchmark(args, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print_table(results)
    print(f"\n結果 / results: {args.out}")


def new_instance(folder):
    """A fresh instance: app, migrated connection, an admin (id, password) and campaign R6."""
    from spotcheck import auth, campaigns, create_app, loaded_forms, migrations
    from spotcheck.db import connect

    os.environ["SPOTCHECK_INSTANCE"] = str(folder)  # create_app reads it
    app = create_app(test_config=TEST_CONFIG)
    db = connect(app.config["DATABASE"])
    migrations.apply(db)
    with app.app_context():
        forms = loaded_forms.current()
    password = secrets.token_urlsafe(16)
    admin_id = auth.create_user(db, "bench-admin", password, "admin")
    campaign_id = campaigns.create_campaign(db, "R6", "令和6年度 情報セキュリティ監査", forms, fiscal_year=2024)
    return app, db, (admin_id, password), campaigns.get_campaign(db, campaign_id=campaign_id)


def import_round(city, folder, staff_dicts, answer_dicts):
    """One round: the three imports into a fresh instance, then the raw inserts into a fresh file."""
    app, db, (admin_id, password), campaign = new_instance(folder / "instance")
    result = {
        "sections": run_import(db, "sections", city.files, admin_id),
        "staff": run_import(db, "staff", city.files, admin_id),
        "selfcheck": run_import(db, "selfcheck", city.files, admin_id, campaign),
    }
    result["all_s"] = sum(result[kind]["total_s"] for kind in ("sections", "staff", "selfcheck"))
    result["answers_stored"] = db.execute("SELECT count(*) FROM selfcheck_answers").fetchone()[0]
    result["raw"] = {
        "staff_s": raw_insert(folder / "raw.sqlite", "staff", staff_dicts),
        "answers_s": raw_insert(folder / "raw.sqlite", "answers", answer_dicts),
        "executemany_staff_s": raw_executemany(folder / "raw.sqlite", "staff_tuples", staff_dicts),
        "executemany_answers_s": raw_executemany(folder / "raw.sqlite", "answers_tuples", answer_dicts),
    }
    return result, (app, db, password)


def search_timings(city, app, db, password, runs):
    """The staff search on the imported city: domain function and HTTP, then the same after ANALYZE."""
    from spotcheck import roster

    # A common family name within one section, regular staff only; then the name alone.
    probe = next(p for p in city.people if p["employment"] == "正規職員")
    family = probe["name"].split(" ")[0]
    section_id = db.execute("SELECT id FROM sections WHERE code = ?", [probe["dept_code"]]).fetchone()[0]
    search = {"query": family, "section_id": section_id, "employment": "regular"}

    client = app.test_client()
    login = client.post("/login", data={"username": "bench-admin", "password": password})
    assert login.status_code == 302, login.status_code
    url = "/staff?" + urlencode({"q": family, "section": section_id, "employment": "regular"})

    def get():
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    def measure():
        return {
            "server_ms": median_ms(lambda: roster.search_staff(db, **search), runs),
            "name_only_server_ms": median_ms(lambda: roster.search_staff(db, query=family), runs),
            "http_ms": median_ms(get, runs),
        }

    result = {
        "params": search,
        "hits": roster.search_staff(db, **search)[1],
        "name_only_hits": roster.search_staff(db, query=family)[1],
        "http_url": url,
        "runs": runs,
        **measure(),
    }
    # What-if, not what the app does today: the same searches once SQLite has statistics.
    _, analyze_s = timed(db.execute, "ANALYZE")
    result["after_analyze_what_if"] = {"analyze_s": analyze_s, **measure()}
    return result


def benchmark(args, workdir):
    """Generate City-10x, time the imports against the raw baseline over rounds, then the search."""
    load_before = os.getloadavg()
    city, generate_s = timed(city10x.build, args.staff, args.sections)
    staff_dicts, answer_dicts = city10x.raw_staff_dicts(city), city10x.raw_answer_dicts(city)
    rounds, last = [], None
    for number in range(args.rounds):
        if last:
            last[1].close()
        result, last = import_round(city, workdir / f"round{number + 1}", staff_dicts, answer_dicts)
        rounds.append(result)
    del staff_dicts, answer_dicts
    app, db, password = last
    search = search_timings(city, app, db, password, args.runs)
    db.close()

    def median(*path):
        values = []
        for result in rounds:
            for key in path:
                result = result[key]
            values.append(result)
        return statistics.median(values)

    imported = {
        kind: {step: median(kind, step) for step in ("plan_s", "apply_s", "total_s")}
        for kind in ("sections", "staff", "selfcheck")
    }
    imported["all_s"] = median("all_s")
    raw = {key: median("raw", key) for key in rounds[0]["raw"]}
    return {
        "benchmark": "City-10x",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "sqlite": sqlite3.sqlite_version,
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "size": {
            "sections": len(city.sections),
            "staff": len(city.people),
            "selfcheck_rows": len(city.answers),
            "answers_in_file": city.answer_count,
            "answers_stored": rounds[-1]["answers_stored"],
            "file_bytes": {kind: len(data) for kind, (_, data) in city.files.items()},
            "encodings": {kind: encoding for kind, (_, encoding) in city10x.FILES.items()},
        },
        "generate_s": generate_s,
        "rounds": len(rounds),
        "import": imported,
        "raw": raw,
        "ratio": {"staff": imported["staff"]["total_s"] / raw["staff_s"],
                  "selfcheck": imported["selfcheck"]["total_s"] / raw["answers_s"]},
        "ratio_per_round": [
            {"staff": r["staff"]["total_s"] / r["raw"]["staff_s"], "selfcheck": r["selfcheck"]["total_s"] / r["raw"]["answers_s"]}
            for r in rounds
        ],
        "per_round": rounds,
        "search": search,
        "targets": {"ratio_max": TARGET_RATIO, "import_all_s_max": TARGET_IMPORT_SECONDS, "search_ms_max": TARGET_SEARCH_MS},
        "what_was_timed": {
            "import": "imports.plan + imports.apply on the CSV bytes (decode, parse, validate, diff, write, commit) "
            "into a fresh instance migrated by the app; sections, then staff, then self-check results for "
            "campaign R6; median over rounds",
            "raw": "sqlite_utils insert_all of prebuilt dicts (building them not timed) into new plain tables "
            "(no keys, no indexes) in one transaction, in a fresh file opened with spotcheck.db.connect; "
            "median over rounds, each right after that round's imports",
            "raw_executemany": "context only, not a target: the same rows as tuples through one sqlite3 "
            "executemany into plain tables in one transaction",
            "search_server": "roster.search_staff on an open connection (count + page of 50), median of runs "
            "after 2 warm-up calls, on the last round's database",
            "search_http": "Flask test client GET of the staff list page as a logged-in admin (new connection, "
            "session, role gate, search, section list, template rendering), median of runs after 2 warm-ups",
            "after_analyze_what_if": "the searches again after running ANALYZE, which the app does not do "
            "today; shows how much the query planner's index choice matters",
        },
    }


def print_table(r):
    """The results as a small table, Japanese with English, and each target met or missed."""
    size, imp, raw, ratio, search, targets = r["size"], r["import"], r["raw"], r["ratio"], r["search"], r["targets"]
    machine = r["machine"]

    def mark(ok):
        return "OK" if ok else "未達 / MISSED"

    def load(values):
        return " ".join(f"{x:.2f}" for x in values)

    print(f"City-10x: 所属 {size['sections']:,} / 職員 {size['staff']:,} / 回答 {size['answers_stored']:,}"
          f"  — median of {r['rounds']} rounds")
    print(f"  {machine['platform']}, {machine['cpus']} CPU, Python {machine['python']}, SQLite {machine['sqlite']}")
    print(f"  load average before {load(machine['load_average_before'])}, after {load(machine['load_average_after'])}")
    print(f"  生成 / generating the files: {r['generate_s']:.2f} s (not part of any figure)\n")
    width = 46
    print(f"{pad('', width)} {'import s':>9} {'raw s':>8} {'ratio':>7}   target ≤ {targets['ratio_max']}×")
    print(f"{pad('所属一覧 / sections', width)} {imp['sections']['total_s']:9.2f}")
    for kind, label, raw_key in (("staff", "(a) 職員名簿 / staff roster", "staff_s"),
                                 ("selfcheck", "(b) セルフチェック結果 / self-check", "answers_s")):
        rate = ratio[kind]
        spread = ", ".join(f"{x[kind]:.2f}" for x in r["ratio_per_round"])
        print(f"{pad(label, width)} {imp[kind]['total_s']:9.2f} {raw[raw_key]:8.2f} {rate:6.2f}×"
              f"   {mark(rate <= targets['ratio_max'])}  (rounds: {spread})")
        print(f"{pad('', width)}   plan {imp[kind]['plan_s']:.2f} s + apply {imp[kind]['apply_s']:.2f} s;"
              f" raw executemany (info) {raw['executemany_' + raw_key]:.2f} s")
    print(f"{pad('全取込 / whole City-10x import', width)} {imp['all_s']:9.2f}"
          f"   target ≤ {targets['import_all_s_max']:.0f} s   {mark(imp['all_s'] <= targets['import_all_s_max'])}")
    print()
    limit = targets["search_ms_max"]
    query = search["params"]["query"]
    analyzed = search["after_analyze_what_if"]
    print(f"(d) 検索 / staff search, median of {search['runs']} (target ≤ {limit:.0f} ms); after ANALYZE = what-if")
    for label, key, hits in (
        (f"search_staff「{query}」+所属+正規職員", "server_ms", search["hits"]),
        (f"search_staff「{query}」のみ / name only", "name_only_server_ms", search["name_only_hits"]),
        ("HTTP GET /staff?q=…&section=…&employment=…", "http_ms", search["hits"]),
    ):
        stats = search[key]
        print(f"  {pad(label, width)} {stats['median']:6.1f} ms (min {stats['min']:.1f}, max {stats['max']:.1f};"
              f" {hits} 件)  {mark(stats['median'] <= limit)}   after ANALYZE {analyzed[key]['median']:.1f} ms")


def pad(text, width):
    """Pad to a display width, counting full-width characters as two columns."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - shown)


if __name__ == "__main__":
    main()
