"""What every SkyLedger PDF shares: fonts, styles, the page furniture and time formatting.

The fonts are the DejaVu faces that ship inside matplotlib, so the charts and the text
match, every script a site name may use is covered, and no system font is needed.
"""

import functools
from datetime import UTC
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle
from reportlab.platypus.flowables import KeepTogether

PAGE_SIZE = A4
MARGIN = 16 * mm
FRAME_WIDTH = PAGE_SIZE[0] - 2 * MARGIN

INK = colors.HexColor("#1d2733")
MUTED = colors.HexColor("#5b6673")
RULE = colors.HexColor("#c9d1da")
BAND = colors.HexColor("#1f3a5f")
ZEBRA = colors.HexColor("#f3f6f9")
SEVERITY_COLOURS = {
    "low": "#4c9a5b",
    "medium": "#e0a100",
    "high": "#e0662a",
    "critical": "#b3202c",
}


@functools.cache
def register_fonts():
    """Register the DejaVu faces with reportlab once per process."""
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name, file in [
        ("Sans", "DejaVuSans.ttf"),
        ("Sans-Bold", "DejaVuSans-Bold.ttf"),
        ("Sans-Oblique", "DejaVuSans-Oblique.ttf"),
        ("Sans-BoldOblique", "DejaVuSans-BoldOblique.ttf"),
        ("Mono", "DejaVuSansMono.ttf"),
    ]:
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    pdfmetrics.registerFontFamily(
        "Sans",
        normal="Sans",
        bold="Sans-Bold",
        italic="Sans-Oblique",
        boldItalic="Sans-BoldOblique",
    )


@functools.cache
def styles():
    """The paragraph styles of every report."""
    register_fonts()
    body = ParagraphStyle("body", fontName="Sans", fontSize=8.5, leading=11, textColor=INK)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5),
        "muted": ParagraphStyle("muted", parent=body, fontSize=7.5, leading=9.5, textColor=MUTED),
        "mono": ParagraphStyle("mono", parent=body, fontName="Mono", fontSize=6.5, leading=9),
        "cell_head": ParagraphStyle(
            "cell_head", parent=body, fontName="Sans-Bold", fontSize=7.5, leading=9.5
        ),
        "number": ParagraphStyle(
            "number", parent=body, fontSize=7.5, leading=9.5, alignment=TA_RIGHT
        ),
        "title": ParagraphStyle(
            "title", parent=body, fontName="Sans-Bold", fontSize=17, leading=21, spaceAfter=2
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=body, fontSize=10, leading=13, textColor=MUTED, spaceAfter=8
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=body,
            fontName="Sans-Bold",
            fontSize=11,
            leading=14,
            textColor=BAND,
            spaceBefore=10,
            spaceAfter=4,
        ),
    }


def para(text, style="body"):
    """A paragraph of plain text (escaped: user input never becomes markup)."""
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), styles()[style])


def heading(text):
    return Paragraph(escape(str(text)), styles()["h2"])


