"""Map data: site layers for Leaflet and incident GeoJSON built in the database.

Each test runs on SpatiaLite and on PostGIS (DATABASE_URL=postgis://...), and compares the
database's features with what the ORM says about the same rows, so the two backends are held
to one expected result.
"""

import json
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import FieldError
from django.http import QueryDict
from django.test import RequestFactory
from django.utils import timezone
from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import shape

from incidents import geo, services
from incidents.choices import Status
from incidents.filters import IncidentFilter
from incidents.mapdata import (
    DEFAULT_INCIDENT_FIELDS,
    incident_features_geojson,
    incident_rows_json,
    incident_url_prefix,
    site_layers,
)
from incidents.models import Incident
from tests.conftest import make_site


def features(queryset, **kwargs):
    collection = json.loads(incident_features_geojson(queryset, **kwargs))
    assert collection["type"] == "FeatureCollection"
    return collection["features"]


def at_distance(site, metres, bearing=90):
    """A point `metres` east (by default) of the site's east edge, on its centre latitude."""
    perimeter = site.perimeter_shape()
    centre = perimeter.centroid
    east = perimeter.bounds[2]
    lon, lat, _ = geo.WGS84.fwd(east, centre.y, bearing, metres)
    return Point(lon, lat, srid=4326)


def submit(incident, user):
    return services.change_status(incident, user, Status.SUBMITTED)


# --- incident_features_geojson -----------------------------------------------------------


def test_features_carry_the_slim_properties_as_the_orm_reads_them(staff_a, record, site_a):
    incident = record(site_a, drone_count=3, location=at_distance(site_a, 700))
    incident.refresh_from_db()
    (feature,) = features(Incident.objects.visible_to(staff_a))

    assert feature["type"] == "Feature"
    assert feature["id"] == incident.pk
    assert set(feature["properties"]) == set(DEFAULT_INCIDENT_FIELDS)
    props = feature["properties"]
    assert props["id"] == incident.pk
    assert props["reference"] == incident.reference
    assert props["severity"] == incident.severity
    assert props["zone"] == incident.zone == geo.Zone.RING
    assert props["status"] == incident.status
    assert props["drone_count"] == 3
    assert props["url"] == f"{incident_url_prefix()}{incident.reference}/"
    seen = timezone.datetime.fromisoformat(props["first_seen"].replace("Z", "+00:00"))
    assert abs(seen - incident.first_seen) < timedelta(milliseconds=1)
    assert props["first_seen"].endswith("Z")
    assert feature["geometry"]["type"] == "Point"
    lon, lat = feature["geometry"]["coordinates"]
    assert lon == pytest.approx(incident.location.x, abs=1e-6)
    assert lat == pytest.approx(incident.location.y, abs=1e-6)


def test_features_follow_visible_to_for_each_persona(personas, record, site_a, site_b):
    draft = record(site_a)
    submitted = submit(record(site_a), personas["supervisor_a"])
    other_site = record(site_b, reported_by=personas["staff_b"])
    expected = {
        "staff_a": {draft.pk, submitted.pk},
        "supervisor_a": {draft.pk, submitted.pk},
        "staff_b": {other_site.pk},
        "regulator": {submitted.pk},  # granted site A, never sees drafts
        "admin": {draft.pk, submitted.pk, other_site.pk},
        "anonymous": set(),
    }
    for name, user in personas.items():
        ids = {f["id"] for f in features(Incident.objects.visible_to(user))}
        assert ids == expected[name], name


def test_filters_and_order_of_the_queryset_apply(staff_a, record, site_a):
    now = timezone.now()
    old = record(site_a, first_seen=now - timedelta(days=40))
    newer = record(site_a, first_seen=now - timedelta(days=3), drone_count=4)
    newest = record(site_a, first_seen=now - timedelta(days=1))
    visible = Incident.objects.visible_to(staff_a)

    assert [f["id"] for f in features(visible)] == [newest.pk, newer.pk, old.pk]
    by_drones = visible.order_by("-drone_count", "first_seen")
    assert [f["id"] for f in features(by_drones)] == [newer.pk, old.pk, newest.pk]

    since = (now - timedelta(days=7)).date().isoformat()
    request = RequestFactory().get("/")
    request.user = staff_a
    recent = IncidentFilter(QueryDict(f"first_seen_after={since}"), visible, request=request)
    assert [f["id"] for f in features(recent.qs)] == [newest.pk, newer.pk]


def test_other_fields_and_lookup_paths_keep_their_json_types(staff_a, record, site_a):
    incident = record(site_a, payload_seen=True, detection_methods=["visual", "rf"])
    record(site_a, payload_seen=False)
    incident.refresh_from_db()
    fields = [
        "reference",
        ("site", "site__code"),
        "payload_seen",
        "detection_methods",
        "distance_m",
        "altitude_m",
    ]
    found = {
        f["properties"]["reference"]: f["properties"]
        for f in features(Incident.objects.visible_to(staff_a), fields=fields)
    }
    props = found[incident.reference]
    assert props["site"] == "CGK"
    assert props["payload_seen"] is True
    assert props["detection_methods"] == ["visual", "rf"]
    assert props["distance_m"] == incident.distance_m
    assert props["altitude_m"] is None
    (other,) = (p for ref, p in found.items() if ref != incident.reference)
    assert other["payload_seen"] is False


