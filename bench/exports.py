"""Exports of the rows of a bbox: CSV vs COPY (PostGIS) or SELECT + csv.writer (SpatiaLite)."""

import csv
import io
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.contrib.gis.geos import Polygon
from django.db import connection

from .common import bbox_for_fraction


def run(ctx):
    csv_export(ctx)


def csv_export(ctx):
    from incidents.exports.csvfile import CsvExporter
    from incidents.exports.source import ExportSource
    from incidents.models import Incident

    table = Incident._meta.db_table
    x0, y0, x1, y1 = bbox_for_fraction(0.10)
    box = Polygon.from_bbox((x0, y0, x1, y1))
    box.srid = 4326
    in_box = Incident.objects.filter(location__contained=box)
    n_box = in_box.count()
    if ctx.postgres:
        where = f"location @ ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, 4326)"
    else:
        where = f"MbrWithin(location, BuildMbr({x0}, {y0}, {x1}, {y1}, 4326))"
    columns = (
        "reference, status, severity, zone, distance_m, first_seen, source, "
        "ST_X(location), ST_Y(location), drone_count, category"
    )
    with tempfile.TemporaryDirectory() as folder:

        def ours_csv():
            source = ExportSource(
                queryset=in_box,
                filter_query="",
                generated_by="bench",
                generated_at=datetime.now(UTC),
            )
            path = Path(folder) / "ours.csv"
            CsvExporter().write(source, path)
            return path.stat().st_size

        if ctx.postgres:

            def raw_csv():
                buffer = io.BytesIO()
                with connection.cursor() as cursor:
                    sql = f"COPY (SELECT {columns} FROM {table} WHERE {where}) TO STDOUT WITH CSV"
                    with cursor.cursor.copy(sql) as copy:
                        for chunk in copy:
                            buffer.write(chunk)
                return buffer.tell()

            raw_name = "COPY TO STDOUT"
        else:

            def raw_csv():
                buffer = io.StringIO()
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT {columns} FROM {table} WHERE {where}")
                    csv.writer(buffer).writerows(cursor.fetchall())
                return buffer.tell()

            raw_name = "SELECT + csv.writer"
        ours_t, _ = ctx.timed(ours_csv, max(1, ctx.repeats // 2))
        raw_t, _ = ctx.timed(raw_csv)
        ctx.ratio(f"CSV export, {n_box:,} rows", ours_t, raw_t, 1.5, baseline=raw_name)
