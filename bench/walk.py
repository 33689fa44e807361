"""Walk benchmark: the visit screen on a cheap tablet (Chromium with the CPU throttled 4×), issue 11.

    .venv/bin/python -m bench.walk              # 4× throttle, 15 taps, 5 page opens
    .venv/bin/python -m bench.walk --rate 6 --taps 30

Serves the browser tests' small city (tests.browser.conftest) under waitress, logs in as an auditor, opens a
visit in headless Chromium at 1180×820 with touch, throttles the CPU through CDP Emulation.setCPUThrottlingRate
and times, inside the page:
- tap → next check painted: from the tap's event time to the first task after the next animation frame
  (the frame that shows the next check has then been painted);
- opening a check: loading /visits/<id>#step-N from navigation start to the frame after visit.js shows it;
- the compressed (gzip -9) size of every JS and CSS file the walk and sign pages load.
Results: bench/out/walk.json.
"""
import argparse
import gzip
import json
import platform
import statistics
import tempfile
import time
import urllib.request
from contextlib import closing
from pathlib import Path

from spotcheck import campaigns, visits

OUT = Path(__file__).resolve().parent / "out" / "walk.json"
TARGETS = {"tap_ms": 100.0, "open_ms": 200.0, "assets_kb": 50.0}

# Sets window.__tap to ms from the next tap (the click's timeStamp) to the task after the following frame.
NEXT_TAP_JS = """() => { window.__tap = undefined; document.addEventListener('click', event => {
  const start = event.timeStamp;
  requestAnimationFrame(() => setTimeout(() => { window.__tap = performance.now() - start; }, 0));
}, {capture: true, once: true}); }"""
# Where an opening's time went, from the Navigation and Resource Timing entries (ms).
NAVIGATION_PARTS_JS = """() => { const n = performance.getEntriesByType('navigation')[0];
  const assets = performance.getEntriesByType('resource').filter(e => /\\.(js|css)(\\?|$)/.test(e.name));
  return {server: n.responseStart - n.requestStart, html: n.responseEnd, dom_ready: n.domContentLoadedEventEnd,
          assets: assets.length ? Math.max(...assets.map(e => e.responseEnd)) : 0,
          asset_requests: assets.filter(e => e.transferSize > 0 || e.workerStart > 0).length}; }"""
# Installed before every page load: ms from navigation start to the task after the frame once visit.js has run.
OPENED_JS = """document.addEventListener('DOMContentLoaded', () => requestAnimationFrame(() => setTimeout(() => {
  window.__opened = performance.now();
}, 0)));"""


def logged_in_tablet(playwright, server):
    """Chromium at 1180×820 with touch, timing every page opening (OPENED_JS), logged in as the auditor."""
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.factories import PASSWORD

    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    context = browser.new_context(base_url=server.url, viewport={"width": 1180, "height": 820},
                                  has_touch=True, locale="ja-JP")
    context.add_init_script(OPENED_JS)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", "auditor")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button")
    page.wait_for_load_state("load")
    return browser, context, page


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=4.0, help="CPU throttling rate (4 = four times slower)")
    parser.add_argument("--taps", type=int, default=15)
    parser.add_argument("--opens", type=int, default=5)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import _install_city

    server = _install_city(Path(tempfile.mkdtemp(prefix="spotcheck-walk-")) / "instance", loaded=True)
    try:
        with closing(server.db()) as db:
            auditor = db.execute("SELECT id FROM users WHERE username = 'auditor'").fetchone()[0]
            campaign = campaigns.get_campaign(db, code="R6")
            visit_ids = [visits.start_visit(db, campaign_id=campaign["id"], staff_id=staff, auditor_id=auditor,
                                            reason="ベンチマーク")
                         for (staff,) in db.execute("SELECT id FROM staff ORDER BY id LIMIT 2")]
        with sync_playwright() as playwright:
            browser, context, page = logged_in_tablet(playwright, server)
            cdp = context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": args.rate})

            taps = []
            page.goto(f"/visits/{visit_ids[0]}")
            checks = page.locator("section.step[data-check]").count()
            for n in range(min(args.taps, checks)):
                page.wait_for_timeout(500)  # a person's pace, past the double-tap guard
                page.evaluate(NEXT_TAP_JS)
                page.locator("section.step:not([hidden]) [data-result='ok']").tap()
                page.wait_for_function("window.__tap !== undefined")
                taps.append(page.evaluate("window.__tap"))
                page.wait_for_function(f"document.querySelector('.step-count').textContent.startsWith('{n + 2} ')"
                                       if n + 1 < checks else "true")
            opens, parts = [], []
            for n in range(args.opens):
                page.goto("/")  # a real load each time, not a hash change on the same page
                page.goto(f"/visits/{visit_ids[1]}#step-{n % checks + 1}")
                page.wait_for_function("window.__opened !== undefined")
                opens.append(page.evaluate("window.__opened"))
                parts.append(page.evaluate(NAVIGATION_PARTS_JS))

            assets = {}
            for path in (f"/visits/{visit_ids[1]}", f"/visits/{visit_ids[1]}/sign"):
                page.goto(path)
                for url in page.evaluate("performance.getEntriesByType('resource').map(e => e.name)"):
                    if url.split("?")[0].endswith((".js", ".css")):
                        with urllib.request.urlopen(url) as response:
                            assets[url.replace(server.url, "")] = len(gzip.compress(response.read(), 9))
            browser.close()
    finally:
        server.stop()

    figures = {
        "rate": args.rate, "checks": checks,
        "tap_ms": {"median": statistics.median(taps), "max": max(taps), "runs": [round(t, 1) for t in taps]},
        "open_ms": {"median": statistics.median(opens), "max": max(opens), "runs": [round(t, 1) for t in opens]},
        "open_parts_ms": {key: statistics.median(p[key] for p in parts) for key in parts[0]},
        "assets_gzip_bytes": assets, "assets_kb": sum(assets.values()) / 1000,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "python": platform.python_version(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"CPU throttled {args.rate:g}×, {checks} checks")
    print(f"{'measure':<36}{'median':>10}{'max':>10}{'target':>10}")
    print(f"{'tap → next check painted (ms)':<36}{figures['tap_ms']['median']:>10.1f}{figures['tap_ms']['max']:>10.1f}"
          f"{TARGETS['tap_ms']:>10.0f}")
    print(f"{'opening a check (ms)':<36}{figures['open_ms']['median']:>10.1f}{figures['open_ms']['max']:>10.1f}"
          f"{TARGETS['open_ms']:>10.0f}")
    print("  of which (medians, ms from navigation start): " + ", ".join(
        f"{key} {value:.0f}" for key, value in figures["open_parts_ms"].items()))
    for url, size in assets.items():
        print(f"  {url:<34}{size / 1000:>10.1f} kB gzip")
    print(f"{'JS+CSS of the visit pages (kB gzip)':<36}{figures['assets_kb']:>10.1f}{'':>10}{TARGETS['assets_kb']:>10.0f}")
    print(f"→ {OUT}")


if __name__ == "__main__":
    main()
