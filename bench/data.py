"""The benchmark data set: N incidents over 200 sites and 2 years, seeded, so every run and
every machine measures the same rows.

Written straight into the database (COPY on PostGIS, executemany on SpatiaLite) rather than
through `record_incident`, which would take hours for a million rows. The derived fields
(reference, zone, ring, distance, severities) are still computed with the app's own geodesic
code, vectorised, so the rows are what the app would have stored.

Audit triggers are off while the rows go in: on PostGIS the COPY runs with
session_replication_role=replica; on SpatiaLite the triggers are dropped and re-installed
afterwards (install() then baselines the new rows). So a bench database's audit log does not
hold one insert entry per generated incident; it is not a database to verify_audit.
"""

import json
import os
import time
from datetime import UTC, datetime, timedelta

import numpy as np
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import call_command
from django.db import connection, transaction

from incidents import geo
from incidents.audit import triggers
from incidents.choices import SEVERITY_ORDER, SWARM_SIZE
from incidents.models import Incident, ReferenceCounter, Site
from incidents.services.ingest import distances_to_perimeter_m

SITES = 200
SEED = 20260501
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_S = 2 * 365 * 86400
RADII = (500, 1000, 5000)
# Points fall up to this far from a site's centre: some inside, most in the rings, a few out.
MAX_OFFSET_M = 8000
STATUSES = ["submitted", "under_review", "reported", "closed", "draft"]
STATUS_WEIGHTS = [0.4, 0.2, 0.15, 0.2, 0.05]
SOURCES = ["staff", "sensor", "import"]
CATEGORIES = ["multirotor", "fixed_wing", "vtol", "helicopter", "unknown"]


def site_centres(rng):
    """Site centres spread over the inhabited latitudes, away from the antimeridian."""
    lons = rng.uniform(-170, 170, SITES)
    lats = rng.uniform(-55, 60, SITES)
    return lons, lats


def make_sites(rng):
    """200 rectangular sites, each 2 km x 1 km, created with the ORM (few rows)."""
    lons, lats = site_centres(rng)
    sites = []
    for index, (lon, lat) in enumerate(zip(lons, lats, strict=True)):
        shape = geo.rectangle(lon, lat, 1000, 500, bearing_deg=float(rng.uniform(0, 180)))
        polygon = Polygon(list(shape.exterior.coords), srid=4326)
        sites.append(
            Site(
                code=f"B{index:03d}",
                name=f"Bench site {index}",
                perimeter=MultiPolygon(polygon, srid=4326),
                zone_radii_m=list(RADII),
                timezone="UTC",
            )
        )
    return Site.objects.bulk_create(sites)


def _severity(zone, ring_index, drone_count, payload_seen):
    level = np.where(zone == "inside", 2, np.where((zone == "ring") & (ring_index == 0), 1, 0))
    level = level + (drone_count >= SWARM_SIZE) + payload_seen
    order = np.array([str(s) for s in SEVERITY_ORDER])
    return order[np.minimum(level, len(order) - 1)]


def site_rows(rng, site, count, created):
    """The incident rows of one site as column arrays (a dict of numpy arrays)."""
    centre = site.perimeter_shape().centroid
    azimuth = rng.uniform(0, 360, count)
    offset = MAX_OFFSET_M * np.sqrt(rng.uniform(0, 1, count))
    lons, lats, _ = geo.WGS84.fwd(
        np.full(count, centre.x), np.full(count, centre.y), azimuth, offset
    )
    distance = np.round(distances_to_perimeter_m(lons, lats, site.perimeter_shape()), 1)
    radii = np.array(RADII)
    ring_index = np.searchsorted(radii, distance, side="left")
    zone = np.where(distance <= 0, "inside", np.where(ring_index < len(radii), "ring", "outside"))
    ring_m = np.where(zone == "ring", radii[np.minimum(ring_index, len(radii) - 1)], -1)
    seconds = np.sort(rng.integers(0, SPAN_S, count))
    drone_count = rng.choice([1, 1, 1, 1, 2, 3, 5], count)
    payload_seen = rng.uniform(0, 1, count) < 0.05
    severity = _severity(zone, ring_index, drone_count, payload_seen)
    years = np.array([(START + timedelta(seconds=int(s))).year for s in seconds])
    references, counters = [], {}
    for year in years:
        counters[year] = counters.get(year, 0) + 1
        references.append(f"{site.code}-{year}-{counters[year]:05d}")
    return {
        "counters": counters,
        "reference": references,
        "lon": lons,
        "lat": lats,
        "seconds": seconds,
        "distance": distance,
        "zone": zone,
        "ring_m": ring_m,
        "severity": severity,
        "drone_count": drone_count,
        "payload_seen": payload_seen,
        "status": rng.choice(STATUSES, count, p=STATUS_WEIGHTS),
        "source": rng.choice(SOURCES, count, p=[0.6, 0.3, 0.1]),
        "category": rng.choice(CATEGORIES, count),
        "altitude": np.round(rng.uniform(10, 400, count), 1),
    }


