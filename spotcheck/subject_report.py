"""The council report's 所属・委託契約 section: how the My Number sections and the contractors fared on site.

The council edition names each audited section and contract (they are not people); the 公表版 prints the totals and
the per-check table only, since a small section's own result points at the few who work there.
"""
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Spacer, Table

from .pdfpages import WIDTH
from .subject_figures import FLAG_LABELS, KindResults, SubjectResults
from .wareki import format_date

HEADING = "８　所属・委託契約の実地監査"
INTRO = ("職員の席での監査とは別に、所属（特定個人情報を扱う区域、鍵・台帳、事務取扱担当者の指定など）と、"
         "委託契約（契約書類、委託先の管理、再委託など）を、記録に残る抽選で抜き打ちに選んで実地で監査しました。")
KIND_TEXT = {
    "section": ("（１）所属", "所属",
                "全{population}所属のうち{audited}所属（特定個人情報を扱う{risky_population}所属のうち{risky}所属）を監査しました。"),
    "contract": ("（２）委託契約", "委託契約",
                 "契約中の{population}件のうち{audited}件（個人情報を取り扱う{risky_population}件のうち{risky}件）を監査しました。"),
}
FINDINGS = "指摘は{findings}件（うち{major_label}{major}件）で、{open}件の改善がまだ確認できていません。"
NO_FINDINGS = "指摘はありませんでした。"
PUBLIC_NOTE = "公表版では、所属名・契約名ごとの結果は掲載していません。"


def flowables(results: SubjectResults | None, kit, *, public, grid, head, heading):
    """The section's paragraphs and tables; `grid`, `head`, `heading` are the report's own table and heading styles."""
    if results is None or results.empty:
        return []
    story = [*heading(kit, HEADING, 50 * mm), kit.p(INTRO, "body")]
    for kind in (results.section, results.contract):
        if kind is not None:
            story += _kind(kind, kit, public=public, grid=grid, head=head)
    if public:
        story += [Spacer(1, 1 * mm), kit.p(PUBLIC_NOTE, "note")]
    return [CondPageBreak(50 * mm), *story]


def _kind(kind: KindResults, kit, *, public, grid, head):
    subheading, noun, summary = KIND_TEXT[kind.kind]
    labels = dict(kind.results)
    major_label = labels.get("major", "")
    lines = [summary.format(population=kind.population, audited=kind.audited_distinct,
                            risky_population=kind.population_risky, risky=kind.audited_risky)]
    lines.append(FINDINGS.format(findings=kind.findings, major=kind.major, major_label=major_label,
                                 open=kind.open_followups) if kind.findings else NO_FINDINGS)
    block = [kit.p(subheading, "subheading"), kit.p("".join(lines), "body")]
    if not kind.audited:
        return block
    if not public:
        rows = [[head(kit, h) for h in (noun, "区分", "監査日", "指摘", f"うち{major_label}", "未完了")]]
        for a in kind.audited:
            rows.append([kit.p(a.label, "name"), kit.p("・".join(FLAG_LABELS[f] for f in a.flags) or "—", "name"),
                         kit.p(format_date(a.locked_on), "name"), a.findings, a.major, a.open_followups])
        block += [Spacer(1, 1 * mm), _table(rows, grid, kit, [None, 34 * mm, 30 * mm, 13 * mm, 15 * mm, 15 * mm])]
    rows = [[head(kit, "確認項目"), *(head(kit, label) for _code, label in kind.results)]]
    for check in kind.checks:
        rows.append([kit.p(check.title, "name"), *check.counts])
    widths = [None, *([15 * mm] * len(kind.results))]
    block += [Spacer(1, 1.5 * mm), _table(rows, grid, kit, widths)]
    return [KeepTogether(block[:4]), *block[4:]]  # the heading never ends a page without its first table


def _table(rows, grid, kit, widths):
    widths = list(widths)
    widths[0] = WIDTH - sum(w for w in widths if w)
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(grid(kit))
    return table
