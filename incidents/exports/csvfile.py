"""CSV: one row per incident, UTF-8 with a byte-order mark so Excel reads it as UTF-8.
Times are ISO 8601: in UTC with a Z, and local to the site with the offset and zone name.

The columns are table.COLUMNS (shared with XLSX). On PostGIS the database writes the rows
itself (csvcopy.py: COPY ... TO STDOUT, streamed to the file); elsewhere they are read as
tuples chunk by chunk and formatted here. Both write the same bytes (tests/test_exports_csv.py).
"""

import csv
import json
import zoneinfo
from datetime import datetime

from django.db import connection
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from .registry import Exporter, register
from .source import Latitude, Longitude
from .table import FORMULA_STARTS, HEADERS

BOM = "\ufeff"
UTC = zoneinfo.ZoneInfo("UTC")
_FORMULA = frozenset(FORMULA_STARTS)
_BOOLEAN = {True: "true", False: "false", None: ""}  # SQLite's 1 and 0 too


# What the Python path reads, in this order (see _rows).
FIELDS = (
    "reference",
    F("site__code"),
    F("site__name"),
    F("site__timezone"),
    "site_id",
    "status",
    "severity",
    "computed_severity",
    "zone",
    "zone_ring_m",
    "distance_m",
    "first_seen",
    "last_seen",
    "reported_at",
    Latitude("location"),
    Longitude("location"),
    "altitude_m",
    "altitude_method",
    "drone_count",
    "category",
    "make_model",
    "colour",
    "lights",
    "heading_deg",
    "speed_kmh",
    "behaviours",
    "payload_seen",
    "payload_description",
    "detection_methods",
    "operator_seen",
    "operator_description",
    "source",
    "authority_reference",
    "external_id",
    "narrative",
)


def _text(value):
    """A text cell: empty for none, formula-looking text defused as table.defuse does."""
    if not value:
        return ""
    return "'" + value if value[0] in _FORMULA else value


def _utc(moment):
    """ISO 8601 UTC with a Z: from a datetime, or from SQLite's stored UTC text."""
    if moment is None:
        return ""
    if moment.__class__ is str:
        return f"{moment[:10]}T{moment[11:19]}Z"
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds")[:19] + "Z"


def _local(moment, zone):
    if moment is None:
        return ""
    if moment.__class__ is str:
        moment = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    return moment.astimezone(zone).isoformat(timespec="seconds")


def _joined(items):
    """A list (or SQLite's JSON text of one) joined with ";", then defused."""
    if items.__class__ is str:
        if items == "[]":
            return ""
        items = json.loads(items)
    return _text(";".join(items)) if items else ""


def _rows(batch, zones, shows_personal_data):
    """Format one chunk of FIELDS tuples as CSV rows (the cells of table.COLUMNS)."""
    for (
        reference,
        site_code,
        site_name,
        time_zone,
        site_id,
        status,
        severity,
        computed_severity,
        zone,
        zone_ring_m,
        distance_m,
        first_seen,
        last_seen,
        reported_at,
        latitude,
        longitude,
        altitude_m,
        altitude_method,
        drone_count,
        category,
        make_model,
        colour,
        lights,
        heading_deg,
        speed_kmh,
        behaviours,
        payload_seen,
        payload_description,
        detection_methods,
        operator_seen,
        operator_description,
        source,
        authority_reference,
        external_id,
        narrative,
    ) in batch:
        local = zones.get(time_zone)
        if local is None:
            local = zones[time_zone] = zoneinfo.ZoneInfo(time_zone)
        yield (
            _text(reference),
            _text(site_code),
            _text(site_name),
            _text(status),
            _text(severity),
            _text(computed_severity),
            _text(zone),
            zone_ring_m,
            distance_m,
            _utc(first_seen),
            _local(first_seen, local),
            _utc(last_seen),
            _local(last_seen, local),
            _text(time_zone),
            _utc(reported_at),
            latitude,
            longitude,
            altitude_m,
            _text(altitude_method),
            drone_count,
            _text(category),
            _text(make_model),
            _text(colour),
            _text(lights),
            heading_deg,
            speed_kmh,
            _joined(behaviours),
            _BOOLEAN[payload_seen],
            _text(payload_description),
            _joined(detection_methods),
            _BOOLEAN[operator_seen],
            _text(operator_description) if shows_personal_data(site_id) else "",
            _text(source),
            _text(authority_reference),
            _text(external_id),
            _text(narrative),
        )


def write_python(source, path):
    """The CSV of `source` read in chunks of tuples and formatted in Python (any database)."""
    zones = {}
    shows = source.shows_personal_data
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for batch in source.tuples(*FIELDS, raw=connection.vendor == "sqlite"):
            writer.writerows(_rows(batch, zones, shows))


@register
class CsvExporter(Exporter):
    identifier = "csv"
    verbose_name = _("CSV (spreadsheet text)")
    description = _("One row per incident; opens in Excel, LibreOffice and any database.")
    extension = "csv"
    media_type = "text/csv"

    def write(self, source, path):
        if connection.vendor == "postgresql":
            from .csvcopy import write_copy

            write_copy(source, path)
        else:
            write_python(source, path)