def table(rows, widths, *, header=True, numeric_columns=(), style_extra=()):
    """A ruled table; cells that are strings become wrapped paragraphs."""
    body = []
    for row_index, row in enumerate(rows):
        cells = []
        for column, cell in enumerate(row):
            if isinstance(cell, str):
                if header and row_index == 0:
                    cell = para(cell, "cell_head")
                elif column in numeric_columns:
                    cell = para(cell, "number")
                else:
                    cell = para(cell, "small")
            cells.append(cell)
        body.append(cells)
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands += [
            ("BACKGROUND", (0, 0), (-1, 0), ZEBRA),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, BAND),
        ]
    first = 1 if header else 0
    commands += [("BACKGROUND", (0, i), (-1, i), ZEBRA) for i in range(first + 1, len(body), 2)]
    result = Table(body, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    result.setStyle(TableStyle(commands + list(style_extra)))
    return result


def field_table(pairs):
    """Label/value pairs in two columns of two, for the facts of an incident."""
    half = (len(pairs) + 1) // 2
    left, right = pairs[:half], pairs[half:]
    rows = []
    for index in range(half):
        row = []
        for side in (left, right):
            if index < len(side):
                label, value = side[index]
                row += [para(label, "muted"), para(value if value not in ("", None) else "—")]
            else:
                row += ["", ""]
        rows.append(row)
    label_width = 30 * mm
    value_width = FRAME_WIDTH / 2 - label_width
    return table(rows, [label_width, value_width, label_width, value_width], header=False)


def keep(*flowables):
    return KeepTogether(list(flowables))


# --- Times ----------------------------------------------------------------------------


def utc_text(moment, seconds=True):
    """A time in UTC, e.g. 2026-10-05 14:03:12 UTC."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime(
        "%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC"
    )


def local_text(moment, tzinfo, seconds=True):
    """A time in a site's zone, named, e.g. 2026-10-05 21:03:12 WIB (Asia/Jakarta, UTC+07:00)."""
    if moment is None:
        return ""
    local = moment.astimezone(tzinfo)
    offset = local.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}"
    clock = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    abbreviation = local.tzname()
    name = str(tzinfo.key) if hasattr(tzinfo, "key") else abbreviation
    if abbreviation and not abbreviation.startswith(("+", "-")) and abbreviation != name:
        return f"{clock} {abbreviation} ({name}, {offset})"
    return f"{clock} ({name}, {offset})"


def both_times(moment, tzinfo):
    """UTC on the first line, the site's local time on the second."""
    if moment is None:
        return ""
    return f"{utc_text(moment)}\n{local_text(moment, tzinfo)}"


# --- Pages ----------------------------------------------------------------------------


class ReportCanvas(canvas.Canvas):
    """A canvas that holds back each page until the last, so every header and footer can
    say "Page N of M" and carry the report's reference and generation time."""

    def __init__(self, *args, title, reference, generated_at, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []
        self._title = title
        self._reference = reference
        self._generated_at = generated_at

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._furniture(number, total)
            super().showPage()
        super().save()

    def _furniture(self, number, total):
        width, height = PAGE_SIZE
        self.saveState()
        self.setFillColor(BAND)
        self.rect(0, height - 10 * mm, width, 10 * mm, stroke=0, fill=1)
        self.setFillColor(colors.white)
        self.setFont("Sans-Bold", 9)
        self.drawString(MARGIN, height - 6.5 * mm, "SkyLedger")
        brand_width = pdfmetrics.stringWidth("SkyLedger", "Sans-Bold", 9)
        self.setFont("Sans", 8.5)
        self.drawString(MARGIN + brand_width + 3 * mm, height - 6.5 * mm, self._title)
        self.setFont("Sans-Bold", 8.5)
        self.drawRightString(width - MARGIN, height - 6.5 * mm, self._reference)
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, 12 * mm, width - MARGIN, 12 * mm)
        self.setFillColor(MUTED)
        self.setFont("Sans", 7.5)
        self.drawString(
            MARGIN,
            8 * mm,
            _("%(reference)s · generated %(when)s")
            % {"reference": self._reference, "when": utc_text(self._generated_at)},
        )
        self.drawCentredString(
            width / 2,
            4.5 * mm,
            _("Detection and reporting only. SkyLedger never acts against a drone."),
        )
        self.drawRightString(
            width - MARGIN,
            8 * mm,
            _("Page %(number)s of %(total)s") % {"number": number, "total": total},
        )
        self.restoreState()


def build_pdf(story, *, title, reference, generated_at, subject=""):
    """Lay out the flowables on A4 pages with the shared header and footer; PDF bytes."""
    register_fonts()
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=16 * mm,
        bottomMargin=17 * mm,
        title=f"{title} {reference}",
        author="SkyLedger",
        subject=subject,
        creator="SkyLedger",
    )
    document.build(
        story,
        canvasmaker=functools.partial(
            ReportCanvas, title=title, reference=reference, generated_at=generated_at
        ),
    )
    return buffer.getvalue()
