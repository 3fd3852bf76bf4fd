"""CSV: one row per incident, UTF-8 with a byte-order mark so Excel reads it as UTF-8.
Times are ISO 8601: in UTC with a Z, and local to the site with the offset and zone name."""

import csv

from django.utils.translation import gettext_lazy as _

from .registry import Exporter, register
from .table import BOOLEAN, COLUMNS, HEADERS, LOCAL_TIME, TEXT, UTC_TIME, defuse


def _cell(kind, value):
    if value is None:
        return ""
    if kind == UTC_TIME:
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == LOCAL_TIME:
        return value.isoformat(timespec="seconds")
    if kind == BOOLEAN:
        return "true" if value else "false"
    if kind == TEXT:
        return defuse(str(value))
    return value


@register
class CsvExporter(Exporter):
    identifier = "csv"
    verbose_name = _("CSV (spreadsheet text)")
    description = _("One row per incident; opens in Excel, LibreOffice and any database.")
    extension = "csv"
    media_type = "text/csv"

    def write(self, source, path):
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADERS)
            for row in source.incidents():
                writer.writerow([_cell(kind, read(row)) for _, kind, read in COLUMNS])
