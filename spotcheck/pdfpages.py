"""ReportLab pieces both PDFs share: "page x / y" furniture and paragraphs that wrap once per width."""
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

# The house style both documents share: A4, the same side margins, grey labels and black rules.
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 16 * mm
WIDTH = PAGE_WIDTH - 2 * MARGIN_X  # 174 mm
LABEL_FILL = colors.HexColor("#E6E6E6")
RULE = colors.black
THIN = 0.5
THICK = 1.2
FOOTER_Y = 11 * mm


def numbered_canvas(furniture):
    """A canvas class that holds pages back until the total is known, then calls furniture(canvas, n, total)."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.saveState()
                self.setFillColor(colors.black)
                self.setStrokeColor(colors.black)
                self.setLineWidth(0.4)
                furniture(self, number, total)
                self.restoreState()
                super().showPage()
            super().save()

    return NumberedCanvas


def footer_rule(canvas, left, right):
    """The thin line above the footer text."""
    canvas.line(left, FOOTER_Y + 4 * mm, right, FOOTER_Y + 4 * mm)


class CachedParagraph(Paragraph):
    """A Paragraph that keeps its last line breaking: tables wrap every cell again to draw it."""

    _wrapped = None

    def wrap(self, available_width, available_height):
        # Line breaking depends on the width alone, and Japanese breaking is the costliest step of
        # a sheet. Paragraph.split may drop blPara, which forces a new wrap.
        if self._wrapped is None or self._wrapped[0] != available_width or "blPara" not in self.__dict__:
            self._wrapped = (available_width, super().wrap(available_width, available_height))
        return self._wrapped[1]
