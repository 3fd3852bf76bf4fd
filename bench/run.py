"""`make bench SIZE=small|large`: each SkyLedger path beside its raw baseline, in one run.

    python -m bench.run --backend spatialite --size small
    DATABASE_URL=postgis://... python -m bench.run --backend postgis --size small

Generates the seeded data set (bench.data) in a separate database, then runs every pair
REPEATS times and prints the median of each side and their ratio (SkyLedger / raw).
"""

import argparse
import csv
import io
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

SIZES = {"small": 20_000, "medium": 200_000, "large": 1_000_000}
SQLITE_PATH = Path(__file__).resolve().parent.parent / "var" / "bench.sqlite3"
SLIM = ("id", "reference", "severity", "status")


def timed(function, repeats):
    samples, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def report(name, ours, raw, goal=None):
    ratio = ours / raw if raw else float("nan")
    verdict = ""
    if goal is not None:
        verdict = "meets" if ratio <= goal else "MISSES"
        verdict = f"  goal <= {goal}x: {verdict}"
    print(f"{name:<44} {ours * 1e3:>10.1f} {raw * 1e3:>10.1f} {ratio:>7.2f}x{verdict}", flush=True)


def bbox_for_fraction(fraction):
    """A bbox (lon/lat) holding about `fraction` of the incidents: whole sites, by longitude."""
    from incidents.models import Site

    from .data import MAX_OFFSET_M

    lons = sorted(s.perimeter_shape().centroid.x for s in Site.objects.all())
    wanted = max(1, round(len(lons) * fraction))
    margin = MAX_OFFSET_M / 111_000 * 3  # degrees of longitude; covers sites up to 60 degrees
    # Stop half-way to the next site so its incidents stay out.
    east = (lons[wanted - 1] + lons[wanted]) / 2 if wanted < len(lons) else 180
    return (lons[0] - margin, -90.0, min(east, lons[wanted - 1] + margin), 90.0)


