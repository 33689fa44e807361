"""The published figures of a campaign: every table of the council report after protection.

The PDF and the viewers' dashboard print these same texts, so a figure hidden in one is never
shown in the other. Rules (from spotcheck.disclosure): a count of 1–4 people in a group smaller
than the whole city reads "<5"; complements read "X" so that no hidden count can be worked back
from a printed total; a rate is printed only when its count, its base and its group of people may
all be shown, else "—". 任用区分 of fewer than five are pooled with the next smallest.
"""
import hashlib
from dataclasses import dataclass
from datetime import date

from spotcheck import disclosure
from spotcheck.disclosure import is_hidden, protect_table


# ---------------------------------------------------------------- input


@dataclass(frozen=True)
class ItemStat:
    """One self-check item. counts: answer label → people, in display order (total = their sum);
    not_done: people who answered that it is not done (③ / C / D); previous_not_done_rate: the
    previous campaign's not-done rate in percent, as disclosure.rate gives it (None when unknown)."""

    no: int
    topic: str
    group_label: str
    counts: dict
    total: int
    not_done: int
    previous_not_done_rate: float | None


@dataclass(frozen=True)
class CheckStat:
    """One on-site check. counts: result label (適合 / 観察事項 / 不適合 / 重大 / 該当なし / 確認不可)
    → observations; claims_done: observations where the person had self-reported "done";
    over_reported: those of them observed 不適合 or 重大; previous_over_rate in percent."""

    title: str
    counts: dict
    total: int
    claims_done: int
    over_reported: int
    previous_over_rate: float | None


@dataclass(frozen=True)
class GroupStat:
    """One 任用区分 or one section. people: staff in scope; answered: who sent the self-check;
    not_done: who answered "not done" to at least one item; visits: people checked on site;
    observed: observations; over_reported, findings, open_followups: counts of those.
    claims_done (observations self-reported "done") makes the over-reporting rate the same as the
    overall one; without it the rate is over observations and says so."""

    label: str
    people: int
    answered: int
    not_done: int
    visits: int
    observed: int
    over_reported: int
    findings: int
    open_followups: int
    claims_done: int | None = None
    previous_over_rate: float | None = None
    absent: int = 0  # people marked on leave (病休等) in the self-check: neither answered nor 未回答


@dataclass(frozen=True)
class FollowupStat:
    """Findings by follow-up state; overdue counts open findings past their due date; carried: earlier
    campaigns' findings still open (carryover.CarriedCounts), reported beside this year's, never added to them."""

    open: int
    reported: int
    closed: int
    withdrawn: int
    overdue: int
    carried: object = None


@dataclass(frozen=True)
class ReportData:
    """Everything printed in the council report: aggregates only, never a person."""

    title: str
    campaign_title: str
    fiscal_year: int
    previous_campaign_title: str | None
    issued_on: date
    staff_in_scope: int
    answered: int
    visits: int
    sections_visited: int
    sections_total: int
    findings: int
    major_findings: int
    claims_done: int
    over_reported: int
    items: tuple
    checks: tuple
    by_employment: tuple
    by_section: tuple
    followups: FollowupStat
    notes: tuple
    previous_over_rate: float | None = None  # the previous campaign's overall over-reporting rate (%)
    issuer: str = ""  # e.g. 総務課, printed under the date
    drawn_visits: int | None = None  # visits whose person was chosen by a recorded draw
    chain_head: str = ""  # the hash chain's newest entry when the report was made, e.g. 第40号 3fa…
    summary_text: str = ""  # the audit lead's 総評
    next_steps: str = ""  # 今後の取組
    public: bool = False  # the 公表版 for the assembly and the city's website
    # What the counts' labels mean, read from the campaign's pinned forms (never from the wording):
    not_done_labels: tuple = ()  # answers that say "not done" (③ / C / D)
    finding_labels: tuple = ()  # results that are findings (不適合 / 重大)
    result_order: tuple = ()  # every result label in the checklist's order (適合 … 確認不可)
    label_codes: tuple = ()  # (label, code) of every answer and result: the report's colours go by code
    major_label: str = ""  # the label of the result code "major" (重大), counted in major_findings
    devices: object = None  # device_figures.DeviceCounts: unmanaged devices by section, status and kind
    subjects: object = None  # subject_figures.SubjectResults: how the section and contract audits fared
    interview: object = None  # interview_figures.InterviewFigures: the on-site knowledge questions, item by item
    plan_planned: int = 0  # the year's 実施計画: visits planned in total (0: no plan)
    plan_counted: int = 0  # planned visits made (per group and kind at most the planned number)
    out_of_scope_violations: int = 0  # answered 「該当しない」 yet a finding on site (申告対象外だが違反あり)
    absent: int = 0  # people on leave (病休等) who did not answer, counted apart from 未回答




