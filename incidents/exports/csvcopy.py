"""The CSV export written by PostgreSQL itself: COPY (query) TO STDOUT, streamed to the file.

The query formats every cell exactly as csvfile.write_python does (tests/test_exports_csv.py
compares the bytes): times in UTC with a Z and local to the site with its offset, floats as
Python writes them, true/false, lists joined with ";", formula-looking text defused, operator
fields blank where the exporting person may not see them. Empty cells are NULLs, which COPY
writes unquoted as Python's csv does; COPY ends rows with LF where Python's csv writes CRLF,
so each row's last byte is replaced as it is streamed (COPY sends one row per message).

The inner query is the export's own queryset (filters, visibility, order) selecting raw
values, with each local time converted once; the outer query only formats them.
"""

import csv
import io

from django.db import connection, transaction
from django.db.models import F, Func, TextField

from .source import Latitude, Longitude, stable_order
from .table import FORMULA_STARTS, HEADERS

PROGRESS_EVERY = 10_000


class _Sql(Func):
    """SQL from a str.format template over compiled column expressions (no parameters)."""

    def __init__(self, template, *expressions, output_field=None):
        super().__init__(*expressions, output_field=output_field or TextField())
        self.sql_template = template

    def as_sql(self, compiler, connection, **extra):
        parts = []
        for expression in self.get_source_expressions():
            sql, params = compiler.compile(expression)
            if params:
                raise ValueError("column expressions only")
            parts.append(sql)
        return self.sql_template.format(*parts), []


def _at(field, zone):
    """The wall-clock time of `field` in `zone` (SQL text or a zone column), as timestamp."""
    return _Sql("({0} AT TIME ZONE " + zone + ")", F(field))


def _at_site(field):
    return _Sql("({0} AT TIME ZONE {1})", F(field), F("site__timezone"))


# The raw values the inner query selects, by name.
INNER = {
    "reference": F("reference"),
    "site_code": F("site__code"),
    "site_name": F("site__name"),
    "site_zone": F("site__timezone"),
    "site_id": F("site_id"),
    "status": F("status"),
    "severity": F("severity"),
    "computed_severity": F("computed_severity"),
    "zone": F("zone"),
    "zone_ring_m": F("zone_ring_m"),
    "distance_m": F("distance_m"),
    "first_utc": _at("first_seen", "'UTC'"),
    "first_local": _at_site("first_seen"),
    "last_utc": _at("last_seen", "'UTC'"),
    "last_local": _at_site("last_seen"),
    "reported_utc": _at("reported_at", "'UTC'"),
    "lat": Latitude("location"),
    "lon": Longitude("location"),
    "altitude_m": F("altitude_m"),
    "altitude_method": F("altitude_method"),
    "drone_count": F("drone_count"),
    "category": F("category"),
    "make_model": F("make_model"),
    "colour": F("colour"),
    "lights": F("lights"),
    "heading_deg": F("heading_deg"),
    "speed_kmh": F("speed_kmh"),
    "behaviours": F("behaviours"),
    "behaviours_text": _Sql("{0}::text", F("behaviours")),
    "payload_seen": F("payload_seen"),
    "payload_description": F("payload_description"),
    "detection_methods": F("detection_methods"),
    "detection_methods_text": _Sql("{0}::text", F("detection_methods")),
    "operator_seen": F("operator_seen"),
    "operator_description": F("operator_description"),
    "source": F("source"),
    "authority_reference": F("authority_reference"),
    "external_id": F("external_id"),
    "narrative": F("narrative"),
}

# The session settings that those text forms depend on, made explicit for the export. JIT
# off: the many small expressions make the planner expect a costly query, and compiling
# them takes longer than running them.
SETTINGS = {
    "DateStyle": "ISO, MDY",
    "IntervalStyle": "postgres",
    "extra_float_digits": "1",
    "jit": "off",
}

_STARTS = ", ".join(str(ord(c)) for c in FORMULA_STARTS)


