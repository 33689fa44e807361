"""Roster benchmark: reading a 100,000-row staff file, and importing it against a bare executemany.

    .venv/bin/python -m bench.roster_import                  # 100,000 staff, 5 runs each
    .venv/bin/python -m bench.roster_import --staff 2000 --runs 1   # smoke run

The roster is generated once (the demo's generators, 300 sections) and written as the city's HR
system exports it: an .xlsx (staff numbers as text) and a UTF-8-with-BOM CSV, in a temporary folder.
Then, in one process, each run times:
(a) `tabular.read_table` of the .xlsx and of the CSV (bytes in, RawTable out), as an import runs it
    (the cyclic garbage collector paused);
(b) the whole roster import, `imports.plan` + `imports.apply`, of each file into a fresh database
    migrated by the app that already holds the 300 sections;
(c) the baseline: one `executemany` of the same finished rows (section id resolved, search key
    computed, built before timing) into the `staff` table of another fresh migrated database, in
    one transaction — the least any import into that table must do.
The runs of (b) and (c) alternate, so machine noise hits both alike; medians are reported.
Results go to bench/out/roster_import.json (git-ignored).
"""
import argparse
import gc
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

TARGET_READ_S = 3.0
TARGET_RATIO = 1.5
SEED = "spotcheck-roster-100k"
OUT = Path(__file__).resolve().parent / "out" / "roster_import.json"


