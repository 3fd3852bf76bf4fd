"""Pure geometry helpers: geodesic distances on the WGS84 ellipsoid, zones, perimeters.

No request, no ORM: everything here takes and returns shapely geometries or plain numbers,
with coordinates as (longitude, latitude) in degrees (EPSG:4326).

Metres are never degrees: every distance is measured along the ellipsoid with pyproj.Geod
(Karney's algorithm), so results hold at the equator, at 78 N and across the antimeridian.
"""

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Geod
from shapely.affinity import translate
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.ops import unary_union

WGS84 = Geod(ellps="WGS84")

# Golden-section steps per segment. Each shrinks the search interval by 0.618, so 50 steps
# bring a 1,000 km edge down to about a millimetre.
_GOLDEN_STEPS = 50
_INV_PHI = (np.sqrt(5.0) - 1.0) / 2.0


class Zone:
    """Where a point lies relative to a site: the values stored on Incident.zone."""

    INSIDE = "inside"
    RING = "ring"
    OUTSIDE = "outside"


@dataclass(frozen=True)
class ZoneResult:
    zone: str
    ring_m: int | None  # outer radius of the alert ring the point falls in, if any
    ring_index: int | None  # 0 for the innermost ring
    distance_m: float


def geodesic_distance_m(lon1, lat1, lon2, lat2):
    """Distance in metres between two points on the WGS84 ellipsoid."""
    return float(WGS84.inv(lon1, lat1, lon2, lat2)[2])


def _perimeter_edges(perimeter):
    """All ring segments of a (multi)polygon as four arrays: lon1, lat1, lon2, lat2."""
    starts, ends = [], []
    polygons = perimeter.geoms if isinstance(perimeter, MultiPolygon) else [perimeter]
    for polygon in polygons:
        for ring in [polygon.exterior, *polygon.interiors]:
            coords = np.asarray(ring.coords)[:, :2]
            starts.append(coords[:-1])
            ends.append(coords[1:])
    start = np.concatenate(starts)
    end = np.concatenate(ends)
    return start[:, 0], start[:, 1], end[:, 0], end[:, 1]


def distance_to_segments_m(lon, lat, lon1, lat1, lon2, lat2):
    """Shortest geodesic distance in metres from one point to each geodesic segment.

    The segments are given as arrays of their end points. Along a geodesic the distance to
    a fixed point has one minimum over a segment's length (edges of a site perimeter are far
    shorter than the half-circumference where that stops holding), so a golden-section
    search over the position along each segment finds it; all segments are searched at once.
    """
    lon1, lat1, lon2, lat2 = (np.asarray(a, dtype=float) for a in (lon1, lat1, lon2, lat2))
    azimuth, _, length = (np.asarray(a, dtype=float) for a in WGS84.inv(lon1, lat1, lon2, lat2))
    count = len(length)
    # Both probes of a step go to pyproj in one call: the arrays are laid out twice.
    start_x, start_y, heading, span = (np.tile(a, 2) for a in (lon1, lat1, azimuth, length))
    px, py = np.full(2 * count, float(lon)), np.full(2 * count, float(lat))

    def distance_at(fractions):
        n = len(fractions)
        x, y, _ = WGS84.fwd(start_x[:n], start_y[:n], heading[:n], fractions * span[:n])
        return np.asarray(WGS84.inv(px[:n], py[:n], x, y)[2])

    # Enough steps to bring the longest edge's search interval down to a millimetre.
    longest = max(float(length.max(initial=0.0)), 1e-3)
    steps = min(_GOLDEN_STEPS, int(np.ceil(np.log(longest / 1e-3) / -np.log(_INV_PHI))) + 1)
    low, high = np.zeros(count), np.ones(count)
    for _ in range(steps):
        a = high - _INV_PHI * (high - low)
        b = low + _INV_PHI * (high - low)
        probes = distance_at(np.concatenate([a, b]))
        left = probes[:count] < probes[count:]
        high = np.where(left, b, high)
        low = np.where(left, low, a)
    inner = distance_at((low + high) / 2)
    ends = np.minimum(distance_at(np.zeros(count)), distance_at(np.ones(count)))
    return np.minimum(inner, ends)


