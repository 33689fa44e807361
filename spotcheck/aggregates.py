"""Campaign statistics: running tallies kept at each import and lock, and the queries over them.

Every count is also kept under "all sections" (section 0) and "all employment types" ('*'), so a page
reads the few rows it shows instead of summing thousands.

Measures in `tallies` (subject → value):
  scope      ''          → 'people'        who was to answer (active PC users) when the answers were imported
  response   ''          → 'answered'      people who sent a self-check
                         → 'not_done'      of those, people with at least one ③/C/D
                         → 'absent'        people marked on leave (状況), with no answers: not 未回答
                         → 'answers', 'not_done_answers'   answers in scope, and those that are ③/C/D
  answer     item no     → answer code     the self-check distribution
  visit      ''          → 'locked'        visits done; 'observed', 'claims_done', 'over_reported' per visit
  result     check code  → result code     what the desk showed
  check_x    check code  → crosscheck class  the check against the person's best self-report,
                           plus 'claims_done' when that report said "done" (the over-reporting base)
  item_x     item no     → crosscheck class  each linked item against what the desk showed, plus 'claims_done'
"""
from collections import Counter

from . import crosscheck, followups, roster
from .campaigns import pinned_onsite, pinned_selfcheck

CLAIMS_DONE = "claims_done"
ALL_SECTIONS, ALL_EMPLOYMENT = 0, "*"
# When a check verifies several items, the person's most confident answer is the claim it tests.
CONFIDENCE = {"done": 4, "partly": 3, "not_done": 2, "unknown_rule": 1}


def _rolled_up(counts):
    """Each count also under all sections, all employment types, and both."""
    rolled = Counter()
    for (measure, subject, value, section, employment), n in counts.items():
        for s in (section, ALL_SECTIONS):
            for e in (employment, ALL_EMPLOYMENT):
                rolled[(measure, subject, value, s, e)] += n
    return rolled


def _add(db, campaign_id, counts, sign=1):
    """Add (or with sign=-1 remove) counts keyed (measure, subject, value, section, employment)."""
    counts = _rolled_up(counts)
    db.conn.executemany(
        "INSERT INTO tallies (campaign_id, measure, subject, value, section_id, employment, n)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (campaign_id, measure, section_id, employment, subject, value)"
        " DO UPDATE SET n = n + excluded.n",
        [(campaign_id, *key, sign * n) for key, n in counts.items()],
    )
    if sign < 0:  # only a removal can bring a count to zero; touch just those keys, not the whole table
        db.conn.executemany(
            "DELETE FROM tallies WHERE campaign_id = ? AND measure = ? AND subject = ? AND value = ?"
            " AND section_id = ? AND employment = ? AND n = 0",
            [(campaign_id, *key) for key in counts],
        )


def recount_answers(db, campaign_id, answers_by_staff, not_done_codes, absent=()):
    """Replace the campaign's answer tallies; `answers_by_staff` is {staff_id: {item: (answer, flag)}},
    `absent` the staff ids marked on leave (counted apart, never as answered)."""
    people = {row[0]: (row[1], row[2]) for row in db.execute("SELECT id, section_id, employment FROM staff")}
    counts = Counter()
    for staff_id in absent:
        counts[("response", "", "absent", *people[staff_id])] += 1
    for staff_id, answers in answers_by_staff.items():
        section_id, employment = people[staff_id]
        counts[("response", "", "answered", section_id, employment)] += 1
        in_scope = [answer for answer, out_of_scope in answers.values() if not out_of_scope]
        not_done = sum(answer in not_done_codes for answer in in_scope)
        counts[("response", "", "answers", section_id, employment)] += len(in_scope)
        counts[("response", "", "not_done_answers", section_id, employment)] += not_done
        if not_done:
            counts[("response", "", "not_done", section_id, employment)] += 1
        for item_no, (answer, out_of_scope) in answers.items():
            if not out_of_scope:
                counts[("answer", str(item_no), answer, section_id, employment)] += 1
    # A campaign is a snapshot: who was to answer is counted where they were when the answers came in,
    # like the answers themselves, so a later transfer moves neither.
    for (section_id, employment), n in population(db).items():
        counts[("scope", "", "people", section_id, employment)] += n
    db.execute("DELETE FROM tallies WHERE campaign_id = ? AND measure IN ('response', 'answer', 'scope')",
               [campaign_id])
    _add(db, campaign_id, counts)


