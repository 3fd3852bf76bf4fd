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
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.ops import unary_union

WGS84 = Geod(ellps="WGS84")


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


_E = np.sqrt(WGS84.es)


def _unit_vectors(lons, lats):
    """Points as unit vectors (n-vectors) on the conformal sphere: there the ellipsoid's
    scale is the same in every direction and changes only slowly with latitude, so the
    ratios of nearby distances are those on the ellipsoid to within about e^2 times the
    angle spanned (see `_Edges.candidates`)."""
    lon, lat = np.radians(lons), np.radians(lats)
    # Conformal latitude, written with sinh/asinh so that it stays exact near the poles.
    chi = np.arctan(np.sinh(np.arcsinh(np.tan(lat)) - _E * np.arctanh(_E * np.sin(lat))))
    return np.column_stack([np.cos(chi) * np.cos(lon), np.cos(chi) * np.sin(lon), np.sin(chi)])


# Edges within this factor (plus the slack below) of the nearest edge on the conformal sphere
# stay candidates. There the scale varies by e^2 ~ 0.0067 per radian of latitude at most, so
# two distances from one point spanning theta radians keep their ratio to within about
# 0.0067 * theta; twice that plus 0.01% is allowed. An edge's geodesic also strays from the
# great circle through its ends by up to about f * L^2 / (8 R); the slack covers twice that
# plus 0.5 m for rounding (an arc-cosine near 0 is good to about 0.1 m).
_MEAN_RADIUS_M = 6_371_008.8
_RATIO_PER_RADIAN = 2 * WGS84.es
_RATIO = 1.0001
_SLACK_M = 0.5
# Pairs (point x edge) held in memory at once while picking candidate edges.
_PAIRS_PER_CHUNK = 250_000
# The search along an edge stops when a step moves the foot less than this.
_STEP_TOLERANCE_M = 1e-4
_MAX_STEPS = 12


class _Edges:
    """A perimeter's edges, prepared once for many points: ends, n-vectors, geodesics."""

    def __init__(self, perimeter):
        self.lon1, self.lat1, self.lon2, self.lat2 = _perimeter_edges(perimeter)
        a, b = _unit_vectors(self.lon1, self.lat1), _unit_vectors(self.lon2, self.lat2)
        normal = np.cross(a, b)
        sine = np.linalg.norm(normal, axis=1)
        self.proper = sine > 1e-15  # zero-length edges count through their vertices only
        normal = np.where(self.proper[:, None], normal / np.maximum(sine, 1e-300)[:, None], 0)
        self.angle = np.arctan2(sine, np.einsum("ij,ij->i", a, b))
        # Rows: edge start, normal, tangent at the start toward the end, tangent at the end
        # back toward the start, end.
        self.rows = np.stack([a, normal, np.cross(normal, a), np.cross(b, normal), b], axis=1)
        # Runs of consecutive edges (neighbours along a ring) as blocks, each bounded by a
        # cap: a centre and the largest angle from it to a vertex of the block. Points are
        # first compared with the caps, then only with the edges of the caps near them.
        count = len(self.angle)
        self.block = max(1, int(np.sqrt(count)))
        ends = np.concatenate([a, b])
        owner = np.concatenate([np.arange(count), np.arange(count)]) // self.block
        centres = np.zeros((owner.max() + 1, 3))
        np.add.at(centres, owner, ends)
        centres /= np.maximum(np.linalg.norm(centres, axis=1), 1e-300)[:, None]
        cosine = np.einsum("ij,ij->i", ends, centres[owner])
        self.radius = np.zeros(len(centres))
        np.maximum.at(self.radius, owner, np.arccos(np.clip(cosine, -1, 1)))
        self.centres_t = np.ascontiguousarray(centres.T)
        azimuth, _, length = WGS84.inv(self.lon1, self.lat1, self.lon2, self.lat2)
        self.azimuth, self.length = np.asarray(azimuth), np.asarray(length)
        longest = float(self.length.max(initial=0.0))
        self.slack = (_SLACK_M + WGS84.f * longest**2 / (4 * _MEAN_RADIUS_M)) / _MEAN_RADIUS_M

    def _widen(self, angle):
        """The angle within which an edge may still hold the nearest point on the ellipsoid,
        when the nearest edge on the conformal sphere is `angle` away."""
        return angle * (_RATIO + _RATIO_PER_RADIAN * angle) + self.slack

    def candidates(self, p):
        """For unit vectors p (rows): (point, edge) index pairs that may hold each point's
        nearest perimeter point, sorted by point, and for each pair the fraction along the
        edge of the point nearest on the sphere."""
        to_centre = np.arccos(np.clip(p @ self.centres_t, -1, 1))
        # Every block holds a vertex within its radius: a bound on the nearest edge.
        reach = self._widen((to_centre + self.radius).min(axis=1))
        point, block = np.nonzero(to_centre - self.radius <= reach[:, None])
        edge = (block[:, None] * self.block + np.arange(self.block)).ravel()
        point = np.repeat(point, self.block)
        inside = edge < len(self.angle)
        point, edge = point[inside], edge[inside]
        # The angle from each point to each of those edges, on the sphere.
        cos_a, cross, along, back, cos_b = np.einsum("kj,kij->ik", p[point], self.rows[edge])
        beside = (along >= 0) & (back >= 0) & self.proper[edge]
        angle = np.where(
            beside,
            np.arcsin(np.minimum(np.abs(cross), 1)),
            np.arccos(np.clip(np.maximum(cos_a, cos_b), -1, 1)),
        )
        first = np.flatnonzero(np.r_[True, point[1:] != point[:-1]])
        best = np.minimum.reduceat(angle, first)
        keep = angle <= np.repeat(self._widen(best), np.diff(np.r_[first, len(point)]))
        point, edge = point[keep], edge[keep]
        span = self.angle[edge]
        fraction = np.arctan2(along[keep], cos_a[keep]) / np.where(span > 0, span, 1)
        return point, edge, np.clip(fraction, 0, 1)


