"""The council report's data: campaign aggregates (never names), compared with the previous campaign."""
from . import (aggregates, carryover, crosscheck, device_figures, disclosure, followups, integrity, interview_figures,
               plan_progress, report, roster, subject_figures, visits)
from .campaigns import get_campaign, pinned_onsite, pinned_selfcheck, report_texts
from .figures import CheckStat, FollowupStat, GroupStat, ItemStat, ReportData
from .report import PUBLIC_SUFFIX
from .clock import now
from .wareki import format_fiscal_year

TITLE = "{year} 情報セキュリティ内部監査（抜き打ち実地監査）結果報告"
SCALE_NOTE = ("前回（{previous}）とはセルフチェックの回答の尺度（①②③の3段階とA〜の細分化）が異なるため、"
              "項目別の「できていない割合」は前回と比較していません。")


def previous_campaign(db, campaign):
    """The campaign just before this one by fiscal year (carryover.chronology), or None."""
    previous = carryover.previous_id(db, campaign["id"])
    return get_campaign(db, campaign_id=previous) if previous else None


def report_data(db, campaign, *, public=False, min_group=30):
    """Everything the council report (or, public=True, its 公表版) shows, as figures.ReportData.

    The 公表版 shows sections and employment types of fewer than `min_group` people only pooled together.
    """
    previous = previous_campaign(db, campaign)
    checklist = pinned_onsite(db, campaign)
    items = aggregates.item_table(db, campaign)
    checks = aggregates.check_table(db, campaign, checklist)
    prev_item_rows = aggregates.item_table(db, previous) if previous else []
    # Only like with like: 「できていない」 on ①②③ and on A〜D are not the same answer.
    scales_differ = bool(previous) and _scales(items) and _scales(prev_item_rows) and _scales(items) != _scales(prev_item_rows)
    prev_items = {} if scales_differ else {r["item"].no: r for r in prev_item_rows}
    prev_checks = {r["check"].code: r for r in aggregates.check_table(db, previous, pinned_onsite(db, previous))} \
        if previous else {}
    choices = roster.section_choices(db)
    sections, codes = {row["id"]: row["name"] for row in choices}, {row["id"]: row["code"] for row in choices}
    pop = aggregates.population(db, campaign["id"])  # read once for the summary and both splits
    groups = {by: aggregates.groups(db, campaign, by=by, pop=pop) for by in ("employment", "section_id")}
    summary = aggregates.summary(db, campaign, pop=pop)
    states = followups.counts(db, campaign_id=campaign["id"], audit_only=True)
    sheet = pinned_selfcheck(db, campaign)
    group_labels = {g.code: g.label for g in sheet.groups}
    texts = report_texts(db, campaign["id"])
    findings = db.execute(
        f"SELECT count(*), sum(severity = 'major') FROM followups WHERE campaign_id = ? AND state <> 'withdrawn'"
        f" AND {followups.AUDIT_FINDING}",
        [campaign["id"]]).fetchone()
    return ReportData(
        title=TITLE.format(year=format_fiscal_year(campaign["fiscal_year"] or now().year)) + (PUBLIC_SUFFIX if public else ""),
        campaign_title=campaign["title"], fiscal_year=campaign["fiscal_year"] or now().year,
        previous_campaign_title=previous["title"] if previous else None, issued_on=now().date(),
        staff_in_scope=summary["staff_in_scope"], answered=summary["answered"], absent=summary["absent"],
        visits=summary["visits"],
        sections_visited=summary["sections_visited"], sections_total=summary["sections_total"],
        findings=findings[0] or 0, major_findings=findings[1] or 0,
        claims_done=summary["claims_done"], over_reported=summary["over_reported"],
        items=tuple(
            ItemStat(r["item"].no, r["item"].topic, group_labels[r["item"].group],
                            {option.label: n for option, n in r["counts"]}, r["total"], r["not_done"],
                            _rate(prev_items.get(r["item"].no), "not_done", "total"))
            for r in items
        ),
        checks=tuple(
            CheckStat(r["check"].title, {option.label: n for option, n in r["counts"]}, r["total"],
                             r["claims_done"], r["over_reported"],
                             _rate(prev_checks.get(r["check"].code), "over_reported", "claims_done"))
            for r in checks
        ),
        by_employment=pooled(tuple(_group(row, roster.EMPLOYMENT.get(row["key"], row["key"]))
                                    for row in sorted(groups["employment"], key=lambda r: list(roster.EMPLOYMENT).index(r["key"]))),
                              min_group if public else 0, "その他の任用区分"),
        by_section=pooled(tuple(_group(row, sections.get(row["key"], "—"))
                                 for row in sorted(groups["section_id"], key=lambda r: codes.get(r["key"], ""))),  # 組織順
                           min_group if public else 0, "その他の所属"),
        followups=FollowupStat(states["open"], states["reported"], states["closed"], states["withdrawn"],
                                      states["overdue"], carried=carryover.counts(db, campaign["id"])),
        notes=(SCALE_NOTE.format(previous=previous["title"]),) if scales_differ else (),
        summary_text=texts["summary"], next_steps=texts["next_steps"], public=public,
        drawn_visits=visits.drawn_count(db, campaign["id"]),
        chain_head=f"第{head.number}号 {head.entry_hash}" if (head := integrity.head(db)) else "",
        **label_meanings(sheet, checklist),
        devices=device_figures.counts(db),
        subjects=subject_figures.results(db, campaign),
        interview=interview_figures.figures(db, campaign),
        **_plan_totals(db, campaign),
        out_of_scope_violations=sum(r["classes"].get(crosscheck.OUT_OF_SCOPE_VIOLATION, 0) for r in checks),
    )


def _plan_totals(db, campaign):
    progress = plan_progress.progress(db, campaign["id"])
    return {"plan_planned": progress.planned, "plan_counted": progress.counted}


def label_meanings(sheet, checklist):
    """What the report's labels mean, from the pinned forms: ReportData's not_done_labels … major_label."""
    return {
        "not_done_labels": tuple(a.label for a in sheet.answers if sheet.is_not_done(a.code)),
        "finding_labels": tuple(r.label for r in checklist.findings),
        "result_order": tuple(r.label for r in checklist.results),
        "label_codes": tuple((o.label, o.code) for o in (*sheet.answers, *checklist.results)),
        "major_label": checklist.label("major"),
    }


def pooled(groups, min_people, label):
    """Groups of fewer than `min_people` pooled into one row at the end (「その他の所属（12所属）」)."""
    small = [g for g in groups if g.people < min_people]
    if not small:
        return groups
    fields = ("people", "answered", "not_done", "visits", "observed", "over_reported", "findings", "open_followups",
              "absent")
    pooled = GroupStat(
        f"{label}（{len(small)}）", **{name: sum(getattr(g, name) for g in small) for name in fields},
        claims_done=None if any(g.claims_done is None for g in small) else sum(g.claims_done for g in small))
    return tuple(g for g in groups if g not in small) + (pooled,)


def _scales(item_rows):
    """The answer scales a campaign's answers actually used (①②③ "three", A〜 "fine")."""
    return {option.scale for row in item_rows for option, n in row["counts"] if n and option.scale != "special"}


def _group(row, label):
    return GroupStat(label, row["people"], row["answered"], row["not_done_people"], row["visits"],
                            row["observed"], row["over_reported"], row["findings"], row["open_followups"],
                            claims_done=row["claims_done"], absent=row["absent"])


def _rate(row, part, whole):
    """A previous campaign's rate, or None where there is none or it may not be published."""
    return disclosure.rate(row[part], row[whole]) if row else None
