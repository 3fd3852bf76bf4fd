"""Geodesic zone logic, checked against pyproj.Geod at the equator, 78 N and the antimeridian.

The reference distance is computed independently of incidents.geo: every perimeter edge is
densified with Geod.npts into points about a metre apart, and the least Geod.inv distance to
them is taken. incidents.geo must agree with it to within 1 m.
"""

import itertools
import math

import numpy as np
import pytest
from shapely.geometry import MultiPolygon, Point, Polygon

from incidents import geo
from tests.conftest import square

GEOD = geo.WGS84

# name, centre (lon, lat): Svalbard airport, Jakarta CGK, Waiyevo on Taveuni (Fiji) at 180.
PLACES = {
    "svalbard": (15.4656, 78.2461),
    "jakarta": (106.656, -6.12557),
    "fiji_antimeridian": (179.9995, -16.788),
}


def reference_distance_m(lon, lat, polygon):
    """Brute force: least distance from the point to edges densified to ~1 m spacing."""
    best = math.inf
    coords = list(polygon.exterior.coords)
    for (x1, y1), (x2, y2) in itertools.pairwise(coords):
        length = GEOD.inv(x1, y1, x2, y2)[2]
        points = [(x1, y1), *GEOD.npts(x1, y1, x2, y2, int(length)), (x2, y2)]
        for x, y in points:
            best = min(best, GEOD.inv(lon, lat, x, y)[2])
    return best


def offset(lon, lat, azimuth, distance):
    x, y, _ = GEOD.fwd(lon, lat, azimuth, distance)
    return x, y


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize(
    ("azimuth", "distance_from_centre"),
    [(90, 1750), (270, 3000), (0, 1200), (180, 6500), (45, 2500), (225, 1500), (135, 20000)],
)
def test_distance_to_perimeter_matches_pyproj_geod_within_1m(place, azimuth, distance_from_centre):
    lon, lat = PLACES[place]
    drawn = square(lon, lat, 1000)
    perimeter = geo.normalise_perimeter(drawn)
    px, py = offset(lon, lat, azimuth, distance_from_centre)
    px = (px + 180) % 360 - 180  # a real position always has its longitude in [-180, 180]

    expected = reference_distance_m(px, py, drawn)
    assert expected > 50  # outside the square, so the search is exercised
    assert geo.distance_to_perimeter_m(px, py, perimeter) == pytest.approx(expected, abs=1.0)


@pytest.mark.parametrize("place", PLACES)
def test_point_inside_perimeter_is_at_zero_metres(place):
    lon, lat = PLACES[place]
    perimeter = geo.normalise_perimeter(square(lon, lat, 1000))
    for azimuth in (0, 90, 180, 270):
        x, y = offset(lon, lat, azimuth, 600)
        x = (x + 180) % 360 - 180
        assert geo.distance_to_perimeter_m(x, y, perimeter) == 0.0


@pytest.mark.parametrize("place", PLACES)
def test_point_750m_east_of_the_east_edge_is_750m_away_in_the_1000m_ring(place):
    lon, lat = PLACES[place]
    perimeter = geo.normalise_perimeter(square(lon, lat, 1000))
    edge_x, edge_y = offset(lon, lat, 90, 1000)
    x, y = offset(edge_x, edge_y, 90, 750)
    x = (x + 180) % 360 - 180

    where = geo.locate(x, y, perimeter, [500, 1000, 5000])

    assert where.distance_m == pytest.approx(750, abs=1.0)
    assert (where.zone, where.ring_m, where.ring_index) == (geo.Zone.RING, 1000, 1)


def test_one_degree_of_longitude_on_the_equator_is_111319_metres():
    # WGS84 equatorial radius 6,378,137 m: 2 * pi * a / 360.
    assert geo.geodesic_distance_m(0, 0, 1, 0) == pytest.approx(111_319.49, abs=0.01)


def test_distance_to_a_short_edge_beside_the_point_is_the_perpendicular_not_a_corner():
    # An edge 10 km long running north-south on the equator; point 100 m east of its middle.
    edge_polygon = Polygon([(0, -0.045), (0, 0.045), (-0.01, 0.045), (-0.01, -0.045)])
    x, y = offset(0, 0, 90, 100)
    assert geo.distance_to_perimeter_m(x, y, edge_polygon) == pytest.approx(100, abs=0.01)


