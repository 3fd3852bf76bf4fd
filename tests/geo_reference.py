"""A slow, exhaustive geodesic distance from points to a perimeter: the oracle that
incidents.geo is checked against (tests only).

Every edge is searched with golden-section steps over the position along it, each probe a
pyproj Geod.fwd then Geod.inv, until the interval is under a millimetre; the distance to
both ends is taken as well. Along a geodesic the distance to a fixed point has one minimum
over an edge much shorter than half the Earth's circumference, so this finds it; it is
about a hundred geodesic solutions per point and edge, far too slow for the app.
"""

import numpy as np
import shapely

from incidents.geo import WGS84, _perimeter_edges

_INV_PHI = (np.sqrt(5.0) - 1.0) / 2.0


def distance_to_segments_m(lon, lat, lon1, lat1, lon2, lat2):
    """Least geodesic distance in metres from one point to each geodesic segment."""
    lon1, lat1, lon2, lat2 = (np.asarray(a, dtype=float) for a in (lon1, lat1, lon2, lat2))
    azimuth, _, length = (np.asarray(a, dtype=float) for a in WGS84.inv(lon1, lat1, lon2, lat2))
    px, py = np.full(len(length), float(lon)), np.full(len(length), float(lat))

    def distance_at(fractions):
        x, y, _ = WGS84.fwd(lon1, lat1, azimuth, fractions * length)
        return np.asarray(WGS84.inv(px, py, x, y)[2])

    steps = int(np.ceil(np.log(max(float(length.max(initial=0.0)), 1e-3) / 1e-4) / 0.4812)) + 1
    low, high = np.zeros(len(length)), np.ones(len(length))
    for _ in range(steps):
        a = high - _INV_PHI * (high - low)
        b = low + _INV_PHI * (high - low)
        left = distance_at(a) < distance_at(b)
        high = np.where(left, b, high)
        low = np.where(left, low, a)
    inner = distance_at((low + high) / 2)
    ends = np.minimum(distance_at(np.zeros(len(length))), distance_at(np.ones(len(length))))
    return np.minimum(inner, ends)


def distances_to_perimeter_m(lons, lats, perimeter):
    """Metres from each point to the perimeter (0 inside), every edge searched."""
    lon1, lat1, lon2, lat2 = _perimeter_edges(perimeter)
    inside = shapely.covers(perimeter, shapely.points(lons, lats))
    return np.array(
        [
            0.0 if covered else float(distance_to_segments_m(x, y, lon1, lat1, lon2, lat2).min())
            for x, y, covered in zip(lons, lats, inside, strict=True)
        ]
    )
