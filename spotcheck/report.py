"""The council report (審議会への報告): an A4 PDF of aggregated audit results, built from plain data.

The report is public-facing. It receives no names and no staff numbers, only counts per item,
per check, per employment type and per section, and every figure goes through the small-cell
protection of spotcheck.charts (built on spotcheck.disclosure): counts of 1–4 read "<5", rates
over fewer than five read "—", a rate whose count reads "<5" is only a bound ("<3.0%"), and a
section of fewer than five people shows "<5" and no breakdown ("X"), with as many other counts
hidden as it takes for the published totals not to give it back. 任用区分 of fewer than five
are pooled with the next smallest instead, so that the large groups stay whole.
"""
import io
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from spotcheck import device_report, disclosure, figures, interview_report, subject_report
from spotcheck.charts import bars_drawing
from spotcheck.figures import ReportData
from spotcheck.pdfpages import (FOOTER_Y, LABEL_FILL, MARGIN_TOP, MARGIN_X, PAGE_WIDTH, RULE, THICK,
                                 THIN, WIDTH, CachedParagraph, footer_rule, numbered_canvas)
from spotcheck.wareki import format_date, format_fiscal_year, with_fiscal_year

COUNCIL = "情報公開・個人情報保護運営審議会"
PUBLIC_ADDRESSEE = "公表版（市議会・市民の皆様へ）"
PUBLIC_SUFFIX = "（公表版）"
OVER_LABEL = "過大申告"

NOTE_SUPPRESSION = (
    "個人が特定されないよう、所属・任用区分・回答・結果の区分ごとの数が1〜4の場合は「<5」と表示し、"
    "合計や他の数からの差し引きで求められないよう、同じ行・列の次に小さい数も「X」としています（補完秘匿）。"
    "「<5」「X」の数から求められる割合は「—」と表示しています。"
)
NOTE_CITY_WIDE = (
    "市全体の実地監査の人数・所属数、指摘件数、過大申告の件数、改善状況の件数は、"
    "個人を特定するものではないため、そのまま表示しています。"
)
NOTE_SECRET = (
    "対象者が5人未満の所属・区分は、人数を「<5」とし、内訳を「X」（非表示）としています。"
    "合計からの差し引きでその内訳が分からないよう、他の所属・区分の値を併せて「X」とした箇所があります。"
)
NOTE_OVER = (
    "過大申告とは、セルフチェックで「できている」と回答した本人の席で、対応する確認項目が"
    "実地で{failed}だったものをいいます。件数は確認項目ごとに数えます。"
)
NOTE_PREVIOUS = "前回比は、今回の割合から前回の割合を引いた差（ポイント）です。"
NOTE_NO_PERSONS = "この報告には、個人の氏名・職員番号その他の個人を識別できる情報は含まれていません。"


def default_title(fiscal_year):
    """「令和6年度 情報セキュリティ内部監査（抜き打ち実地監査）結果報告」."""
    return f"{format_fiscal_year(fiscal_year)} 情報セキュリティ内部監査（抜き打ち実地監査）結果報告"


# ---------------------------------------------------------------- page and styles

MARGIN_BOTTOM = 20 * mm

GROUP_FILL = colors.HexColor("#F2F2F2")
TOTAL_FILL = colors.HexColor("#F7F3E3")

# Answer and result colours by code (the label is the form's to word), chosen to stay apart in grey.
ANSWER_FILLS = {
    "": "#E2D9B8",
    "-": "#D9D9D9",
    "1": "#1F4E79",
    "A": "#1F4E79",
    "B": "#5B9BD5",
    "2": "#9DC3E6",
    "3": "#E46C0A",
    "C": "#E46C0A",
    "D": "#A50F15",
    "N": "#D9D9D9",
}
RESULT_FILLS = {
    "ok": "#1F4E79",
    "observation": "#9DC3E6",
    "nonconformity": "#E46C0A",
    "major": "#A50F15",
    "na": "#E2D9B8",
    "unverifiable": "#C9B8D9",
}
SPARE_FILLS = ("#7F7F7F", "#B4A7D6", "#93C47D", "#F6B26B", "#76A5AF")


def _fill(label, i, codes, known):
    """The colour of the answer or result this label names (via the forms' code), else a spare one."""
    return known.get(codes.get(label), SPARE_FILLS[i % len(SPARE_FILLS)])


