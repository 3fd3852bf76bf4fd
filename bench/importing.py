"""Bulk import of incidents: the importer path (read a CSV, check every row, compute zone,
distance, severity and reference, write with COPY on PostGIS or executemany on SpatiaLite)
vs writing the same final rows straight into the incidents table (COPY; SpatiaLite:
executemany). The audit triggers are on for both, as they are in the bench database.

100,000 rows at SIZE=large; at smaller sizes a tenth of the data set, at least 10,000 rows
(the printed name says how many). Each repeat runs inside a transaction that is rolled back,
so the incidents, the reference counters and the audit entries it wrote all go again and
the data set stays as found."""

import csv
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from django.db import connection, transaction

SITES = 5
MAX_ROWS = 100_000
START = datetime(2025, 1, 1, tzinfo=UTC)


def row_count(ctx):
    return min(MAX_ROWS, max(10_000, ctx.count // 10))


def write_csv(path, sites, count, seed=11):
    """A CSV log of `count` incidents over `sites`, as an operator would bring in."""
    from incidents import geo

    rng = np.random.default_rng(seed)
    site_of = rng.integers(0, len(sites), count)
    centres = [s.perimeter_shape().centroid for s in sites]
    lons, lats, _ = geo.WGS84.fwd(
        np.array([centres[i].x for i in site_of]),
        np.array([centres[i].y for i in site_of]),
        rng.uniform(0, 360, count),
        8000 * np.sqrt(rng.uniform(0, 1, count)),
    )
    seconds = rng.integers(0, 300 * 86400, count)
    durations = rng.integers(0, 1800, count)
    categories = ["multirotor", "fixed_wing", "Unknown", "VTOL"]
    methods = ["visual", "visual;radar", "rf", "Remote ID;visual"]
    statuses = ["submitted", "closed", "reported", "under_review"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "site_code",
                "first_seen",
                "last_seen",
                "longitude",
                "latitude",
                "drone_count",
                "category",
                "detection_methods",
                "status",
                "narrative",
                "external_id",
            ]
        )
        for i in range(count):
            first = START + timedelta(seconds=int(seconds[i]))
            writer.writerow(
                [
                    sites[site_of[i]].code,
                    first.isoformat(),
                    (first + timedelta(seconds=int(durations[i]))).isoformat(),
                    f"{lons[i]:.7f}",
                    f"{lats[i]:.7f}",
                    int(rng.choice([1, 1, 1, 2, 4])),
                    categories[i % 4],
                    methods[i % 4],
                    statuses[i % 4],
                    f"Seen from gate {i % 17}, moving north.",
                    f"LOG-{i:06d}",
                ]
            )


def _columns():
    from incidents.models import Incident

    return [f.column for f in Incident._meta.concrete_fields if not f.primary_key]


def _last_id(table):
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
        return cursor.fetchone()[0]


def _rows_after(table, columns, last_id):
    """The rows written after `last_id`, every column but the id, in reference order."""
    names = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {names} FROM "{table}" WHERE id > %s ORDER BY reference', [last_id])
        return cursor.fetchall()


def _dump(table, columns, last_id):
    """The written rows as the raw side will write them: COPY text (PostGIS) or the stored
    values, geometry blobs included (SpatiaLite)."""
    names = ", ".join(f'"{c}"' for c in columns)
    if connection.vendor == "postgresql":
        chunks = []
        with connection.cursor() as cursor:
            sql = f'COPY (SELECT {names} FROM "{table}" WHERE id > {int(last_id)}) TO STDOUT'
            with cursor.cursor.copy(sql) as copy:
                chunks.extend(bytes(data) for data in copy)
        return b"".join(chunks)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {names} FROM "{table}" WHERE id > %s', [last_id])
        return cursor.fetchall()


def _raw_write(table, columns, dumped):
    names = ", ".join(f'"{c}"' for c in columns)
    if connection.vendor == "postgresql":
        sql = f'COPY "{table}" ({names}) FROM STDIN'
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            copy.write(dumped)
        return
    marks = ", ".join("?" for _ in columns)
    connection.ensure_connection()
    connection.connection.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', dumped)


def run(ctx):
    from incidents.importers.incidents import import_incidents
    from incidents.models import Incident, Site
    from incidents.services.ingest import distances_to_perimeter_m

    count = row_count(ctx)
    sites = list(Site.objects.order_by("pk")[:SITES])
    table = Incident._meta.db_table
    columns = _columns()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "incidents.csv"
        write_csv(path, sites, count)

        # Each repeat times one import and then one raw write, side by side, so that a
        # change in the machine's load (it is shared) weighs on both alike.
        ours_samples, raw_samples = [], []
        imported = dumped = None
        for _ in range(ctx.repeats):
            with transaction.atomic():
                before = _last_id(table)
                start = time.perf_counter()
                with open(path, "rb") as handle:
                    report = import_incidents(handle, path.name)
                ours_samples.append(time.perf_counter() - start)
                assert not report.problems and report.created == count, report.lines()[:5]
                if imported is None:
                    imported = _rows_after(table, columns, before)
                    dumped = _dump(table, columns, before)
                transaction.set_rollback(True)
            with transaction.atomic():
                before = _last_id(table)
                start = time.perf_counter()
                _raw_write(table, columns, dumped)
                raw_samples.append(time.perf_counter() - start)
                written = _rows_after(table, columns, before)
                transaction.set_rollback(True)
            assert written == imported and len(written) == count, "both sides, the same rows"

        # Where the importer's time goes: the geodesic distances, once per site.
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        by_site = {s.code: ([], []) for s in sites}
        for row in rows:
            by_site[row["site_code"]][0].append(float(row["longitude"]))
            by_site[row["site_code"]][1].append(float(row["latitude"]))
        start = time.perf_counter()
        for site in sites:
            distances_to_perimeter_m(*by_site[site.code], site.perimeter_shape())
        distances_s = time.perf_counter() - start

    ours, raw = statistics.median(ours_samples), statistics.median(raw_samples)
    baseline = "COPY of the same rows" if ctx.postgres else "executemany INSERT of the same rows"
    note = (
        f"{count:,} rows over {len(sites)} sites, audit triggers on for both sides; "
        f"geodesic distances alone: {distances_s * 1e3:.0f} ms"
    )
    ctx.ratio(
        f"bulk import, {count:,} incidents (CSV, zones computed)", ours, raw, 2, baseline, note
    )
    ctx.info(f"    {note}")
