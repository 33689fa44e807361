"""Visits benchmark: autosave, dashboard, per-person page and council report with 5,000 locked visits.

    .venv/bin/python -m bench.visits                          # City-10x + 5,000 locked visits (a few minutes)
    .venv/bin/python -m bench.visits --staff 2000 --visits 300 --runs 5   # quick run
    .venv/bin/python -m bench.visits --keep                   # …and keep the instance (its path is printed)
    .venv/bin/python -m bench.visits --reuse /tmp/spotcheck-visits-…/instance   # only re-time a kept instance

City-10x (300 sections, 20,000 staff, 700,000 self-check answers) is imported into a fresh temporary
instance through the real import path (bench.run.new_instance + imports.plan/apply), with campaign R6
holding the self-check answers. Then the visits are made locked:

- a few visits go the whole real way (visits.start_visit, one visits.save_change per result and per
  remark, two issuance.sign calls with drawn PNG signatures): that is timed, and from it the cost of
  driving every visit that way is estimated;
- if that estimate is over --real-budget seconds (10 minutes), the rest are written in bulk: visits,
  visit_results, signatures, idempotency keys and the audit-log lines of start/set_result/set_remark/
  sign/lock as plain rows in one transaction (what start_visit, save_change and visits.sign would have
  written, without their validation), the visits set to locked, and then issuance.close(db, id, due_days)
  for each visit in id order — the real code that issues the sheet (serial, digest, chain), stores the
  observations, adds the tallies and opens the follow-ups. No photos are attached.

Then it times, with the Flask test client logged in as an admin (median of --runs runs after warm-ups):
saving a result on an open visit, the dashboard (whole campaign, one section, 会計年度任用職員), the
per-person page of someone visited with follow-ups, and the council report PDF (median of --pdf-runs);
and the domain functions behind them, so the HTTP overhead is visible. Results: bench/out/visits.json.
"""
import argparse
import base64
import cProfile
import gc
import hashlib
import io
import json
import os
import platform
import pstats
import random
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image, ImageDraw

from bench import city as city10x
from bench.run import TEST_CONFIG, median_ms, new_instance, pad, run_import, timed

OUT = Path(__file__).resolve().parent / "out" / "visits.json"
SEED = "spotcheck-visits-5000"
TARGETS_MS = {"save": 30.0, "dashboard": 100.0, "staff": 30.0, "council": 2000.0}
REAL_BUDGET_S = 600.0
N_AUDITORS = 12
# The mix of results the desk shows: mostly 適合, some 観察事項/不適合/重大, a few 該当なし/確認不可.
RESULT_MIX = (("ok", 0.80), ("observation", 0.09), ("nonconformity", 0.055), ("major", 0.01), ("na", 0.03),
              ("unverifiable", 0.015))
# Checks where the city's people slip more often (USB, takeout log, quiz): their failure odds are doubled.
WEAK_CHECKS = {"external_media", "takeout_log", "three_question_quiz", "clear_desk"}
REMARKS = {
    "observation": ("昼休み中の空席に申請書の控えが置かれていた。", "台帳の設置場所が旧レイアウトのままだった。"),
    "nonconformity": ("登録外のUSBメモリが接続されていた。", "持出し簿の返却欄に記入漏れが2件あった。",
                      "ワイヤーロックに鍵が差したままだった。"),
    "major": ("管理外の無線LANルーターが庁内LANに接続されていた（その場で切断）。",),
    "na": ("該当する機器・書類がなかった。",),
    "unverifiable": ("担当者不在のため確認できなかった。",),
}


def signature_data_url(seed):
    """A drawn signature as the tablet sends it (transparent PNG with a stroke), like tests/test_visits.py."""
    rnd = random.Random(seed)
    image = Image.new("RGBA", (600, 220), (0, 0, 0, 0))
    points = [(20 + 140 * i, rnd.randrange(30, 190)) for i in range(5)]
    ImageDraw.Draw(image).line(points, fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def machine():
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "load_average": os.getloadavg(),
    }


# ----------------------------------------------------------------------------- the city and the people


def build_instance(args, folder):
    """City-10x imported through the real path into a fresh instance; returns app, db, admin, campaign, timings."""
    from spotcheck import auth

    city, generate_s = timed(city10x.build, args.staff, args.sections)
    app, db, (admin_id, password), campaign = new_instance(folder)
    imported = {kind: run_import(db, kind, city.files, admin_id, campaign if kind == "selfcheck" else None)
                for kind in ("sections", "staff", "selfcheck")}
    answers = db.execute(
        "SELECT count(*) FROM selfcheck_answers a JOIN selfcheck_responses r ON r.id = a.response_id"
        " WHERE r.campaign_id = ?", [campaign["id"]]).fetchone()[0]
    auditors = [auth.create_user(db, f"bench-auditor-{n:02d}", secrets.token_urlsafe(16), "auditor")
                for n in range(1, N_AUDITORS + 1)]
    info = {"generate_s": generate_s, "import_s": {k: v["total_s"] for k, v in imported.items()},
            "sections": len(city.sections), "staff": len(city.people), "answers_stored": answers}
    return app, db, (admin_id, password), campaign, auditors, info


