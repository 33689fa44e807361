"""The audit year across campaigns: which campaign came first, and open follow-ups carried into the next one."""
from dataclasses import dataclass

from . import followups
from .clock import now
from .wareki import format_fiscal_year

STILL_OPEN = ("open", "reported")
# Campaigns in the order of their fiscal year: a past year's campaign entered late still comes before the
# current one. Without a fiscal year, the Japanese fiscal year of the day it was created (April to March).
FISCAL_YEAR_SQL = ("coalesce(fiscal_year, CAST(strftime('%Y', created_at) AS INTEGER)"
                   " - (CAST(strftime('%m', created_at) AS INTEGER) < 4))")
ORDER_SQL = f"{FISCAL_YEAR_SQL}, created_at, id"


@dataclass(frozen=True)
class CampaignYear:
    """One campaign's place in the sequence: id, code, title and the 年度 it is labelled with."""

    id: int
    code: str
    title: str
    fiscal_year: int
    label: str  # 令和6年度


@dataclass(frozen=True)
class CarriedCounts:
    """Follow-ups of earlier campaigns still open in this one: 指摘, 改善報告済み, and overdue among them."""

    open: int
    reported: int
    overdue: int

    @property
    def total(self) -> int:
        """All carried follow-ups (指摘 and 改善報告済み)."""
        return self.open + self.reported


def chronology(db):
    """Every campaign, oldest first, as CampaignYear."""
    return [CampaignYear(row[0], row[1], row[2], row[3], format_fiscal_year(row[3])) for row in db.execute(
        f"SELECT id, code, title, {FISCAL_YEAR_SQL} FROM campaigns ORDER BY {ORDER_SQL}")]


def earlier_ids(db, campaign_id):
    """Ids of the campaigns before this one, newest first."""
    ids = [year.id for year in chronology(db)]
    if campaign_id not in ids:
        return []
    return ids[:ids.index(campaign_id)][::-1]


def previous_id(db, campaign_id):
    """The campaign just before this one, or None."""
    earlier = earlier_ids(db, campaign_id)
    return earlier[0] if earlier else None


def year_labels(db):
    """{campaign id: its 年度 label} for the follow-up list's 年度 column."""
    return {year.id: year.label for year in chronology(db)}


def counts(db, campaign_id, *, section_id=None, today=None):
    """How many follow-ups of earlier campaigns are still open (or reported, awaiting the re-check)."""
    earlier = earlier_ids(db, campaign_id)
    if not earlier:
        return CarriedCounts(0, 0, 0)
    today = (today or now().date()).isoformat()
    marks = ", ".join("?" * len(earlier))
    where, params = [f"campaign_id IN ({marks})", "state IN ('open', 'reported')", followups.AUDIT_FINDING], list(earlier)
    if section_id:
        where.append("section_id = ?")
        params.append(section_id)
    row = db.execute(
        f"SELECT coalesce(sum(state = 'open'), 0), coalesce(sum(state = 'reported'), 0), coalesce(sum(due_on < ?), 0)"
        f" FROM followups WHERE {' AND '.join(where)}", [today, *params]).fetchone()
    return CarriedCounts(*row)


def by_section(db, campaign_id):
    """{section id: carried follow-ups still open} for the dashboard's section table."""
    earlier = earlier_ids(db, campaign_id)
    if not earlier:
        return {}
    return dict(db.execute(
        f"SELECT section_id, count(*) FROM followups WHERE campaign_id IN ({', '.join('?' * len(earlier))})"
        f" AND state IN ('open', 'reported') AND {followups.AUDIT_FINDING} GROUP BY section_id", earlier))


def with_carried(rows, db, campaign_id):
    """A follow-up listing (followups.listing over every campaign) cut to one campaign plus the earlier
    campaigns' follow-ups still open, each row given `carried` (継続) and `year` (its campaign's 年度)."""
    labels = year_labels(db)
    earlier = set(earlier_ids(db, campaign_id)) if campaign_id else set()
    kept = []
    for row in rows:
        carried = row["campaign_id"] in earlier and row["state"] in STILL_OPEN
        if campaign_id and row["campaign_id"] != campaign_id and not carried:
            continue
        kept.append(dict(row, carried=carried, year=labels.get(row["campaign_id"], "")))
    return kept