def _failed_words(data, quoted=False):
    """「不適合」又は「重大」: the finding results as the campaign's forms name them."""
    return "又は".join(f"「{label}」" if quoted else label for label in data.finding_labels)


class _Kit:
    """Paragraph styles: Mincho for prose, Gothic for headings, labels and figures."""

    def __init__(self, gothic, mincho):
        self.gothic, self.mincho = gothic, mincho

        def style(name, font, size, leading=None, **kw):
            return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading or size * 1.45, wordWrap="CJK", **kw)

        self.styles = {
            "addressee": style("addressee", gothic, 10, 14),
            "meta": style("meta", mincho, 10, 15, alignment=TA_RIGHT),
            "title": style("title", gothic, 17, 25, alignment=TA_CENTER),
            "subtitle": style("subtitle", mincho, 10.5, 16, alignment=TA_CENTER),
            "heading": style("heading", gothic, 12.5, 18, spaceBefore=6 * mm, spaceAfter=2 * mm),
            "subheading": style("subheading", gothic, 10, 14, spaceBefore=3 * mm, spaceAfter=1.5 * mm),
            "body": style("body", mincho, 10, 17, firstLineIndent=10),
            "note": style("note", mincho, 8, 12),
            "notes": style("notes", mincho, 9, 14, leftIndent=11, firstLineIndent=-11),
            "head": style("head", gothic, 7.5, 10, alignment=TA_CENTER),
            "name": style("name", mincho, 8.5, 11.5),
            "group": style("group", gothic, 8.5, 11.5),
            "fig_label": style("fig_label", gothic, 8, 11, alignment=TA_CENTER),
            "fig_value": style("fig_value", gothic, 16, 20, alignment=TA_CENTER),
            "fig_sub": style("fig_sub", mincho, 7.5, 10.5, alignment=TA_CENTER),
            "headline": style("headline", gothic, 11, 17),
            "caption": style("caption", gothic, 8.5, 12, spaceBefore=1 * mm, spaceAfter=1 * mm),
        }
        self._fragments = {name: Paragraph("x", st).frags[0] for name, st in self.styles.items()}

    def p(self, text, style):
        """Plain text (no markup) as a paragraph; cloning a parsed fragment skips the markup parser."""
        text = " ".join(str(text or "").split())
        if not text:
            return CachedParagraph("", self.styles[style])
        return CachedParagraph(text, self.styles[style], frags=[self._fragments[style].clone(text=text)])

    def markup(self, xml, style):
        """ReportLab markup (the caller escapes any data in it)."""
        return CachedParagraph(xml, self.styles[style])


_kits = {}


def _kit(fonts):
    key = (fonts.gothic, fonts.mincho)
    if key not in _kits:
        _kits[key] = _Kit(*key)
    return _kits[key]


def _grid(kit, extra=()):
    """Ruled table: thin inner lines, heavy frame and header rule, Gothic figures aligned right."""
    return TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), kit.gothic, 8, 10.5),
            ("GRID", (0, 0), (-1, -1), THIN, RULE),
            ("BOX", (0, 0), (-1, -1), THICK, RULE),
            ("LINEBELOW", (0, 0), (-1, 0), THICK, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), LABEL_FILL),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("ALIGN", (0, 1), (-1, -1), "RIGHT"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
            *extra,
        ]
    )


def _head(kit, text):
    """A header cell; "\n" marks where a long header breaks best."""
    return kit.markup("<br/>".join(escape(part) for part in text.split("\n")), "head")


def _title(kit, text):
    """The title, broken before "（" or after a space nearest the middle when it needs two lines."""
    style = kit.styles["title"]
    if stringWidth(text, style.fontName, style.fontSize) <= WIDTH:
        return kit.p(text, "title")
    breaks = [i for i, ch in enumerate(text) if ch == "（" and i > 0] + [i + 1 for i, ch in enumerate(text) if ch in " 　"]
    fits = [i for i in breaks if max(stringWidth(text[:i].strip(), style.fontName, style.fontSize), stringWidth(text[i:].strip(), style.fontName, style.fontSize)) <= WIDTH]
    if not fits:
        return kit.p(text, "title")
    i = min(fits, key=lambda i: abs(stringWidth(text[:i], style.fontName, style.fontSize) - stringWidth(text[i:], style.fontName, style.fontSize)))
    return kit.markup(f"{escape(text[:i].strip())}<br/>{escape(text[i:].strip())}", "title")