def test_antimeridian_perimeter_is_split_into_parts_either_side_of_180():
    lon, lat = PLACES["fiji_antimeridian"]
    drawn = square(lon, lat, 1000)
    assert geo.crosses_antimeridian(drawn)  # drawn continuously, it runs past -180

    perimeter = geo.normalise_perimeter(drawn)

    assert isinstance(perimeter, MultiPolygon)
    assert len(perimeter.geoms) == 2
    west, east = sorted(perimeter.geoms, key=lambda p: p.bounds[0])
    assert west.bounds[0] == pytest.approx(-180) or west.bounds[0] >= -180
    assert east.bounds[2] == pytest.approx(180)
    assert all(-180 <= x <= 180 for part in perimeter.geoms for x, _ in part.exterior.coords)
    # Area is kept: the two parts add up to the square as drawn.
    assert west.area + east.area == pytest.approx(drawn.area, rel=1e-9)


def test_points_either_side_of_180_inside_the_fiji_site_are_inside():
    lon, lat = PLACES["fiji_antimeridian"]
    perimeter = geo.normalise_perimeter(square(lon, lat, 1000))
    assert geo.distance_to_perimeter_m(179.995, lat, perimeter) == 0
    assert geo.distance_to_perimeter_m(-179.995, lat, perimeter) == 0


def test_perimeter_without_antimeridian_crossing_is_kept_as_drawn():
    drawn = square(*PLACES["jakarta"], 1000)
    perimeter = geo.normalise_perimeter(drawn)
    assert isinstance(perimeter, MultiPolygon)
    assert perimeter.geoms[0].equals(drawn)


@pytest.mark.parametrize(
    ("distance", "zone", "ring_m"),
    [
        (0, geo.Zone.INSIDE, None),
        (0.5, geo.Zone.RING, 500),
        (500, geo.Zone.RING, 500),
        (500.1, geo.Zone.RING, 1000),
        (4999, geo.Zone.RING, 5000),
        (5000.1, geo.Zone.OUTSIDE, None),
    ],
)
def test_zone_is_the_innermost_ring_containing_the_distance(distance, zone, ring_m):
    result = geo.classify_zone(distance, [500, 1000, 5000])
    assert (result.zone, result.ring_m) == (zone, ring_m)


def test_point_in_a_hole_of_the_perimeter_is_outside_and_measured_to_the_hole():
    outer = [(0, 0), (0.1, 0), (0.1, 0.1), (0, 0.1)]
    hole = [(0.04, 0.04), (0.06, 0.04), (0.06, 0.06), (0.04, 0.06)]
    perimeter = Polygon(outer, [hole])
    expected = GEOD.inv(0.05, 0.05, 0.05, 0.04)[2]  # to the hole's south edge, ~1.1 km
    assert geo.distance_to_perimeter_m(0.05, 0.05, perimeter) == pytest.approx(expected, abs=1)


def test_self_intersecting_perimeter_is_refused_with_a_reason():
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    problem = geo.perimeter_problem(bowtie)
    assert "not a valid polygon" in problem
    assert "Self-intersection" in problem
    assert "not changed automatically" in problem


def test_perimeter_problem_accepts_a_valid_square():
    assert geo.perimeter_problem(square(*PLACES["svalbard"], 500)) is None


def test_perimeter_must_be_a_polygon():
    assert "must be a polygon" in geo.perimeter_problem(Point(0, 0).buffer(1).exterior)


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        (106.8, -95, "Latitude must be between -90 and 90 (got -95)."),
        (181, 10, "Longitude must be between -180 and 180 (got 181)."),
        (-6.2, 106.8, "Are latitude and longitude swapped?"),
    ],
)
def test_point_problem_says_what_to_fix(lon, lat, message):
    assert message in geo.point_problem(lon, lat)


def test_point_problem_is_none_for_a_good_point():
    assert geo.point_problem(180, -90) is None


def test_perimeter_wrapped_into_plus_minus_180_is_read_as_crossing_the_antimeridian():
    lon, lat = PLACES["fiji_antimeridian"]
    drawn = square(lon, lat, 1000)
    wrapped = Polygon([((x + 180) % 360 - 180, y) for x, y in drawn.exterior.coords])
    assert wrapped.bounds[2] - wrapped.bounds[0] > 359  # read naively: around the globe

    assert geo.perimeter_problem(wrapped) is None
    difference = geo.normalise_perimeter(wrapped) ^ geo.normalise_perimeter(drawn)
    assert difference.area < 1e-12
    assert geo.distance_to_perimeter_m(-179.98, lat, geo.normalise_perimeter(wrapped)) > 1000


