"""The findings sheet (情報セキュリティ実地監査 結果票): an A4 PDF built from plain data."""
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import qrcode
from PIL import Image as PILImage
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    LayoutError,
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from spotcheck.integrity import ChainLink
from spotcheck.pdfpages import (FOOTER_Y, LABEL_FILL, MARGIN_TOP, MARGIN_X, PAGE_HEIGHT, PAGE_WIDTH, RULE, THICK,
                                 THIN, WIDTH, CachedParagraph, footer_rule, numbered_canvas)
from spotcheck.wareki import format_date, format_datetime, with_fiscal_year

SHEET_TITLE = "情報セキュリティ実地監査 結果票"
ASCII_SPACES = re.compile(r"[ \t\r\f\v]+")


@dataclass(frozen=True)
class SelfReport:
    """One self-check answer linked to a check, e.g. (19, "外部記録媒体", "① できている", date)."""

    item_no: int
    topic: str
    answer_label: str  # "" when the item was left blank
    answered_on: date | None


@dataclass(frozen=True)
class CheckRow:
    """One on-site check as observed, next to what the person reported about it."""

    no: int
    title: str
    self_reports: tuple[SelfReport, ...]
    result_label: str
    discrepancy: bool
    remark: str
    photo_numbers: tuple[int, ...]


@dataclass(frozen=True)
class InterviewRow:
    """One interview question as asked, the self-check items it tests, and its verdict (正答/誤答)."""

    no: int
    question: str
    items: str  # "No.10・No.12"
    result_label: str
    wrong: bool


@dataclass(frozen=True)
class Finding:
    """A numbered finding (指摘) the section must answer by its due date."""

    no: int
    check_title: str
    basis: str
    fact: str
    category: str  # the result's label as the pinned checklist words it (不適合 or 重大)
    photo_numbers: tuple[int, ...]
    due: date


@dataclass(frozen=True)
class Photo:
    """A numbered evidence photo: an already downsized, EXIF-free JPEG."""

    number: int
    caption: str
    jpeg_path: Path


@dataclass(frozen=True)
class Signature:
    """A signature box: the drawn signature (PNG), or a refusal and its reason."""

    role_label: str
    name: str
    signed_at: datetime | None
    png: bytes | None
    refused: bool
    refusal_reason: str


@dataclass(frozen=True)
class SubjectHeader:
    """The header lines of a section's or contract's sheet, in place of the person's name and employment."""

    section_label: str  # 被監査所属, or 所管課 for a contract
    first: tuple[str, str, str, str]  # label, value, label, value
    second: tuple[str, str]  # label, value (the checklist version follows on the same line)
    report_heading: str  # the self-report column: 所属の自己申告（集計） …
    report_note: str  # what the counts are, printed under the table


@dataclass(frozen=True)
class SheetData:
    """Everything printed on one findings sheet; title is normally SHEET_TITLE."""

    serial: str
    version: int
    amended: bool
    supersedes: str | None
    title: str
    issued_on: date
    campaign_title: str
    fiscal_year: int
    checklist_version: str
    basis: str
    section: str
    person_name: str
    staff_no: str
    employment: str
    auditors: tuple[str, ...]
    selection: str  # 抽選（抽選記録 No.3） or 任意選定（理由：…）
    started_at: datetime
    finished_at: datetime
    overall_comment: str
    rows: tuple[CheckRow, ...]
    findings: tuple[Finding, ...]
    photos: tuple[Photo, ...]
    signatures: tuple[Signature, ...]
    verify_url: str
    digest: str
    chain: ChainLink | None = None  # the sheet's own entry in the hash chain, printed so paper proves the log
    subject: SubjectHeader | None = None  # a section or contract visit; None for a person
    categories: tuple[str, ...] = ()  # labels of the finding results, lightest first: the 区分 tick boxes
    interview: tuple[InterviewRow, ...] = ()  # 聞き取り: the questions asked and their verdicts


MARGIN_BOTTOM = 18 * mm

HEADING_FILL = colors.HexColor("#D4D4D4")
DISCREPANCY_FILL = colors.HexColor("#FCE4D6")