def observations(signed):
    """The cross-check rows of a locked visit (a record.VisitRecord): one per (check, linked item), item 0 when none."""
    rows = []
    for step in signed.steps:
        for report in step.reports or (None,):
            reported = report.option.reported if report and report.option else None
            rows.append({
                "visit_id": signed.id, "campaign_id": signed.campaign_id, "section_id": signed.section_id,
                "staff_id": signed.staff_id, "employment": signed.subject.employment, "check_code": step.check.code,
                "result": step.result, "item_no": report.item.no if report else 0, "reported": reported,
                "class": crosscheck.classify(reported, step.result, signed.checklist) if report else None,
            })
    return rows


def record_visit(db, signed, sign=1):
    """Store a locked visit's observations and add them to the tallies (sign=-1 takes a superseded one out)."""
    rows = observations(signed)
    if sign > 0:
        db["observations"].insert_all(rows)
    else:
        db.execute("UPDATE observations SET current = 0 WHERE visit_id = ?", [signed.id])
    where = (signed.section_id, signed.subject.employment)
    counts = Counter({("visit", "", "locked", *where): 1})
    for step in signed.steps:
        code = step.check.code
        counts[("result", code, step.result, *where)] += 1
        claims = [r.option.reported for r in step.reports if r.option]
        best = max(claims, key=lambda r: CONFIDENCE.get(r, 0), default=None)
        check_class = crosscheck.classify(best, step.result, signed.checklist) if step.reports else None
        if check_class:
            counts[("check_x", code, check_class, *where)] += 1
            counts[("visit", "", "observed", *where)] += 1
            counts[("visit", "", crosscheck.OVER, *where)] += check_class == crosscheck.OVER
            if best == "done":
                counts[("check_x", code, CLAIMS_DONE, *where)] += 1
                counts[("visit", "", CLAIMS_DONE, *where)] += 1
    for row in rows:
        if row["class"]:
            counts[("item_x", str(row["item_no"]), row["class"], *where)] += 1
            if row["reported"] == "done":
                counts[("item_x", str(row["item_no"]), CLAIMS_DONE, *where)] += 1
    _add(db, signed.campaign_id, counts, sign)


def tally(db, campaign_id, measure, *, section_id=None, employment=None, by=None):
    """{subject: {value: n}} for one measure, optionally filtered, or split `by` section/employment."""
    section, employment = section_id or ALL_SECTIONS, employment or ALL_EMPLOYMENT
    where, params = ["campaign_id = ?", "measure = ?"], [campaign_id, measure]
    if by == "section_id":
        where += ["section_id <> ?", "employment = ?"] + (["section_id = ?"] if section_id else [])
        params += [ALL_SECTIONS, employment] + ([section_id] if section_id else [])
    elif by == "employment":
        where += ["section_id = ?", "employment <> ?"] + (["employment = ?"] if employment != ALL_EMPLOYMENT else [])
        params += [section, ALL_EMPLOYMENT] + ([employment] if employment != ALL_EMPLOYMENT else [])
    else:
        where += ["section_id = ?", "employment = ?"]
        params += [section, employment]
    split_column = by or "NULL"
    result = {}
    for row in db.execute(f"SELECT {split_column}, subject, value, n FROM tallies WHERE {' AND '.join(where)}",
                          params):
        split, subject, value, n = row
        target = result.setdefault(split, {}) if by else result
        target.setdefault(subject, {})[value] = n
    return result


