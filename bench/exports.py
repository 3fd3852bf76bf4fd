"""Exports of the incidents in a bbox (about 10% of the rows: 100k at SIZE=large).

CSV vs COPY of the same rows and columns (PostGIS) or SELECT + csv.writer (SpatiaLite);
GeoPackage vs ogr2ogr from one SQL query of the incident layer's columns."""

import csv
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.db import connection

from .common import bbox_rows, raw_bbox_where


def run(ctx):
    csv_export(ctx)
    gpkg_export(ctx)


def _source(queryset):
    from incidents.exports.source import ExportSource

    return ExportSource(
        queryset=queryset, filter_query="", generated_by="bench", generated_at=datetime.now(UTC)
    )


def _ogr_source():
    """The database as GDAL names it: a PG: connection string or the SQLite file."""
    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        return str(settings["NAME"])
    parts = {
        "dbname": settings["NAME"],
        "host": settings["HOST"],
        "port": settings["PORT"],
        "user": settings["USER"],
        "password": settings["PASSWORD"],
    }
    return "PG:" + " ".join(f"{k}={v}" for k, v in parts.items() if v)


NLN = ("-nln", "incidents")


def gpkg_export(ctx):
    """GeoPackage: the exporter (incidents layer plus the small drone, site and zone layers)
    vs ogr2ogr writing the incidents layer's columns from one SQL query."""
    import subprocess

    from django.contrib.gis.gdal import DataSource

    from incidents.exports.gpkg import GeoPackageExporter

    bbox, in_box = bbox_rows(0.10)
    n_box = in_box.count()
    sql = (
        "SELECT i.reference, s.code AS site_code, i.status, i.severity, i.zone, i.zone_ring_m, "
        "i.distance_m, i.first_seen AS first_seen_utc, s.timezone AS time_zone, i.drone_count, "
        "i.category, i.make_model, i.altitude_m, i.detection_methods, i.behaviours, "
        "i.narrative, i.location FROM incidents_incident i "
        "JOIN incidents_site s ON s.id = i.site_id WHERE " + raw_bbox_where(ctx.postgres, bbox, "i")
    )
    with tempfile.TemporaryDirectory() as folder:
        ours_path = Path(folder) / "ours.gpkg"
        raw_path = Path(folder) / "raw.gpkg"

        def ours():
            GeoPackageExporter().write(_source(in_box), ours_path)

        def raw():
            raw_path.unlink(missing_ok=True)
            subprocess.run(
                ["ogr2ogr", "-f", "GPKG", str(raw_path), _ogr_source(), "-sql", sql, *NLN],
                check=True,
                capture_output=True,
            )

        ours_t, _ = ctx.timed(ours)
        raw_t, _ = ctx.timed(raw)
        # Read back with Django's GDAL: pyogrio's GeoPackage driver crashes beside SpatiaLite.
        ours_n = len(DataSource(str(ours_path))["incidents"])
        raw_n = len(DataSource(str(raw_path))["incidents"])
        assert ours_n == raw_n == n_box, (ours_n, raw_n, n_box)
        ctx.ratio(
            f"GeoPackage export, {n_box:,} incidents",
            ours_t,
            raw_t,
            1.2,
            baseline="ogr2ogr -sql",
            note="ours also writes the drone, site and zone layers",
        )


# The CSV's 36 columns as the database stores them (times, floats, booleans and JSON lists in
# the database's own text form): what a raw dump of the same rows costs.
RAW_COLUMNS = (
    "i.reference, s.code, s.name, i.status, i.severity, i.computed_severity, i.zone, "
    "i.zone_ring_m, i.distance_m, i.first_seen, i.first_seen, i.last_seen, i.last_seen, "
    "s.timezone, i.reported_at, ST_Y(i.location), ST_X(i.location), i.altitude_m, "
    "i.altitude_method, i.drone_count, i.category, i.make_model, i.colour, i.lights, "
    "i.heading_deg, i.speed_kmh, i.behaviours, i.payload_seen, i.payload_description, "
    "i.detection_methods, i.operator_seen, i.operator_description, i.source, "
    "i.authority_reference, i.external_id, i.narrative"
)


def csv_export(ctx):
    """CSV: the exporter (COPY with the cells formatted by PostgreSQL; on SpatiaLite tuples
    formatted in Python) vs a raw dump of the same rows and columns, unformatted."""
    from incidents.exports.csvfile import CsvExporter

    bbox, in_box = bbox_rows(0.10)
    n_box = in_box.count()
    sql = (
        f"SELECT {RAW_COLUMNS} FROM incidents_incident i JOIN incidents_site s "
        "ON s.id = i.site_id WHERE "
        + raw_bbox_where(ctx.postgres, bbox, "i")
        + " ORDER BY i.first_seen DESC, i.id"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ours.csv"

        def ours_csv():
            CsvExporter().write(_source(in_box), path)
            with open(path, encoding="utf-8-sig", newline="") as handle:
                return sum(1 for _ in csv.reader(handle)) - 1

        if ctx.postgres:

            def raw_csv():
                rows = 0
                statement = f"COPY ({sql}) TO STDOUT WITH CSV"
                with (
                    open(Path(folder) / "raw.csv", "wb") as out,
                    connection.cursor() as cursor,
                    cursor.cursor.copy(statement) as copy,
                ):
                    for row in copy:
                        out.write(row)
                        rows += 1
                return rows

            raw_name = "COPY (same rows and columns) TO STDOUT"
        else:

            def raw_csv():
                raw_path = Path(folder) / "raw.csv"
                with open(raw_path, "w", newline="") as out, connection.cursor() as c:
                    c.execute(sql)
                    rows = c.fetchall()
                    csv.writer(out).writerows(rows)
                return len(rows)

            raw_name = "SELECT (same rows and columns) + csv.writer"
        # Counting the rows back is outside the timing: ours_csv's count is only checked once.
        ours_t, _ = ctx.timed(lambda: CsvExporter().write(_source(in_box), path))
        raw_t, raw_n = ctx.timed(raw_csv)
        ours_n = ours_csv()
        assert ours_n == raw_n == n_box, (ours_n, raw_n, n_box)
        ctx.ratio(
            f"CSV export, {n_box:,} rows, 36 columns",
            ours_t,
            raw_t,
            1.5,
            baseline=raw_name,
            note="ours formats every cell (ISO times in UTC and site-local, defusing, redaction)",
        )
