"""The 督促通知 as an A4 PDF (ReportLab, embedded IPAex fonts like the sheets), from notices.NoticeData."""
import io
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .notices import NoticeData
from .pdfpages import FOOTER_Y, LABEL_FILL, MARGIN_TOP, MARGIN_X, PAGE_WIDTH, RULE, THICK, THIN, footer_rule, numbered_canvas
from .wareki import format_date

TITLE = "情報セキュリティ実地監査の指摘事項に係る改善報告について（督促）"
BODY = ("標記について、下記の指摘事項に対する改善報告が、回答期限を過ぎても提出されていません。"
        "速やかに改善の措置を講じ、spotcheck の「フォローアップ」画面から改善報告を提出してください。")
AFTER = ("なお、この通知と行き違いに改善報告を提出された場合は、ご容赦ください。"
         "期限は、土曜日・日曜日・祝日・年末年始（12月29日〜1月3日）に当たるときは翌開庁日としています。")
# Widths in mm, filling the 174 mm between the margins.
COLUMNS = (("No.", 10), ("確認項目", 58), ("対象", 38), ("区分", 20), ("回答期限", 30), ("経過日数", 18))


def _styles(gothic, mincho):
    def style(name, font, size, leading, **kw):
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, wordWrap="CJK", **kw)

    return {
        "meta": style("meta", mincho, 10.5, 16, alignment=TA_RIGHT),
        "to": style("to", mincho, 11.5, 18),
        "title": style("title", gothic, 13, 20, alignment=TA_CENTER),
        "body": style("body", mincho, 10.5, 18, firstLineIndent=10.5),
        "ki": style("ki", mincho, 11, 16, alignment=TA_CENTER),
        "cell": style("cell", mincho, 9, 12.5),
        "head": style("head", gothic, 8.5, 11, alignment=TA_CENTER),
        "figure": style("figure", gothic, 9, 12.5, alignment=TA_RIGHT),
    }


def build_notice(data: NoticeData, fonts) -> bytes:
    """One notice as PDF bytes with the fonts from fonts.register_fonts()."""
    s = _styles(fonts.gothic, fonts.mincho)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP + 4 * mm,
                            bottomMargin=22 * mm, title=f"{TITLE}（{data.number}）", author=data.sender,
                            creator="spotcheck", lang="ja-JP", initialFontName=fonts.mincho)

    def p(text, name):
        return Paragraph(escape(text), s[name])

    head = [[p(c, "head") for c, _ in COLUMNS]]
    body = [[p(str(r.no), "figure"), p(r.check_title, "cell"), p(r.subject, "cell"), p(r.severity, "cell"),
             p(format_date(r.due_on), "cell"), p(f"{r.days_late}日", "figure")] for r in data.rows]
    table = Table(head + body, colWidths=[w * mm for _, w in COLUMNS], repeatRows=1)
    table.setStyle(TableStyle([
        # Every cell gets a font, or ReportLab selects Helvetica and puts it in the PDF.
        ("FONT", (0, 0), (-1, -1), fonts.gothic, 9), ("GRID", (0, 0), (-1, -1), THIN, RULE), ("BOX", (0, 0), (-1, -1), THICK, RULE),
        ("LINEBELOW", (0, 0), (-1, 0), THICK, RULE), ("BACKGROUND", (0, 0), (-1, 0), LABEL_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    story = [
        p(data.number, "meta"), p(format_date(data.issued_on), "meta"), Spacer(1, 6 * mm),
        p(f"{data.section_name}（{data.section_code}）", "to"), p("所属長　様", "to"), Spacer(1, 4 * mm),
        p(data.sender, "meta"), Spacer(1, 10 * mm),
        p(TITLE, "title"), Spacer(1, 8 * mm),
        p(BODY, "body"), Spacer(1, 6 * mm), p("記", "ki"), Spacer(1, 4 * mm),
        table, Spacer(1, 5 * mm), p(f"以上 {len(data.rows)} 件", "meta"), Spacer(1, 4 * mm), p(AFTER, "body"),
    ]

    def furniture(canvas, number, total):
        footer_rule(canvas, MARGIN_X, PAGE_WIDTH - MARGIN_X)
        canvas.setFont(fonts.gothic, 8)
        canvas.drawString(MARGIN_X, FOOTER_Y, f"督促通知　{data.number}　{data.section_name}")
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, FOOTER_Y, f"{number} / {total}")

    doc.build(story, canvasmaker=numbered_canvas(furniture))
    return out.getvalue()