def _nearest_along(edges, edge, px, py, fraction):
    """Geodesic distance from each point to its edge (pairs given as arrays), starting from
    a first guess of the nearest point as a fraction of the edge.

    Along a geodesic the distance d to a fixed point changes at the rate -cos(alpha), alpha
    being the angle at the foot between the edge and the way to the point; so the foot moves
    by d * cos(alpha) (a Newton step, exact on a plane) until it stops, or is held at an end.
    """
    lon1, lat1 = edges.lon1[edge], edges.lat1[edge]
    azimuth, length = edges.azimuth[edge], edges.length[edge]
    along = fraction * length
    distance = np.empty(len(edge))
    active = np.arange(len(edge))
    for _ in range(_MAX_STEPS):
        x, y, back = WGS84.fwd(lon1[active], lat1[active], azimuth[active], along[active])
        to_point, _, d = WGS84.inv(x, y, px[active], py[active])
        distance[active] = d
        step = np.asarray(d) * np.cos(np.radians(np.asarray(to_point) - np.asarray(back) - 180))
        moved = np.clip(along[active] + step, 0, length[active])
        moving = np.abs(moved - along[active]) > _STEP_TOLERANCE_M
        along[active] = moved
        active = active[moving]
        if not len(active):
            break
    return distance


def distances_to_perimeter_m(lons, lats, perimeter):
    """Metres from each point (lons[i], lats[i]) to the perimeter, 0 inside it, for many
    points at once.

    `perimeter` is a shapely Polygon or MultiPolygon in EPSG:4326 whose longitudes lie in
    [-180, 180] (see `normalise_perimeter`); a site across the antimeridian is one part
    either side of it, and the distance to their union is the least distance to any part.
    Edges are geodesics on the WGS84 ellipsoid.

    A sphere picks for each point the few edges that can hold its nearest perimeter point
    and a first guess of that point; the guess is then put right on the ellipsoid (see
    `_nearest_along`). Results agree with an exhaustive geodesic search to well under a
    centimetre (tests/test_geo_batch.py).
    """
    lons = np.asarray(lons, dtype=float).ravel()
    lats = np.asarray(lats, dtype=float).ravel()
    result = np.zeros(len(lons))
    if not len(lons):
        return result
    outside = np.flatnonzero(~shapely.covers(perimeter, shapely.points(lons, lats)))
    if not len(outside):
        return result
    edges = _Edges(perimeter)
    chunk = max(1, _PAIRS_PER_CHUNK // len(edges.length))
    for start in range(0, len(outside), chunk):
        points = outside[start : start + chunk]
        px, py = lons[points], lats[points]
        pair_point, edge, fraction = edges.candidates(_unit_vectors(px, py))
        distance = _nearest_along(edges, edge, px[pair_point], py[pair_point], fraction)
        # Pairs come sorted by point, every point with at least one edge.
        first = np.flatnonzero(np.r_[True, pair_point[1:] != pair_point[:-1]])
        result[points] = np.minimum.reduceat(distance, first)
    return result


def distance_to_perimeter_m(lon, lat, perimeter):
    """Metres from the point (lon, lat) to the nearest edge of the perimeter; 0 inside it
    (see `distances_to_perimeter_m`)."""
    return float(distances_to_perimeter_m([lon], [lat], perimeter)[0])


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
