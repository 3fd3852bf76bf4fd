"""Zone and distance for 100k points against one site, vs the database's own geodesic
distance over the same points (PostGIS ST_Distance on geography; SpatiaLite
ST_Distance(a, b, 1) on the ellipsoid).

Accuracy is reported twice: the largest difference from the database over all points, and,
on a sample, the largest difference of each side from an exhaustive geodesic search
(tests/geo_reference.py). SpatiaLite's ST_Distance(a, b, 1) is not the least geodesic
distance: it takes GEOS's shortest line between the two shapes in plain longitude/latitude
degrees and measures that line on the ellipsoid. Away from the equator a degree of
longitude is shorter than one of latitude, so that line ends at the wrong perimeter point
and the distance comes out too long, by up to tens of metres at 60 degrees and 8 km.
"""

import numpy as np
from django.db import connection

POINTS = 100_000
# Points checked against the exhaustive (slow) geodesic search.
SAMPLE = 2_000


def run(ctx):
    from incidents import geo
    from incidents.geo import distances_to_perimeter_m
    from incidents.models import Site
    from tests import geo_reference

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
    sample = np.random.default_rng(11).choice(POINTS, SAMPLE, replace=False)
    exact = geo_reference.distances_to_perimeter_m(lons[sample], lats[sample], perimeter)
    ours_error = float(np.max(np.abs(ours_d[sample] - exact)))
    raw_error = float(np.max(np.abs(raw_d[sample] - exact)))
    note = (
        f"largest difference from the database over all points: {worst:.3f} m; "
        f"from an exhaustive geodesic search over {SAMPLE:,} of them: ours {ours_error:.1e} m, "
        f"{raw_name} {raw_error:.3f} m (goal: within 1 m)"
    )
    if not ctx.postgres:
        note += (
            "; SpatiaLite measures GEOS's shortest line in lon/lat degrees on the ellipsoid, "
            "which is not the geodesically nearest perimeter point"
        )
    ctx.ratio(
        f"zone+distance, {POINTS:,} points",
        ours_t,
        raw_t,
        3,
        baseline=raw_name,
        note=note,
    )
    ctx.info(f"    {note}")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_points")