def test_empty_and_none_querysets_give_an_empty_collection(staff_a, anonymous, site_a):
    assert features(Incident.objects.visible_to(staff_a)) == []
    assert features(Incident.objects.visible_to(anonymous)) == []
    assert features(Incident.objects.none()) == []


@pytest.mark.parametrize("count", [1, 12])
def test_one_query_whatever_the_number_of_incidents(
    count, staff_a, record, site_a, django_assert_num_queries
):
    for _ in range(count):
        record(site_a)
    visible = Incident.objects.visible_to(staff_a)
    with django_assert_num_queries(1):
        text = incident_features_geojson(visible)
    assert len(json.loads(text)["features"]) == count


def test_bad_property_names_and_fields_are_refused(staff_a, record, site_a):
    record(site_a)
    visible = Incident.objects.visible_to(staff_a)
    with pytest.raises(ValueError, match="plain identifier"):
        incident_features_geojson(visible, fields=[("x'); DROP TABLE x; --", "reference")])
    with pytest.raises(FieldError):
        incident_features_geojson(visible, fields=["no_such_field"])


def test_rows_form_gives_the_features_values_in_the_same_order(staff_a, record, site_a):
    for count in (1, 4, 2):
        record(site_a, drone_count=count, first_seen=timezone.now() - timedelta(hours=count))
    visible = Incident.objects.visible_to(staff_a).order_by("drone_count")
    fields = ["id", "reference", "first_seen", "payload_seen", ("site", "site__code"), "url"]
    features = json.loads(incident_features_geojson(visible, fields=fields))["features"]
    table = json.loads(incident_rows_json(visible, fields=fields))
    assert table["fields"] == [
        "id",
        "lon",
        "lat",
        "id",
        "reference",
        "first_seen",
        "payload_seen",
        "site",
        "url",
    ]
    assert [row[0] for row in table["rows"]] == [f["id"] for f in features]
    for row, feature in zip(table["rows"], features, strict=True):
        assert row[1:3] == feature["geometry"]["coordinates"]
        assert row[3:] == list(feature["properties"].values())
    assert table["rows"][0][6] is False  # booleans stay booleans
    assert json.loads(incident_rows_json(Incident.objects.none())) == {
        "fields": ["id", "lon", "lat", *DEFAULT_INCIDENT_FIELDS],
        "rows": [],
    }


# --- site_layers --------------------------------------------------------------------------


def test_site_layers_has_the_perimeter_then_one_band_per_ring(site_a):
    layers = site_layers(site_a)
    assert layers["type"] == "FeatureCollection"
    kinds = [f["properties"]["kind"] for f in layers["features"]]
    assert kinds == ["perimeter"] + ["ring"] * len(site_a.zone_radii_m)
    radii = [f["properties"]["radius_m"] for f in layers["features"][1:]]
    assert radii == list(site_a.zone_radii_m)
    perimeter = shape(layers["features"][0]["geometry"])
    assert perimeter.equals_exact(site_a.perimeter_shape(), tolerance=1e-6)
    assert layers["features"][0]["properties"]["code"] == "CGK"

    # A point 750 m out lies in the band of the 1000 m ring only.
    point = at_distance(site_a, 750)
    inside = [
        f["properties"]["radius_m"]
        for f in layers["features"][1:]
        if shape(f["geometry"]).contains(ShapelyPoint(point.x, point.y))
    ]
    assert inside == [1000]


def test_site_layers_without_rings_is_the_perimeter_alone(site_a):
    layers = site_layers(site_a, rings=False)
    assert [f["properties"]["kind"] for f in layers["features"]] == ["perimeter"]
    assert layers["features"][0] == site_layers(site_a)["features"][0]


def test_site_across_180_is_drawn_as_one_shape_with_its_rings_around_it(db):
    site = make_site("SUV", 179.9995, -16.788, half_side_m=1500, timezone="Pacific/Fiji")
    assert len(site.perimeter.coords) == 2  # stored split at 180°
    layers = site_layers(site)
    perimeter = shape(layers["features"][0]["geometry"])
    assert len(getattr(perimeter, "geoms", [perimeter])) == 1
    min_x, _, max_x, _ = perimeter.bounds
    assert max_x - min_x < 1  # one small shape, not two slivers 360° apart
    for ring in layers["features"][1:]:
        band = shape(ring["geometry"])
        assert band.bounds[2] - band.bounds[0] < 2
        assert band.envelope.contains(perimeter.envelope)


def test_list_ordering_by_severity_rank_is_kept(staff_a, record, site_a):
    low = record(site_a, location=at_distance(site_a, 3000))
    critical = record(site_a, drone_count=5)
    high = record(site_a)
    request = RequestFactory().get("/")
    request.user = staff_a
    ordered = IncidentFilter(
        QueryDict("ordering=-severity"), Incident.objects.visible_to(staff_a), request=request
    )
    assert [f["id"] for f in features(ordered.qs)] == [critical.pk, high.pk, low.pk]


def test_a_slice_of_the_queryset_gives_that_page_in_order(staff_a, record, site_a):
    now = timezone.now()
    made = [record(site_a, first_seen=now - timedelta(hours=hours)) for hours in (1, 2, 3, 4)]
    visible = Incident.objects.visible_to(staff_a)
    assert [f["id"] for f in features(visible[:2])] == [made[0].pk, made[1].pk]
    assert [f["id"] for f in features(visible[2:4])] == [made[2].pk, made[3].pk]
