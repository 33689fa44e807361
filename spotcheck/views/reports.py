"""The campaign dashboard, the council report and the exports: aggregates only, names only where allowed."""
from flask import Blueprint, abort, current_app, make_response, render_template, request
from flask_login import current_user

from .. import (aggregates, audit, campaigns, carryover, charts, council, crosscheck, exports, figures, followups, report,
               roster, comprehension_status, trends)
from ..campaigns import pinned_onsite
from ..db import get_db
from ..security import roles

bp = Blueprint("reports", __name__)
DASHBOARD_READERS = ("admin", "auditor", "viewer")
ANSWER_COLOURS = {"done": "#1e7a3c", "partly": "#d99a00", "not_done": "#b3261e", "unknown_rule": "#7a1f1a",
                  "na": "#9aa5b1", "blank": "#d5dbe3"}
# Beyond this many sections the section table is drawn only when asked for: at 300 it was half the page's time.
SECTIONS_INLINE = 40
RESULT_COLOURS = {"ok": "#1e7a3c", "observation": "#4d7f9e", "nonconformity": "#d99a00", "major": "#b3261e",
                  "na": "#9aa5b1", "unverifiable": "#d5dbe3"}


def _campaign():
    db = get_db()
    chosen = request.args.get("campaign", type=int)
    listed = campaigns.list_campaigns(db)
    campaign = campaigns.get_campaign(db, campaign_id=chosen) if chosen else (listed[0] if listed else None)
    return campaign, listed


def _public():
    """Viewers see only what may leave the audit team: small cells hidden."""
    return current_user.role == "viewer"


@bp.route("/dashboard")
@roles(*DASHBOARD_READERS)
def dashboard():
    """Self-report against reality, per item, check, section and employment type, with charts."""
    db = get_db()
    campaign, listed = _campaign()
    if campaign is None:
        return render_template("reports/dashboard.html", campaign=None, campaigns=listed)
    if _public():
        return _published(db, campaign, listed)
    filters = {"section_id": request.args.get("section", type=int),
               "employment": request.args.get("employment") or None}
    section_choices = roster.section_choices(db)
    show_sections = _show_sections(len(section_choices)) or bool(filters["section_id"])
    data, public = aggregates.dashboard(db, campaign, **filters, by_section=show_sections), False
    sheet, checklist = campaigns.pinned_selfcheck(db, campaign), pinned_onsite(db, campaign)
    return render_template(
        "reports/dashboard.html", campaign=campaign, campaigns=listed, public=public, **data,
        item_chart=charts.stacked_bars_svg(
            [(f"No.{r['item'].no} {r['item'].topic}", {o.code: n for o, n in r["counts"]}) for r in data["items"]],
            [(a.code, a.label, ANSWER_COLOURS[a.reported]) for a in sheet.answers],
            title="セルフチェックの回答", public=public),
        check_chart=charts.stacked_bars_svg(
            [(r["check"].title, {o.code: n for o, n in r["counts"]}) for r in data["checks"]],
            [(r.code, r.label, RESULT_COLOURS[r.code]) for r in checklist.results],
            title="実地監査の結果", public=public),
        section_choices=section_choices, classes=crosscheck.LABELS, export_labels=EXPORT_LABELS,
        cell=lambda n: f"{n:,}", rate=_rate, show_sections=show_sections,
        # Earlier campaigns' follow-ups still open, and every campaign's key figures side by side.
        carried=carryover.counts(db, campaign["id"], section_id=filters["section_id"]),
        carried_by_section=carryover.by_section(db, campaign["id"]),
        trend=trends.city(db, **filters), scale_text=trends.scale_text,
        test_counts=comprehension_status.counts_by_test(db),
    )


def _show_sections(count):
    """Draw the section table now: a small city's always, a large one's when asked for."""
    return count <= SECTIONS_INLINE or request.args.get("sections") == "all"