def distance_to_perimeter_m(lon, lat, perimeter):
    """Metres from the point (lon, lat) to the nearest edge of the perimeter; 0 inside it.

    `perimeter` is a shapely Polygon or MultiPolygon in EPSG:4326 whose longitudes lie in
    [-180, 180] (see `normalise_perimeter`); a site across the antimeridian is one part
    either side of it, and the distance to their union is the least distance to any part.
    """
    if perimeter.covers(Point(lon, lat)):
        return 0.0
    lon1, lat1, lon2, lat2 = _perimeter_edges(perimeter)
    # Search only the edges that could hold the nearest point. By the triangle inequality no
    # point of an edge AB is nearer than (|PA| + |PB| - |AB|) / 2, and no edge's nearest point
    # is further than the nearest vertex.
    px, py = np.full_like(lon1, lon), np.full_like(lat1, lat)
    to_start = np.asarray(WGS84.inv(px, py, lon1, lat1)[2])
    to_end = np.asarray(WGS84.inv(px, py, lon2, lat2)[2])
    length = np.asarray(WGS84.inv(lon1, lat1, lon2, lat2)[2])
    lower_bound = (to_start + to_end - length) / 2
    nearest_vertex = min(to_start.min(), to_end.min())
    near = lower_bound <= nearest_vertex + 1e-6
    return float(
        distance_to_segments_m(lon, lat, lon1[near], lat1[near], lon2[near], lat2[near]).min()
    )


def classify_zone(distance_m, radii_m):
    """Place a distance from the perimeter in the site's zones.

    `radii_m` are the alert-ring distances outward from the perimeter, increasing. A point on
    a ring's outer edge counts as inside that ring.
    """
    if distance_m <= 0:
        return ZoneResult(Zone.INSIDE, None, None, 0.0)
    for index, radius in enumerate(radii_m):
        if distance_m <= radius:
            return ZoneResult(Zone.RING, int(radius), index, float(distance_m))
    return ZoneResult(Zone.OUTSIDE, None, None, float(distance_m))


def locate(lon, lat, perimeter, radii_m):
    """Distance and zone of a point relative to a site's perimeter and alert rings."""
    return classify_zone(distance_to_perimeter_m(lon, lat, perimeter), radii_m)


def rectangle(lon, lat, half_length_m, half_width_m, bearing_deg=0):
    """A geodesic rectangle centred on (lon, lat), its long axis along `bearing_deg`.

    Corners lie half_length_m along the axis and then half_width_m across it. Longitudes
    stay continuous across 180° (see `unwrap`), as a map widget would draw them.
    """
    corners = []
    for along, across in [(0, 90), (0, -90), (180, -90), (180, 90)]:
        x, y, _ = WGS84.fwd(lon, lat, bearing_deg + along, half_length_m)
        x, y, _ = WGS84.fwd(x, y, bearing_deg + across, half_width_m)
        corners.append((x, y))
    return unwrap(Polygon(corners))


def crosses_antimeridian(geometry):
    """True when the geometry's longitudes run past ±180 (drawn across the date line)."""
    min_x, _, max_x, _ = geometry.bounds
    return min_x < -180 or max_x > 180


def _unwrap_ring(coords):
    """Shift longitudes by whole turns so that no edge jumps more than 180 degrees."""
    unwrapped = [tuple(coords[0][:2])]
    for x, y, *_ in coords[1:]:
        previous = unwrapped[-1][0]
        x += 360 * round((previous - x) / 360)
        unwrapped.append((x, y))
    return unwrapped


def unwrap(geometry):
    """The polygon(s) with continuous longitudes.

    A site across the antimeridian may arrive with its longitudes wrapped into [-180, 180]
    (an edge then jumps from 179.99 to -179.99, which read naively would wrap the globe);
    unwrapped, it runs past 180 instead, as a map widget draws it.
    """
    polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    fixed = [
        Polygon(_unwrap_ring(p.exterior.coords), [_unwrap_ring(i.coords) for i in p.interiors])
        for p in polygons
    ]
    return MultiPolygon(fixed) if isinstance(geometry, MultiPolygon) else fixed[0]


