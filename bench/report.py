"""Council report benchmark: build_report at City-10x scale (35 items, 16 checks, 300 sections).

    .venv/bin/python -m bench.report              # 300 sections, 20,000 staff, median of 7 builds
    .venv/bin/python -m bench.report --sections 30 --runs 3

The data comes from `sample_report`, a seeded simulation person by person (self-check answers,
unannounced visits, observations, findings and their follow-up) aggregated the way the lead's
queries aggregate the database, so every total adds up. The tests build the same sample at
30 sections. Results go to bench/out/report.json.
"""
import argparse
import gc
import io
import json
import os
import platform
import random
import statistics
import sys
import time
import tomllib
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

from pypdf import PdfReader

from spotcheck import fonts as report_fonts
from spotcheck.figures import CheckStat, FollowupStat, GroupStat, ItemStat, ReportData
from spotcheck.checklists import load_checklists
from spotcheck.council import label_meanings, pooled
from spotcheck.report import PUBLIC_SUFFIX, build_report, default_title

TARGET_MS = 2000.0
OUT = Path(__file__).resolve().parent / "out" / "report.json"
FORMS = Path(__file__).resolve().parents[1] / "forms"

ANSWERS = ("① できている", "② 一部できている", "③ できていない", "未回答")
RESULTS = ("適合", "観察事項", "不適合", "重大", "該当なし", "確認不可")
# The shipped forms say which of these labels are "not done" and which are findings.
SHIPPED = load_checklists(FORMS)
# (label, share of staff, extra chance of answering ③): fixed-term staff are the weak spot.
EMPLOYMENT = (("正規職員", 0.70, 0.0), ("会計年度任用職員", 0.26, 0.06), ("再任用職員", 0.04, 0.01), ("任期付職員", 0.0, 0.02))
# Items whose ③ rate the council minutes single out (No.19 USB about 15 %, No.9 and No.10 about 10 %).
WEAK_ITEMS = {19: 0.15, 9: 0.10, 10: 0.10, 7: 0.07, 17: 0.06}

# (name, handles My Number, runs outsourced systems, people); three are tiny, one name is long.
SECTIONS = (
    ("総務課", False, False, 22), ("情報政策課", False, True, 14), ("人事課", True, False, 14),
    ("契約検査課", False, False, 10), ("防災危機管理課", False, False, 10), ("市民課", True, True, 36),
    ("保険年金課", True, True, 30), ("課税課", True, True, 32), ("収納課", True, False, 22),
    ("福祉総務課", True, False, 20), ("障害者支援課", True, False, 22), ("介護保険課", True, True, 24),
    ("こども未来部こども家庭支援課児童虐待防止・家庭相談担当（こども家庭センター）", True, False, 22),
    ("保育幼稚園課", True, False, 48), ("健康管理課", True, True, 28), ("環境課", False, False, 16),
    ("商工観光課", False, False, 12), ("道路課", False, False, 24), ("都市計画課", False, False, 16),
    ("建築指導課", False, False, 12), ("下水道課", False, True, 16), ("会計課", False, True, 10),
    ("教育総務課", False, False, 16), ("学校教育課", True, True, 26), ("生涯学習課", False, False, 14),
    ("図書館", False, True, 24), ("消防総務課", False, False, 18),
    ("農業委員会事務局", False, False, 3), ("監査委員事務局", False, False, 2), ("公平委員会事務局", False, False, 4),
)
TINY_SECTIONS = {name: people for name, _m, _o, people in SECTIONS if people < 5}
LONG_SECTION = SECTIONS[12][0]
DISTRICTS = ("東", "西", "南", "北", "中央", "緑", "桜", "旭", "若葉", "青葉")
KINDS = ("出張所", "公民館", "地区センター", "保育所", "児童館", "学校給食センター", "図書館分館", "地域包括支援センター")


def _forms():
    """Items (no, topic, group label) and checks (title, verified items, applies to) from forms/*.toml."""
    selfcheck = tomllib.loads((FORMS / "selfcheck.toml").read_text(encoding="utf-8"))
    onsite = tomllib.loads((FORMS / "onsite.toml").read_text(encoding="utf-8"))
    groups = {g["code"]: g["label"] for g in selfcheck["group"]}
    items = [(i["no"], i["topic"], i["group"], groups[i["group"]]) for i in selfcheck["item"]]
    checks = [(c["title"], tuple(c["verifies"]), c["applies_to"]) for c in onsite["check"]]
    return items, checks