def _published(db, campaign, listed):
    """What viewers see: the council report's own figures, cell for cell, and no slices of them.

    Filtering by section or employment type would print tables the report never protects (and
    whose differences give back what it hides), so viewers get the whole-city tables only.
    """
    data, fig = _figures(db, campaign)
    answer_fills = {a.label: ANSWER_COLOURS[a.reported] for a in campaigns.pinned_selfcheck(db, campaign).answers}
    result_fills = {r.label: RESULT_COLOURS[r.code] for r in pinned_onsite(db, campaign).results}
    return render_template(
        "reports/published.html", campaign=campaign, campaigns=listed, data=data, fig=fig,
        export_labels=EXPORT_LABELS, selection=report.selection_text(data),
        show_sections=_show_sections(len(fig.sections.rows)),
        item_chart=charts.stacked_bars_svg(
            [(f"No.{i.no} {i.topic}", i.counts) for i in data.items],
            [(label, label, answer_fills.get(label, "#9aa5b1")) for label in fig.items.labels],
            title="セルフチェックの回答", public=True, texts=fig.items.texts),
        check_chart=charts.stacked_bars_svg(
            [(c.title, c.counts) for c in data.checks],
            [(label, label, result_fills.get(label, "#9aa5b1")) for label in fig.checks.labels],
            title="実地監査の結果", public=True, texts=[row[:-1] for row in fig.checks.texts]),
    )


def _rate(part, whole):
    """An exact percentage, for the audit team."""
    return "—" if not whole else f"{100 * part / whole:.1f}%"


@bp.route("/reports/council.pdf")
@roles(*DASHBOARD_READERS)
def council_report():
    """The report for the council (審議会), or with ?edition=public its 公表版: aggregates only, small cells hidden."""
    campaign, _listed = _campaign()
    if campaign is None:
        abort(404)
    public = request.args.get("edition") == "public"
    data = council.report_data(get_db(), campaign, public=public, min_group=current_app.config["PUBLIC_MIN_GROUP"])
    response = make_response(report.build_report(data, current_app.extensions["fonts"]))
    _log_export(campaign, "public" if public else "council", "pdf")
    response.headers["Content-Type"] = "application/pdf"
    name = f"{'public' if public else 'council'}-{campaign['code']}.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


EXPORT_LABELS = {"items": "項目別", "checks": "確認項目別", "sections": "所属別"}
# Who may download which table: names and staff numbers never reach viewers.
EXPORTS = {
    "items": DASHBOARD_READERS,
    "checks": DASHBOARD_READERS,
    "sections": DASHBOARD_READERS,
    "findings": ("admin", "auditor"),
    "followups": ("admin", "auditor"),
}


@bp.route("/exports/<name>.<any(csv, xlsx):fmt>")
@roles(*DASHBOARD_READERS)
def export(name, fmt):
    """A table as CSV (UTF-8 with BOM) or XLSX; viewers get aggregates only, with small cells hidden."""
    if name not in EXPORTS or current_user.role not in EXPORTS[name]:
        abort(404)
    db = get_db()
    campaign, _listed = _campaign()
    if campaign is None:
        abort(404)
    title, header, rows = TABLES[name](db, campaign, _public())
    if fmt == "csv":
        data, mimetype = exports.csv_bytes(header, rows), "text/csv; charset=utf-8"
    else:
        data = exports.xlsx_bytes(header, rows, title)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    _log_export(campaign, name, fmt)
    response = make_response(data)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{campaign["code"]}-{name}.{fmt}"'
    return response


def _log_export(campaign, table, fmt):
    """Which table of which campaign left the app, by whom, in which format."""
    audit.record(get_db(), user_id=current_user.id, action="export", entity="report", entity_id=campaign["id"],
                 after={"table": table, "format": fmt, "campaign": campaign["code"]})


def _items_table(db, campaign, public):
    if public:
        data, fig = _figures(db, campaign)
        header = ["No.", "項目", *fig.items.labels, "対象者", "できていない割合"]
        rows = [[item.no, item.topic, *texts, total, rate.text]
                for item, texts, total, rate in zip(data.items, fig.items.texts, fig.items.totals, fig.items.rates)]
        return "セルフチェック集計", header, rows
    sheet = campaigns.pinned_selfcheck(db, campaign)
    header = ["No.", "項目", *(a.label for a in sheet.answers), "回答数", "過大申告",
              crosscheck.LABELS[crosscheck.OUT_OF_SCOPE_VIOLATION]]
    rows = []
    for r in aggregates.item_table(db, campaign):
        counts = {o.code: n for o, n in r["counts"]}
        rows.append([r["item"].no, r["item"].topic, *(counts.get(a.code, 0) for a in sheet.answers),
                     r["total"], r["classes"].get(crosscheck.OVER, 0),
                     r["classes"].get(crosscheck.OUT_OF_SCOPE_VIOLATION, 0)])
    return "セルフチェック集計", header, rows


