"""Zone and distance for 100k points against one site, vs the database's own geodesic
distance over the same points (PostGIS ST_Distance on geography; SpatiaLite
ST_Distance(a, b, 1) on the ellipsoid), and the largest difference between the two."""

import numpy as np
from django.db import connection

POINTS = 100_000


def run(ctx):
    from incidents import geo
    from incidents.models import Site
    from incidents.services.ingest import distances_to_perimeter_m

    site = Site.objects.order_by("pk").first()
    centre = site.perimeter_shape().centroid
    rng = np.random.default_rng(7)
    lons, lats, _ = geo.WGS84.fwd(
        np.full(POINTS, centre.x),
        np.full(POINTS, centre.y),
        rng.uniform(0, 360, POINTS),
        8000 * np.sqrt(rng.uniform(0, 1, POINTS)),
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_points")
        if ctx.postgres:
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

    ours_t, (ours_d, _) = ctx.timed(ours_distances, max(1, ctx.repeats // 2))
    raw_t, raw_d = ctx.timed(raw_distances, max(1, ctx.repeats // 2))
    worst = float(np.max(np.abs(ours_d - raw_d)))
    ctx.ratio(
        f"zone+distance, {POINTS:,} points",
        ours_t,
        raw_t,
        3,
        baseline=raw_name,
        note=f"largest difference from the database: {worst:.3f} m (goal: within 1 m)",
    )
    ctx.info(f"    largest difference from the database: {worst:.3f} m (goal: within 1 m)")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_points")
