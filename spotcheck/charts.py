"""Server-drawn charts (100 %-stacked horizontal bars) and the small-cell protection they share with the report.

Two renderings of one layout: `stacked_bars_svg` for the web dashboard (inline SVG, no script,
presentation attributes only, so that it passes the CSP "style-src 'self'") and `bars_drawing`
for the PDF report (a ReportLab Drawing).

Protection (public=True, and every table of the council report): `disclosure.cell` shows counts
of 1–4 as "<5". In a chart those segments are not drawn at their own width (the SVG's width
attributes would give them back) but pooled into one grey block at the end of the bar, and a bar
whose total is under five is drawn empty. `protect_table` also makes sure that a group of fewer
than five people, whose figures are all hidden ("X"), cannot be computed back from published
totals, and that no "<5" can be (n − the shown counts): it hides ("X") as few other counts as it
takes.
"""
import math
import unicodedata
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from spotcheck import disclosure
from spotcheck.disclosure import SECRET, SMALL, is_hidden, protect_table

MIN = disclosure.MIN_CELL
EMPTY_TEXT = "データがありません"
POOLED_LABEL = "非表示（<5 を含む）"
TINY_TEXT = "5未満のため非表示"

FONT_FAMILY = 'IPAexGothic, "Yu Gothic", Meiryo, "Hiragino Sans", sans-serif'
TEXT_FILL = "#222222"
MUTED_FILL = "#555555"
TRACK_FILL = "#EEEEEE"
POOLED_FILL = "#8C8C8C"


# ---------------------------------------------------------------- layout shared by SVG and PDF


@dataclass
class _Segment:
    start: float  # fraction of the bar
    width: float
    fill: str
    text: str  # shown inside the segment when it fits
    tooltip: str


@dataclass
class _Bar:
    label: str
    total_text: str
    segments: list
    tiny: bool  # total below five, drawn empty
    summary: str  # the row in words, for the tooltip and the description


def _bars(rows, segments, public, texts=None):
    """Each row as fractions of its bar; with public=True the hidden segments pooled at the end."""
    keys = [key for key, _label, _fill in segments]
    counts = [[int(c.get(key, 0) or 0) for key in keys] for _label, c in rows]
    if texts is None:
        texts = protect_table(counts) if public else [[f"{n:,}" for n in row] for row in counts]
    bars = []
    for (label, _c), row, row_texts in zip(rows, counts, texts):
        label = str(label)
        total = sum(row)
        if public and total < MIN:
            total_text = "0" if total == 0 else SMALL
            summary = f"{label}：n={total_text}" + ("" if total == 0 else "（5未満のため内訳は非表示）")
            bars.append(_Bar(label, f"n={total_text}" if total == 0 else f"n{SMALL}", [], total > 0, summary))
            continue
        parts, pooled, words = [], [], []
        start = 0.0
        for (key, seg_label, fill), n, text in zip(segments, row, row_texts):
            words.append(f"{seg_label} {text}")
            if public and is_hidden(text):
                pooled.append((seg_label, n, text))
                continue
            if n <= 0 or total <= 0:
                continue
            width = n / total
            share = f"{100 * width:.1f}%"
            parts.append(_Segment(start, width, fill, text, f"{label}｜{seg_label}：{text}（{share}）"))
            start += width
        if pooled:
            width = sum(n for _l, n, _t in pooled) / total
            detail = "、".join(f"{seg_label} {text}" for seg_label, _n, text in pooled)
            parts.append(_Segment(start, width, POOLED_FILL, "非表示", f"{label}｜非表示：{detail}"))
        total_text = disclosure.cell(total) if public else f"{total:,}"
        bars.append(_Bar(label, f"n={total_text}", parts, False, f"{label}：" + "、".join(words) + f"（n={total_text}）"))
    return bars


def _contrast(fill):
    """Black or white text, whichever reads better on a #RRGGBB fill."""
    value = fill.lstrip("#")
    if len(value) == 3:
        value = "".join(ch * 2 for ch in value)
    try:
        r, g, b = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        return TEXT_FILL
    return TEXT_FILL if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "#FFFFFF"


def _clip(text, max_width, measure):
    """text, shortened with "…" to fit max_width."""
    if measure(text) <= max_width:
        return text
    while text and measure(text + "…") > max_width:
        text = text[:-1]
    return text + "…"


# ---------------------------------------------------------------- SVG


def _estimate(text, size):
    """Approximate advance of text in a Japanese sans-serif: full width for CJK, about 0.6 em else."""
    return sum(size if unicodedata.east_asian_width(ch) in "WFA" else 0.6 * size for ch in text)


def _num(x):
    return f"{x:.1f}".rstrip("0").rstrip(".")


