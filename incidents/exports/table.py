"""The columns of the tabular exports (CSV and XLSX): one row per incident, the same columns
in the same order, so a spreadsheet made from either reads the same."""

import zoneinfo

UTC = zoneinfo.ZoneInfo("UTC")
TEXT = "text"
NUMBER = "number"
UTC_TIME = "utc_time"
LOCAL_TIME = "local_time"
BOOLEAN = "boolean"


def _local(name):
    def value(row):
        moment = row[name]
        return moment.astimezone(zoneinfo.ZoneInfo(row["site_timezone"])) if moment else None

    return value


def _utc(name):
    def value(row):
        moment = row[name]
        return moment.astimezone(UTC) if moment else None

    return value


def _field(name):
    return lambda row: row[name]


def _text(name):
    return lambda row: row[name] or ""


def _joined(name):
    return lambda row: ";".join(row[name] or [])


# (header, kind, how to read it from an incident row)
COLUMNS = [
    ("reference", TEXT, _field("reference")),
    ("site_code", TEXT, _field("site_code")),
    ("site_name", TEXT, _field("site_name")),
    ("status", TEXT, _field("status")),
    ("severity", TEXT, _field("severity")),
    ("computed_severity", TEXT, _field("computed_severity")),
    ("zone", TEXT, _field("zone")),
    ("zone_ring_m", NUMBER, _field("zone_ring_m")),
    ("distance_m", NUMBER, _field("distance_m")),
    ("first_seen_utc", UTC_TIME, _utc("first_seen")),
    ("first_seen_local", LOCAL_TIME, _local("first_seen")),
    ("last_seen_utc", UTC_TIME, _utc("last_seen")),
    ("last_seen_local", LOCAL_TIME, _local("last_seen")),
    ("time_zone", TEXT, _field("site_timezone")),
    ("reported_at_utc", UTC_TIME, _utc("reported_at")),
    ("latitude", NUMBER, _field("lat")),
    ("longitude", NUMBER, _field("lon")),
    ("altitude_m", NUMBER, _field("altitude_m")),
    ("altitude_method", TEXT, _text("altitude_method")),
    ("drone_count", NUMBER, _field("drone_count")),
    ("category", TEXT, _field("category")),
    ("make_model", TEXT, _text("make_model")),
    ("colour", TEXT, _text("colour")),
    ("lights", TEXT, _text("lights")),
    ("heading_deg", NUMBER, _field("heading_deg")),
    ("speed_kmh", NUMBER, _field("speed_kmh")),
    ("behaviours", TEXT, _joined("behaviours")),
    ("payload_seen", BOOLEAN, _field("payload_seen")),
    ("payload_description", TEXT, _text("payload_description")),
    ("detection_methods", TEXT, _joined("detection_methods")),
    ("operator_seen", BOOLEAN, _field("operator_seen")),
    ("operator_description", TEXT, _text("operator_description")),
    ("source", TEXT, _field("source")),
    ("authority_reference", TEXT, _text("authority_reference")),
    ("external_id", TEXT, _text("external_id")),
    ("narrative", TEXT, _text("narrative")),
]
HEADERS = [header for header, _, _ in COLUMNS]

# A spreadsheet runs a cell that starts with one of these as a formula; free text typed by
# staff must never do that on a regulator's machine (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(text):
    """Free text made safe to open in a spreadsheet: a leading apostrophe stops a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