def _heading(kit, text, room=40 * mm):
    """A heading that moves to the next page rather than stand alone at the bottom of one."""
    return [CondPageBreak(room), kit.p(text, "heading")]


# ---------------------------------------------------------------- figures


def _pct(value):
    return "—" if value is None else f"{value:.1f}%"


def _diff(current_text, current, previous):
    """前回比 in percentage points, only when both rates are shown exactly."""
    if previous is None or current is None or current_text in ("—",) or current_text.startswith("<"):
        return "—"
    return f"{current - previous:+.1f}".replace("-", "−")


def _merge_note(t, what):
    if not t.merged:
        return []
    names = "、".join(t.merged[:-1]) + "と" + t.merged[-1]
    return [f"5人未満の{what}があるため、{names}は合わせて1行で表示しています。"]


# ---------------------------------------------------------------- the story


def build_report(data: ReportData, fonts) -> bytes:
    """Render the council report as PDF bytes with the fonts from fonts.register_fonts()."""
    kit = _kit(fonts)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=data.title,
        author=data.issuer,
        subject=PUBLIC_ADDRESSEE if data.public else f"{COUNCIL} 報告資料",
        keywords="",
        creator="spotcheck",
        lang="ja-JP",
        initialFontName=kit.mincho,
    )
    fig = figures.publish(data)
    story = [
        *_cover(data, kit),
        *_written(kit, "総評", data.summary_text),
        *_gap_section(data, fig, kit),
        *_items_section(data, fig.items, kit, fonts),
        *_checks_section(data, fig.checks, kit, fonts),
        *_group_section(kit, "４　任用区分別の状況", "任用区分", fig.employment),
        *_followup_section(data, kit),
        *_group_section(kit, "６　所属別の状況", "所属", fig.sections, long=True),
        *device_report.flowables(data.devices, kit, day=format_date(data.issued_on), grid=_grid, head=_head, heading=_heading),
        *subject_report.flowables(data.subjects, kit, public=data.public, grid=_grid, head=_head, heading=_heading),
        *interview_report.flowables(data.interview, kit, grid=_grid, head=_head, heading=_heading),
        *_written(kit, "今後の取組", data.next_steps),
        *_notes(data, kit),
    ]
    doc.build(story, canvasmaker=_canvas_class(data, kit))
    return out.getvalue()


def _followup_figures(f):
    """(texts of closed, reported, open; total text; completion rate text) of the follow-ups.

    Findings city-wide and their states single out nobody, so they are printed as they are.
    """
    total = f.closed + f.reported + f.open
    rate = f"{100 * f.closed / total:.1f}%" if total else "—"
    return f"{f.closed:,}", f"{f.reported:,}", f"{f.open:,}", f"{total:,}", rate


def _count(n):
    """A city-wide count of visits, sections, findings or cases: identifies nobody, printed as it is."""
    return f"{n:,}"


def _people(n):
    """A number of people in running text: 1–4 read 「5未満」."""
    return "5未満" if 0 < n < disclosure.MIN_CELL else f"{n:,}"


def _city_rate(part, whole):
    """A rate over city-wide counts; over a group of people only when both figures may be shown."""
    return f"{100 * part / whole:.1f}%" if whole else "—"


