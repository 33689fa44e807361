"""Load: 20 auditors doing whole visits at once against waitress on loopback, for two minutes.

    .venv/bin/python -m bench.load                       # 20 auditors, 120 s, on the demo city
    .venv/bin/python -m bench.load --auditors 5 --seconds 20

Each simulated auditor logs in, and until the time is up: starts a visit (hand-picked, with a reason),
opens it, autosaves a result on every check, takes one photo, both sides sign, and prints the sheet.
A third of the way in, the admin re-imports the roster (`flask import-staff`, 200 フリガナ changed)
while the tablets save: it must complete, and no save may fail.
The server is the real one, `flask serve` (waitress, 8 threads) in a process of its own, on a fresh
demo instance; CSRF is off there (instance/config.py) so the client need not scrape tokens. A tablet
waits a think time between taps (`--think`, 1 s on average: a person reads and taps; 0 hammers the
server). Reports median, p95 and max per kind of request, errors, and the load average; results go
to bench/out/load.json.
"""
import argparse
import base64
import csv
import io
import json
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent / "out" / "load.json"
TARGETS_P95_MS = {"autosave": 100.0, "photo": 500.0}
PASSWORD = "bench load passphrase 2026"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the client wants to see the 302 and its Location


class Auditor:
    """One tablet: a session, and the timings of what it asked."""

    def __init__(self, base, username, timings, errors):
        self.base, self.timings, self.errors = base, timings, errors
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect)
        self.request("login", "/login", form={"username": username, "password": PASSWORD}, expect=(302,))

    think = 0.0  # mean seconds between two taps of this tablet

    def request(self, kind, path, *, form=None, json_body=None, files=None, expect=(200,)):
        if self.think:
            time.sleep(random.uniform(0.5, 1.5) * self.think)
        headers, data = {}, None
        if json_body is not None:
            data, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif files:
            data, headers["Content-Type"] = _multipart(form or {}, files)
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
        start = time.perf_counter()
        try:
            response = self.opener.open(urllib.request.Request(self.base + path, data=data, headers=headers))
            status, body, location = response.status, response.read(), response.headers.get("Location", "")
        except urllib.error.HTTPError as error:
            status, body, location = error.code, error.read(), error.headers.get("Location", "")
        self.timings.setdefault(kind, []).append((time.perf_counter() - start) * 1000)
        if status not in expect:
            self.errors.append({"kind": kind, "path": path, "status": status})
        return body, location

    def whole_visit(self, campaign_id, staff_id, photo, signature):
        _body, location = self.request("start", "/visits", form={"campaign_id": campaign_id, "staff_id": staff_id,
                                                                 "reason": "負荷試験"}, expect=(302,))
        match = re.search(r"/visits/(\d+)", location)
        if not match:
            return
        visit = match[1]
        page, _ = self.request("open", f"/visits/{visit}")
        checks = re.findall(r'data-check="([a-z_]+)"', page.decode())
        for code in checks:
            self.request("autosave", f"/visits/{visit}/changes", json_body={
                "key": secrets.token_hex(16), "field": "result", "value": "ok", "check": code,
                "changed_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())})
        photographed = next((c for c in checks if c in ("wire_lock", "clear_desk", "external_media")), None)
        if photographed:
            self.request("photo", f"/visits/{visit}/photos", form={"check": photographed},
                         files={"photo": ("photo.jpg", photo, "image/jpeg")})
        for role, name in (("auditor", "監査 太郎"), ("auditee", "職員 本人")):
            self.request("sign", f"/visits/{visit}/sign", form={"role": role, "name": name, "signature": signature},
                         expect=(302,))
        self.request("print", f"/visits/{visit}/sheet.pdf")


def _multipart(fields, files):
    boundary = secrets.token_hex(12)
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data, mimetype) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                  f"Content-Type: {mimetype}\r\n\r\n".encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def _camera_photo():
    """A 3000×2250 camera-like JPEG (noise, so it compresses like a real one)."""
    image = Image.effect_noise((3000, 2250), 40).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def _signature():
    image = Image.new("RGBA", (600, 220), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(30, 150), (200, 40), (400, 170), (570, 60)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _changed_roster(folder, demo):
    """The demo roster with 200 people's フリガナ changed, as the 人事課 would send an update."""
    name, data = demo.city_files()["staff"]
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    for row in rows[1:201]:
        row[2] = row[2] + "ー"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path = folder / name
    path.write_bytes(out.getvalue().encode("utf-8-sig"))
    return path


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(base, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/login").read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("サーバーが起動しませんでした。")


def _summary(samples):
    return {"n": len(samples), "median": statistics.median(samples),
            "p95": statistics.quantiles(samples, n=20)[18] if len(samples) > 1 else samples[0], "max": max(samples)}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Whole visits by many auditors at once through waitress.")
    parser.add_argument("--auditors", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between two taps of one tablet")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="spotcheck-load-"))
    os.environ["SPOTCHECK_INSTANCE"] = str(folder / "instance")
    from spotcheck import auth, create_app, demo, loaded_forms, migrations
    from spotcheck.db import connect

    app = create_app({"WTF_CSRF_ENABLED": False})
    db = connect(app.config["DATABASE"])
    migrations.apply(db)
    with app.app_context():
        list(demo.load(db, loaded_forms.current(), Path(app.instance_path)))
    names = [f"load-{i:02d}" for i in range(args.auditors)]
    for name in names:
        auth.create_user(db, name, PASSWORD, "auditor")
    campaign_id = db.execute("SELECT id FROM campaigns ORDER BY id LIMIT 1").fetchone()[0]
    people = [row[0] for row in db.execute("SELECT id FROM staff WHERE retired_at IS NULL AND uses_pc = 1"
                                           " AND id NOT IN (SELECT staff_id FROM visits) ORDER BY id")]
    db.close()
    random.Random(7).shuffle(people)
    # The server in a process of its own, as the city runs it: the clients here do not share its GIL.
    (folder / "instance" / "config.py").write_text("WTF_CSRF_ENABLED = False\n", encoding="utf-8")
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "serve", "--port", str(port)],
                              cwd=Path(__file__).resolve().parents[1], env=dict(os.environ),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    _wait_for(base)
    timings, errors, lock = {}, [], threading.Lock()
    photo, signature = _camera_photo(), _signature()
    deadline = time.monotonic() + args.seconds
    load_before = os.getloadavg()
    roster = _changed_roster(folder, demo)
    imported = {}

    def reimport():
        time.sleep(args.seconds / 3)
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "import-staff", str(roster)],
                              cwd=Path(__file__).resolve().parents[1], env=dict(os.environ), capture_output=True,
                              text=True)
        imported.update(exit_code=done.returncode, seconds=time.monotonic() - start,
                        said=(done.stdout + done.stderr).strip().splitlines()[-1:])

    def work(i):
        mine, local, local_errors = people[i::args.auditors], {}, []
        tablet = Auditor(base, names[i], local, local_errors)
        tablet.think = args.think
        for staff_id in mine:
            if time.monotonic() > deadline:
                break
            tablet.whole_visit(campaign_id, staff_id, photo, signature)
        with lock:
            for kind, samples in local.items():
                timings.setdefault(kind, []).extend(samples)
            errors.extend(local_errors)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(args.auditors)]
    threads.append(threading.Thread(target=reimport))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    server.terminate()
    server.wait(timeout=30)
    results = {kind: _summary(samples) for kind, samples in sorted(timings.items())}
    out = {"auditors": args.auditors, "think_s": args.think, "seconds": elapsed, "visits": len(timings.get("print", [])),
           "errors": errors[:50], "error_count": len(errors), "roster_import": imported, "loadavg_before": load_before,
           "loadavg_after": os.getloadavg(), "targets_p95_ms": TARGETS_P95_MS, "results": results}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{args.auditors} auditors (think {args.think:g} s) for {elapsed:.0f} s: {out['visits']} whole visits, "
          f"{len(errors)} errors")
    print(f"  roster re-import during the load: exit {imported.get('exit_code')}, "
          f"{imported.get('seconds', 0):.1f} s — {' '.join(imported.get('said', []))}")
    for kind, r in results.items():
        target = TARGETS_P95_MS.get(kind)
        verdict = "" if target is None else f"  target p95 ≤ {target:.0f}  {'OK' if r['p95'] <= target else 'OVER'}"
        print(f"  {kind:9} n={r['n']:5}  median {r['median']:7.1f} ms  p95 {r['p95']:7.1f} ms  max {r['max']:7.1f}{verdict}")
    print(f"load average before {load_before}, after {out['loadavg_after']}; 結果 / results: {OUT}")


if __name__ == "__main__":
    main()