IMPROVEMENT_REQUEST = "上記の指摘事項について、回答期限までに改善報告を提出してください。"
NO_FINDINGS = "指摘事項はありません。"
QR_CAPTION = "この結果票の真正性は QR コードから確認できます"


def build_sheet(data: SheetData, fonts) -> bytes:
    """Render the findings sheet as PDF bytes with the fonts from fonts.register_fonts()."""
    kit = _kit(fonts.gothic, fonts.mincho)
    try:
        return _render(data, kit, split_rows=False)
    except LayoutError:
        # A text taller than a page (a very long remark, fact or comment) cannot move to the
        # next page whole; only then are table rows allowed to continue across pages.
        return _render(data, kit, split_rows=True)


def _render(data, kit, split_rows):
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        # Only the title and the serial: the person's name stays out of the metadata,
        # which file listings and search indexes show without opening the document.
        title=f"{data.title} {data.serial}",
        author="",
        subject="",
        keywords="",
        creator="spotcheck",
        lang="ja-JP",
        initialFontName=kit.mincho,
    )
    doc.build(_story(data, kit, split_rows), canvasmaker=_canvas_class(data, kit))
    return out.getvalue()


# ---------------------------------------------------------------- text


class _Kit:
    """The sheet's paragraph styles for one pair of fonts: Mincho for what was written, Gothic for the form."""

    def __init__(self, gothic, mincho):
        self.gothic = gothic
        self.mincho = mincho

        def style(name, font, size, leading=None, **kw):
            return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading or size * 1.45, wordWrap="CJK", **kw)

        self.styles = {
            "title": style("title", gothic, 17, 24, alignment=TA_CENTER),
            "amended": style("amended", gothic, 12, 16, alignment=TA_CENTER),
            "amended_note": style("amended_note", mincho, 8.5, 12, alignment=TA_CENTER),
            "heading": style("heading", gothic, 11.5, 16, spaceBefore=5 * mm, spaceAfter=1.5 * mm),
            "note": style("note", mincho, 8, 11),
            "label": style("label", gothic, 8.5, 12),
            "value": style("value", mincho, 9.5, 14),
            "cell": style("cell", mincho, 8.5, 12.5),
            "answer": style("answer", mincho, 8.5, 12.5, leftIndent=8.5),
            "mark": style("mark", gothic, 8.5, 12.5, alignment=TA_CENTER),
            "ref": style("ref", gothic, 8, 12),
            "body": style("body", mincho, 10, 16),
            "caption": style("caption", mincho, 9, 13, alignment=TA_CENTER, spaceBefore=5),
            "qr_caption": style("qr_caption", gothic, 6.5, 9, alignment=TA_CENTER),
            "qr_url": style("qr_url", mincho, 5.5, 7, alignment=TA_CENTER),
            "refused": style("refused", gothic, 12, 16, alignment=TA_LEFT),
        }
        # One parsed fragment per style: plain text is cloned into it instead of going
        # through ReportLab's markup parser, which costs ten times as much.
        self._fragments = {name: Paragraph("x", st).frags[0] for name, st in self.styles.items()}

    def p(self, text, style):
        """A paragraph of plain user text (no markup), its line breaks kept."""
        text = text or ""
        if "\n" in text:
            return CachedParagraph(escape(text).replace("\n", "<br/>"), self.styles[style])
        # Only ASCII whitespace is tidied: the full-width space in 「夏井　美咲」 is part of the name.
        text = ASCII_SPACES.sub(" ", text).strip(" ")
        if not text:
            return CachedParagraph("", self.styles[style])
        return CachedParagraph(text, self.styles[style], frags=[self._fragments[style].clone(text=text)])

    def markup(self, xml, style):
        """A paragraph of ReportLab markup (the caller escapes user text)."""
        return CachedParagraph(xml, self.styles[style])


_kits = {}


def _kit(gothic, mincho):
    if (gothic, mincho) not in _kits:
        _kits[gothic, mincho] = _Kit(gothic, mincho)
    return _kits[gothic, mincho]


def _photo_refs(numbers):
    """写真1、2 for the photo numbers, or "" when there are none."""
    return "写真" + "、".join(str(n) for n in numbers) if numbers else ""


def _time(dt):
    return f"{dt.hour}時{dt.minute}分"