def population(db, campaign_id=None):
    """Who fills the self-check per (section, employment type): the campaign's snapshot taken at its
    self-check import, or (before any import, or without a campaign) the active PC users today."""
    if campaign_id is not None:
        snapshot = {(section, employment): n for section, employment, n in db.execute(
            "SELECT section_id, employment, n FROM tallies WHERE campaign_id = ? AND measure = 'scope'"
            " AND section_id <> ? AND employment <> ?", [campaign_id, ALL_SECTIONS, ALL_EMPLOYMENT])}
        if snapshot:
            return snapshot
    # One index-only scan.
    return {(section, employment): n for section, employment, n in db.execute(
        "SELECT section_id, employment, count(*) FROM staff INDEXED BY staff_scope"
        " WHERE uses_pc = 1 AND retired_at IS NULL GROUP BY section_id, employment")}


def staff_in_scope(db, *, section_id=None, employment=None, by=None, pop=None):
    """Active PC users, in total or split by section/employment; `pop` reuses a population() already read."""
    counts = Counter()
    for (section, kind), n in (pop if pop is not None else population(db)).items():
        if (section_id and section != section_id) or (employment and kind != employment):
            continue
        counts[section if by == "section_id" else kind if by == "employment" else None] += n
    return dict(counts) if by in ("section_id", "employment") else counts[None]


def item_table(db, campaign, *, section_id=None, employment=None):
    """Per self-check item: answer counts in the sheet's order, ③/C/D count, and cross-check classes."""
    sheet = pinned_selfcheck(db, campaign)
    answers = tally(db, campaign["id"], "answer", section_id=section_id, employment=employment)
    classes = tally(db, campaign["id"], "item_x", section_id=section_id, employment=employment)
    rows = []
    for item in sheet.items:
        counts = answers.get(str(item.no), {})
        rows.append({
            "item": item,
            "counts": [(option, counts.get(option.code, 0)) for option in sheet.answers if counts.get(option.code)],
            "total": sum(counts.values()),
            "not_done": sum(n for code, n in counts.items() if sheet.is_not_done(code)),
            "classes": classes.get(str(item.no), {}),
        })
    return rows


def check_table(db, campaign, checklist, *, section_id=None, employment=None):
    """Per on-site check: result counts, how many claimed "done", and how many of those failed."""
    results = tally(db, campaign["id"], "result", section_id=section_id, employment=employment)
    classes = tally(db, campaign["id"], "check_x", section_id=section_id, employment=employment)
    rows = []
    for check in checklist.checks:
        counts = results.get(check.code, {})
        x = classes.get(check.code, {})
        rows.append({
            "check": check,
            "counts": [(option, counts.get(option.code, 0)) for option in checklist.results],
            "total": sum(counts.values()),
            "claims_done": x.get(CLAIMS_DONE, 0),
            "over_reported": x.get(crosscheck.OVER, 0),
            "classes": x,
        })
    return rows


def groups(db, campaign, *, by, section_id=None, employment=None, pop=None):
    """Per section or per employment type: people, answers, ③ count, visits, cross-check and follow-ups."""
    cid = campaign["id"]
    kwargs = {"section_id": section_id, "employment": employment, "by": by}
    people = staff_in_scope(db, **kwargs, pop=pop if pop is not None else population(db, cid))
    responses = tally(db, cid, "response", **kwargs)
    visits_done = tally(db, cid, "visit", **kwargs)
    followup_counts = _followups_by(db, cid, by, section_id=section_id, employment=employment)
    keys = set(people) | set(responses) | set(visits_done)
    rows = []
    for key in keys:
        answered = responses.get(key, {}).get("", {})
        visited = visits_done.get(key, {}).get("", {})
        rows.append({
            "key": key,
            "people": people.get(key, 0),
            "answered": answered.get("answered", 0),
            "absent": answered.get("absent", 0),
            "not_done_people": answered.get("not_done", 0),
            "answers": answered.get("answers", 0),
            "not_done": answered.get("not_done_answers", 0),
            "visits": visited.get("locked", 0),
            "observed": visited.get("observed", 0),
            "claims_done": visited.get(CLAIMS_DONE, 0),
            "over_reported": visited.get(crosscheck.OVER, 0),
            "findings": followup_counts.get(key, (0, 0))[0],
            "open_followups": followup_counts.get(key, (0, 0))[1],
        })
    return rows