def text(value):
    """Empty text as NULL; text starting with a formula character gets an apostrophe."""
    return (
        f"CASE WHEN ascii({value}) IN ({_STARTS}) THEN '''' || {value} ELSE NULLIF({value}, '') END"
    )


def controlled(value):
    """Empty text as NULL, for values the app itself chose (references, site codes, choice
    values, time zone names): none can start with a formula character (site codes are
    [A-Z0-9], references start with one, choices are lower-case words), so the defusing
    test of `text` is left out. table.defuse would leave them as they are too."""
    return f"NULLIF({value}, '')"


def _iso(value):
    """ISO 8601 "YYYY-MM-DDTHH:MM:SS" from timestamp text, the fraction of a second cut."""
    return f"replace(left({value}, 19), ' ', 'T')"


def utc(value):
    return f"{_iso(value)} || 'Z'"


def local(wall, offset):
    """Wall-clock time with its UTC offset, as datetime.isoformat(timespec="seconds"):
    +HH:MM, or +HH:MM:SS where the offset has seconds (local mean time before 1900)."""
    return (
        f"{_iso(wall)} || CASE WHEN left({offset}, 1) = '-' THEN "
        f"CASE WHEN right({offset}, 3) = ':00' THEN left({offset}, 6) ELSE {offset} END "
        f"WHEN right({offset}, 3) = ':00' THEN '+' || left({offset}, 5) ELSE '+' || {offset} END"
    )


def joined(value, json):
    """A JSON list of text joined with ";" as table._joined does.

    JSON text without a backslash and with two quotes per item holds only strings, none with
    a quote or an escape, separated by '", "': those are cut as text. Anything else goes
    through jsonb_array_elements_text."""
    fast = (
        f"WHEN {value} = '[]' THEN NULL "
        f"WHEN strpos({value}, E'\\\\') = 0 AND left({value}, 2) = '[\"' "
        f"AND length({value}) - length(replace({value}, '\"', '')) "
        f"= 2 * jsonb_array_length({json}) "
        f"THEN replace(substr({value}, 3, length({value}) - 4), '\", \"', ';') "
    )
    slow = (
        f"WHEN jsonb_typeof({json}) = 'array' "
        f"THEN array_to_string(ARRAY(SELECT jsonb_array_elements_text({json})), ';') "
    )
    return f"CASE {fast}{slow}END"


# What the middle query adds to the inner one, each computed once per row: the times as
# text ("YYYY-MM-DD HH:MM:SS[.ffffff]" in DateStyle ISO), the UTC offsets of the local
# times as interval text ("[-]HH:MM:SS" in IntervalStyle postgres), the lists joined.
MIDDLE = {
    "first_utc": "q.x_first_utc::text",
    "first_local": "q.x_first_local::text",
    "first_offset": "(q.x_first_local - q.x_first_utc)::text",
    "last_utc": "q.x_last_utc::text",
    "last_local": "q.x_last_local::text",
    "last_offset": "(q.x_last_local - q.x_last_utc)::text",
    "reported_utc": "q.x_reported_utc::text",
    "behaviours": joined("q.x_behaviours_text", "q.x_behaviours"),
    "detection_methods": joined("q.x_detection_methods_text", "q.x_detection_methods"),
}


def number(value):
    return f"{value}::text"


def real(value):
    """A float8 as Python's repr(): PostgreSQL's shortest round-trip digits (as Python's),
    with Python's ".0" on whole numbers and fixed notation up to 1e16."""
    return (
        f"CASE WHEN abs({value}) < 1e15 THEN "
        f"CASE WHEN {value} = trunc({value}) THEN {value}::text || '.0' ELSE {value}::text END "
        f"WHEN {value} = 'NaN' THEN 'nan' "
        f"WHEN {value} = 'Infinity' THEN 'inf' WHEN {value} = '-Infinity' THEN '-inf' "
        f"WHEN abs({value}) < 1e16 THEN "
        f"(CASE WHEN {value} < 0 THEN '-' ELSE '' END) || "
        f"left(rpad(replace(split_part(ltrim({value}::text, '-'), 'e', 1), '.', ''), 16, '0'), 16)"
        f" || '.' || coalesce(nullif(substr(replace(split_part(ltrim({value}::text, '-'), 'e', 1),"
        f" '.', ''), 17), ''), '0') "
        f"ELSE {value}::text END"
    )