def choose_people(db, n, rng):
    """n distinct active staff, PC users nine times in ten, spread over every section by chance."""
    rows = [dict(zip(("id", "section_id", "employment", "uses_pc", "my_number", "outsourced"), r)) for r in db.execute(
        "SELECT s.id, s.section_id, s.employment, s.uses_pc, sec.my_number, sec.outsourced FROM staff s"
        " JOIN sections sec ON sec.id = s.section_id WHERE s.retired_at IS NULL ORDER BY s.id")]
    pc = [r for r in rows if r["uses_pc"]]
    no_pc = [r for r in rows if not r["uses_pc"]]
    n_no_pc = min(len(no_pc), n // 10)
    chosen = rng.sample(pc, min(len(pc), n - n_no_pc)) + rng.sample(no_pc, n_no_pc)
    rng.shuffle(chosen)
    return chosen


def plan_results(checklist, person, rng):
    """[(check code, result, remark)] for the checks that apply to this person."""
    checks = checklist.applicable(uses_pc=bool(person["uses_pc"]), my_number=bool(person["my_number"]),
                                  outsourced=bool(person["outsourced"]))
    codes, weights = zip(*RESULT_MIX)
    planned = []
    for check in checks:
        w = list(weights)
        if check.code in WEAK_CHECKS:
            w[2], w[3] = w[2] * 2, w[3] * 2
        result = rng.choices(codes, w)[0]
        remark = rng.choice(REMARKS[result]) if result != "ok" else ""
        planned.append((check.code, result, remark))
    return planned


def reuse_instance(folder, rng):
    """A kept instance (--keep) for re-timing only: migrated to today's schema, a new admin, campaign R6."""
    from spotcheck import auth, campaigns, create_app, migrations
    from spotcheck.db import connect
    from spotcheck.visits import visited_staff

    os.environ["SPOTCHECK_INSTANCE"] = str(folder)  # create_app reads it
    app = create_app(test_config=TEST_CONFIG)
    db = connect(app.config["DATABASE"])
    migrations.apply(db)
    username, password = f"bench-admin-{secrets.token_hex(3)}", secrets.token_urlsafe(16)
    admin_id = auth.create_user(db, username, password, "admin")
    campaign = campaigns.get_campaign(db, code="R6")
    visited = visited_staff(db, campaign["id"])
    spare = [p for p in choose_people(db, 200, rng) if p["id"] not in visited]
    city = {
        "reused": str(folder),
        "sections": db.execute("SELECT count(*) FROM sections").fetchone()[0],
        "staff": db.execute("SELECT count(*) FROM staff").fetchone()[0],
        "answers_stored": db.execute(
            "SELECT count(*) FROM selfcheck_answers a JOIN selfcheck_responses r ON r.id = a.response_id"
            " WHERE r.campaign_id = ?", [campaign["id"]]).fetchone()[0],
    }
    return app, db, (admin_id, password, username), campaign, spare, city


# ----------------------------------------------------------------------------- making visits


class Clock:
    """Increasing browser-style UTC times for autosaves: 2030-01-01T00:00:00.000Z, then +1 s each."""

    def __init__(self, start=datetime(2030, 1, 1, tzinfo=timezone.utc)):
        self.t = start

    def __call__(self):
        self.t += timedelta(seconds=1)
        return self.t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.t.microsecond // 1000:03d}Z"


def real_visit(db, campaign, person, auditor_id, planned, due_days, signature, clock):
    """One visit the whole real way; returns (visit id, seconds, saves)."""
    from spotcheck import issuance, visits

    start = time.perf_counter()
    visit_id = visits.start_visit(db, campaign_id=campaign["id"], staff_id=person["id"], auditor_id=auditor_id,
                                  reason="ベンチマーク")
    saves = 0
    for code, result, remark in planned:
        for field, value in (("result", result), ("remark", remark)):
            if value:
                visits.save_change(db, visit_id, auditor_id, key=secrets.token_hex(16), field=field, value=value,
                                   changed_at=clock(), check_code=code)
                saves += 1
    issuance.sign(db, visit_id, auditor_id, due_days=due_days, role="auditor", name="監査 太郎", data_url=signature)
    issuance.sign(db, visit_id, auditor_id, due_days=due_days, role="auditee", name="職員 本人", data_url=signature)
    return visit_id, time.perf_counter() - start, saves


def bulk_visits(db, campaign, batch, due_days, signature_png, clock, rng, chunk=500):
    """Write `batch` [(person, auditor, planned)] as rows in one transaction, lock them, then issuance.close each.

    Returns the visit ids and the seconds of each stage, with close() timed per chunk of ids.
    """
    from spotcheck import audit, issuance, record
    from spotcheck.clock import now
    from spotcheck.sqlite import immediate

    stages, close_chunks = {}, []
    png_sha = hashlib.sha256(signature_png).hexdigest()
    base = now() - timedelta(days=90)
    step = timedelta(days=88) / max(len(batch), 1)
    next_id = (db.execute("SELECT max(id) FROM visits").fetchone()[0] or 0) + 1
    ids = list(range(next_id, next_id + len(batch)))
    visits_rows, results_rows, signature_rows, key_rows, lock_rows, log_rows = [], [], [], [], [], []

    def log(at, user_id, action, visit_id, before=None, after=None):
        log_rows.append((at, user_id, action, "visit", visit_id, audit._json(before), audit._json(after)))

    for n, (visit_id, (person, auditor_id, planned)) in enumerate(zip(ids, batch)):
        started = base + step * n + timedelta(minutes=rng.randrange(0, 60))
        locked = started + timedelta(minutes=rng.randrange(12, 40))
        started_at, locked_at = (t.isoformat(timespec="seconds") for t in (started, locked))
        visits_rows.append((visit_id, campaign["id"], person["section_id"], person["id"], auditor_id, started_at))
        log(started_at, auditor_id, "start", visit_id, after={"staff_id": person["id"], "draw_id": None})
        for code, result, remark in planned:
            changes = [("result", result, clock())]
            if remark:
                changes.append(("remark", remark, clock()))
            by_field = {field: (value, at) for field, value, at in changes}
            results_rows.append((visit_id, code, result, remark, by_field["result"][1],
                                 by_field.get("remark", ("", None))[1], started_at, auditor_id))
            for field, value, _at in changes:
                key = secrets.token_hex(16)
                key_rows.append((key, auditor_id, json.dumps({"saved": True, "applied": True, "key": key}), started_at))
                log(started_at, auditor_id, f"set_{field}", visit_id, before={"check": code, field: None},
                    after={"check": code, field: value})
        for role, name in (("auditor", "監査 太郎"), ("auditee", "職員 本人")):
            signature_rows.append((visit_id, role, name, signature_png, png_sha, locked_at))
            log(locked_at, auditor_id, "sign", visit_id, after={"role": role, "name": name, "reason": None})
        log(locked_at, auditor_id, "lock", visit_id)
        lock_rows.append((locked_at, visit_id))

    t0 = time.perf_counter()
    with immediate(db):
        conn = db.conn
        conn.executemany("INSERT INTO visits (id, campaign_id, section_id, staff_id, auditor_id, status, started_at)"
                         " VALUES (?, ?, ?, ?, ?, 'open', ?)", visits_rows)
        conn.executemany("INSERT INTO visit_results (visit_id, check_code, result, remark, result_changed_at,"
                         " remark_changed_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", results_rows)
        conn.executemany("INSERT INTO signatures (visit_id, role, name, png, sha256, refused, refusal_reason,"
                         " signed_at) VALUES (?, ?, ?, ?, ?, 0, '', ?)", signature_rows)
        conn.executemany("INSERT INTO idempotency_keys (key, user_id, response, created_at) VALUES (?, ?, ?, ?)",
                         key_rows)
        conn.executemany("INSERT INTO audit_log (created_at, user_id, action, entity, entity_id, before, after)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)", log_rows)
        conn.executemany("INSERT INTO visit_auditors (visit_id, user_id, role, added_at, added_by)"
                         " VALUES (?, ?, 'lead', ?, ?)", [(v[0], v[4], v[5], v[4]) for v in visits_rows])
        for visit_id in ids:  # what signatures.sign freezes before it locks
            record.freeze(db, record.load(db, visit_id))
        conn.executemany("UPDATE visits SET status = 'locked', locked_at = ? WHERE id = ?", lock_rows)
        stages["rows_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        for first in range(0, len(ids), chunk):
            c0 = time.perf_counter()
            for visit_id in ids[first:first + chunk]:
                issuance.close(db, visit_id, due_days)
            close_chunks.append({"first_visit_no": first + 1, "visits": len(ids[first:first + chunk]),
                                 "ms_per_close": (time.perf_counter() - c0) * 1000 / len(ids[first:first + chunk])})
        stages["close_s"] = time.perf_counter() - t1
    stages["total_s"] = time.perf_counter() - t0
    stages["rows"] = {"visits": len(visits_rows), "visit_results": len(results_rows),
                      "signatures": len(signature_rows), "idempotency_keys": len(key_rows),
                      "audit_log": len(log_rows)}
    stages["close_ms_by_chunk"] = close_chunks
    return ids, stages


def make_visits(args, db, campaign, auditors, due_days, rng):
    """5,000 locked visits: a few the whole real way (timed), the rest the same way or in bulk; see the docstring."""
    from spotcheck import integrity
    from spotcheck.campaigns import pinned_onsite

    checklist = pinned_onsite(db, campaign)
    # Of the `visits`: real_probe first and real_probe last the real way, one more under the profiler, the rest.
    n_plans = args.visits - 1
    people = choose_people(db, args.visits + 1, rng)  # + the person whose visit stays open for the autosave timing
    plans = [(p, auditors[n % len(auditors)], plan_results(checklist, p, rng)) for n, p in enumerate(people[:n_plans])]
    spare = people[n_plans:]
    data_url = signature_data_url(SEED)
    signature_png = base64.b64decode(data_url.split(",", 1)[1])
    clock = Clock()

    # 1. The whole real way, on an instance with no visits yet.
    probe = [real_visit(db, campaign, p, a, planned, due_days, data_url, clock) for p, a, planned in plans[:args.real_probe]]
    per_visit = statistics.median(s for _, s, _ in probe)
    estimate = per_visit * args.visits
    how = {"visits": args.visits,
           "real_probe": {"visits": len(probe), "median_s": per_visit, "min_s": min(s for _, s, _ in probe),
                          "max_s": max(s for _, s, _ in probe),
                          "median_saves": statistics.median(n for _, _, n in probe)},
           "estimate_all_real_s": estimate, "budget_s": args.real_budget}
    mode = args.mode if args.mode != "auto" else ("bulk" if estimate > args.real_budget else "real")
    how["mode"] = mode
    rest = plans[len(probe):len(plans) - args.real_probe]
    t0 = time.perf_counter()
    if mode == "real":
        done = [real_visit(db, campaign, p, a, planned, due_days, data_url, clock) for p, a, planned in rest]
        how["real_rest"] = {"visits": len(done), "total_s": time.perf_counter() - t0,
                            "median_s": statistics.median(s for _, s, _ in done) if done else None}
    else:
        _ids, stages = bulk_visits(db, campaign, rest, due_days, signature_png, clock, rng)
        how["bulk"] = stages
    how["rest_s"] = time.perf_counter() - t0

    # 2. The whole real way again, now that the campaign holds every other visit.
    tail_plans = plans[len(plans) - args.real_probe:]
    tail = [real_visit(db, campaign, p, a, planned, due_days, data_url, clock) for p, a, planned in tail_plans]
    how["real_after"] = {"visits": len(tail), "median_s": statistics.median(s for _, s, _ in tail),
                         "min_s": min(s for _, s, _ in tail), "max_s": max(s for _, s, _ in tail)}
    how["real_after_close_profile"] = profile_close(db, campaign, spare[0], auditors[0], checklist,
                                                    due_days, data_url, clock, rng)

    # 3. Does what was made add up, the way the real lock keeps it?
    how["consistency"] = consistency(db, campaign, integrity)
    return how, spare[1:]


def profile_close(db, campaign, person, auditor_id, checklist, due_days, data_url, clock, rng):
    """One more real visit, its locking signature under cProfile: where does the lock's time go?"""
    from spotcheck import issuance, visits

    planned = plan_results(checklist, person, rng)
    visit_id = visits.start_visit(db, campaign_id=campaign["id"], staff_id=person["id"], auditor_id=auditor_id,
                                  reason="ベンチマーク")
    for code, result, remark in planned:
        for field, value in (("result", result), ("remark", remark)):
            if value:
                visits.save_change(db, visit_id, auditor_id, key=secrets.token_hex(16), field=field, value=value,
                                   changed_at=clock(), check_code=code)
    issuance.sign(db, visit_id, auditor_id, due_days=due_days, role="auditor", name="監査 太郎", data_url=data_url)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    issuance.sign(db, visit_id, auditor_id, due_days=due_days, role="auditee", name="職員 本人", data_url=data_url)
    profiler.disable()
    total = time.perf_counter() - start
    return {"locking_sign_ms": total * 1000, "top_cumulative": top_functions(profiler, "spotcheck")}


def top_functions(profiler, within, limit=12):
    """The heaviest functions (cumulative seconds) whose file is in `within`, plus SQLite's execute."""
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, name), (_cc, calls, _tt, cumulative, _callers) in stats.stats.items():
        if within in filename or name in ("<method 'execute' of 'sqlite3.Connection' objects>",
                                          "<method 'execute' of 'sqlite3.Cursor' objects>",
                                          "<method 'executemany' of 'sqlite3.Connection' objects>"):
            rows.append({"function": f"{Path(filename).name}:{line}({name})", "calls": calls,
                         "cumulative_ms": cumulative * 1000})
    return sorted(rows, key=lambda r: -r["cumulative_ms"])[:limit]


def consistency(db, campaign, integrity):
    """Cross-checks between the visits and what the lock derives from them (tallies, observations, sheets, follow-ups)."""
    from spotcheck import aggregates

    cid = campaign["id"]

    def one(sql, *params):
        return db.execute(sql, params).fetchone()[0]

    locked = one("SELECT count(*) FROM visits WHERE campaign_id = ? AND status = 'locked'", cid)
    results = one("SELECT count(*) FROM visit_results r JOIN visits v ON v.id = r.visit_id"
                  " WHERE v.campaign_id = ? AND v.status = 'locked'", cid)
    failing = one("SELECT count(*) FROM visit_results r JOIN visits v ON v.id = r.visit_id"
                  " WHERE v.campaign_id = ? AND v.status = 'locked' AND r.result IN ('nonconformity', 'major')", cid)
    mix = dict(db.execute("SELECT r.result, count(*) FROM visit_results r JOIN visits v ON v.id = r.visit_id"
                          " WHERE v.campaign_id = ? AND v.status = 'locked' GROUP BY 1", [cid]).fetchall())
    chain_ok, chain_message = integrity.verify_chain(db)
    facts = {
        "locked_visits": locked,
        "visit_results": results,
        "results_per_visit": results / locked if locked else 0,
        "result_mix": mix,
        "open_visits": one("SELECT count(*) FROM visits WHERE campaign_id = ? AND status = 'open'", cid),
        "sections_visited": one("SELECT count(DISTINCT section_id) FROM visits WHERE campaign_id = ?", cid),
        "sheets": one("SELECT count(*) FROM sheets s JOIN visits v ON v.id = s.visit_id WHERE v.campaign_id = ?", cid),
        "observations": one("SELECT count(*) FROM observations WHERE campaign_id = ?", cid),
        "observation_checks": one("SELECT count(*) FROM (SELECT DISTINCT visit_id, check_code FROM observations"
                                  " WHERE campaign_id = ?)", cid),
        "followups": one("SELECT count(*) FROM followups WHERE campaign_id = ?", cid),
        # Read through aggregates.tally, whatever the rows look like underneath (roll-ups or not).
        "tally_visits": aggregates.tally(db, cid, "visit").get("", {}).get("locked", 0),
        "tally_results": sum(sum(values.values()) for values in aggregates.tally(db, cid, "result").values()),
        "tallies_rows": one("SELECT count(*) FROM tallies WHERE campaign_id = ?", cid),
        "tallies_rows_by_measure": dict(db.execute(
            "SELECT measure, count(*) FROM tallies WHERE campaign_id = ? GROUP BY measure", [cid]).fetchall()),
        "audit_log_rows": one("SELECT count(*) FROM audit_log"),
        "idempotency_keys": one("SELECT count(*) FROM idempotency_keys"),
        "chain_ok": chain_ok,
        "chain_message": chain_message,
    }
    facts["ok"] = (facts["sheets"] == locked == facts["tally_visits"] and facts["tally_results"] == results
                   == facts["observation_checks"] and facts["followups"] == failing and chain_ok)
    return facts


# ----------------------------------------------------------------------------- timings


def timings(args, app, db, admin, campaign, spare, rng):
    """HTTP and domain timings on the finished instance."""
    from spotcheck import aggregates, council, record, report, visits
    from spotcheck.campaigns import pinned_onsite

    admin_id, password, username = (*admin, "bench-admin")[:3]
    cid = campaign["id"]
    client = app.test_client()
    login = client.post("/login", data={"username": username, "password": password})
    assert login.status_code == 302, login.status_code
    runs = args.runs
    out = {"runs": runs, "pdf_runs": args.pdf_runs}

    # Saving a result on an open visit (started through the real code, by the admin).
    person = spare[0]
    open_id = visits.start_visit(db, campaign_id=cid, staff_id=person["id"], auditor_id=admin_id,
                                 reason="ベンチマーク")
    checklist = pinned_onsite(db, campaign)
    check_code = record.load(db, open_id).steps[0].check.code
    clock, flip = Clock(), [0]

    def body():
        flip[0] += 1
        return {"key": secrets.token_hex(16), "field": "result", "check": check_code,
                "value": "ok" if flip[0] % 2 else "nonconformity", "changed_at": clock()}

    def post_save():
        response = client.post(f"/visits/{open_id}/changes", json=body())
        assert response.status_code == 200 and response.get_json()["applied"], response.get_data(as_text=True)

    def direct_save():
        b = body()
        r = visits.save_change(db, open_id, admin_id, key=b["key"], field="result", value=b["value"],
                               changed_at=b["changed_at"], check_code=check_code)
        assert r["applied"]

    out["save"] = {"visit_id": open_id, "check": check_code, "http_ms": median_ms(post_save, runs),
                   "domain_ms": median_ms(direct_save, runs)}

    # The dashboard, three ways.
    section_id = db.execute(
        "SELECT section_id FROM visits WHERE campaign_id = ? AND status = 'locked' GROUP BY section_id"
        " ORDER BY count(*) DESC, section_id LIMIT 1", [cid]).fetchone()[0]
    variants = {"campaign": f"/dashboard?campaign={cid}",
                "section": f"/dashboard?campaign={cid}&section={section_id}",
                "employment": f"/dashboard?campaign={cid}&employment=fiscal_year"}
    filters = {"campaign": {}, "section": {"section_id": section_id}, "employment": {"employment": "fiscal_year"}}
    out["dashboard"] = {}
    for name, url in variants.items():
        def get(url=url):
            response = client.get(url)
            assert response.status_code == 200, response.status_code
        f = filters[name]
        domain = {
            "item_table_ms": median_ms(lambda: aggregates.item_table(db, campaign, **f), runs),
            "check_table_ms": median_ms(lambda: aggregates.check_table(db, campaign, checklist, **f), runs),
            "groups_employment_ms": median_ms(lambda: aggregates.groups(db, campaign, by="employment", **f), runs),
            "groups_section_ms": median_ms(lambda: aggregates.groups(db, campaign, by="section_id", **f), runs),
            "summary_ms": median_ms(lambda: aggregates.summary(db, campaign, **f), runs),
            "visit_progress_ms": median_ms(lambda: aggregates.visit_progress(db, cid), runs),
        }
        if hasattr(aggregates, "dashboard"):  # the one domain function the view calls (all of the above and more)
            domain["dashboard_ms"] = median_ms(lambda: aggregates.dashboard(db, campaign, **f), runs)
        out["dashboard"][name] = {"url": url, "http_ms": median_ms(get, runs), "domain": domain}
    out["dashboard_profile"] = profile_request(client, variants["campaign"])

    # The per-person page of someone visited who has follow-ups.
    staff_id = db.execute(
        "SELECT staff_id FROM followups WHERE campaign_id = ? GROUP BY staff_id ORDER BY count(*) DESC, staff_id"
        " LIMIT 1", [cid]).fetchone()[0]

    def get_staff():
        response = client.get(f"/staff/{staff_id}")
        assert response.status_code == 200, response.status_code

    from spotcheck import followups, selfcheck
    out["staff"] = {
        "staff_id": staff_id,
        "followups": db.execute("SELECT count(*) FROM followups WHERE staff_id = ?", [staff_id]).fetchone()[0],
        "visits": db.execute("SELECT count(*) FROM visits WHERE staff_id = ?", [staff_id]).fetchone()[0],
        "http_ms": median_ms(get_staff, runs),
        "domain": {
            "answers_for_staff_ms": median_ms(lambda: selfcheck.answers_for_staff(db, staff_id), runs),
            "list_visits_ms": median_ms(lambda: visits.list_visits(db, staff_id=staff_id), runs),
            "followups_listing_ms": median_ms(lambda: followups.listing(db, staff_id=staff_id), runs),
        },
    }
    out["staff_profile"] = profile_request(client, f"/staff/{staff_id}")

    # The council report.
    fonts = app.extensions["fonts"]

    def get_pdf():
        response = client.get(f"/reports/council.pdf?campaign={cid}")
        assert response.status_code == 200 and response.data[:4] == b"%PDF", response.status_code
        return response.data

    data = council.report_data(db, campaign)
    pdf = get_pdf()
    out["council"] = {
        "http_ms": median_ms(get_pdf, args.pdf_runs, warmup=1),
        "report_data_ms": median_ms(lambda: council.report_data(db, campaign), runs),
        "build_report_ms": median_ms(lambda: report.build_report(data, fonts), args.pdf_runs, warmup=1),
        "bytes": len(pdf),
        "fonts_embedded": getattr(fonts, "embedded", None),
    }
    try:
        from pypdf import PdfReader
        out["council"]["pages"] = len(PdfReader(io.BytesIO(pdf)).pages)
    except Exception:  # pypdf is a dev dependency; the page count is context only
        out["council"]["pages"] = None
    return out


def profile_request(client, url):
    """One GET under cProfile: total ms and the heaviest spotcheck functions."""
    client.get(url)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    client.get(url)
    profiler.disable()
    return {"url": url, "ms": (time.perf_counter() - start) * 1000, "top_cumulative": top_functions(profiler, "spotcheck")}


# ----------------------------------------------------------------------------- the run


def benchmark(args, workdir):
    gc.collect()
    load_before = os.getloadavg()
    rng = random.Random(SEED)
    t0 = time.perf_counter()
    if args.reuse:
        from spotcheck import integrity

        app, db, admin, campaign, spare, city = reuse_instance(args.reuse, rng)
        how = {"reused": str(args.reuse), "consistency": consistency(db, campaign, integrity)}
    else:
        app, db, admin, campaign, auditors, city = build_instance(args, workdir / "instance")
        city["build_s"] = time.perf_counter() - t0
        due_days = app.config["FOLLOWUP_DAYS"]
        how, spare = make_visits(args, db, campaign, auditors, due_days, rng)
    measured = timings(args, app, db, admin, campaign, spare, rng)
    db.close()
    result = {
        "benchmark": "visits",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": dict(machine(), load_average_before=load_before),
        "city": city,
        "visits_made": how,
        "timings": measured,
        "targets_ms": TARGETS_MS,
        "what_was_timed": {
            "save": "POST /visits/<open visit>/changes JSON {key: new 32-hex, field: result, check, value: ok and "
                    "nonconformity alternating, changed_at: +1 s each} as a logged-in admin; domain = "
                    "visits.save_change on an open connection; median of runs after 2 warm-ups",
            "dashboard": "GET /dashboard?campaign=…(&section=…|&employment=fiscal_year), full page rendered with "
                         "both SVG charts; domain = the aggregates functions it calls, one by one",
            "staff": "GET /staff/<id> for the person with the most follow-ups (self-checks, visits, follow-ups)",
            "council": "GET /reports/council.pdf?campaign=… (council.report_data + report.build_report + response), "
                       "median of pdf_runs after 1 warm-up; report_data and build_report also alone",
        },
    }
    result["machine"]["load_average_after"] = os.getloadavg()
    return result


def verdicts(r):
    t, targets = r["timings"], r["targets_ms"]
    return {
        "save": t["save"]["http_ms"]["median"] <= targets["save"],
        **{f"dashboard_{k}": v["http_ms"]["median"] <= targets["dashboard"] for k, v in t["dashboard"].items()},
        "staff": t["staff"]["http_ms"]["median"] <= targets["staff"],
        "council": t["council"]["http_ms"]["median"] <= targets["council"],
    }


def print_table(r):
    m, c, how = r["machine"], r["city"], r["visits_made"]
    load = lambda xs: " ".join(f"{x:.2f}" for x in xs)  # noqa: E731
    facts = how["consistency"]
    print(f"Visits benchmark: 所属 {c['sections']:,} / 職員 {c['staff']:,} / 回答 {c['answers_stored']:,} / "
          f"確定した訪問 {facts['locked_visits']:,} (結果 {facts['visit_results']:,}, "
          f"{facts['results_per_visit']:.1f}/visit) / 指摘 {facts['followups']:,}")
    print(f"  {m['platform']}, {m['cpus']} CPU, Python {m['python']}, SQLite {m['sqlite']}")
    print(f"  load average before {load(m['load_average_before'])}, after {load(m['load_average_after'])}")
    if "reused" in how:
        print(f"\n既存のインスタンスを再計測 / re-timed a kept instance: {how['reused']}"
              f"  (consistency {'OK' if facts['ok'] else 'MISMATCH'})")
        print_timings(r)
        return
    probe = how["real_probe"]
    print(f"\n訪問の作成 / how the visits were made (city import {sum(c['import_s'].values()):.1f} s):")
    print(f"  real path (start + {probe['median_saves']:.0f} save_change + 2 issuance.sign), first {probe['visits']}: "
          f"median {probe['median_s'] * 1000:.0f} ms/visit → all {how['visits']:,} that way "
          f"≈ {how['estimate_all_real_s']:.0f} s (budget {how['budget_s']:.0f} s) → mode: {how['mode']}")
    if how["mode"] == "bulk":
        b = how["bulk"]
        chunks = b["close_ms_by_chunk"]
        print(f"  bulk: rows {b['rows']} in {b['rows_s']:.1f} s; issuance.close × {b['rows']['visits']:,} in "
              f"{b['close_s']:.1f} s ({chunks[0]['ms_per_close']:.1f} ms/close in the first chunk, "
              f"{chunks[-1]['ms_per_close']:.1f} in the last)")
    else:
        print(f"  real: {how['real_rest']['visits']:,} more visits in {how['real_rest']['total_s']:.0f} s")
    after = how["real_after"]
    print(f"  real path again after all visits, {after['visits']} visits: median {after['median_s'] * 1000:.0f} ms/visit;"
          f" the locking signature alone {how['real_after_close_profile']['locking_sign_ms']:.0f} ms")
    print(f"  consistency (sheets = locked = tallied visits, tallied results = observed checks, follow-ups = "
          f"不適合+重大, chain): {'OK' if facts['ok'] else 'MISMATCH'}  {facts['chain_message']}")
    print_timings(r)


def print_timings(r):
    t, targets, ok = r["timings"], r["targets_ms"], r["verdicts"]

    def mark(v):
        return "OK" if v else "未達 / MISSED"

    def ms(stats):
        return f"{stats['median']:8.1f} ms (min {stats['min']:.1f}, max {stats['max']:.1f})"

    w = 52
    print(f"\n計測 / timings, median of {t['runs']} (council PDF: {t['pdf_runs']})")
    s = t["save"]
    print(f"  {pad('POST /visits/<id>/changes (autosave)', w)} {ms(s['http_ms'])}  ≤ {targets['save']:.0f}  {mark(ok['save'])}")
    print(f"  {pad('  visits.save_change', w)} {ms(s['domain_ms'])}")
    for name, d in t["dashboard"].items():
        label = {"campaign": "GET /dashboard?campaign=", "section": "GET /dashboard …&section=",
                 "employment": "GET /dashboard …&employment=fiscal_year"}[name]
        print(f"  {pad(label, w)} {ms(d['http_ms'])}  ≤ {targets['dashboard']:.0f}  {mark(ok['dashboard_' + name])}")
        print("    " + ", ".join(f"{k[:-3]} {v['median']:.1f}" for k, v in d["domain"].items()) + " ms")
    st = t["staff"]
    label = f"GET /staff/{st['staff_id']} ({st['visits']} visit, {st['followups']} follow-ups)"
    print(f"  {pad(label, w)} "
          f"{ms(st['http_ms'])}  ≤ {targets['staff']:.0f}  {mark(ok['staff'])}")
    print("    " + ", ".join(f"{k[:-3]} {v['median']:.1f}" for k, v in st["domain"].items()) + " ms")
    co = t["council"]
    print(f"  {pad('GET /reports/council.pdf', w)} {ms(co['http_ms'])}  ≤ {targets['council']:.0f}  {mark(ok['council'])}")
    print(f"    council.report_data {co['report_data_ms']['median']:.1f} ms, report.build_report "
          f"{co['build_report_ms']['median']:.1f} ms; {co['pages']} pages, {co['bytes'] / 1e3:.0f} kB")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Visits: autosave, dashboard, staff page, council PDF at City-10x.")
    parser.add_argument("--staff", type=int, default=city10x.N_STAFF, help="staff in the roster (default 20000)")
    parser.add_argument("--sections", type=int, default=city10x.N_SECTIONS, help="sections (default 300)")
    parser.add_argument("--visits", type=int, default=5000, help="locked visits (default 5000)")
    parser.add_argument("--runs", type=int, default=50, help="timed runs per page/function (default 50)")
    parser.add_argument("--pdf-runs", type=int, default=5, help="timed runs of the council PDF (default 5)")
    parser.add_argument("--real-probe", type=int, default=10,
                        help="visits driven the whole real way before and after the rest (default 10)")
    parser.add_argument("--real-budget", type=float, default=REAL_BUDGET_S,
                        help="drive every visit the real way if the estimate is under this many seconds (default 600)")
    parser.add_argument("--mode", choices=("auto", "real", "bulk"), default="auto", help="how to make the rest")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the JSON results")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance (its path is printed)")
    parser.add_argument("--reuse", type=Path, metavar="INSTANCE",
                        help="skip building: only re-time an instance kept with --keep (it gains an admin and an open visit)")
    args = parser.parse_args(argv)
    if args.visits <= 2 * args.real_probe + 1:
        parser.error("--visits must be larger than 2 × --real-probe + 1")

    workdir = Path(tempfile.mkdtemp(prefix="spotcheck-visits-"))
    try:
        results = benchmark(args, workdir)
    finally:
        if args.keep and not args.reuse:
            print(f"instance kept: {workdir / 'instance'}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results["verdicts"] = verdicts(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    print_table(results)
    print(f"\n結果 / results: {args.out}")


if __name__ == "__main__":
    main()
