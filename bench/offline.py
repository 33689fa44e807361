"""Offline benchmark: a whole visit in a room with no signal on a cheap tablet (CPU throttled 4×), issue 11.

    .venv/bin/python -m bench.offline              # 4× throttle, 2 camera photos
    .venv/bin/python -m bench.offline --rate 6 --photos 4

Serves the browser tests' small city under waitress, opens a visit online once (the service worker keeps its
pages), then with the network off: one tap per check, the camera-like photos of bench.camera (4000×3000) taken on
the tablet, a reload from the offline copy; then the network comes back. Times, inside the page:
- a camera photo from 写真を撮る to its thumbnail (downscaled on the tablet and stored in IndexedDB);
- reopening the visit with no network (navigation start to the frame after visit.js ran);
- the outbox after the walk: entries and bytes kept on the tablet;
- network back → 「すべて送信しました」 (everything sent, in order, once).
Results: bench/out/offline.json.
"""
import argparse
import json
import statistics
import tempfile
import time
from contextlib import closing
from pathlib import Path

from bench.camera import camera_like_jpeg
from bench.walk import logged_in_tablet
from spotcheck import campaigns, visits

OUT = Path(__file__).resolve().parent / "out" / "offline.json"

OUTBOX_JS = """() => new Promise((resolve) => {
  indexedDB.open("spotcheck").onsuccess = (event) => {
    const request = event.target.result.transaction("outbox").objectStore("outbox").getAll();
    request.onsuccess = () => resolve(request.result.filter((i) => !i.sent).map((i) => [i.kind, i.blob ? i.blob.size : 0]));
  };
})"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=4.0, help="CPU throttling rate (4 = four times slower)")
    parser.add_argument("--photos", type=int, default=2)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import _install_city
    from tests.browser.test_offline import open_online

    work = Path(tempfile.mkdtemp(prefix="spotcheck-offline-"))
    shots = []
    for n in range(args.photos):
        shots.append(work / f"camera-{n}.jpg")
        shots[-1].write_bytes(camera_like_jpeg(seed=n))
    server = _install_city(work / "instance", loaded=True)
    try:
        with closing(server.db()) as db:
            auditor = db.execute("SELECT id FROM users WHERE username = 'auditor'").fetchone()[0]
            campaign = campaigns.get_campaign(db, code="R6")
            staff = db.execute("SELECT id FROM staff ORDER BY id LIMIT 1").fetchone()[0]
            visit_id = visits.start_visit(db, campaign_id=campaign["id"], staff_id=staff, auditor_id=auditor,
                                          reason="ベンチマーク")
        with sync_playwright() as playwright:
            browser, context, page = logged_in_tablet(playwright, server)
            # The same wait as the browser test: polled from here, since wait_for_function takes a promise as truthy.
            open_online(page, visit_id)
            cdp = context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": args.rate})

            context.set_offline(True)
            checks = page.locator("section.step[data-check]").count()
            photo_ms = []
            for n in range(checks):
                step = page.locator("section.step:not([hidden])")
                if n < len(shots):
                    thumbs = step.locator("[data-thumbs] li img")
                    started = time.perf_counter()
                    step.locator("input[data-photo-input]").set_input_files(shots[n])
                    thumbs.first.wait_for()
                    photo_ms.append((time.perf_counter() - started) * 1000)
                page.wait_for_timeout(450)  # past the double-tap guard
                step.locator("[data-result='ok']").tap()
                page.wait_for_function(f"document.querySelector('.step-count').textContent.startsWith('{n + 2} ')"
                                       if n + 1 < checks else "true")
            page.wait_for_timeout(300)
            queued = page.evaluate(OUTBOX_JS)

            reopen_ms = []
            for _ in range(3):
                page.reload()
                page.wait_for_function("window.__opened !== undefined")
                reopen_ms.append(page.evaluate("window.__opened"))

            started = time.perf_counter()
            context.set_offline(False)
            page.locator("[data-sync]").filter(has_text="すべて送信しました").wait_for(timeout=60_000)
            drain_s = time.perf_counter() - started
            browser.close()
        with closing(server.db()) as db:
            stored = {
                "results": db.execute("SELECT count(*) FROM visit_results WHERE visit_id = ? AND result = 'ok'",
                                      [visit_id]).fetchone()[0],
                "photos": db.execute("SELECT count(*) FROM photos WHERE visit_id = ?", [visit_id]).fetchone()[0],
            }
    finally:
        server.stop()

    figures = {
        "rate": args.rate, "checks": checks, "camera_photos": len(shots),
        "photo_to_thumbnail_ms": [round(ms) for ms in photo_ms],
        "outbox": {"entries": len(queued), "photos": sum(kind == "photo" for kind, _ in queued),
                   "photo_bytes": sum(size for _, size in queued)},
        "reopen_offline_ms": {"median": statistics.median(reopen_ms), "runs": [round(ms, 1) for ms in reopen_ms]},
        "drain_s": round(drain_s, 2), "on_server": stored,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"CPU throttled {args.rate:g}×, {checks} checks, {len(shots)} camera photos (4000×3000), no network")
    print(f"  camera photo → thumbnail (downscaled, kept on the tablet): {', '.join(f'{ms:.0f}' for ms in photo_ms)} ms")
    print(f"  outbox after the walk: {figures['outbox']['entries']} entries, "
          f"{figures['outbox']['photos']} photos, {figures['outbox']['photo_bytes'] / 1000:.0f} kB of photos")
    print(f"  reopening the visit offline: median {figures['reopen_offline_ms']['median']:.0f} ms")
    print(f"  network back → すべて送信しました: {drain_s:.2f} s; on the server: {stored['results']} results, "
          f"{stored['photos']} photos")
    print(f"→ {OUT}")


if __name__ == "__main__":
    main()
