"""The indexes the list, map and exports rely on exist and are the ones the database uses."""

import re
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.db.models import Count, Q
from django.http import QueryDict
from django.test import RequestFactory
from django.utils import timezone

from incidents import spatialindex
from incidents.choices import Role
from incidents.filters import IncidentFilter
from incidents.models import Incident, SiteMembership

from .conftest import make_site, postgis_only


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SpatiaLite's R*Tree only")
def test_spatialite_spatial_index_finds_a_recorded_incident(site_a, record):
    """Migrations rebuild tables; the R*Tree must still be maintained afterwards (0010)."""
    incident = record(site_a)
    x, y = incident.location.x, incident.location.y
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ROWID FROM SpatialIndex WHERE f_table_name = 'incidents_incident' "
            "AND f_geometry_column = 'location' AND search_frame = BuildMbr(%s, %s, %s, %s)",
            [x - 0.01, y - 0.01, x + 0.01, y + 0.01],
        )
        assert [row[0] for row in cursor.fetchall()] == [incident.pk]


@postgis_only
@pytest.mark.parametrize(
    "narrow",
    [
        {},
        {"status": "submitted"},
        {"zone": "inside"},
        {"source": "sensor"},
    ],
)
def test_list_default_query_can_use_an_index(site_a, staff_a, record, narrow):
    """The list's query (visible incidents, newest first, one page) is served by an index.

    With a handful of rows PostgreSQL rightly prefers a sequential scan, so it is switched
    off: what is asserted is that an index able to serve the query exists.
    """
    record(site_a)
    queryset = Incident.objects.visible_to(staff_a).filter(**narrow).order_by("-first_seen")
    sql, params = queryset[:25].query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index" in plan and "Seq Scan on incidents_incident " not in plan, plan


def _plan(queryset, *switched_off):
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        for scan in ("seqscan", *switched_off):
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _listed(user, query):
    """The incidents the list (and map, dashboard, exports) selects for these URL parameters."""
    request = RequestFactory().get("/incidents/")
    request.user = user
    queryset = Incident.objects.visible_to(user).select_related("site")
    incident_filter = IncidentFilter(QueryDict(query), queryset=queryset, request=request)
    assert incident_filter.is_valid(), incident_filter.errors
    return incident_filter.qs


# Every filter and sort order the list, map, dashboard and exports offer (IncidentFilter).
FILTERS = [
    "site=CGK",
    "first_seen_after=2026-01-01&first_seen_before=2026-02-01",
    "status=submitted",
    "severity=high&severity=critical",
    "zone=inside",
    "source=sensor",
    "detection_method=radar",
    "q=CGK-2026",
    "q=hovering",
]
SORTS = ["first_seen", "-first_seen", "severity", "-severity", "reference", "-reference",
         "status", "-status", "distance", "-distance", "drones", "-drones", "site"]  # fmt: skip


@postgis_only
@pytest.mark.parametrize("query", FILTERS)
def test_each_list_filter_can_use_an_index(site_a, staff_a, record, query):
    """Each filter, as the exports and counts read it (unordered), is served by an index
    (sequential scans switched off, as above). The text filters (`q`, `detection_method`)
    are `LIKE '%...%'`, which only the trigram indexes of 0012 can serve: with plain index
    scans (a whole index read in order) switched off too, the plan must use them."""
    record(site_a)
    text = query.startswith(("q=", "detection_method="))
    plan = _plan(_listed(staff_a, query).order_by(), *(["indexscan"] if text else []))
    assert "Index" in plan and "Seq Scan on incidents_incident " not in plan, plan
    if text:
        assert "_trgm" in plan, plan


@postgis_only
@pytest.mark.parametrize("ordering", SORTS)
def test_each_list_sort_order_is_read_from_an_index(site_a, staff_a, record, ordering):
    """The first page of each sort order comes from an index in that order, not from
    sorting every visible incident."""
    record(site_a)
    # Sorting is switched off as well: the plan still sorts (at a prohibitive cost) unless an
    # index gives the rows in order, whatever statistics the planner has at hand.
    plan = _plan(_listed(staff_a, f"ordering={ordering}")[:50], "sort")
    assert "Seq Scan on incidents_incident " not in plan, plan
    assert not re.search(r"^\s*(->\s+)?Sort\b", plan, re.MULTILINE), plan


@postgis_only
def test_dashboard_serious_incidents_and_period_counts_can_use_an_index(site_a, staff_a, record):
    record(site_a, severity_override="high", severity_override_reason="over the runway")
    since = timezone.now() - timedelta(days=30)
    visible = Incident.objects.visible_to(staff_a)
    serious = visible.filter(severity__in=["high", "critical"]).order_by("-first_seen")[:10]
    in_period = visible.filter(first_seen__gte=since).values("zone").annotate(n=Count("pk"))
    for queryset in (serious, in_period):
        plan = _plan(queryset)
        assert "Index" in plan and "Seq Scan on incidents_incident " not in plan, plan


# --- SpatiaLite: bounding boxes through the R*Tree ------------------------------------------


@pytest.fixture
def scattered(site_a, staff_a, record):
    """Incidents around site A and on both sides of the antimeridian (a Fiji site)."""
    fiji = make_site("SVU", 179.998, -16.8, half_side_m=500)
    SiteMembership.objects.create(user=staff_a, site=fiji, role=Role.STAFF)
    centre = site_a.perimeter_shape().centroid
    for dx in (-0.03, 0, 0.03):
        record(site_a, location=Point(centre.x + dx, centre.y, srid=4326))
    for lon in (179.99, 179.999, -179.999, -179.99):
        record(fiji, location=Point(lon, -16.8, srid=4326))
    return Incident.objects.all()


# (box, incidents in it)
BOXES = [
    ((106.64, -6.2, 106.7, -6.0), 2),  # site A's centre and the one east of it
    ((179.995, -17, -179.995, -16), 2),  # across 180 degrees: the two nearest it
    ((170, -20, 180, -10), 2),  # up to the antimeridian from the west
    ((-180, -20, -170, -10), 2),  # and from the east
    ((-180, -90, 180, 90), 7),  # the whole world
    ((0, 0, 1, 1), 0),  # nothing
]


@pytest.mark.parametrize(("box", "count"), BOXES)
def test_bbox_through_the_spatial_index_finds_the_same_rows(scattered, box, count):
    polygons = spatialindex.boxes(*box)
    exact = Q()
    for polygon in polygons:
        exact |= Q(location__intersects=polygon)
    expected = sorted(scattered.filter(exact).values_list("pk", flat=True))
    found = sorted(
        spatialindex.in_bbox(scattered, "location", polygons).values_list("pk", flat=True)
    )
    assert found == expected
    assert len(found) == count


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SpatiaLite's R*Tree only")
@pytest.mark.parametrize("box", [BOXES[0][0], BOXES[1][0]])
def test_spatialite_bbox_plan_reads_the_spatial_index(scattered, box):
    queryset = spatialindex.in_bbox(scattered, "location", spatialindex.boxes(*box))
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    assert "SpatialIndex" in plan, plan
    assert "SEARCH incidents_incident USING INTEGER PRIMARY KEY" in plan, plan
    assert "SCAN incidents_incident" not in plan, plan


def test_api_bbox_across_180_lists_both_sides(scattered, client, staff_a):
    client.force_login(staff_a)
    response = client.get("/api/v1/incidents/?in_bbox=179.995,-17,-179.995,-16")
    assert response.status_code == 200
    lons = sorted(f["geometry"]["coordinates"][0] for f in response.json()["features"])
    assert lons == pytest.approx([-179.999, 179.999])
