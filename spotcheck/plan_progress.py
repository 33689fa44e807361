"""実施計画の進捗: planned visits against the campaign's signed visits, by month, section group and kind (no Flask).

A visit is done when it is locked (signed) and no locked amendment replaced it; it counts in the month it
started and in the group its section belongs to. Sections in no group are shown apart (group None).
"""
from dataclasses import dataclass, field

from . import carryover, plans


@dataclass(frozen=True)
class Line:
    """Planned and done visits for one month, group or kind (key None: visits of sections in no group)."""

    key: int | str | None
    planned: int
    done: int

    @property
    def percent(self):
        """Done as a whole percentage of planned (may pass 100), or None when nothing was planned."""
        return self.done * 100 // self.planned if self.planned else None


@dataclass(frozen=True)
class Cell:
    """One (group, kind, month) of the plan table: planned, done, and the team assigned."""

    planned: int
    done: int
    team_id: int | None


@dataclass(frozen=True)
class Progress:
    """The year's plan against what was done."""

    months: tuple[Line, ...]
    groups: tuple[Line, ...]
    kinds: tuple[Line, ...]
    lines: tuple[tuple[int | None, str], ...]  # (group id, kind) pairs the table shows, in order
    planned: int
    done: int
    counted: int  # done visits that meet a planned one: per group and kind, at most the planned number
    cells: dict = field(default_factory=dict, compare=False)

    @property
    def completion(self):
        """The year's completion in whole percent (100 when every planned visit was made), None when nothing is planned."""
        return self.counted * 100 // self.planned if self.planned else None

    def cell(self, group_id, kind, month):
        """The table's cell for a group, kind and month (empty when neither planned nor done)."""
        return self.cells.get((group_id, kind, month), Cell(0, 0, None))


def carried_by_group(db, campaign_id, groups) -> dict:
    """{group id (None: sections in no group): earlier campaigns' findings still open}: where next visits should go."""
    carried = carryover.by_section(db, campaign_id)
    grouped = {section_id for group in groups for section_id in group.section_ids}
    counts = {group.id: sum(carried.get(section_id, 0) for section_id in group.section_ids) for group in groups}
    counts[None] = sum(n for section_id, n in carried.items() if section_id not in grouped)
    return counts


def done_visits(db, campaign_id):
    """{(group id or None, kind, month): count} of the campaign's current signed visits."""
    counts = {}
    for group_id, kind, month, count in db.execute(
            "SELECT m.group_id, v.subject_kind, CAST(substr(v.started_at, 6, 2) AS INTEGER), count(*)"
            " FROM visits v LEFT JOIN plan_group_sections m ON m.campaign_id = v.campaign_id"
            " AND m.section_id = v.section_id"
            " WHERE v.campaign_id = ? AND v.status = 'locked' AND NOT EXISTS"
            " (SELECT 1 FROM visits n WHERE n.supersedes_id = v.id AND n.status = 'locked')"
            " GROUP BY 1, 2, 3", [campaign_id]):
        counts[(group_id, kind, month)] = count
    return counts


def progress(db, campaign_id):
    """The campaign's plan and its progress, computed from the plan rows and the visits."""
    planned = {(r.group_id, r.subject_kind, r.month): r for r in plans.rows(db, campaign_id)}
    done = done_visits(db, campaign_id)
    keys = set(planned) | set(done)
    cells = {k: Cell(planned[k].planned if k in planned else 0, done.get(k, 0),
                     planned[k].team_id if k in planned else None) for k in keys}
    group_order = [g.id for g in plans.groups(db, campaign_id)] + [None]
    kind_order = list(plans.SUBJECT_KINDS)

    def total(match):
        chosen = [c for k, c in cells.items() if match(k)]
        return sum(c.planned for c in chosen), sum(c.done for c in chosen)

    months = tuple(Line(m, *total(lambda k, m=m: k[2] == m)) for m in plans.FISCAL_MONTHS)
    groups = tuple(line for line in (Line(g, *total(lambda k, g=g: k[0] == g)) for g in group_order)
                   if line.key is not None or line.done)
    kinds = tuple(Line(kind, *total(lambda k, kind=kind: k[1] == kind)) for kind in kind_order)
    pairs = {(k[0], k[1]) for k in keys}
    lines = tuple((g, kind) for g in group_order for kind in kind_order if (g, kind) in pairs)
    counted = sum(min(*total(lambda k, pair=pair: (k[0], k[1]) == pair)) for pair in pairs if pair[0] is not None)
    return Progress(months=months, groups=groups, kinds=kinds, lines=lines,
                    planned=sum(c.planned for c in cells.values()), done=sum(c.done for c in cells.values()),
                    counted=counted, cells=cells)
