"""`make bench`: speed of the geodesic zone logic, as ratios to a raw baseline in the same run.

Baseline: vectorised pyproj Geod.inv calls, the least work any exact geodesic method must do.
For one point, one call from the point to every perimeter vertex; for a batch of points, one
geodesic per point (as if each point's nearest vertex were known). Measured:
incidents.geo.distance_to_perimeter_m (one point) and distances_to_perimeter_m (the batch),
which also find the nearest point along each edge. Points lie within 8 km of a site of 4, 64
or 1,024 vertices. Times are medians of repeated runs.
"""

import statistics
import time

import numpy as np
from shapely.geometry import Polygon

from incidents import geo

REPEATS = 15
BATCH = 10_000


def circle(lon, lat, radius_m, vertices):
    azimuths = np.linspace(0, 360, vertices, endpoint=False)
    x, y, _ = geo.WGS84.fwd(
        np.full(vertices, lon), np.full(vertices, lat), azimuths, np.full(vertices, radius_m)
    )
    return Polygon(zip(x, y, strict=True))


def median_seconds(function, repeats=REPEATS):
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main():
    lon, lat = 106.656, -6.12557
    px, py, _ = geo.WGS84.fwd(lon, lat, 33, 4000)
    rng = np.random.default_rng(5)
    xs, ys, _ = geo.WGS84.fwd(
        np.full(BATCH, lon),
        np.full(BATCH, lat),
        rng.uniform(0, 360, BATCH),
        8000 * np.sqrt(rng.uniform(0, 1, BATCH)),
    )
    print(f"{'vertices':>8} {'points':>7} {'baseline ms':>12} {'geo ms':>8} {'ratio':>7}")
    for vertices in (4, 64, 1024):
        perimeter = circle(lon, lat, 1500, vertices)
        vx, vy = np.asarray(perimeter.exterior.coords).T

        def one_baseline(vx=vx, vy=vy):
            geo.WGS84.inv(np.full_like(vx, px), np.full_like(vy, py), vx, vy)

        def one_measured(perimeter=perimeter):
            geo.distance_to_perimeter_m(px, py, perimeter)

        def batch_baseline(vx=vx, vy=vy):
            geo.WGS84.inv(xs, ys, np.full(BATCH, vx[0]), np.full(BATCH, vy[0]))

        def batch_measured(perimeter=perimeter):
            geo.distances_to_perimeter_m(xs, ys, perimeter)

        for points, baseline, measured, repeats in (
            (1, one_baseline, one_measured, REPEATS),
            (BATCH, batch_baseline, batch_measured, 3),
        ):
            base = median_seconds(baseline, repeats)
            ours = median_seconds(measured, repeats)
            print(
                f"{vertices:>8} {points:>7} {base * 1e3:>12.3f} {ours * 1e3:>8.3f}"
                f" {ours / base:>6.1f}x"
            )


if __name__ == "__main__":
    main()