def test_continuous_joins_a_split_perimeter_for_drawing():
    lon, lat = PLACES["fiji_antimeridian"]
    drawn = square(lon, lat, 1000)
    joined = geo.continuous(geo.normalise_perimeter(drawn))
    assert len(joined.geoms) == 1
    assert joined.bounds[2] > 180
    assert abs(joined.area - drawn.area) < 1e-12
    assert geo.normalise_perimeter(joined).equals(geo.normalise_perimeter(drawn))


def test_continuous_leaves_an_ordinary_perimeter_alone():
    perimeter = geo.normalise_perimeter(square(*PLACES["jakarta"], 1000))
    assert geo.continuous(perimeter) is perimeter


# --- Alert rings as shapes ---------------------------------------------------------------


def _boundary_samples(ring, count=60):
    """Vertices and chord midpoints of a ring's edge, leaving out the 180° cut line."""
    samples = []
    for polygon in ring.geoms:
        for line in [polygon.exterior, *polygon.interiors]:
            coords = np.asarray(line.coords)
            mids = (coords[:-1] + coords[1:]) / 2
            on_cut = (np.abs(np.abs(coords[:-1, 0]) - 180) < 1e-9) & (
                np.abs(np.abs(coords[1:, 0]) - 180) < 1e-9
            )
            samples.extend(coords[:-1][~on_cut])
            samples.extend(mids[~on_cut])
    samples = np.asarray(samples)
    return samples[np.linspace(0, len(samples) - 1, count).astype(int)]


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(106.656, -6.12557), (15.465, 78.246), (179.9995, -16.788), (-179.9995, 65.0)],
    ids=["jakarta", "svalbard-78N", "fiji-across-180", "bering-across-180"],
)
@pytest.mark.parametrize("radius_m", [500, 5000, 50_000])
def test_alert_ring_edge_is_its_distance_from_the_perimeter_within_a_metre(lon, lat, radius_m):
    perimeter = geo.normalise_perimeter(geo.rectangle(lon, lat, 1500, 600, 30))
    ring = geo.buffer_m(perimeter, radius_m)
    assert ring.geom_type == "MultiPolygon" and ring.is_valid
    assert ring.bounds[0] >= -180 and ring.bounds[2] <= 180
    for x, y in _boundary_samples(ring):
        assert abs(geo.distance_to_perimeter_m(x, y, perimeter) - radius_m) < 1.0


def test_alert_ring_of_a_site_across_180_is_split_there_and_covers_both_sides():
    perimeter = geo.normalise_perimeter(geo.rectangle(179.9995, -16.788, 1000, 1000))
    ring = geo.buffer_m(perimeter, 1000)
    assert len(ring.geoms) == 2
    assert ring.covers(Point(179.99, -16.788)) and ring.covers(Point(-179.99, -16.788))
    assert not ring.covers(Point(0, -16.788))


def test_alert_bands_nest_without_overlap():
    perimeter = geo.normalise_perimeter(geo.rectangle(106.656, -6.12557, 2000, 800, 70))
    rings = geo.alert_rings(perimeter, [500, 1000, 5000])
    assert [r.radius_m for r in rings] == [500, 1000, 5000]
    assert rings[0].band.intersection(perimeter).area < 1e-12
    assert rings[1].band.intersection(rings[0].band).area < 1e-12
    # A point 750 m out lies in the second band only.
    x, y, _ = geo.WGS84.fwd(106.656, -6.12557, 160, 800 + 750)
    assert geo.distance_to_perimeter_m(x, y, perimeter) == pytest.approx(750, abs=60)
    inside = [r.index for r in rings if r.band.covers(Point(x, y))]
    assert inside == [1]


def test_site_alert_rings_are_cached_per_perimeter_and_radii(site_a):
    first = site_a.alert_rings()
    assert site_a.alert_rings() is first
    site_a.zone_radii_m = [300, 600]
    assert [r.radius_m for r in site_a.alert_rings()] == [300, 600]