COLUMNS = (
    "reference",
    "site_id",
    "status",
    "first_seen",
    "reported_at",
    "source",
    "location",
    "altitude_m",
    "altitude_method",
    "drone_count",
    "category",
    "make_model",
    "colour",
    "lights",
    "behaviours",
    "payload_seen",
    "payload_description",
    "detection_methods",
    "operator_seen",
    "operator_description",
    "authority_reference",
    "narrative",
    "zone",
    "zone_ring_m",
    "distance_m",
    "computed_severity",
    "severity",
    "severity_override",
    "severity_override_reason",
    "created_at",
    "updated_at",
)


def _tuples(site, rows, created):
    """Row tuples in COLUMNS order; the location is EWKT text, times are ISO 8601 UTC."""
    for i in range(len(rows["reference"])):
        seen = (START + timedelta(seconds=int(rows["seconds"][i]))).isoformat()
        ring = int(rows["ring_m"][i])
        yield (
            rows["reference"][i],
            site.pk,
            str(rows["status"][i]),
            seen,
            seen,
            str(rows["source"][i]),
            f"SRID=4326;POINT({rows['lon'][i]:.7f} {rows['lat'][i]:.7f})",
            float(rows["altitude"][i]),
            "estimated",
            int(rows["drone_count"][i]),
            str(rows["category"][i]),
            "",
            "",
            "",
            "[]",
            bool(rows["payload_seen"][i]),
            "",
            '["visual"]',
            False,
            "",
            "",
            "",
            str(rows["zone"][i]),
            ring if ring >= 0 else None,
            float(rows["distance"][i]),
            str(rows["severity"][i]),
            str(rows["severity"][i]),
            "",
            "",
            created,
            created,
        )


def _copy_postgres(batches):
    table = Incident._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        with cursor.cursor.copy(f'COPY "{table}" ({", ".join(COLUMNS)}) FROM STDIN') as copy:
            for rows in batches:
                for row in rows:
                    copy.write_row(row)


def _insert_sqlite(batches):
    table = Incident._meta.db_table
    marks = ", ".join("GeomFromEWKT(?)" if c == "location" else "?" for c in COLUMNS)
    sql = f'INSERT INTO "{table}" ({", ".join(COLUMNS)}) VALUES ({marks})'
    connection.ensure_connection()
    raw = connection.connection
    for rows in batches:
        raw.executemany(sql, rows)


def generate(count, seed=SEED, log=print):
    """Migrate the current database and fill it with `count` incidents over 200 sites."""
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    rng = np.random.default_rng(seed)
    created = START.isoformat()
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        if not postgres:
            triggers.uninstall(connection)
        sites = make_sites(rng)
        per_site = np.full(SITES, count // SITES)
        per_site[: count % SITES] += 1
        counters = []

        def batches():
            for site, n in zip(sites, per_site, strict=True):
                rows = site_rows(rng, site, int(n), created)
                counters.extend(
                    ReferenceCounter(site=site, year=int(y), last_number=c)
                    for y, c in rows["counters"].items()
                )
                yield list(_tuples(site, rows, created))

        (_copy_postgres if postgres else _insert_sqlite)(batches())
        ReferenceCounter.objects.bulk_create(counters)
        if not postgres:
            triggers.install(connection)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"generated {count:,} incidents over {SITES} sites in {time.perf_counter() - started:.1f}s")


def ensure(count, seed=SEED, fresh=False, log=print):
    """Generate the data set unless this database already holds it (same count and seed).

    A data set is marked complete only after its last row is in (table bench_meta), so an
    interrupted generation is thrown away and made again.
    """
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if "bench_meta" in tables and not fresh:
            cursor.execute("SELECT incidents, seed FROM bench_meta")
            if cursor.fetchall() == [(count, seed)]:
                log(f"reusing the data set of {count:,} incidents (seed {seed})")
                return
    if Site.objects.exists() or "bench_meta" in tables:
        _empty_database()
    generate(count, seed=seed, log=log)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_meta (incidents integer, seed integer)")
        cursor.execute("INSERT INTO bench_meta VALUES (%s, %s)", [count, seed])


def _empty_database():
    """Start from an empty, migrated database (this is only ever a bench database)."""
    if connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        assert "bench" in name, f"refusing to empty {name}: not a bench database"
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
            cursor.execute("CREATE EXTENSION postgis")
    else:
        path = str(connection.settings_dict["NAME"])
        assert "bench" in path, f"refusing to empty {path}: not a bench database"
        connection.close()
        os.unlink(path)
    call_command("migrate", verbosity=0)


def describe():
    """A short check that the rows are there, for the log."""
    return json.dumps(
        {
            "incidents": Incident.objects.count(),
            "sites": Site.objects.count(),
        }
    )