def _period(start, end):
    """令和6年2月2日 9時30分 ～ 10時5分 (the date is repeated only when it changes)."""
    if start.date() == end.date():
        return f"{format_datetime(start)} ～ {_time(end)}"
    return f"{format_datetime(start)} ～ {format_datetime(end)}"


def _grid(kit, extra=(), split_rows=False):
    """The ruled look of a paper form: thin inner lines, a heavier frame, Gothic for plain-text cells."""
    # ReportLab splits a row across pages only when its cells are aligned to the top.
    top = [("VALIGN", (0, 0), (-1, -1), "TOP")] if split_rows else []
    return TableStyle(
        [
            # Every cell gets a font, or ReportLab selects Helvetica and puts it in the PDF.
            ("FONT", (0, 0), (-1, -1), kit.gothic, 8.5, 12),
            ("GRID", (0, 0), (-1, -1), THIN, RULE),
            ("BOX", (0, 0), (-1, -1), THICK, RULE),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            *extra,
            *top,
        ]
    )


def _plain(kit, extra=()):
    """Layout-only table style: no rules, no padding."""
    return TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), kit.gothic, 8.5, 12),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            *extra,
        ]
    )


# ---------------------------------------------------------------- flowables


class _QrCode(Flowable):
    """A vector QR code (error correction M) with its quiet zone, drawn as one filled path."""

    def __init__(self, text, size):
        super().__init__()
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        code.add_data(text)
        code.make(fit=True)
        self.matrix = code.get_matrix()  # includes the 4-module quiet zone
        self.size = size

    def wrap(self, available_width, available_height):
        return self.size, self.size

    def draw(self):
        n = len(self.matrix)
        # One rectangle per run of dark modules, in module units with the origin at the top
        # left, written as PDF operators directly: through the path API the ~800 rectangles
        # cost more than the rest of the page's drawing.
        ops = []
        for r, row in enumerate(self.matrix):
            c = 0
            while c < n:
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < n and row[c]:
                    c += 1
                # A hair taller than a module so that rows never show seams when rasterised.
                ops.append(f"{start} {-r - 1.02:.2f} {c - start} 1.04 re")
        canv = self.canv
        canv.saveState()
        canv.setFillColor(colors.black)
        canv.translate(0, self.size)
        canv.scale(self.size / n, self.size / n)
        canv.addLiteral("\n".join(ops) + "\nf")
        canv.restoreState()


class _FittedImage(Flowable):
    """An image scaled to fit a box, aspect kept, centred (or sitting on the box's bottom); optionally framed."""

    def __init__(self, source, pixel_size, box_width, box_height, *, mask=None, frame=False, bottom=False):
        super().__init__()
        self.source = source
        self.pixel_size = pixel_size
        self.box_width = box_width
        self.box_height = box_height
        self.mask = mask
        self.frame = frame
        self.bottom = bottom

    def wrap(self, available_width, available_height):
        return self.box_width, self.box_height

    def draw(self):
        w, h = self.pixel_size
        scale = min(self.box_width / w, self.box_height / h)
        dw, dh = w * scale, h * scale
        x, y = (self.box_width - dw) / 2, 0 if self.bottom else (self.box_height - dh) / 2
        self.canv.drawImage(self.source, x, y, dw, dh, mask=self.mask)
        if self.frame:
            self.canv.setLineWidth(0.4)
            self.canv.rect(x, y, dw, dh, stroke=1, fill=0)


def _photo_image(photo, box_width, box_height):
    """The photo drawn straight from its JPEG file: embedded as is, never decoded or re-encoded."""
    path = Path(photo.jpeg_path)
    with PILImage.open(path) as im:  # reads the header only
        size = im.size
    # Given a .jpg path, ReportLab copies the file into the PDF and names it by the path;
    # given an ImageReader, it decodes the whole image just to compute that name.
    source = str(path) if path.suffix.lower() in (".jpg", ".jpeg") else ImageReader(str(path))
    # On the bottom of its box, so that the caption underneath stays next to it.
    return _FittedImage(source, size, box_width, box_height, frame=True, bottom=True)


# ---------------------------------------------------------------- the story


