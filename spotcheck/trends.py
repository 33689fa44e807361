"""Key figures of every campaign side by side (the city, a section or one person), with the answer-scale changes."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _

from . import aggregates, carryover, crosscheck, followups
from .campaigns import get_campaign, pinned_selfcheck

# The answer scales of forms/selfcheck.toml (`scale`), as the trend tables name them.
SCALE_LABELS = {"three": _("①②③の3段階"), "fine": _("A〜Dの細分化")}
# Follow-ups that count as findings: a withdrawn one was a mistake corrected, not a finding.
FINDING_STATES = ("open", "reported", "closed")


@dataclass(frozen=True)
class YearFigures:
    """One campaign's key figures: who answered, how many "not done" answers, what the visits found, what was closed."""

    campaign_id: int
    code: str
    label: str  # 令和6年度
    title: str
    scales: tuple[str, ...]  # the answer scales its answers used ("three", "fine"), sorted
    scale_changed: bool  # its scale differs from the campaign before it that had answers
    previous_scales: tuple[str, ...]  # the scales of that earlier campaign (() when there is none)
    in_scope: int  # people who were to answer (a person's trend: 1 when they answered)
    answered: int
    answers: int  # answers in scope
    not_done: int  # of those, ③ / C / D (and "did not know the rule")
    visits: int
    findings: int
    claims_done: int  # on-site checks where the self-report said "done"
    over_reported: int  # of those, found 不適合 or 重大 (乖離)
    closed: int  # findings closed (改善完了)
    still_open: int  # findings still open or awaiting the re-check


@dataclass(frozen=True)
class Trend:
    """Every campaign's figures, oldest first (each says whether its answer scale changed)."""

    years: tuple[YearFigures, ...]


def _scales_of(sheet, codes):
    """The scales (never "special": 対象外, 未回答) of the answer codes a campaign's answers used."""
    scale = {option.code: option.scale for option in sheet.answers}
    return tuple(sorted({scale[code] for code in codes if code in scale} - {"special"}))


def _with_scale_changes(rows):
    """Mark each campaign whose scale differs from the last earlier campaign that had answers."""
    years, before = [], ()
    for row in rows:
        changed = bool(before and row["scales"] and row["scales"] != before)
        years.append(YearFigures(**row, scale_changed=changed, previous_scales=before))
        before = row["scales"] or before
    return Trend(tuple(years))


def scale_text(scales):
    """「①②③の3段階」, 「A〜Dの細分化」 or both, for a campaign's scales; "—" when it has no answers."""
    return "・".join(str(SCALE_LABELS.get(code, code)) for code in scales) or "—"


def _followup_figures(db, where, params):
    """(findings, closed, still open) among follow-ups matching `where`."""
    row = db.execute(
        "SELECT count(*), coalesce(sum(state = 'closed'), 0), coalesce(sum(state IN ('open', 'reported')), 0)"
        f" FROM followups WHERE state IN ('open', 'reported', 'closed') AND {followups.AUDIT_FINDING} AND {where}",
        params).fetchone()
    return tuple(row)


def city(db, *, section_id=None, employment=None):
    """The city's (or one section's or employment type's) figures in every campaign, from the running tallies."""
    rows = []
    for year in carryover.chronology(db):
        campaign = get_campaign(db, campaign_id=year.id)
        sheet = pinned_selfcheck(db, campaign)
        filters = {"section_id": section_id, "employment": employment}
        answered = aggregates.tally(db, year.id, "response", **filters).get("", {})
        visited = aggregates.tally(db, year.id, "visit", **filters).get("", {})
        used = {code for counts in aggregates.tally(db, year.id, "answer", **filters).values()
                for code, n in counts.items() if n}
        where, params = "campaign_id = ?", [year.id]
        for column, value in (("section_id", section_id), ("employment", employment)):
            if value:  # a follow-up keeps the employment type its visit signed, like the tallies
                where, params = f"{where} AND {column} = ?", params + [value]
        findings, closed, still_open = _followup_figures(db, where, params)
        rows.append({
            "campaign_id": year.id, "code": year.code, "label": year.label, "title": year.title,
            "scales": _scales_of(sheet, used),
            "in_scope": aggregates.staff_in_scope(db, **filters, pop=aggregates.population(db, year.id)),
            "answered": answered.get("answered", 0), "answers": answered.get("answers", 0),
            "not_done": answered.get("not_done_answers", 0), "visits": visited.get("locked", 0),
            "findings": findings, "claims_done": visited.get(aggregates.CLAIMS_DONE, 0),
            "over_reported": visited.get(crosscheck.OVER, 0), "closed": closed, "still_open": still_open,
        })
    return _with_scale_changes(rows)


def person(db, staff_id):
    """One person's figures in every campaign: their answers, visits, 乖離 and findings."""
    rows = []
    for year in carryover.chronology(db):
        campaign = get_campaign(db, campaign_id=year.id)
        sheet = pinned_selfcheck(db, campaign)
        answers = [code for (code,) in db.execute(
            "SELECT a.answer FROM selfcheck_responses r JOIN selfcheck_answers a ON a.response_id = r.id"
            " WHERE r.staff_id = ? AND r.campaign_id = ? AND a.out_of_scope = 0", [staff_id, year.id])]
        answered = db.execute("SELECT count(*) FROM selfcheck_responses WHERE staff_id = ? AND campaign_id = ?",
                              [staff_id, year.id]).fetchone()[0]
        visits = db.execute(
            "SELECT count(*) FROM visits v WHERE v.staff_id = ? AND v.campaign_id = ? AND v.status = 'locked'"
            " AND NOT EXISTS (SELECT 1 FROM visits n WHERE n.supersedes_id = v.id)", [staff_id, year.id]).fetchone()[0]
        claims, over = db.execute(
            "SELECT count(DISTINCT CASE WHEN reported = 'done' AND class IS NOT NULL THEN check_code END),"
            " count(DISTINCT CASE WHEN class = ? THEN check_code END)"
            " FROM observations WHERE staff_id = ? AND campaign_id = ? AND current = 1",
            [crosscheck.OVER, staff_id, year.id]).fetchone()
        findings, closed, still_open = _followup_figures(db, "campaign_id = ? AND staff_id = ?", [year.id, staff_id])
        if not (answered or visits or findings):
            continue  # a campaign that never concerned this person (e.g. before they joined)
        rows.append({
            "campaign_id": year.id, "code": year.code, "label": year.label, "title": year.title,
            "scales": _scales_of(sheet, set(answers)), "in_scope": answered, "answered": answered,
            "answers": len(answers),  # like the city's tallies: every answer in scope, blanks included
            "not_done": sum(sheet.is_not_done(code) for code in answers), "visits": visits, "findings": findings,
            "claims_done": claims, "over_reported": over, "closed": closed, "still_open": still_open,
        })
    return _with_scale_changes(rows)