def boolean(value):
    return f"CASE WHEN {value} THEN 'true' WHEN NOT {value} THEN 'false' END"


def personal(value, site_ids):
    """Operator data, blank for sites whose personal data the exporting person may not see."""
    if site_ids is None:
        return text(value)
    if not site_ids:
        return "NULL"
    keys = ", ".join(str(int(pk)) for pk in sorted(site_ids))
    return f"CASE WHEN q.x_site_id IN ({keys}) THEN {text(value)} END"


def cells(site_ids):
    """The formatted cells over the middle query `q`, in the order of table.HEADERS."""
    return [
        controlled("q.x_reference"),
        controlled("q.x_site_code"),
        text("q.x_site_name"),
        controlled("q.x_status"),
        controlled("q.x_severity"),
        controlled("q.x_computed_severity"),
        controlled("q.x_zone"),
        number("q.x_zone_ring_m"),
        real("q.x_distance_m"),
        utc("q.t_first_utc"),
        local("q.t_first_local", "q.t_first_offset"),
        utc("q.t_last_utc"),
        local("q.t_last_local", "q.t_last_offset"),
        controlled("q.x_site_zone"),
        utc("q.t_reported_utc"),
        real("q.x_lat"),
        real("q.x_lon"),
        real("q.x_altitude_m"),
        controlled("q.x_altitude_method"),
        number("q.x_drone_count"),
        controlled("q.x_category"),
        text("q.x_make_model"),
        text("q.x_colour"),
        text("q.x_lights"),
        number("q.x_heading_deg"),
        number("q.x_speed_kmh"),
        text("q.t_behaviours"),
        boolean("q.x_payload_seen"),
        text("q.x_payload_description"),
        text("q.t_detection_methods"),
        boolean("q.x_operator_seen"),
        personal("q.x_operator_description", site_ids),
        controlled("q.x_source"),
        text("q.x_authority_reference"),
        text("q.x_external_id"),
        text("q.x_narrative"),
    ]


def copy_sql(source):
    """The COPY statement of `source`'s CSV rows, parameters inlined."""
    inner = stable_order(source.queryset).values(**{f"x_{k}": v for k, v in INNER.items()})
    sql, params = inner.query.sql_with_params()
    columns = cells(source.personal_site_ids)
    assert len(columns) == len(HEADERS)
    middle = ", ".join(f"{value} AS t_{name}" for name, value in MIDDLE.items())
    # OFFSET 0 keeps the middle query a subquery, so its values are computed once per row
    # rather than copied into every cell that uses them; the inner ORDER BY stays the order.
    statement = (
        f"COPY (SELECT {', '.join(columns)} FROM (SELECT q.*, {middle} FROM ({sql}) AS q "
        f"OFFSET 0) AS q) TO STDOUT WITH (FORMAT csv)"
    )
    return connection.ops.compose_sql(statement, params)


def header():
    buffer = io.StringIO()
    csv.writer(buffer).writerow(HEADERS)
    return ("\ufeff" + buffer.getvalue()).encode()


def write_copy(source, path):
    """Write the CSV of `source` with COPY TO STDOUT; report progress every 10,000 rows."""
    statement = copy_sql(source)
    done = 0
    with open(path, "wb") as out, transaction.atomic(), connection.cursor() as cursor:
        settings = ", ".join(["set_config(%s, %s, true)"] * len(SETTINGS))
        cursor.execute(f"SELECT {settings}", [v for item in SETTINGS.items() for v in item])
        out.write(header())
        write = out.write
        with cursor.cursor.copy(statement) as copy:
            for row in copy:
                write(row[:-1])
                write(b"\r\n")
                done += 1
                if not done % PROGRESS_EVERY:
                    source._report(done)
    source._report(done)