# ---------------------------------------------------------------- output


@dataclass(frozen=True)
class Rate:
    """A printed percentage and, when it is exact, its value (for 前回比)."""

    text: str
    exact: float | None


def rate(part, part_text, whole, whole_text, people=None):
    """A percentage only when the count, the base and the group of people may all be shown.

    No bound such as "<3.0%": it would print a hidden count's range, and rates over a group of one
    person (0.0%) single that person out however many answers they gave.
    """
    if is_hidden(part_text) or is_hidden(whole_text) or not whole:
        return Rate("—", None)
    if people is not None and people < disclosure.MIN_CELL:
        return Rate("—", None)
    value = 100.0 * part / whole
    return Rate(f"{value:.1f}%", value)


@dataclass(frozen=True)
class GroupTable:
    """Groups (任用区分 or sections) after protection: the rows and their texts, column by column."""

    rows: tuple
    people: tuple
    answered: tuple
    not_done: tuple
    visits: tuple
    observed: tuple
    claims: tuple
    over: tuple
    findings: tuple
    open: tuple
    absent: tuple = ()  # people on leave (病休等), protected like every other column
    merged: tuple = ()  # labels of the groups shown together because one had fewer than five people

    @property
    def by_claims(self):
        """True when the over-reporting rate is over 「できている」 claims (else over observations)."""
        return all(g.claims_done is not None for g in self.rows)

    def answered_rate(self, i):
        g = self.rows[i]
        return rate(g.answered, self.answered[i], g.people, self.people[i], g.people)

    def not_done_rate(self, i):
        g = self.rows[i]
        return rate(g.not_done, self.not_done[i], g.answered, self.answered[i], g.people)

    def over_rate(self, i):
        g = self.rows[i]
        if self.by_claims:
            return rate(g.over_reported, self.over[i], g.claims_done, self.claims[i], g.people)
        return rate(g.over_reported, self.over[i], g.observed, self.observed[i], g.people)


@dataclass(frozen=True)
class ItemsTable:
    """表1: per item, the people per answer label (texts), the people in scope and the not-done rate."""

    labels: tuple
    texts: tuple
    totals: tuple
    rates: tuple


@dataclass(frozen=True)
class ChecksTable:
    """表2: per check, the observations per result label and their total (texts); the column sums."""

    labels: tuple
    texts: tuple
    sums: tuple


@dataclass(frozen=True)
class GapTable:
    """Per check: 「できている」 claims, over-reported among them, and the rate (texts)."""

    claims: tuple
    over: tuple
    rates: tuple


@dataclass(frozen=True)
class Figures:
    """Every table of the report as it may be printed."""

    gap: GapTable
    items: ItemsTable
    checks: ChecksTable
    employment: GroupTable
    sections: GroupTable


def publish(data: ReportData) -> Figures:
    """Protect every table of a report's data; the PDF and the viewers' dashboard print the result."""
    # Keyed by the data itself, so a cached result can never be stale: viewers reloading the dashboard
    # between two imports or locks get the same figures without solving the networks again.
    key = hashlib.sha256(repr(data).encode()).hexdigest()
    if key not in _published:
        if len(_published) >= 16:
            _published.pop(next(iter(_published)))
        _published[key] = _publish(data)
    return _published[key]


_published = {}


def _publish(data):
    checks = _checks(data.checks, data.result_order, data.finding_labels)
    return Figures(
        gap=_gap(data.checks, checks, data.finding_labels), items=_items(data.items, data.not_done_labels),
        checks=checks,
        employment=_protect_groups(data.by_employment, merge=True), sections=_protect_groups(data.by_section),
    )


def _gap(checks, results, finding_labels):
    """Per check, claims and over-reported; the column totals are the headline figures on the cover.

    Over-reported cases are finding results (不適合 or 重大), so a check's over count is at least those two
    cells of 表2 together. When 表2 hides them only as "<5" and the over count reaches four for each,
    printing it would say they are all 4: then it is hidden too (and protected like a small group's).
    """
    failed = [i for i, label in enumerate(results.labels) if label in finding_labels]
    force = []
    for r, (check, texts) in enumerate(zip(checks, results.texts)):
        hidden = [texts[i] for i in failed if is_hidden(texts[i])]
        shown = sum(check.counts.get(results.labels[i], 0) for i in failed if not is_hidden(texts[i]))
        largest = shown + (disclosure.MIN_CELL - 1) * len(hidden)  # every hidden "<5" at its most
        if hidden and all(t == disclosure.SMALL for t in hidden) and check.over_reported >= largest:
            force.append((r, 1))
    texts = protect_table([[c.claims_done, c.over_reported] for c in checks], rows=False, columns=True, force=force)
    rates = tuple(rate(c.over_reported, over, c.claims_done, claims) for c, (claims, over) in zip(checks, texts))
    return GapTable(tuple(t[0] for t in texts), tuple(t[1] for t in texts), rates)