def run(backend, size, repeats):
    import django

    django.setup()
    from django.contrib.gis.geos import Polygon
    from django.db import connection, transaction
    from rest_framework.renderers import JSONRenderer
    from rest_framework_gis.serializers import GeoFeatureModelSerializer

    from incidents.exports.csvfile import CsvExporter
    from incidents.exports.source import ExportSource
    from incidents.mapdata import incident_features_geojson
    from incidents.models import Incident, Site
    from incidents.services.ingest import distances_to_perimeter_m

    from . import data

    postgres = connection.vendor == "postgresql"
    data.generate(SIZES[size])
    table = Incident._meta.db_table
    total = Incident.objects.count()
    print(f"\n{backend}: {total:,} incidents, {repeats} runs each, times in ms (median)")
    print(f"{'benchmark':<44} {'SkyLedger':>10} {'raw':>10} {'ratio':>8}")

    # --- Map GeoJSON for a bbox holding ~10% of the rows ---------------------------------
    x0, y0, x1, y1 = bbox_for_fraction(0.10)
    box = Polygon.from_bbox((x0, y0, x1, y1))
    box.srid = 4326
    in_box = Incident.objects.filter(location__contained=box)
    n_box = in_box.count()
    if postgres:
        where = f"location @ ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, 4326)"
        raw_map = (
            "SELECT json_build_object('type', 'FeatureCollection', 'features', json_agg("
            "json_build_object('type', 'Feature', 'id', id, 'geometry', "
            "ST_AsGeoJSON(location, 6)::json, 'properties', json_build_object("
            "'id', id, 'reference', reference, 'severity', severity, 'status', status))))::text "
            f"FROM {table} WHERE {where}"
        )
    else:
        where = f"MbrWithin(location, BuildMbr({x0}, {y0}, {x1}, {y1}, 4326))"
        raw_map = (
            "SELECT json_object('type', 'FeatureCollection', 'features', json_group_array("
            "json_object('type', 'Feature', 'id', id, 'geometry', "
            "json(AsGeoJSON(location, 6)), 'properties', json_object("
            "'id', id, 'reference', reference, 'severity', severity, 'status', status)))) "
            f"FROM {table} WHERE {where}"
        )

    def fetch_one(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    def ours_map():
        return incident_features_geojson(in_box, fields=SLIM)

    ours_t, ours_text = timed(ours_map, repeats)
    raw_t, raw_text = timed(lambda: fetch_one(raw_map), repeats)
    # Both sides must describe the same features, or the comparison means nothing.
    assert len(json.loads(ours_text)["features"]) == len(json.loads(raw_text)["features"])
    report(f"map GeoJSON, {n_box:,} in bbox vs json_agg", ours_t, raw_t, 1.5)

    class Slim(GeoFeatureModelSerializer):
        class Meta:
            model = Incident
            geo_field = "location"
            fields = SLIM

    def serializer_map():
        return JSONRenderer().render(Slim(in_box.only(*SLIM, "location"), many=True).data)

    drf_t, _ = timed(serializer_map, max(1, repeats // 2))
    print(
        f"{'  same bbox with GeoFeatureModelSerializer':<44} {ours_t * 1e3:>10.1f} "
        f"{drf_t * 1e3:>10.1f} {ours_t / drf_t:>7.2f}x  goal: SkyLedger >= 5x faster: "
        f"{'meets' if drf_t / ours_t >= 5 else 'MISSES'} ({drf_t / ours_t:.1f}x faster)",
        flush=True,
    )

    # --- CSV export of the same rows --------------------------------------------------
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

        if postgres:

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
        ours_t, _ = timed(ours_csv, max(1, repeats // 2))
        raw_t, _ = timed(raw_csv, repeats)
        report(f"CSV export, {n_box:,} rows vs {raw_name}", ours_t, raw_t, 1.5)

    # --- bbox of ~1% of the rows: spatial index vs none -------------------------------
    x0, y0, x1, y1 = bbox_for_fraction(0.01)
    if postgres:
        sql = (
            f"SELECT id, reference FROM {table} "
            f"WHERE location @ ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, 4326)"
        )
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(f"    {line}" for (line,) in cursor.fetchall())

        def indexed():
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return len(cursor.fetchall())

        def unindexed():
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_indexscan = off")
                cursor.execute("SET LOCAL enable_bitmapscan = off")
                cursor.execute(sql)
                return len(cursor.fetchall())

    else:
        frame = f"BuildMbr({x0}, {y0}, {x1}, {y1}, 4326)"
        sql = (
            f"SELECT id, reference FROM {table} WHERE ROWID IN (SELECT ROWID FROM SpatialIndex "
            f"WHERE f_table_name = '{table}' AND f_geometry_column = 'location' "
            f"AND search_frame = {frame}) AND MbrWithin(location, {frame})"
        )
        scan = f"SELECT id, reference FROM {table} WHERE MbrWithin(location, {frame})"
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = "\n".join(f"    {row[-1]}" for row in cursor.fetchall())

        def indexed():
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return len(cursor.fetchall())

        def unindexed():
            with connection.cursor() as cursor:
                cursor.execute(scan)
                return len(cursor.fetchall())

    ours_t, n_small = timed(indexed, repeats)
    raw_t, n_scan = timed(unindexed, repeats)
    assert n_small == n_scan, (n_small, n_scan)
    print(f"EXPLAIN of the 1% bbox query ({n_small:,} rows):\n{plan}")
    print(
        f"{'bbox 1%: spatial index vs no index':<44} {ours_t * 1e3:>10.1f} {raw_t * 1e3:>10.1f} "
        f"{ours_t / raw_t:>7.3f}x  goal: >= 20x faster: "
        f"{'meets' if raw_t / ours_t >= 20 else 'MISSES'} ({raw_t / ours_t:.1f}x faster)",
        flush=True,
    )

    # --- Zone and distance for 100k points against one site ---------------------------
    import numpy as np

    from incidents import geo

    site = Site.objects.order_by("pk").first()
    centre = site.perimeter_shape().centroid
    rng = np.random.default_rng(7)
    points = 100_000
    lons, lats, _ = geo.WGS84.fwd(
        np.full(points, centre.x),
        np.full(points, centre.y),
        rng.uniform(0, 360, points),
        8000 * np.sqrt(rng.uniform(0, 1, points)),
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_points")
        if postgres:
            cursor.execute("CREATE TABLE bench_points (id int, geog geography(Point, 4326))")
            with cursor.cursor.copy("COPY bench_points (id, geog) FROM STDIN") as copy:
                for i, (x, y) in enumerate(zip(lons, lats, strict=True)):
                    copy.write_row((i, f"SRID=4326;POINT({x} {y})"))
            distance_sql = (
                "SELECT ST_Distance(p.geog, s.perimeter::geography) FROM bench_points p, "
                f"{Site._meta.db_table} s WHERE s.id = {site.pk} ORDER BY p.id"
            )
            raw_name = "ST_Distance(geography)"
        else:
            cursor.execute("CREATE TABLE bench_points (id int, geom blob)")
            connection.connection.executemany(
                "INSERT INTO bench_points VALUES (?, MakePoint(?, ?, 4326))",
                [(i, float(x), float(y)) for i, (x, y) in enumerate(zip(lons, lats, strict=True))],
            )
            distance_sql = (
                "SELECT ST_Distance(p.geom, s.perimeter, 1) FROM bench_points p, "
                f"{Site._meta.db_table} s WHERE s.id = {site.pk} ORDER BY p.id"
            )
            raw_name = "ST_Distance(a, b, 1)"

    def raw_distances():
        with connection.cursor() as cursor:
            cursor.execute(distance_sql)
            return np.array([row[0] for row in cursor.fetchall()], dtype=float)

    perimeter = site.perimeter_shape()
    radii = site.zone_radii_m

    def ours_distances():
        distances = distances_to_perimeter_m(lons, lats, perimeter)
        zones = np.searchsorted(np.asarray(radii), distances)  # the ring each point falls in
        return distances, zones

    ours_t, (ours_d, _) = timed(ours_distances, max(1, repeats // 2))
    raw_t, raw_d = timed(raw_distances, max(1, repeats // 2))
    worst = float(np.max(np.abs(ours_d - raw_d)))
    report(f"zone+distance, 100,000 points vs {raw_name}", ours_t, raw_t, 3)
    print(f"    largest difference from the database: {worst:.3f} m (goal: within 1 m)")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_points")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["spatialite", "postgis"], required=True)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if args.backend == "spatialite":
        SQLITE_PATH.parent.mkdir(exist_ok=True)
        SQLITE_PATH.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"spatialite:///{SQLITE_PATH}"
    elif not os.environ.get("DATABASE_URL", "").startswith("postgis"):
        sys.exit("Set DATABASE_URL to the PostGIS bench database (see the Makefile).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    run(args.backend, args.size, args.repeats)


if __name__ == "__main__":
    main()