def _cover(data, kit):
    """Addressee, date, title, the summary in words and the key figures."""
    meta = [kit.p(format_date(data.issued_on), "meta"), *([kit.p(data.issuer, "meta")] if data.issuer else [])]
    addressee = PUBLIC_ADDRESSEE if data.public else f"{COUNCIL}　報告資料"
    top = Table([[kit.p(addressee, "addressee"), meta]], colWidths=[WIDTH - 70 * mm, 70 * mm])
    top.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), kit.gothic, 8), ("VALIGN", (0, 0), (-1, -1), "TOP"), *[(k, (0, 0), (-1, -1), 0) for k in ("LEFTPADDING", "RIGHTPADDING", "TOPPADDING", "BOTTOMPADDING")]]))
    subtitle = f"対象　{with_fiscal_year(data.campaign_title, data.fiscal_year)}"
    if data.previous_campaign_title:
        subtitle += f"　／　比較　{data.previous_campaign_title}（前回）"

    small_answered = 0 < data.answered < disclosure.MIN_CELL
    answered_rate = "—" if small_answered else _city_rate(data.answered, data.staff_in_scope)
    over_text = _count(data.over_reported)
    over_rate = _city_rate(data.over_reported, data.claims_done)
    closed, _reported, _open, total_followups, completion = _followup_figures(data.followups)
    summary = (
        f"{format_fiscal_year(data.fiscal_year)}は、セルフチェックシートの対象職員{_people(data.staff_in_scope)}人のうち"
        f"{_people(data.answered)}人（{answered_rate}）が回答しました。"
    )
    if data.absent:
        summary += f"このほか、病休・休職等で不在だった職員が{_people(data.absent)}人います（未回答には含めていません）。"
    if data.visits:
        summary += (
            f"その後、日時を事前に知らせない実地監査を全{_count(data.sections_total)}所属のうち"
            f"{_count(data.sections_visited)}所属で行い、{_count(data.visits)}人の席で実態を確認しました。"
            f"{selection_text(data)}"
            f"指摘は{_count(data.findings)}件（うち{data.major_label}{_count(data.major_findings)}件）で、"
            f"改善が完了したものは{closed}件（完了率{completion}）です。"
            f"「できている」と自己申告していた項目を実地で確認した{_count(data.claims_done)}件のうち、"
            f"{over_text}件（{over_rate}）が、実地では{_failed_words(data)}（{OVER_LABEL}）でした。"
        )
    else:
        summary += "日時を事前に知らせない実地監査は、この報告の時点ではまだ行っていません。"
    if data.plan_planned:
        # The year's totals only: months and section groups would tell the audited when to expect a visit.
        summary += (f"年間の実施計画{_count(data.plan_planned)}件に対して{_count(data.plan_counted)}件を実施しました"
                    f"（計画の達成率 {data.plan_counted * 100 // data.plan_planned}%）。")
    if carried := _carried(data.followups):
        summary += f"このほか、前年度以前の指摘のうち{_count(carried.total)}件が未完了で、引き続き追跡しています。"
    if data.previous_over_rate is not None:
        summary += f"前回の{OVER_LABEL}率は{_pct(data.previous_over_rate)}でした。"

    def box(label, value, sub):
        return [kit.p(label, "fig_label"), kit.p(value, "fig_value"), kit.markup(sub, "fig_sub")]

    over_sub = f"「できている」{_count(data.claims_done)}件中<br/>{over_text}件"
    if data.previous_over_rate is not None:
        over_sub += f"（前回{_pct(data.previous_over_rate)}）"
    boxes = [
        box("セルフチェック回答率", answered_rate, escape(f"{_people(data.answered)}人／対象{_people(data.staff_in_scope)}人")),
        box("実地確認", f"{_count(data.visits)}人", escape(f"{_count(data.sections_visited)}所属／全{_count(data.sections_total)}所属")),
        box("指摘", f"{_count(data.findings)}件", escape(f"うち{data.major_label}{_count(data.major_findings)}件")),
        box(f"{OVER_LABEL}率", over_rate, escape(over_sub).replace("&lt;br/&gt;", "<br/>")),
        box("改善完了率", completion, escape(f"完了{closed}件／{total_followups}件")),
    ]
    figures = Table([boxes], colWidths=[WIDTH / 5] * 5)
    figures.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), kit.gothic, 8),
                ("BOX", (0, 0), (-1, -1), THICK, RULE),
                ("INNERGRID", (0, 0), (-1, -1), THIN, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return [
        top,
        Spacer(1, 10 * mm),
        _title(kit, data.title),
        Spacer(1, 3 * mm),
        kit.p(subtitle, "subtitle"),
        Spacer(1, 7 * mm),
        kit.p("概要", "heading"),
        kit.p(summary, "body"),
        Spacer(1, 4 * mm),
        figures,
        Spacer(1, 1.5 * mm),
        kit.p("「<5」「X」「—」の表示については、末尾の注記を参照してください。", "note"),
    ]


def _gap_section(data, fig, kit):
    """１ 自己申告と実態の乖離: the headline, then per check and per 任用区分."""
    out = _heading(kit, "１　自己申告と実態の乖離（過大申告）", 70 * mm)
    out.append(
        kit.p(
            "審議会から求められた、自己申告と実態の乖離を示します。セルフチェックで「できている」と回答した職員の席で、"
            f"対応する確認項目を実地で確認し、{_failed_words(data, quoted=True)}だったものを過大申告として数えました。",
            "body",
        )
    )
    over_text = _count(data.over_reported)
    rate = _city_rate(data.over_reported, data.claims_done)
    exact = 100 * data.over_reported / data.claims_done if data.claims_done else None
    lines = [f"「できている」と申告していた{_count(data.claims_done)}件のうち、{over_text}件が{_failed_words(data)}"]
    if data.previous_over_rate is not None:
        diff = _diff(rate, exact, data.previous_over_rate)
        lines.append(f"前回（{data.previous_campaign_title or '前回の監査'}）{_pct(data.previous_over_rate)}" + ("" if diff == "—" else f"　前回比 {diff}ポイント"))
    headline = Table(
        [[[kit.p(f"{OVER_LABEL}率", "fig_label"), kit.p(rate, "fig_value")], [kit.p(line, "headline") for line in lines]]],
        colWidths=[34 * mm, WIDTH - 34 * mm],
    )
    headline.setStyle(
        _grid(kit, [("BACKGROUND", (0, 0), (-1, -1), TOTAL_FILL), ("LINEBELOW", (0, 0), (-1, 0), THIN, RULE), ("LEFTPADDING", (1, 0), (1, 0), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 7)])
    )
    out += [Spacer(1, 2 * mm), headline]
    # Answering 「該当しない」 is not a claim of "done", so these are not in the rate; the council still hears of them.
    out.append(kit.p(
        f"このほか、セルフチェックで「該当しない」と回答した項目を実地で確認し、{_failed_words(data, quoted=True)}だったもの"
        f"（申告対象外だが違反あり）が{_count(data.out_of_scope_violations)}件ありました。" if data.out_of_scope_violations else
        "セルフチェックで「該当しない」と回答した項目に、実地での違反はありませんでした。", "body"))

    # Per check: the column totals are the headline figures.
    checks = data.checks
    head = ["No.", "確認項目", "「できている」\nと申告（件）", "うち過大申告\n（件）", f"{OVER_LABEL}率", "前回", "前回比\n（ポイント）"]
    rows = [[_head(kit, h) for h in head]]
    for i, (c, claims, over, r) in enumerate(zip(checks, fig.gap.claims, fig.gap.over, fig.gap.rates), start=1):
        rows.append([str(i), kit.p(c.title, "name"), claims, over, r.text, _pct(c.previous_over_rate), _diff(r.text, r.exact, c.previous_over_rate)])
    rows.append(["", kit.p("合計", "group"), _count(data.claims_done), over_text, rate, _pct(data.previous_over_rate), _diff(rate, exact, data.previous_over_rate)])
    widths = [9 * mm, None, 24 * mm, 22 * mm, 20 * mm, 17 * mm, 20 * mm]
    widths[1] = WIDTH - sum(w for w in widths if w)
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(_grid(kit, [("ALIGN", (0, 1), (0, -1), "CENTER"), ("BACKGROUND", (0, -1), (-1, -1), TOTAL_FILL), ("LINEABOVE", (0, -1), (-1, -1), THICK, RULE)]))
    out += [kit.p("（１）確認項目別", "subheading"), table]

    # Per 任用区分.
    employment = fig.employment
    groups, by_claims = employment.rows, employment.by_claims
    basis = "「できている」\nと申告（件）" if by_claims else "確認件数\n（件）"
    head = ["任用区分", "対象者\n（人）", "実地確認\n（人）", basis, "うち過大申告\n（件）", f"{OVER_LABEL}率", "前回", "前回比\n（ポイント）"]
    rows = [[_head(kit, h) for h in head]]
    for i, g in enumerate(groups):
        r = employment.over_rate(i)
        rows.append(
            [kit.p(g.label, "name"), employment.people[i], employment.visits[i], (employment.claims if by_claims else employment.observed)[i],
             employment.over[i], r.text, _pct(g.previous_over_rate), _diff(r.text, r.exact, g.previous_over_rate)]
        )
    widths = [None, 16 * mm, 17 * mm, 24 * mm, 22 * mm, 18 * mm, 15 * mm, 18 * mm]
    widths[0] = WIDTH - sum(w for w in widths if w)
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(_grid(kit))
    notes = ["任用区分別の過大申告率は、「できている」と申告した件数に対する割合です。" if by_claims else "任用区分別の過大申告率は、実地で確認した件数に対する割合です。"]
    notes += _merge_note(employment, "任用区分")
    block = [kit.p("（２）任用区分別", "subheading"), table, Spacer(1, 1 * mm), *[kit.p(n, "note") for n in notes]]
    return out + [KeepTogether(block)]


def _group_ranges(items):
    """group label → "項目1〜20" from the item numbers in that group."""
    numbers = {}
    for item in items:
        numbers.setdefault(item.group_label, []).append(item.no)
    return {label: f"項目{min(ns)}〜{max(ns)}" if len(ns) > 1 else f"項目{ns[0]}" for label, ns in numbers.items()}


def _items_section(data, published, kit, fonts):
    """２ セルフチェックの結果: a bar per item, then the table of answers per item."""
    items = data.items
    labels, texts = published.labels, published.texts
    intro = kit.p(
        "項目ごとの回答の内訳です。項目21〜27は特定個人情報を取り扱う所属、項目28〜35は業務委託によりシステムを"
        "導入している所属の職員が対象です。「できていない割合」は、対象者のうち「できていない」と回答した人の割合です。",
        "body",
    )
    opening = [kit.p("２　セルフチェックの結果（項目別）", "heading"), intro]
    if items:
        codes = dict(data.label_codes)
        segments = [(label, label, _fill(label, i, codes, ANSWER_FILLS)) for i, label in enumerate(labels)]
        chart = bars_drawing(
            [(f"{item.no} {item.topic}", item.counts) for item in items], segments,
            width=WIDTH, bar_height=8.5, public=True, fonts=fonts, texts=texts, font_size=7.5,
        )
        opening += [Spacer(1, 1 * mm), kit.p("図1　項目別の回答の内訳（左の数字は項目番号、右の n は対象者数）", "caption"), chart]
    out = [CondPageBreak(60 * mm), KeepTogether(opening)]

    wide = len(labels) > 5  # the finer scale: the answers share one cell
    answer_heads = ["回答の内訳（人）"] if wide else [_label_head(label) for label in labels]
    head = ["No.", "項目", *answer_heads, "対象者\n（人）", "できていない\n割合", "前回", "前回比\n（ポイント）"]
    rows = [[_head(kit, h) for h in head]]
    style, group = [], None
    ranges = _group_ranges(items)
    for item, row_texts, total, rate in zip(items, texts, published.totals, published.rates):
        if item.group_label != group:
            group = item.group_label
            rows.append([kit.p(f"{ranges[group]}　{group}", "group")] + [""] * (len(head) - 1))
            r = len(rows) - 1
            style += [("SPAN", (0, r), (-1, r)), ("BACKGROUND", (0, r), (-1, r), GROUP_FILL), ("ALIGN", (0, r), (-1, r), "LEFT")]
        answers = [kit.p("　".join(f"{_mark(label)}\u00a0{text}" for label, text in zip(labels, row_texts)), "name")] if wide else list(row_texts)
        rows.append([str(item.no), kit.p(item.topic, "name"), *answers, total, rate.text, _pct(item.previous_not_done_rate),
                     _diff(rate.text, rate.exact, item.previous_not_done_rate)])
    n = len(labels)
    answer_widths = [62 * mm] if wide else [min(15.5 * mm, 62 * mm / max(n, 1))] * n
    widths = [9 * mm, None, *answer_widths, 15 * mm, 18 * mm, 14 * mm, 16 * mm]
    widths[1] = WIDTH - sum(w for w in widths if w)
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(_grid(kit, [("ALIGN", (0, 1), (0, -1), "CENTER"), *style]))
    legend = []
    if wide:
        legend = [kit.p("回答の内訳の記号：" + "、".join(f"{_mark(label)}＝{label.partition(' ')[2]}" for label in labels if _mark(label) != label), "note")]
    return out + [CondPageBreak(50 * mm), kit.p("表1　項目別の回答（人）", "caption"), *legend, table]


def _mark(label):
    """"A 常にできている" → "A"; labels without a short mark ("未回答") stay whole."""
    mark, _, rest = label.partition(" ")
    return mark if rest and len(mark) <= 2 else label


def _label_head(label):
    """"③ できていない" → "③\nできて\nいない": the mark, then the words broken where they read best."""
    mark, _, rest = label.partition(" ")
    if not rest or len(mark) > 2:
        return label
    if len(rest) > 5:
        # Before でき or after a particle, whichever is nearest the middle; else the middle.
        cuts = [i for i in range(2, len(rest) - 1) if rest.startswith("でき", i) or rest[i - 1] in "をがは"]
        cut = min(cuts, key=lambda i: abs(len(rest) / 2 - i)) if cuts else (len(rest) + 1) // 2
        rest = f"{rest[:cut]}\n{rest[cut:]}"
    return f"{mark}\n{rest}"


def _checks_section(data, table, kit, fonts):
    """３ 実地確認の結果: a bar per check, then the results table with a total row."""
    checks, labels, texts = data.checks, table.labels, table.texts
    opening = [
        kit.p("３　実地確認の結果（確認項目別）", "heading"),
        kit.p("実地監査で確認した結果の内訳です。件数は、確認した職員ごと・確認項目ごとに数えています。", "body"),
    ]
    if checks:
        codes = dict(data.label_codes)
        segments = [(label, label, _fill(label, i, codes, RESULT_FILLS)) for i, label in enumerate(labels)]
        chart = bars_drawing(
            [(f"{i} {c.title}", c.counts) for i, c in enumerate(checks, start=1)], segments,
            width=WIDTH, bar_height=10, public=True, fonts=fonts, texts=[t[:-1] for t in texts], font_size=7.5,
        )
        opening += [Spacer(1, 1 * mm), kit.p("図2　確認項目別の結果の内訳（右の n は確認件数）", "caption"), chart]
    out = [CondPageBreak(60 * mm), KeepTogether(opening)]
    head = ["No.", "確認項目", *labels, "計"]
    rows = [[_head(kit, h) for h in head]]
    for i, (c, row_texts) in enumerate(zip(checks, texts), start=1):
        rows.append([str(i), kit.p(c.title, "name"), *row_texts])
    rows.append(["", kit.p("合計", "group"), *table.sums])
    widths = [9 * mm, None] + [14 * mm] * len(labels) + [15 * mm]
    widths[1] = WIDTH - sum(w for w in widths if w)
    grid = Table(rows, colWidths=widths, repeatRows=1)
    grid.setStyle(_grid(kit, [("ALIGN", (0, 1), (0, -1), "CENTER"), ("BACKGROUND", (0, -1), (-1, -1), TOTAL_FILL), ("LINEABOVE", (0, -1), (-1, -1), THICK, RULE)]))
    return out + [CondPageBreak(50 * mm), kit.p("表2　確認項目別の結果（件）", "caption"), grid]


def _group_section(kit, heading, name, t, long=False):
    """A table per 任用区分 or per section: people, answers, visits, over-reporting, findings."""
    groups, by_claims = t.rows, t.by_claims
    head = [name, "対象者\n（人）", "回答者\n（人）", "不在\n（病休等）", "回答率", "できていない\n回答がある\n人の割合", "実地確認\n（人）",
            "過大申告\n（件）", "過大\n申告率" + ("" if by_claims else "\n（確認\n件数比）"), "指摘\n（件）", "改善未了\n（件）"]
    rows = [[_head(kit, h) for h in head]]
    for i, g in enumerate(groups):
        rates = (t.answered_rate(i).text, t.not_done_rate(i).text)
        rows.append([kit.p(g.label, "name"), t.people[i], t.answered[i], t.absent[i], *rates, t.visits[i], t.over[i], t.over_rate(i).text,
                     t.findings[i], t.open[i]])
    if not groups:
        rows.append([kit.p("該当するデータがありません。", "name")] + [""] * 10)
    widths = [None, 13 * mm, 13 * mm, 13 * mm, 13 * mm, 17 * mm, 13 * mm, 13 * mm, 13 * mm, 12 * mm, 13 * mm]
    widths[0] = WIDTH - sum(w for w in widths if w)
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(_grid(kit, [("SPAN", (0, 1), (-1, 1))] if not groups else []))  # the empty note on one line
    intro = []
    if long:
        intro = [kit.p("所属ごとの状況です（個人名は掲載していません）。対象者が5人未満の所属は、人数を「<5」とし、内訳を表示していません。", "body")]
    notes = [kit.p(n, "note") for n in _merge_note(t, name)]
    return [*_heading(kit, heading, 50 * mm), *intro, table, *([Spacer(1, 1 * mm)] + notes if notes else [])]


def _followup_section(data, kit):
    """５ 改善状況: findings by follow-up state and the completion rate."""
    f = data.followups
    closed, reported, still_open, total, completion = _followup_figures(f)
    intro = kit.p(
        "指摘を受けた所属は、回答期限までに改善報告を提出します。監査担当が改善を確認したものを「改善完了」としています。"
        "指摘は、完了するまで所属ごと・職員ごとに追跡します。",
        "body",
    )
    head = ["指摘\n（取下げを除く）", "改善完了", "改善報告済\n（確認中）", "未報告", "うち\n回答期限超過", "完了率", "（参考）\n取下げ"]
    rows = [[_head(kit, h) for h in head], [total, closed, reported, still_open, _count(f.overdue), completion, _count(f.withdrawn)]]
    table = Table(rows, colWidths=[WIDTH / 7] * 7)
    table.setStyle(_grid(kit, [("ALIGN", (0, 1), (-1, -1), "CENTER"), ("FONT", (0, 1), (-1, -1), kit.gothic, 10.5, 13), ("TOPPADDING", (0, 1), (-1, -1), 4), ("BOTTOMPADDING", (0, 1), (-1, -1), 6)]))
    note = kit.p("単位は件です。完了率は、取下げを除く指摘のうち改善完了の割合です。「うち回答期限超過」は未報告のうち回答期限を過ぎたものです。", "note")
    carried = _carried(f)
    carried_lines = [kit.p(
        f"前年度からの継続：前年度以前の指摘のうち未完了のものが{_count(carried.total)}件あります（未報告{_count(carried.open)}件・"
        f"改善報告済{_count(carried.reported)}件、うち回答期限超過{_count(carried.overdue)}件）。上の表には含めず、完了するまで追跡します。",
        "body")] if carried else []
    return [CondPageBreak(50 * mm), KeepTogether([kit.p("５　改善状況（フォローアップ）", "heading"), intro, Spacer(1, 1 * mm), table, Spacer(1, 1 * mm), note, *carried_lines])]


def _carried(f):
    """Earlier campaigns' findings still open (carryover.CarriedCounts), or None when there are none."""
    return f.carried if f.carried is not None and f.carried.total else None


def _written(kit, heading, text):
    """A text the audit lead wrote for this campaign (総評, 今後の取組), printed as written."""
    if not text:
        return []
    return [CondPageBreak(40 * mm), kit.p(heading, "heading"), *[kit.p(part, "body") for part in text.split("\n") if part.strip()]]


def selection_text(data):
    """How the people were chosen: a city-wide count, which identifies nobody."""
    if data.drawn_visits is None:
        return ""
    chosen = data.visits - data.drawn_visits
    share = f"{data.drawn_visits / data.visits * 100:.1f}%" if data.visits else "—"
    text = f"確認した職員のうち{data.drawn_visits}人（{share}）は記録に残る抽選で選び、"
    return text + (f"{chosen}人は理由を記録して任意に選びました。" if chosen else "任意に選んだ職員はいません。")


def _notes(data, kit):
    """注記: how small numbers are shown, the definitions, then the caller's notes."""
    fixed = [NOTE_SUPPRESSION, NOTE_SECRET, NOTE_CITY_WIDE, NOTE_OVER.format(failed=_failed_words(data, quoted=True)), NOTE_PREVIOUS, NOTE_NO_PERSONS]
    if data.chain_head:
        fixed.append(f"本報告書作成時の結果票の検証ログ（ハッシュチェーン）の最新値は {data.chain_head} です。"
                     "この値を控えておくと、以後に記録の削除や書換えがないことを verify-chain --head で確認できます。")
    lines = [kit.p(f"{i}　{text}", "notes") for i, text in enumerate([*fixed, *data.notes], start=1)]
    return [CondPageBreak(40 * mm), kit.p("注記", "heading"), *lines]


# ---------------------------------------------------------------- page furniture


def _canvas_class(data, kit):
    """Footer on every page: the report's title and page x / y."""
    gothic = kit.gothic

    def furniture(canvas, number, total):
        footer_rule(canvas, MARGIN_X, PAGE_WIDTH - MARGIN_X)
        canvas.setFont(gothic, 8)
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, FOOTER_Y, f"{number} / {total} ページ")
        title = data.title
        while len(title) > 1 and stringWidth(title, gothic, 8) > WIDTH - 30 * mm:
            title = title.rstrip("…")[:-1] + "…"
        canvas.drawString(MARGIN_X, FOOTER_Y, title)

    return numbered_canvas(furniture)


__all__ = [
    "CheckStat",
    "FollowupStat",
    "GroupStat",
    "ItemStat",
    "ReportData",
    "build_report",
    "default_title",
]
