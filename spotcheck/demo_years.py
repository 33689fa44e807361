"""Demo: the year before (令和5年度, R5), so that carry-over, trends and learned draw weights show on first run.

R5 is loaded through the real paths (its own self-check file, drawn and signed visits, follow-ups of which
about half stay open) before the demo's current campaign R6 exists, so R6 is still the newest campaign.
"""
import random
from datetime import date, timedelta

from . import campaigns, demo_visits, imports

SEED = "spotcheck-demo-years"
CAMPAIGN = {"code": "R5", "title": "令和5年度 情報セキュリティ監査", "fiscal_year": 2023}
FILENAME = "demo-セルフチェック結果-R5.csv"
FILENAMES = {FILENAME}
VISITS = 12
EXTRA_NOT_DONE = 0.03  # a year earlier, a few more people answered ③ (the trend the council hoped for)
FIRST_DAY, LAST_DAY = date(2023, 12, 4), date(2024, 1, 31)
YEAR_END = (date(2023, 12, 29), date(2024, 1, 3))


def load_previous_year(db, checklists, admin_id, auditor_ids, reporters, due_days, weights, max_rows):
    """Create R5 with its answers, visits and follow-ups, once and only before R6; returns the lines to print."""
    from . import demo  # demo.py calls this module

    if campaigns.get_campaign(db, code=CAMPAIGN["code"]) is not None:
        return [f"前年度のキャンペーン「{CAMPAIGN['code']}」は作成済みです。"]
    if campaigns.get_campaign(db, code=demo.CAMPAIGN["code"]) is not None:
        # Added later it would sort after R6 in every campaign list; an older demo instance keeps one year.
        return [f"前年度のキャンペーン「{CAMPAIGN['code']}」は、既存のデモには追加しません。"]
    campaign_id = campaigns.create_campaign(db, CAMPAIGN["code"], CAMPAIGN["title"], checklists,
                                            fiscal_year=CAMPAIGN["fiscal_year"], user_id=admin_id)
    campaign = campaigns.get_campaign(db, campaign_id=campaign_id)
    plan = imports.plan(db, "selfcheck", selfcheck_file(), FILENAME, campaign=campaign, max_rows=max_rows)
    imports.apply(db, plan, admin_id)
    lines = [f"前年度のキャンペーン「{CAMPAIGN['code']}」（{CAMPAIGN['title']}）を作成しました。", *demo._describe(plan)]
    lines += [line.replace("デモの実地監査", "前年度の実地監査")
              for line in demo_visits.load_visits(db, campaign, auditor_ids, reporters, due_days, weights, count=VISITS)]
    return lines


def selfcheck_file():
    """R5's セルフチェック結果 file (CP932, like R6's): the same city, answered a year earlier."""
    from . import demo

    sections = demo.make_sections(random.Random(f"{demo.SEED}/sections"))
    people = demo.staff_rows(random.Random(f"{demo.SEED}/staff"), sections, demo.DEMO_STAFF)
    rng = random.Random(SEED)
    rows = demo.selfcheck_rows(rng, people, sections)
    days = [FIRST_DAY + timedelta(days=n) for n in range((LAST_DAY - FIRST_DAY).days + 1)]
    days = [d for d in days if d.weekday() < 5 and not YEAR_END[0] <= d <= YEAR_END[1]]
    for row in rows:
        day = rng.choice(days)
        row[3] = f"{day.year}/{day.month:02d}/{day.day:02d}"  # 回答日
        row[4:] = ["③" if cell == "①" and rng.random() < EXTRA_NOT_DONE else cell for cell in row[4:]]
    return demo.to_csv_bytes(demo.SELFCHECK_HEADER, rows, "cp932")