def _followups_by(db, campaign_id, by, *, section_id=None, employment=None):
    """{section or employment: (findings, still open)} from the campaign's follow-ups."""
    where, params = ["f.campaign_id = ?", "f.state <> 'withdrawn'"], [campaign_id]
    if section_id:
        where.append("f.section_id = ?")
        params.append(section_id)
    # The employment type the visit signed (kept on the follow-up), like every other count of the visit.
    if employment:
        where.append("f.employment = ?")
        params.append(employment)
    column = "f.section_id" if by == "section_id" else "f.employment"
    return {key: (total, still_open) for key, total, still_open in db.execute(
        f"SELECT {column}, count(*), sum(f.state IN ('open', 'reported')) FROM followups f"
        f" WHERE {' AND '.join(where)} AND f.{followups.AUDIT_FINDING} GROUP BY 1", params)}


def not_done_answers(sheet):
    """Answer codes that say the rule is not followed (③, C, D)."""
    return sheet.not_done_codes


def summary(db, campaign, *, section_id=None, employment=None, pop=None):
    """The headline figures of a campaign."""
    cid = campaign["id"]
    filters = {"section_id": section_id, "employment": employment}
    visited = tally(db, cid, "visit", **filters).get("", {})
    responses = tally(db, cid, "response", **filters).get("", {})
    visited_sections = db.execute(
        "SELECT count(*) FROM tallies WHERE campaign_id = ? AND measure = 'visit' AND value = 'locked'"
        " AND section_id <> ? AND employment = ?", [cid, ALL_SECTIONS, ALL_EMPLOYMENT]).fetchone()[0]
    return {
        "staff_in_scope": staff_in_scope(db, **filters, pop=pop if pop is not None else population(db, cid)),
        "answered": responses.get("answered", 0),
        "absent": responses.get("absent", 0),
        "visits": visited.get("locked", 0),
        "sections_visited": visited_sections,
        "sections_total": db.execute("SELECT count(*) FROM sections").fetchone()[0],
        "claims_done": visited.get(CLAIMS_DONE, 0),
        "over_reported": visited.get(crosscheck.OVER, 0),
    }


def visit_progress(db, campaign_id):
    """Per section: visits locked and visits still open (started but not signed)."""
    return list(db.query(
        "SELECT sec.id, sec.code, sec.name, sum(v.status = 'locked' AND NOT EXISTS"
        " (SELECT 1 FROM visits n WHERE n.supersedes_id = v.id)) AS locked, sum(v.status = 'open') AS open"
        " FROM visits v JOIN sections sec ON sec.id = v.section_id WHERE v.campaign_id = ?"
        " GROUP BY sec.id ORDER BY sec.code", [campaign_id]))


def dashboard(db, campaign, *, section_id=None, employment=None, by_section=True):
    """Everything the campaign dashboard shows, for the whole city or one section / employment type
    (by_section=False leaves out the per-section split, which a large city's page draws on demand)."""
    filters = {"section_id": section_id, "employment": employment}
    order = list(roster.EMPLOYMENT)
    pop = population(db, campaign["id"])  # read once for the summary and both splits
    return {
        "summary": summary(db, campaign, **filters, pop=pop),
        "items": item_table(db, campaign, **filters),
        "checks": check_table(db, campaign, pinned_onsite(db, campaign), **filters),
        "by_employment": sorted(groups(db, campaign, by="employment", **filters, pop=pop),
                                key=lambda g: order.index(g["key"])),
        "by_section": groups(db, campaign, by="section_id", **filters, pop=pop) if by_section else [],
        "sections": {s["id"]: s["name"] for s in roster.section_choices(db)},
        "progress": visit_progress(db, campaign["id"]),
        "followup_counts": followups.counts(db, campaign_id=campaign["id"], section_id=section_id, audit_only=True),
    }