def _story(data, kit, split_rows):
    """The flowables of the sheet, top to bottom; the photos follow as an attachment (別紙)."""
    return [
        _top_block(data, kit),
        Spacer(1, 3 * mm),
        kit.p(data.title, "title"),
        Spacer(1, 4 * mm),
        _header_table(data, kit),
        *_chain_note(data, kit),
        *_overall_comment(data, kit, split_rows),
        *_check_table(data, kit, split_rows),
        *_interview_table(data, kit, split_rows),
        *_findings(data, kit, split_rows),
        *_signatures(data, kit),
        *_photos(data, kit),
    ]


def _heading(text, kit, room=30 * mm):
    """A section heading that starts a new page rather than stand alone at the bottom of one."""
    return [CondPageBreak(room), kit.p(text, "heading")]


def _top_block(data, kit):
    """Amendment mark on the left; document number and issue date on the right."""
    meta = Table(
        [["文書番号", kit.p(data.serial, "value")], ["発行日", kit.p(format_date(data.issued_on), "value")]],
        colWidths=[17 * mm, 45 * mm],
    )
    meta.setStyle(_plain(kit, [("FONT", (0, 0), (0, -1), kit.gothic, 9.5, 14), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    left = ""
    if data.amended:
        mark = [kit.p(f"訂正版（第{data.version}版）", "amended")]
        if data.supersedes:
            mark.append(kit.p(f"（{data.supersedes} を訂正）", "amended_note"))
        left = Table([[mark]], colWidths=[62 * mm])
        left.setStyle(_grid(kit, [("BOX", (0, 0), (-1, -1), 1.8, RULE), ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
    table = Table([[left, meta]], colWidths=[WIDTH - 62 * mm, 62 * mm])
    table.setStyle(_plain(kit, [("ALIGN", (0, 0), (0, 0), "LEFT")]))
    return table


def _header_table(data, kit):
    """The ruled header block, with the verification QR code in its right-hand column."""

    def row(name, text, name2=None, text2=None):
        if name2 is None:
            return [name, kit.p(text, "value"), "", "", ""]
        return [name, kit.p(text, "value"), name2, kit.p(text2, "value"), ""]

    rows = [
        row("監査名", with_fiscal_year(data.campaign_title, data.fiscal_year)),
        row("監査の根拠", data.basis),
        row(data.subject.section_label if data.subject else "被監査所属", data.section),
        row(*data.subject.first) if data.subject else row("氏名", data.person_name, "職員番号", data.staff_no),
        row(*data.subject.second, "チェックリスト版", data.checklist_version) if data.subject
        else row("任用区分", data.employment, "チェックリスト版", data.checklist_version),
        row("監査員", "、".join(data.auditors)),
        row("対象者の選定", data.selection),
        row("実施日時", _period(data.started_at, data.finished_at)),
    ]
    rows[0][4] = [
        _QrCode(data.verify_url, 30 * mm),
        kit.p(QR_CAPTION, "qr_caption"),
        Spacer(1, 1),
        kit.p(data.verify_url, "qr_url"),
    ]
    label_width, qr_width = 27 * mm, 36 * mm
    value_width = (WIDTH - 2 * label_width - qr_width) / 2
    table = Table(rows, colWidths=[label_width, value_width, label_width, value_width, qr_width])
    table.setStyle(
        _grid(
            kit,
            [
                *[("SPAN", (1, i), (3, i)) for i in (0, 1, 2, 5, 6, 7)],
                ("SPAN", (4, 0), (4, -1)),
                ("BACKGROUND", (0, 0), (0, -1), LABEL_FILL),
                ("BACKGROUND", (2, 3), (2, 4), LABEL_FILL),
                ("ALIGN", (4, 0), (4, 0), "CENTER"),
                ("LEFTPADDING", (4, 0), (4, 0), 2),
                ("RIGHTPADDING", (4, 0), (4, 0), 2),
            ],
        )
    )
    return table


def _chain_note(data, kit):
    """The sheet's place in the hash chain: with two sheets in hand, anyone can check that they link up."""
    if data.chain is None:
        return []
    link = data.chain
    text = (f"検証ログ 第{link.number}号　本票 {link.short}　直前 {link.previous_short}"
            "（QR コードの確認画面に同じ値が表示されます。監査責任者は verify-chain --head 本票の値 で、"
            "この記録以前に欠落や書換えがないことを確かめられます。）")
    return [Spacer(1, 1 * mm), kit.p(text, "note")]


def _overall_comment(data, kit, split_rows):
    box = Table([[kit.p(data.overall_comment or "（記載なし）", "body")]], colWidths=[WIDTH], splitInRow=split_rows)
    padding = [("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 7), ("LEFTPADDING", (0, 0), (-1, -1), 6), ("RIGHTPADDING", (0, 0), (-1, -1), 6)]
    box.setStyle(_grid(kit, padding, split_rows))
    return [*_heading("１　総評", kit), box]


def _self_report_lines(reports, kit, width, show_dates):
    """Each linked self-report on its own line (the answer moves to a line of its own if it would break), or 未回答."""
    if not reports:
        return kit.p("未回答", "cell")
    style = kit.styles["cell"]
    lines = []
    for r in reports:
        topic, answer = f"No.{r.item_no} {r.topic}：", r.answer_label or "未回答"
        when = f"（{format_date(r.answered_on)}）" if show_dates and r.answered_on else ""
        if stringWidth(topic + answer + when, style.fontName, style.fontSize) <= width:
            lines.append(kit.p(topic + answer + when, "cell"))
        else:
            lines += [kit.p(topic, "cell"), kit.p(answer + when, "answer")]
    return lines


def _check_table(data, kit, split_rows):
    """確認結果: one row per check, discrepancies marked and shaded; the header repeats on every page."""
    dates = {r.answered_on for row in data.rows for r in row.self_reports if r.answered_on}
    widths = [9 * mm, 32 * mm, 44 * mm, 15 * mm, 13 * mm]
    widths.append(WIDTH - sum(widths))
    rows = [["No.", "確認項目", data.subject.report_heading if data.subject else "本人の自己申告", "結果", "乖離", "所見"]]
    shading = []
    for i, row in enumerate(data.rows, start=1):
        remark = [kit.p(row.remark, "cell")] if row.remark else []
        if row.photo_numbers:
            remark.append(kit.p(_photo_refs(row.photo_numbers), "ref"))
        rows.append(
            [
                str(row.no),
                kit.p(row.title, "cell"),
                _self_report_lines(row.self_reports, kit, widths[2] - 8, show_dates=len(dates) > 1),
                kit.p(row.result_label, "mark"),
                "●乖離" if row.discrepancy else "",
                remark or "",
            ]
        )
        if row.discrepancy:
            shading.append(("BACKGROUND", (0, i), (-1, i), DISCREPANCY_FILL))
    if not data.rows:
        rows.append(["確認した項目はありません。", "", "", "", "", ""])
        shading.append(("SPAN", (0, 1), (-1, 1)))
    table = Table(rows, colWidths=widths, repeatRows=1, splitInRow=split_rows)
    table.setStyle(
        _grid(
            kit,
            [
                ("BACKGROUND", (0, 0), (-1, 0), LABEL_FILL),
                ("ALIGN", (0, 0), (-1, 0), "CENTER"),
                ("ALIGN", (0, 1), (0, -1), "CENTER"),
                ("ALIGN", (4, 1), (4, -1), "CENTER"),
                ("VALIGN", (0, 1), (-1, -1), "TOP"),
                ("VALIGN", (3, 1), (4, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (0, -1), 1),
                ("RIGHTPADDING", (0, 0), (0, -1), 1),
                ("LEFTPADDING", (3, 0), (4, -1), 2),
                ("RIGHTPADDING", (3, 0), (4, -1), 2),
                ("LINEBELOW", (0, 0), (-1, 0), THICK, RULE),
                *shading,
            ],
            split_rows,
        )
    )
    notes = "「●乖離」は、本人の自己申告と実地での確認結果が食い違う項目です（網掛け）。"
    if data.subject:
        notes = data.subject.report_note
    elif len(dates) == 1:
        notes += f"本人の自己申告は{format_date(dates.pop())}の回答です。"
    return [*_heading("２　確認結果", kit, 45 * mm), table, Spacer(1, 1 * mm), kit.p(notes, "note")]


def _interview_table(data, kit, split_rows):
    """聞き取り: each question read aloud and its verdict; a wrong answer is a 知識不足 finding in section 3."""
    if not data.interview:
        return []
    widths = [9 * mm, WIDTH - 9 * mm - 30 * mm - 28 * mm, 30 * mm, 28 * mm]
    rows = [["No.", "質問（読み上げた内容）", "セルフチェック", "判定"]]
    shading = []
    for i, row in enumerate(data.interview, start=1):
        rows.append([str(row.no), kit.p(row.question, "cell"), kit.p(row.items, "cell"),
                     kit.p(row.result_label + ("（知識不足）" if row.wrong else ""), "mark")])
        if row.wrong:
            shading.append(("BACKGROUND", (0, i), (-1, i), DISCREPANCY_FILL))
    table = Table(rows, colWidths=widths, repeatRows=1, splitInRow=split_rows)
    table.setStyle(_grid(kit, [("BACKGROUND", (0, 0), (-1, 0), LABEL_FILL), ("ALIGN", (0, 0), (-1, 0), "CENTER"),
                               ("ALIGN", (0, 1), (0, -1), "CENTER"), ("VALIGN", (0, 1), (-1, -1), "TOP"),
                               ("LINEBELOW", (0, 0), (-1, 0), THICK, RULE), *shading], split_rows))
    note = "質問は質問集から抽選で選ばれたものです。誤答は「知識不足」として指摘事項に記載します。"
    return [*_heading("２の２　聞き取り（知識の確認）", kit, 35 * mm), table, Spacer(1, 1 * mm), kit.p(note, "note")]


def _category_boxes(category, categories):
    """■不適合　□重大: the form's tick boxes (its finding results) with the finding's category ticked."""
    options = list(categories) if category in categories else [*categories, category]
    return "　".join(("■" if c == category else "□") + c for c in options)


def _finding_table(f, categories, kit, split_rows):
    """One finding as a ruled block; photos and due date share a row unless rows may split."""
    photos, due = kit.p(_photo_refs(f.photo_numbers) or "なし", "value"), kit.p(format_date(f.due), "value")
    rows = [
        [f"指摘{f.no}", f"区分　{_category_boxes(f.category, categories)}", "", ""],
        ["確認項目", kit.p(f.check_title, "value"), "", ""],
        ["根拠", kit.p(f.basis, "value"), "", ""],
        ["事実", kit.p(f.fact, "value"), "", ""],
    ]
    value_width = (WIDTH - 2 * 27 * mm) / 2
    # ReportLab cannot split a row that holds spanned cells, so the fallback layout has none.
    if split_rows:
        rows = [row[:2] for row in rows] + [["写真", photos], ["回答期限", due]]
        widths, layout = [27 * mm, WIDTH - 27 * mm], []
    else:
        rows.append(["写真", photos, "回答期限", due])
        widths = [27 * mm, value_width, 27 * mm, value_width]
        layout = [("SPAN", (1, i), (3, i)) for i in range(4)] + [("BACKGROUND", (2, 4), (2, 4), LABEL_FILL)]
    table = Table(rows, colWidths=widths, splitInRow=split_rows)
    table.setStyle(
        _grid(
            kit,
            [
                *layout,
                ("FONT", (0, 0), (-1, 0), kit.gothic, 10.5, 14),
                ("BACKGROUND", (0, 0), (-1, 0), HEADING_FILL),
                ("BACKGROUND", (0, 1), (0, -1), LABEL_FILL),
                ("LINEBELOW", (0, 0), (-1, 0), THICK, RULE),
            ],
            split_rows,
        )
    )
    return table


def _findings(data, kit, split_rows):
    """指摘事項: one ruled block per finding, then what the section must do and by when."""
    out = _heading("３　指摘事項", kit, 55 * mm if data.findings else 20 * mm)
    if not data.findings:
        return [*out, kit.p(NO_FINDINGS, "body")]
    for f in data.findings:
        table = _finding_table(f, data.categories, kit, split_rows)
        out += [table if split_rows else KeepTogether([table]), Spacer(1, 2.5 * mm)]
    return [*out, kit.p(IMPROVEMENT_REQUEST, "body")]


def _signature_cell(sig, kit, box_width, box_height):
    if sig.refused:
        return [kit.p("署名拒否", "refused"), kit.p(f"理由：{sig.refusal_reason or '（記載なし）'}", "cell")]
    if sig.png:
        reader = ImageReader(io.BytesIO(sig.png))
        return _FittedImage(reader, reader.getSize(), box_width, box_height, mask="auto")
    return ""  # left blank to be signed by hand on the printout


def _signatures(data, kit):
    """記名・署名: one ruled row per signer with the drawn signature or the refusal and its reason."""
    box_width, box_height = 62 * mm, 18 * mm
    widths = [28 * mm, 38 * mm, box_width + 6 * mm]
    widths.append(WIDTH - sum(widths))
    rows = [["区分", "氏名（記名）", "署名", "署名日時"]]
    for sig in data.signatures:
        rows.append(
            [
                kit.p(sig.role_label, "label"),
                kit.p(sig.name, "value"),
                _signature_cell(sig, kit, box_width, box_height),
                kit.p(format_datetime(sig.signed_at) if sig.signed_at else "", "cell"),
            ]
        )
    # A minimum, not a fixed height: a long refusal reason makes its row grow.
    table = Table(rows, colWidths=widths, minRowHeights=[0] + [box_height + 8 * mm] * len(data.signatures))
    table.setStyle(
        _grid(
            kit,
            [
                ("BACKGROUND", (0, 0), (-1, 0), LABEL_FILL),
                ("BACKGROUND", (0, 1), (0, -1), LABEL_FILL),
                ("ALIGN", (0, 0), (-1, 0), "CENTER"),
                ("LINEBELOW", (0, 0), (-1, 0), THICK, RULE),
                ("ALIGN", (2, 1), (2, -1), "CENTER"),
            ],
        )
    )
    scope = "本票（別紙の写真を含む。）" if data.photos else "本票"
    lead = kit.p(f"{scope}のとおり実地監査を実施し、その結果を確認しました。", "body")
    return [CondPageBreak(20 * mm), KeepTogether([kit.p("４　記名・署名", "heading"), lead, Spacer(1, 2 * mm), table])]


def _photos(data, kit):
    """別紙 写真: on a page of their own, two numbered photos per row with captions."""
    if not data.photos:
        return []
    cell_width = WIDTH / 2
    box_width, box_height = cell_width - 8 * mm, 62 * mm
    cells = [[_photo_image(p, box_width, box_height), kit.p(f"写真{p.number}　{p.caption}", "caption")] for p in data.photos]
    if len(cells) % 2:
        cells.append("")
    table = Table([cells[i : i + 2] for i in range(0, len(cells), 2)], colWidths=[cell_width, cell_width])
    table.setStyle(_plain(kit, [("ALIGN", (0, 0), (-1, -1), "CENTER"), ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]))
    note = kit.p("写真の番号は、本票の「所見」欄及び指摘事項の「写真」欄の番号に対応します。", "note")
    return [PageBreak(), kit.p(f"別紙　写真（{len(data.photos)}枚）", "heading"), note, Spacer(1, 3 * mm), table]


# ---------------------------------------------------------------- page furniture


def _canvas_class(data, kit):
    """Running head (from page 2) and footer: serial, page x / y and the verification code."""
    gothic = kit.gothic

    def furniture(canvas, number, total):
        y = FOOTER_Y
        footer_rule(canvas, MARGIN_X, PAGE_WIDTH - MARGIN_X)
        canvas.setFont(gothic, 8)
        canvas.drawCentredString(PAGE_WIDTH / 2, y, f"{number} / {total} ページ")
        canvas.drawString(MARGIN_X, y, data.serial + (f"　訂正版（第{data.version}版）" if data.amended else ""))
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, y, f"検証コード {data.digest[:16]}")
        if number > 1:
            top = PAGE_HEIGHT - 10 * mm
            canvas.setFont(gothic, 7.5)
            canvas.drawString(MARGIN_X, top, f"{data.title}（続き）　{data.section}")
            canvas.drawRightString(PAGE_WIDTH - MARGIN_X, top, f"文書番号 {data.serial}")
            canvas.line(MARGIN_X, top - 1.5 * mm, PAGE_WIDTH - MARGIN_X, top - 1.5 * mm)

    return numbered_canvas(furniture)