def _sections(count, rng):
    """The 30 sections above, then branch offices up to count, each about ten times larger on average at 300."""
    sections = list(SECTIONS)
    n = 0
    while len(sections) < count:
        district, kind = DISTRICTS[n % len(DISTRICTS)], KINDS[(n // len(DISTRICTS)) % len(KINDS)]
        serial = n // (len(DISTRICTS) * len(KINDS))
        name = f"{district}{kind}" + (f"（第{serial + 1}）" if serial else "")
        people = rng.choice((2, 3)) if n % 97 == 5 else rng.randint(18, 150)
        sections.append((name, rng.random() < 0.35, rng.random() < 0.2, people))
        n += 1
    return sections[:count]


def sample_report(sections=30, seed=20240202):
    """A ReportData simulated person by person; sections=30 is the test city, 300 is City-10x."""
    rng = random.Random(f"{seed}-{sections}")
    items, checks = _forms()
    section_rows = _sections(sections, rng)

    answers = defaultdict(Counter)  # item no → answer label → people
    check_counts = defaultdict(Counter)  # check index → result → observations
    check_claims, check_over = Counter(), Counter()
    groups = {}
    findings = major = 0
    followups = Counter()
    sections_visited = 0

    def group(kind, label):
        return groups.setdefault((kind, label), Counter())

    tiny_employment_left = 3  # the test city has a 任用区分 of three people
    for name, my_number, outsourcing, people in section_rows:
        applicable = {"all", "pc"} | ({"my_number"} if my_number else set()) | ({"outsourcing"} if outsourcing else set())
        visited = people >= 5 and rng.random() < 0.75 or name == LONG_SECTION
        sections_visited += visited
        to_visit = set(rng.sample(range(people), min(people, rng.randint(3, 6)))) if visited else set()
        for person in range(people):
            if tiny_employment_left and people >= 10 and person == 0:
                employment, weak = EMPLOYMENT[3][0], EMPLOYMENT[3][2]
                tiny_employment_left -= 1
            else:
                roll, employment, weak = rng.random(), EMPLOYMENT[0][0], 0.0
                for label, share, extra in EMPLOYMENT[:3]:
                    if roll < share:
                        employment, weak = label, extra
                        break
                    roll -= share
            rows = (group("section", name), group("employment", employment))
            for g in rows:
                g["people"] += 1
            sent = rng.random() < 0.96
            mine = {}
            for no, _topic, item_group, _label in items:
                if item_group not in applicable:
                    continue
                if not sent or rng.random() < 0.0004:
                    answer = ANSWERS[3]
                else:
                    p3 = WEAK_ITEMS.get(no, 0.03) + weak
                    roll = rng.random()
                    answer = ANSWERS[2] if roll < p3 else ANSWERS[1] if roll < p3 + 0.12 else ANSWERS[0]
                answers[no][answer] += 1
                mine[no] = answer
            for g in rows:
                g["answered"] += sent
                g["not_done"] += any(a == ANSWERS[2] for a in mine.values())
            if person not in to_visit:
                continue
            for g in rows:
                g["visits"] += 1
            for c, (_title, verifies, applies_to) in enumerate(checks):
                if applies_to not in applicable and applies_to != "all":
                    continue
                roll = rng.random()
                fail = 0.05 + sum(WEAK_ITEMS.get(no, 0) for no in verifies) / 2 + weak
                result = ("重大" if roll < fail * 0.12 else "不適合" if roll < fail else "観察事項" if roll < fail + 0.1
                          else "確認不可" if roll > 0.985 else "該当なし" if roll > 0.96 else "適合")
                check_counts[c][result] += 1
                claims = any(mine.get(no) == ANSWERS[0] for no in verifies)
                failed = result in ("不適合", "重大")
                check_claims[c] += claims
                check_over[c] += claims and failed
                for g in rows:
                    g["observed"] += 1
                    g["claims_done"] += claims
                    g["over"] += claims and failed
                if failed:
                    findings += 1
                    major += result == "重大"
                    state = rng.choices(("closed", "reported", "open", "withdrawn"), (0.62, 0.2, 0.15, 0.03))[0]
                    followups[state] += 1
                    followups["overdue"] += state == "open" and rng.random() < 0.4
                    for g in rows:
                        g["findings"] += 1
                        g["open"] += state in ("open", "reported")

    def stat(label, g, previous=None):
        return GroupStat(label, g["people"], g["answered"], g["not_done"], g["visits"], g["observed"], g["over"],
                         g["findings"], g["open"], claims_done=g["claims_done"], previous_over_rate=previous)

    previous_employment = {"正規職員": 6.1, "会計年度任用職員": 14.8, "再任用職員": 9.5}
    by_employment = tuple(
        stat(label, groups[("employment", label)], previous_employment.get(label))
        for label, *_ in EMPLOYMENT if ("employment", label) in groups
    )
    by_section = tuple(stat(name, groups[("section", name)]) for name, *_ in section_rows)
    item_stats = []
    for no, topic, item_group, label in items:
        counts = {a: answers[no][a] for a in ANSWERS}
        total = sum(counts.values())
        previous = None if no > 20 or no % 4 == 0 else round(100 * counts[ANSWERS[2]] / max(total, 1) + rng.uniform(-2, 4), 1)
        item_stats.append(ItemStat(no, topic, label, counts, total, counts[ANSWERS[2]], previous))
    check_stats = []
    for c, (title, _verifies, _applies) in enumerate(checks):
        counts = {r: check_counts[c][r] for r in RESULTS}
        previous = None if c % 3 == 2 else round(100 * check_over[c] / max(check_claims[c], 1) + rng.uniform(-1, 5), 1)
        check_stats.append(CheckStat(title, counts, sum(counts.values()), check_claims[c], check_over[c], previous))
    claims_done, over = sum(check_claims.values()), sum(check_over.values())
    return ReportData(
        title=default_title(2024),
        campaign_title="令和6年度 情報セキュリティ監査",
        fiscal_year=2024,
        previous_campaign_title="令和5年度 情報セキュリティ監査",
        issued_on=date(2025, 3, 14),
        staff_in_scope=sum(g.people for g in by_section),
        answered=sum(g.answered for g in by_section),
        visits=sum(g.visits for g in by_section),
        sections_visited=sections_visited,
        sections_total=len(section_rows),
        findings=findings,
        major_findings=major,
        claims_done=claims_done,
        over_reported=over,
        items=tuple(item_stats),
        checks=tuple(check_stats),
        by_employment=by_employment,
        by_section=by_section,
        followups=FollowupStat(followups["open"], followups["reported"], followups["closed"], followups["withdrawn"], followups["overdue"]),
        notes=(
            "前回（令和5年度）は、事前に日程を通知した実地監査でした。",
            "セルフチェックの回答期間は令和6年10月1日から10月31日まで、実地監査は令和6年11月から令和7年1月までに行いました。",
        ),
        previous_over_rate=round(100 * over / max(claims_done, 1) + 3.2, 1),
        issuer="総務部総務課・情報政策課",
        **label_meanings(SHIPPED.selfcheck, SHIPPED.onsite),
    )


def public_edition(data, min_group=30):
    """The 公表版 of a report's data, as council.report_data(public=True) makes it."""
    return replace(data, public=True, title=data.title + PUBLIC_SUFFIX,
                   by_employment=pooled(data.by_employment, min_group, "その他の任用区分"),
                   by_section=pooled(data.by_section, min_group, "その他の所属"))


def benchmark(runs, sections, public=False):
    """Time build_report `runs` times after one untimed warm-up."""
    status = report_fonts.register_fonts()
    data = sample_report(sections)
    if public:
        data = public_edition(data)
    pdf = build_report(data, status)
    samples, cpu = [], []
    for _ in range(runs):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        build_report(data, status)
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    median = statistics.median(samples)
    return {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
                    "loadavg": os.getloadavg() if hasattr(os, "getloadavg") else None},
        "fonts": {"gothic": status.gothic, "mincho": status.mincho, "embedded": status.embedded},
        "edition": "public" if public else "council",
        "content": {"items": len(data.items), "checks": len(data.checks), "sections": len(data.by_section),
                    "employment_groups": len(data.by_employment), "staff": data.staff_in_scope, "visits": data.visits},
        "runs": runs,
        "ms": {"median": median, "min": min(samples), "max": max(samples), "cpu_median": statistics.median(cpu)},
        "bytes": len(pdf),
        "pages": len(PdfReader(io.BytesIO(pdf)).pages),
        "target_ms": TARGET_MS,
        "ok": median <= TARGET_MS,
        "measures": "wall-clock ms of build_report(data, fonts) → PDF bytes in memory, including the small-cell "
                    "protection and both charts; fonts registered and one warm-up build beforehand; "
                    "cpu_median is process CPU time, less disturbed by other load",
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description="Council report: build_report at City-10x scale.")
    parser.add_argument("--runs", type=int, default=7, help="timed builds (default 7)")
    parser.add_argument("--sections", type=int, default=300, help="sections (default 300, City-10x)")
    parser.add_argument("--public", action="store_true", help="time the 公表版 instead of the council edition")
    parser.add_argument("--out", type=Path, default=None, help="where to write the JSON results")
    args = parser.parse_args(argv)
    args.out = args.out or OUT.with_name("report-public.json" if args.public else OUT.name)
    r = benchmark(args.runs, args.sections, args.public)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(r, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    c, ms = r["content"], r["ms"]
    print(f"{'公表版' if args.public else 'Council report'} — {c['items']} items, {c['checks']} checks, {c['sections']} sections, "
          f"{c['employment_groups']} employment groups, {c['staff']:,} staff; median of {r['runs']} "
          f"(fonts embedded: {r['fonts']['embedded']})")
    print(f"  build_report  median {ms['median']:7.1f} ms   min {ms['min']:7.1f}   max {ms['max']:7.1f}   cpu {ms['cpu_median']:7.1f}"
          f"   (target ≤ {TARGET_MS:.0f})  {'OK' if r['ok'] else 'OVER'}")
    print(f"  {r['pages']} pages, {r['bytes'] / 1e3:.0f} kB; load average {r['machine']['loadavg']} on {r['machine']['cpus']} CPUs")
    print(f"\n結果 / results: {args.out}")


if __name__ == "__main__":
    main()
