"""Dashboard through the real server: waitress on loopback, the whole-city page as admin and as viewer.

    .venv/bin/python -m bench.visits --keep            # builds City-10x with 5,000 visits, prints its path
    .venv/bin/python -m bench.dashboard INSTANCE       # then this, against that instance

Each request is timed from the client on 127.0.0.1 (so it is the server's time plus a loopback round
trip); reported as median and p95 of `--runs` requests after warm-ups. Results go to bench/out/dashboard.json.
"""
import argparse
import gc
import json
import os
import re
import secrets
import statistics
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "dashboard.json"
TARGET_P95_MS = 50.0


def serve(app):
    """Start waitress on a free loopback port in a daemon thread; returns the base URL."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    return f"http://127.0.0.1:{server.effective_port}", server


def logged_in(base, username, password):
    """An opener holding a session for this account (the login form's CSRF token included)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    body = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token}).encode()
    opener.open(f"{base}/login", body)
    return opener


def timed(opener, url, runs, warmup=3):
    for _ in range(warmup):
        opener.open(url).read()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = opener.open(url)
        response.read()
        assert response.status == 200
        samples.append((time.perf_counter() - start) * 1000)
    return {"median": statistics.median(samples), "p95": statistics.quantiles(samples, n=20)[18],
            "min": min(samples), "max": max(samples)}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Whole-city dashboard through waitress, as admin and viewer.")
    parser.add_argument("instance", type=Path, help="an instance kept by `python -m bench.visits --keep`")
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args(argv)
    os.environ["SPOTCHECK_INSTANCE"] = str(args.instance)
    from spotcheck import auth, create_app
    from spotcheck.db import connect

    app = create_app()
    db = connect(app.config["DATABASE"])
    password = secrets.token_urlsafe(16)
    accounts = {}
    for role in ("admin", "viewer"):
        name = f"bench-{role}-{secrets.token_hex(3)}"
        auth.create_user(db, name, password, role)
        accounts[role] = name
    campaign = db.execute("SELECT id FROM campaigns ORDER BY id DESC LIMIT 1").fetchone()[0]
    db.close()
    gc.freeze()  # as `flask serve` does: start-up objects need no collecting
    base, server = serve(app)
    results = {}
    for role, name in accounts.items():
        results[role] = timed(logged_in(base, name, password), f"{base}/dashboard?campaign={campaign}", args.runs)
    server.close()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    out = {"runs": args.runs, "target_p95_ms": TARGET_P95_MS, "loadavg": os.getloadavg(), "results": results}
    OUT.write_text(json.dumps(out, indent=2) + "\n")
    for role, r in results.items():
        ok = "OK" if r["p95"] <= TARGET_P95_MS else "OVER"
        print(f"GET /dashboard (whole city) as {role:6}  median {r['median']:6.1f} ms  p95 {r['p95']:6.1f} ms"
              f"  (max {r['max']:.1f})  target p95 ≤ {TARGET_P95_MS:.0f}  {ok}")
    print(f"load average {os.getloadavg()}; 結果 / results: {OUT}")


if __name__ == "__main__":
    main()