def stacked_bars_svg(rows, segments, *, title, width=640, bar_height=18, show_values=True, public=False, texts=None):
    """Horizontal 100 %-stacked bars as an inline-safe SVG string.

    rows: [(label, {segment_key: count})]; segments: [(key, label, "#RRGGBB")], in stacking order.
    public=True: counts of 1–4 read "<5" and are drawn pooled with the other hidden segments as one
    grey block at the end of the bar, a bar under five is drawn empty, and complements are hidden
    too so that no "<5" can be computed back from n (see protect_table). texts: the rows' counts as
    the table beside the chart prints them (figures.publish), so that both hide the same cells.
    """
    font = 12
    small_font = 11
    measure = lambda text: _estimate(text, font)  # noqa: E731
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label={quoteattr(str(title))}'
        f' font-family={quoteattr(FONT_FAMILY)} font-size="{font}" fill="{TEXT_FILL}"'
    )
    if not rows or not segments:
        height = 48
        return (
            f'{head} width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
            f"<title>{escape(str(title))}</title><desc>{EMPTY_TEXT}</desc>"
            f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="#FAFAFA" stroke="#CCCCCC"/>'
            f'<text x="{width / 2:g}" y="{height / 2 + font / 2 - 2:g}" text-anchor="middle" fill="{MUTED_FILL}">{EMPTY_TEXT}</text>'
            "</svg>"
        )
    bars = _bars(rows, segments, public, texts)

    # Legend on top, wrapped onto as many lines as it needs.
    legend = [(label, fill) for _key, label, fill in segments]
    if any(seg.fill == POOLED_FILL and seg.text == "非表示" for bar in bars for seg in bar.segments):
        legend.append((POOLED_LABEL, POOLED_FILL))
    items, x, y, line_height = [], 0.0, 0.0, font + 8
    for label, fill in legend:
        item_width = 14 + 5 + measure(label) + 16
        if x > 0 and x + item_width > width:
            x, y = 0.0, y + line_height
        items.append(
            f'<rect x="{_num(x + 0.5)}" y="{_num(y + 3.5)}" width="13" height="13" fill={quoteattr(fill)} stroke="#666666" stroke-width="0.5"/>'
            f'<text x="{_num(x + 19)}" y="{_num(y + 14)}">{escape(label)}</text>'
        )
        x += item_width
    top = y + line_height + 8

    label_width = min(max(measure(bar.label) for bar in bars) + 10, 0.38 * width)
    value_width = max(measure(bar.total_text) for bar in bars) + 10
    bar_x, bar_width = label_width, max(width - label_width - value_width, 40)
    pitch = bar_height + 8
    height = math.ceil(top + pitch * len(bars) + 2)

    body = []
    for i, bar in enumerate(bars):
        y = top + i * pitch
        mid = y + bar_height / 2 + font * 0.35
        shown = _clip(bar.label, label_width - 10, measure)
        label_title = f"<title>{escape(bar.label)}</title>" if shown != bar.label else ""
        body.append(
            f'<g><title>{escape(bar.summary)}</title>'
            f'<text x="{_num(label_width - 8)}" y="{_num(mid)}" text-anchor="end">{label_title}{escape(shown)}</text>'
            f'<rect x="{_num(bar_x)}" y="{_num(y)}" width="{_num(bar_width)}" height="{bar_height}" fill="{TRACK_FILL}"/>'
        )
        if bar.tiny:
            body.append(
                f'<text x="{_num(bar_x + 6)}" y="{_num(mid)}" font-size="{small_font}" fill="{MUTED_FILL}">{escape(TINY_TEXT)}</text>'
            )
        for seg in bar.segments:
            sx, sw = bar_x + seg.start * bar_width, seg.width * bar_width
            body.append(
                f'<rect x="{sx:.2f}" y="{_num(y)}" width="{sw:.2f}" height="{bar_height}" fill={quoteattr(seg.fill)}>'
                f"<title>{escape(seg.tooltip)}</title></rect>"
            )
            if show_values and _estimate(seg.text, small_font) + 6 <= sw:
                body.append(
                    f'<text x="{_num(sx + sw / 2)}" y="{_num(y + bar_height / 2 + small_font * 0.35)}" text-anchor="middle"'
                    f' font-size="{small_font}" fill="{_contrast(seg.fill)}">{escape(seg.text)}</text>'
                )
        body.append(
            f'<text x="{_num(bar_x + bar_width + 6)}" y="{_num(mid)}" font-size="{small_font}" fill="{MUTED_FILL}">{escape(bar.total_text)}</text></g>'
        )
    desc = "。".join(bar.summary for bar in bars)
    return (
        f'{head} width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{escape(str(title))}</title><desc>{escape(desc)}</desc>"
        f'<g>{"".join(items)}</g>{"".join(body)}</svg>'
    )