def timed(function, *args, **kwargs):
    """(result, seconds) of one call, after a garbage collection so earlier work does not bill it."""
    gc.collect()
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def build_files(folder, n_staff, n_sections):
    """Write the roster as .xlsx and CSV once; returns (sections CSV, {format: path}, people)."""
    import openpyxl

    from spotcheck import demo

    sections = demo.make_sections(random.Random(f"{SEED}/sections"), n_sections)
    people = demo.staff_rows(random.Random(f"{SEED}/staff"), sections, n_staff)
    rows = demo.roster_rows(people)
    sections_csv = demo.to_csv_bytes(demo.SECTION_HEADER, demo.section_rows(sections), "cp932")
    paths = {"xlsx": folder / "職員名簿.xlsx", "csv": folder / "職員名簿.csv"}
    paths["csv"].write_bytes(demo.to_csv_bytes(demo.STAFF_HEADER, rows, "utf-8-sig"))
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("職員名簿")
    sheet.append(demo.STAFF_HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(paths["xlsx"])
    return sections_csv, paths, people


def fresh_db(path, sections_csv):
    """A new database file migrated by the app, with the sections imported (not timed)."""
    from spotcheck import imports, migrations
    from spotcheck.sqlite import connect

    db = connect(path)
    migrations.apply(db)
    imports.apply(db, imports.plan(db, "sections", sections_csv, "所属一覧.csv", max_rows=1000), None)
    return db


def finished_rows(db, people):
    """The staff rows exactly as the import stores them, as tuples in STAFF_INSERT order."""
    from spotcheck import roster

    section_ids = {code: id_ for id_, code in db.execute("SELECT id, code FROM sections")}
    employment = {label: code for code, label in roster.EMPLOYMENT.items()}
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return [
        (p["staff_no"], p["name"], p["kana"], section_ids[p["dept_code"]], employment[p["employment"]],
         int(p["uses_pc"]), roster.search_key(p["name"], p["kana"]), stamp, stamp)
        for p in people
    ]


def bare_executemany(db, rows):
    """Seconds for one executemany of finished rows into the migrated staff table, committed."""
    from spotcheck import roster

    columns = roster.STAFF_INSERT
    sql = f"INSERT INTO staff ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"

    def insert():
        with db.conn:
            db.conn.executemany(sql, rows)

    return timed(insert)[1]


def whole_import(db, data, filename):
    """(plan seconds, apply seconds, counts) of the roster through imports.plan + imports.apply."""
    from spotcheck import imports

    plan, plan_s = timed(imports.plan, db, "staff", data, filename, max_rows=200_000)
    _, apply_s = timed(imports.apply, db, plan, None)
    return plan_s, apply_s, plan.counts


def benchmark(args, workdir):
    """Generate the files, then time reading, importing and the baseline over the runs."""
    from spotcheck.imports import collector_paused
    from spotcheck.tabular import read_table

    def read_as_imported(*args, **kwargs):
        with collector_paused():  # as imports.plan reads it, so "less reading" subtracts what the import spent
            return read_table(*args, **kwargs)

    load_before = os.getloadavg()
    (sections_csv, paths, people), generate_s = timed(build_files, workdir, args.staff, args.sections)
    data = {fmt: path.read_bytes() for fmt, path in paths.items()}
    read = {fmt: [] for fmt in data}
    imported = {fmt: {"plan_s": [], "apply_s": [], "total_s": []} for fmt in data}
    reimport = []
    baseline = []
    for run in range(args.runs):
        for fmt in data:
            table, seconds = timed(read_as_imported, data[fmt], paths[fmt].name, max_rows=200_000)
            assert len(table.rows) == args.staff, len(table.rows)
            read[fmt].append(seconds)
            del table
        base_db = fresh_db(workdir / f"base{run}.sqlite", sections_csv)
        baseline.append(bare_executemany(base_db, finished_rows(base_db, people)))
        base_db.close()
        for fmt in data:
            db = fresh_db(workdir / f"import-{fmt}{run}.sqlite", sections_csv)
            plan_s, apply_s, counts = whole_import(db, data[fmt], paths[fmt].name)
            assert counts["new"] == args.staff, counts
            for key, value in (("plan_s", plan_s), ("apply_s", apply_s), ("total_s", plan_s + apply_s)):
                imported[fmt][key].append(value)
            if fmt == "csv":  # context: the same file again, where nothing changes
                plan_s, apply_s, counts = whole_import(db, data[fmt], paths[fmt].name)
                assert counts["unchanged"] == args.staff, counts
                reimport.append(plan_s + apply_s)
            db.close()
    median = statistics.median
    base = median(baseline)
    return {
        "benchmark": "roster_import",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "sqlite": sqlite3.sqlite_version,
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "size": {"staff": args.staff, "sections": args.sections,
                 "file_bytes": {fmt: len(blob) for fmt, blob in data.items()}},
        "generate_s": generate_s,
        "runs": args.runs,
        "read_s": {fmt: median(values) for fmt, values in read.items()},
        "import_s": {fmt: {key: median(values) for key, values in steps.items()} for fmt, steps in imported.items()},
        "reimport_unchanged_csv_s": median(reimport),
        "executemany_s": base,
        "ratio": {fmt: median(steps["total_s"]) / base for fmt, steps in imported.items()},
        # The import less its own run's read_table of the same file, i.e. validating and writing only.
        "ratio_after_reading": {fmt: median([t - r for t, r in zip(steps["total_s"], read[fmt])]) / base
                                for fmt, steps in imported.items()},
        "per_run": {"read_s": read, "import_s": imported, "executemany_s": baseline, "reimport_unchanged_csv_s": reimport},
        "targets": {"xlsx_read_s_max": TARGET_READ_S, "ratio_max": TARGET_RATIO},
    }


def print_table(r):
    """The medians, Japanese with English, and each target met or missed."""
    def mark(ok):
        return "OK" if ok else "未達 / MISSED"

    machine, targets = r["machine"], r["targets"]
    loads = " → ".join(" ".join(f"{x:.2f}" for x in machine[k]) for k in ("load_average_before", "load_average_after"))
    print(f"職員名簿 / roster: {r['size']['staff']:,} 人, {r['size']['sections']} 所属 — median of {r['runs']} runs")
    print(f"  {machine['platform']}, {machine['cpus']} CPU, Python {machine['python']}, SQLite {machine['sqlite']}")
    print(f"  load average {loads}; files: " + ", ".join(f"{fmt} {size / 2**20:.1f} MB"
                                                    for fmt, size in r["size"]["file_bytes"].items()))
    print(f"  生成 / generating the files: {r['generate_s']:.1f} s (not part of any figure)\n")
    runs = r["per_run"]
    for fmt in ("xlsx", "csv"):
        spread = ", ".join(f"{x:.2f}" for x in runs["read_s"][fmt])
        target = f"target ≤ {targets['xlsx_read_s_max']:.0f} s  {mark(r['read_s'][fmt] <= targets['xlsx_read_s_max'])}" \
            if fmt == "xlsx" else ""
        print(f"(a) read_table {fmt:<4}            {r['read_s'][fmt]:6.2f} s  (runs: {spread})  {target}")
    print(f"(c) executemany into staff     {r['executemany_s']:6.2f} s  (runs: "
          f"{', '.join(f'{x:.2f}' for x in runs['executemany_s'])})")
    for fmt in ("csv", "xlsx"):
        steps, ratio = r["import_s"][fmt], r["ratio"][fmt]
        spread = ", ".join(f"{t / b:.2f}" for t, b in zip(runs["import_s"][fmt]["total_s"], runs["executemany_s"]))
        after = r["ratio_after_reading"][fmt]
        print(f"(b) import {fmt:<4} plan+apply       {steps['total_s']:6.2f} s = {ratio:.2f}× executemany"
              f"  (plan {steps['plan_s']:.2f} + apply {steps['apply_s']:.2f}; paired ratios {spread})")
        # Issue 15's measure ("today 2.45×"): the import beside executemany of the same finished rows, the
        # file's reading (which has a target of its own, above) left out.
        print(f"    less reading the file              {after:.2f}× executemany"
              f"  target ≤ {targets['ratio_max']}×  {mark(after <= targets['ratio_max'])}")
    print(f"    re-import of the same CSV (nothing changes, info) {r['reimport_unchanged_csv_s']:.2f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Roster import: read and import timings for a large staff file.")
    parser.add_argument("--staff", type=int, default=100_000, help="people in the roster (default 100000)")
    parser.add_argument("--sections", type=int, default=300, help="sections (default 300)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each measurement (default 5)")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the JSON results")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="spotcheck-roster-"))
    try:
        results = benchmark(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print_table(results)
    print(f"\n結果 / results: {args.out}")


if __name__ == "__main__":
    main()
