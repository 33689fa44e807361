"""Page furniture for ReportLab documents that print "page x / y": the total is known only at the end."""
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

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