def normalise_perimeter(geometry):
    """Return the perimeter as a MultiPolygon with every longitude in [-180, 180].

    A perimeter drawn across the antimeridian arrives with longitudes past 180 (or below
    -180), as map widgets produce when a user draws over the date line, or wrapped (see
    `unwrap`). It is cut there into one part each side, as RFC 7946 asks. Nothing else is
    changed: an invalid shape is not repaired here but refused by `perimeter_problem`.
    """
    geometry = unwrap(geometry)
    if isinstance(geometry, Polygon):
        geometry = MultiPolygon([geometry])
    if not crosses_antimeridian(geometry):
        return geometry
    parts = []
    for shift in (-360, 0, 360):
        piece = translate(geometry, xoff=shift).intersection(box(-180, -90, 180, 90))
        parts.extend(p for p in getattr(piece, "geoms", [piece]) if isinstance(p, Polygon))
    return MultiPolygon([p for p in parts if not p.is_empty])


def continuous(geometry):
    """The inverse of `normalise_perimeter`, for drawing: a perimeter stored as parts either
    side of 180° becomes one shape running past 180° again, so a map shows (and lets a
    person edit) the site as it is, instead of as two slivers at opposite ends of the world.
    """
    polygons = list(geometry.geoms) if isinstance(geometry, MultiPolygon) else [geometry]
    min_x, _, max_x, _ = geometry.bounds
    if max_x - min_x <= 180:
        return geometry
    shifted = unary_union([translate(p, xoff=360) if p.bounds[2] <= 0 else p for p in polygons])
    return shifted if isinstance(shifted, MultiPolygon) else MultiPolygon([shifted])


def perimeter_problem(geometry):
    """A sentence saying what is wrong with a perimeter, or None when it is usable."""
    if geometry.is_empty:
        return "The perimeter is empty: draw the site's boundary on the map."
    if not isinstance(geometry, Polygon | MultiPolygon):
        return f"The perimeter must be a polygon, not a {geometry.geom_type}."
    if isinstance(geometry, Polygon) or len(geometry.geoms) == 1:
        geometry = unwrap(geometry)
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        return (
            f"The perimeter is not a valid polygon ({reason}). Redraw it so that no edges "
            "cross or touch and each part is a closed ring; it was not changed automatically."
        )
    min_x, min_y, max_x, max_y = geometry.bounds
    if min_y < -90 or max_y > 90:
        return "The perimeter has a latitude outside -90 to 90: check the coordinates."
    if crosses_antimeridian(geometry) and (min_x < -360 or max_x > 360 or max_x - min_x >= 180):
        return "The perimeter has a longitude outside -180 to 180: check the coordinates."
    return None


def point_problem(lon, lat):
    """A sentence saying what is wrong with a longitude/latitude pair, or None."""
    problems = []
    if not -90 <= lat <= 90:
        problems.append(f"latitude must be between -90 and 90 (got {lat:g})")
    if not -180 <= lon <= 180:
        problems.append(f"longitude must be between -180 and 180 (got {lon:g})")
    if not problems:
        return None
    text = "; ".join(problems)
    hint = " Are latitude and longitude swapped?" if -90 <= lon <= 90 and abs(lat) <= 180 else ""
    return text[0].upper() + text[1:] + "." + hint


# --- Alert rings as shapes -------------------------------------------------------------

# Largest gap allowed between a ring's true geodesic edge and the chords drawn between its
# vertices; half the 1 m the maps, exports and reports promise.
_RING_TOLERANCE_M = 0.5


def _arc_segments(distance_m):
    """Segments per quarter circle so that a chord strays at most _RING_TOLERANCE_M."""
    step = 2 * np.sqrt(2 * _RING_TOLERANCE_M / max(distance_m, 1.0))
    return int(min(256, max(8, np.ceil((np.pi / 2) / step))))