def _checks_table(db, campaign, public):
    if public:
        data, fig = _figures(db, campaign)
        header = ["確認項目", *fig.checks.labels, "計", "自己申告「できている」", "うち過大申告", "過大申告率"]
        rows = [[c.title, *texts, claims, over, rate.text] for c, texts, claims, over, rate
                in zip(data.checks, fig.checks.texts, fig.gap.claims, fig.gap.over, fig.gap.rates)]
        return "実地監査集計", header, rows + [["合計", *fig.checks.sums, "", "", ""]]
    checklist = pinned_onsite(db, campaign)
    header = ["確認項目", *(r.label for r in checklist.results), "自己申告「できている」", "うち過大申告"]
    rows = [[r["check"].title, *(n for _, n in r["counts"]), r["claims_done"], r["over_reported"]]
            for r in aggregates.check_table(db, campaign, checklist)]
    return "実地監査集計", header, rows


def _sections_table(db, campaign, public):
    header = ["所属", "対象者", "回答者", "不在（病休等）", "監査数", "過大申告", "指摘", "未完了"]
    if public:
        t = _figures(db, campaign)[1].sections
        rows = [[g.label, t.people[i], t.answered[i], t.absent[i], t.visits[i], t.over[i], t.findings[i], t.open[i]]
                for i, g in enumerate(t.rows)]
        return "所属別集計", header, rows
    sections = {s["id"]: (s["code"], s["name"]) for s in roster.section_choices(db)}
    header = ["所属コード", "所属名", "対象者", "回答者", "不在（病休等）", "監査数", "自己申告「できている」", "うち過大申告",
              "指摘", "未完了"]
    rows = [[*sections.get(r["key"], ("", "")), r["people"], r["answered"], r["absent"], r["visits"],
             r["claims_done"], r["over_reported"], r["findings"], r["open_followups"]]
            for r in sorted(aggregates.groups(db, campaign, by="section_id"), key=lambda r: sections.get(r["key"], ("",)))]
    return "所属別集計", header, rows


def _figures(db, campaign):
    """The council report's data and its published figures: what viewers may download."""
    data = council.report_data(db, campaign)
    return data, figures.publish(data)


def _findings_table(db, campaign, public):
    header = ["所属", "職員番号", "氏名", "確認項目", "区分", "指摘事項", "状態", "回答期限", "改善報告"]
    severity = followups.severity_labels(db)
    rows = [[f["section_name"], f["staff_no"], f["person_name"], f["check_title"], severity(f),
             f["finding"], followups.STATES[f["state"]], exports.Moment(f["due_on"]), f["report"]]
            for f in followups.listing(db, campaign_id=campaign["id"])]
    return "指摘事項", header, rows


def _followups_table(db, campaign, public):
    """The campaign's follow-ups and, marked 継続, earlier campaigns' still open (as the follow-up list shows them)."""
    header = ["所属", "職員番号", "氏名", "確認項目", "区分", "状態", "回答期限", "期限超過", "改善報告", "報告日時",
              "再確認の記録", "再確認日時", "年度", "前年度からの継続"]
    severity = followups.severity_labels(db)
    rows = [[f["section_name"], f["staff_no"], f["person_name"], f["check_title"], severity(f),
             followups.STATES[f["state"]], exports.Moment(f["due_on"]), "超過" if f["overdue"] else "", f["report"],
             exports.Moment(f["reported_at"]), f["confirmation"], exports.Moment(f["confirmed_at"]), f["year"],
             "継続" if f["carried"] else ""]
            for f in carryover.with_carried(followups.listing(db), db, campaign["id"])]
    return "フォローアップ", header, rows


TABLES = {"items": _items_table, "checks": _checks_table, "sections": _sections_table,
          "findings": _findings_table, "followups": _followups_table}
