"""XLSX: one row per incident with typed cells (numbers, true/false, date-times), written
row by row in openpyxl's write-only mode so memory stays flat."""

from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .registry import Exporter, register
from .table import COLUMNS, HEADERS, LOCAL_TIME, TEXT, UTC_TIME

DATE_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


@register
class XlsxExporter(Exporter):
    identifier = "xlsx"
    verbose_name = _("Excel workbook (XLSX)")
    description = _("Typed cells: times are date-times (UTC and site-local), numbers are numbers.")
    extension = "xlsx"
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def write(self, source, path):
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Incidents")
        sheet.freeze_panes = "B2"
        bold = Font(bold=True)
        header = []
        for name in HEADERS:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in source.incidents():
            sheet.append([self._cell(sheet, kind, read(row)) for _, kind, read in COLUMNS])
        book.save(path)

    def _cell(self, sheet, kind, value):
        if value is None:
            return None
        if kind in (UTC_TIME, LOCAL_TIME):
            # Excel has no time zones: UTC and local columns carry naive wall-clock times,
            # and the time_zone column says which zone the local one is in.
            cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
            cell.number_format = DATE_TIME_FORMAT
            return cell
        if kind == TEXT:
            cell = WriteOnlyCell(sheet, value=str(value))
            cell.data_type = "s"  # text that starts with = stays text, never a formula
            return cell
        return value