def buffer_m(perimeter, distance_m):
    """The area within `distance_m` metres of the perimeter on the WGS84 ellipsoid.

    The perimeter is buffered in an azimuthal equidistant projection centred on it, where
    metres are nearly true near the centre; every vertex of the result is then put back at
    exactly `distance_m` along the geodesic from its nearest perimeter point, so the edge is
    geodesically right to well under a metre even for rings of 100 km, at 78 N and across
    the antimeridian. Returns a MultiPolygon with longitudes in [-180, 180] (split at 180°
    like `normalise_perimeter`).
    """
    from pyproj import CRS, Transformer

    shape = continuous(perimeter)
    centre = shape.centroid
    plane = CRS.from_dict(
        {
            "proj": "aeqd",
            "lat_0": centre.y,
            "lon_0": ((centre.x + 180) % 360) - 180,
            "datum": "WGS84",
            "units": "m",
        }
    )
    forward = Transformer.from_crs("EPSG:4326", plane, always_xy=True)
    back = Transformer.from_crs(plane, "EPSG:4326", always_xy=True)
    flat = shapely.transform(shape, lambda xy: np.column_stack(forward.transform(*xy.T)))
    grown = flat.buffer(distance_m, quad_segs=_arc_segments(distance_m))
    # Straight runs get intermediate vertices so that each can be put right geodesically.
    grown = shapely.segmentize(grown, max(25.0, distance_m / 20))
    edge = flat.boundary

    def corrected(coords):
        # shortest_line runs from `edge` to each point: its first vertex is on the perimeter.
        on_edge = shapely.get_coordinates(shapely.shortest_line(edge, shapely.points(coords)))
        on_edge = on_edge[0::2]
        lon0, lat0 = back.transform(on_edge[:, 0], on_edge[:, 1])
        lon1, lat1 = back.transform(coords[:, 0], coords[:, 1])
        azimuth, _, _ = WGS84.inv(lon0, lat0, lon1, lat1)
        x, y, _ = WGS84.fwd(lon0, lat0, azimuth, np.full(len(coords), float(distance_m)))
        return _unwrap_ring(list(zip(x, y, strict=True)))

    polygons = grown.geoms if isinstance(grown, MultiPolygon) else [grown]
    result = []
    for polygon in polygons:
        exterior = corrected(np.asarray(polygon.exterior.coords))
        holes = [corrected(np.asarray(ring.coords)) for ring in polygon.interiors]
        # Keep the ring on the same side of 180° as the perimeter it surrounds.
        shift = 360 * round((centre.x - exterior[0][0]) / 360)
        exterior = [(x + shift, y) for x, y in exterior]
        holes = [[(x + shift, y) for x, y in hole] for hole in holes]
        result.append(shapely.make_valid(Polygon(exterior, holes)))
    merged = unary_union(result)
    return normalise_perimeter(_polygonal(merged))


def _polygonal(geometry):
    """The polygon parts of a geometry (make_valid may add stray lines or points)."""
    parts = getattr(geometry, "geoms", [geometry])
    polygons = []
    for part in parts:
        if isinstance(part, Polygon):
            polygons.append(part)
        elif isinstance(part, MultiPolygon):
            polygons.extend(part.geoms)
    return MultiPolygon(polygons)


@dataclass(frozen=True)
class AlertRing:
    """One alert ring of a site: the area within `radius_m` of the perimeter (`outer`) and
    the band between the previous ring (or the perimeter) and this one (`band`)."""

    index: int
    radius_m: int
    outer: MultiPolygon
    band: MultiPolygon


def alert_rings(perimeter, radii_m):
    """The site's alert rings as shapes, innermost first (see `buffer_m`)."""
    rings = []
    inner = perimeter
    for index, radius in enumerate(radii_m):
        outer = buffer_m(perimeter, radius)
        band = _polygonal(continuous(outer).difference(continuous(inner)))
        rings.append(AlertRing(index, int(radius), outer, normalise_perimeter(band)))
        inner = outer
    return rings