def answer_labels(items):
    """The answer labels in display order, without those nobody chose (e.g. the finer scale's when
    the campaign used ①②③): the table keeps one column per answer actually given."""
    labels = []
    for item in items:
        for label in item.counts:
            if label not in labels:
                labels.append(label)
    used = [label for label in labels if any(item.counts.get(label, 0) for item in items)]
    return used or labels


def _items(items, not_done_labels):
    labels = answer_labels(items)
    keep = [i for i, label in enumerate(labels) if label in not_done_labels]
    force = [(r, c) for r, item in enumerate(items) if 0 < item.total < disclosure.MIN_CELL for c in range(len(labels))]
    texts = protect_table([[item.counts.get(label, 0) for label in labels] for item in items], force=force, keep=keep)
    totals = tuple(disclosure.cell(item.total) for item in items)
    rates = []
    for item, row, total in zip(items, texts, totals):
        not_done = [row[i] for i in keep]
        hidden = any(is_hidden(t) for t in not_done)
        rates.append(rate(item.not_done, disclosure.SECRET if hidden else str(item.not_done), item.total, total))
    return ItemsTable(tuple(labels), tuple(tuple(row) for row in texts), totals, tuple(rates))


def result_labels(checks, order):
    """Result labels in the checklist's `order` (適合 … 確認不可), then any others."""
    labels = []
    for check in checks:
        for label in check.counts:
            if label not in labels:
                labels.append(label)
    ordered = [label for label in order if label in labels]
    return ordered + [label for label in labels if label not in ordered]


def _checks(checks, order, finding_labels):
    labels = result_labels(checks, order)
    values = [[c.counts.get(label, 0) for label in labels] + [c.total] for c in checks]
    force = [(r, c) for r, check in enumerate(checks) if 0 < check.total < disclosure.MIN_CELL for c in range(len(labels))]
    keep = [i for i, label in enumerate(labels) if label in finding_labels]
    texts = protect_table(values, rows=True, columns=True, row_parts=len(labels), force=force, keep=keep)
    # The column sums are counts of results city-wide: they single out nobody.
    sums = [sum(c.counts.get(label, 0) for c in checks) for label in labels] + [sum(c.total for c in checks)]
    return ChecksTable(tuple(labels), tuple(tuple(row) for row in texts), tuple(f"{n:,}" for n in sums))


def merge_small(groups):
    """Groups of 1–4 people pooled into one row, with the smallest other group while still under five.

    For a handful of 任用区分 this keeps the large groups whole: hiding a group of three within the
    published totals would otherwise need the figures of another large group hidden too.
    """
    small = [g for g in groups if 0 < g.people < disclosure.MIN_CELL]
    if not small:
        return tuple(groups), ()
    others = sorted((g for g in groups if g not in small), key=lambda g: g.people)
    pool = list(small)
    while sum(g.people for g in pool) < disclosure.MIN_CELL and others:
        pool.append(others.pop(0))
    pool.sort(key=groups.index)

    def total(name):
        return sum(getattr(g, name) for g in pool)

    merged = GroupStat(
        label="・".join(g.label for g in pool),
        **{name: total(name) for name in ("people", "answered", "not_done", "visits", "observed", "over_reported", "findings", "open_followups", "absent")},
        claims_done=None if any(g.claims_done is None for g in pool) else total("claims_done"),
        previous_over_rate=None,
    )
    rows, placed = [], False
    for g in groups:
        if g in pool:
            if not placed:
                rows.append(merged)
                placed = True
        else:
            rows.append(g)
    return tuple(rows), tuple(g.label for g in pool)


def _protect_groups(groups, merge=False):
    """Protect a group table column by column (the column totals are published on the cover).

    Groups of 1–4 people show their size as "<5" and no breakdown ("X"), and each column hides as
    many further counts as it takes for the totals not to give those back. With merge=True such
    groups are pooled with others first (see merge_small).
    """
    groups, merged = merge_small(groups) if merge else (tuple(groups), ())
    values = [
        [g.people, g.answered, g.not_done, g.visits, g.observed, g.claims_done or 0, g.over_reported, g.findings, g.open_followups,
         g.absent]
        for g in groups
    ]
    force = [(r, c) for r, g in enumerate(groups) if 0 < g.people < disclosure.MIN_CELL for c in range(1, 10)]
    texts = protect_table(values, rows=False, columns=True, force=force)
    columns = [tuple(col) for col in zip(*texts)] if texts else [() for _ in range(10)]
    return GroupTable(groups, *columns, merged=merged)