# ---------------------------------------------------------------- ReportLab Drawing


def bars_drawing(rows, segments, *, width, bar_height, public, fonts=None, texts=None, font_size=7.5, show_values=True):
    """The same chart as a ReportLab Drawing for the PDF report.

    fonts: a spotcheck.fonts.FontStatus (registered when not given). texts: the display texts of
    the rows' counts as the report's table shows them (from protect_table), so that chart and table
    hide the same cells; computed from the counts when not given.
    """
    from reportlab.graphics.shapes import Drawing, Rect, String
    from reportlab.lib import colors
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if fonts is None:
        from spotcheck.fonts import register_fonts

        fonts = register_fonts()
    face = fonts.gothic
    small = font_size - 1
    measure = lambda text, size=font_size: stringWidth(text, face, size)  # noqa: E731
    colour = lambda value: colors.HexColor(value) if str(value).startswith("#") else colors.toColor(value)  # noqa: E731

    if not rows or not segments:
        drawing = Drawing(width, font_size * 4, initialFontName=face, initialFontSize=font_size)
        drawing.add(Rect(0, 0, width, font_size * 4, fillColor=colors.HexColor("#FAFAFA"), strokeColor=colors.HexColor("#CCCCCC"), strokeWidth=0.5))
        drawing.add(String(width / 2, font_size * 1.6, EMPTY_TEXT, fontName=face, fontSize=font_size, textAnchor="middle", fillColor=colors.HexColor(MUTED_FILL)))
        return drawing

    bars = _bars(rows, segments, public, texts)
    legend = [(label, fill) for _key, label, fill in segments]
    if any(seg.text == "非表示" and seg.fill == POOLED_FILL for bar in bars for seg in bar.segments):
        legend.append((POOLED_LABEL, POOLED_FILL))
    placed, x, line, line_height = [], 0.0, 0, font_size + 5
    for label, fill in legend:
        item_width = font_size + 3 + measure(label) + 10
        if x > 0 and x + item_width > width:
            x, line = 0.0, line + 1
        placed.append((x, line, label, fill))
        x += item_width
    legend_height = (line + 1) * line_height + 3

    label_width = min(max(measure(bar.label) for bar in bars) + 6, 0.36 * width)
    value_width = max(measure(bar.total_text, small) for bar in bars) + 6
    bar_x, bar_width = label_width, width - label_width - value_width
    pitch = bar_height + max(3, bar_height * 0.35)
    height = legend_height + pitch * len(bars)
    drawing = Drawing(width, height, initialFontName=face, initialFontSize=font_size)

    for x, line, label, fill in placed:
        y = height - (line + 1) * line_height + 2
        drawing.add(Rect(x, y, font_size, font_size, fillColor=colour(fill), strokeColor=colors.HexColor("#666666"), strokeWidth=0.3))
        drawing.add(String(x + font_size + 3, y + font_size * 0.15, label, fontName=face, fontSize=font_size, fillColor=colors.HexColor(TEXT_FILL)))

    dark, muted = colors.HexColor(TEXT_FILL), colors.HexColor(MUTED_FILL)
    for i, bar in enumerate(bars):
        y = height - legend_height - (i + 1) * pitch + (pitch - bar_height) / 2
        base = y + (bar_height - font_size * 0.7) / 2
        drawing.add(String(label_width - 4, base, _clip(bar.label, label_width - 6, measure), fontName=face, fontSize=font_size, textAnchor="end", fillColor=dark))
        drawing.add(Rect(bar_x, y, bar_width, bar_height, fillColor=colors.HexColor(TRACK_FILL), strokeColor=None, strokeWidth=0))
        if bar.tiny:
            drawing.add(String(bar_x + 3, y + (bar_height - small * 0.7) / 2, TINY_TEXT, fontName=face, fontSize=small, fillColor=muted))
        for seg in bar.segments:
            sx, sw = bar_x + seg.start * bar_width, seg.width * bar_width
            drawing.add(Rect(sx, y, sw, bar_height, fillColor=colour(seg.fill), strokeColor=colors.white, strokeWidth=0.3))
            if show_values and measure(seg.text, small) + 3 <= sw and bar_height >= small:
                drawing.add(
                    String(sx + sw / 2, y + (bar_height - small * 0.7) / 2, seg.text, fontName=face, fontSize=small,
                           textAnchor="middle", fillColor=colors.HexColor(_contrast(seg.fill)))
                )
        drawing.add(String(bar_x + bar_width + 3, y + (bar_height - small * 0.7) / 2, bar.total_text, fontName=face, fontSize=small, fillColor=muted))
    return drawing
