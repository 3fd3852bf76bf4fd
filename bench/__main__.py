"""`make bench`: speed of the geodesic zone logic, as ratios to a raw baseline in the same run.

Baseline: one vectorised pyproj Geod.inv from the point to every perimeter vertex, the least
work any exact geodesic method must do. Measured: incidents.geo.distance_to_perimeter_m,
which also finds the nearest point along each edge. Times are medians of repeated runs.
"""

import statistics
import time

import numpy as np
from shapely.geometry import Polygon

from incidents import geo

REPEATS = 30


def circle(lon, lat, radius_m, vertices):
    azimuths = np.linspace(0, 360, vertices, endpoint=False)
    x, y, _ = geo.WGS84.fwd(
        np.full(vertices, lon), np.full(vertices, lat), azimuths, np.full(vertices, radius_m)
    )
    return Polygon(zip(x, y, strict=True))


def median_seconds(function):
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main():
    lon, lat = 106.656, -6.12557
    px, py, _ = geo.WGS84.fwd(lon, lat, 33, 4000)
    print(f"{'vertices':>8} {'baseline ms':>12} {'geo ms':>8} {'ratio':>6}")
    for vertices in (4, 64, 1024):
        perimeter = circle(lon, lat, 1500, vertices)
        xs, ys = np.asarray(perimeter.exterior.coords).T

        def baseline(xs=xs, ys=ys):
            geo.WGS84.inv(np.full_like(xs, px), np.full_like(ys, py), xs, ys)

        def measured(perimeter=perimeter):
            geo.distance_to_perimeter_m(px, py, perimeter)

        base, ours = median_seconds(baseline), median_seconds(measured)
        print(f"{vertices:>8} {base * 1e3:>12.3f} {ours * 1e3:>8.3f} {ours / base:>6.1f}x")


if __name__ == "__main__":
    main()
