"""External reports near a site: geodesic distance, and the site's GeoJSON layer."""

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.urls import reverse

from incidents import geo
from incidents.models import ExternalReport, LocationSource

from .conftest import make_site


def _report(key, lon, lat, **fields):
    return ExternalReport.objects.create(
        source_key=key,
        source_file="test.xlsx",
        source_row=2,
        date=dt.date(2024, 4, 1),
        city=fields.pop("city", "TEST"),
        state="TEST",
        summary=fields.pop("summary", f"Report {key}"),
        location=None if lon is None else Point(lon, lat, srid=4326),
        location_source=fields.pop(
            "location_source", LocationSource.UNKNOWN if lon is None else LocationSource.CITY
        ),
        **fields,
    )


def _east_of(site, metres):
    """A point `metres` due east of the site's easternmost edge, at its centre latitude."""
    shape = site.perimeter_shape()
    centre = shape.centroid
    east_edge = shape.bounds[2]
    x, y, _ = geo.WGS84.fwd(east_edge, centre.y, 90, metres)
    return float(x), float(y)


@pytest.mark.django_db
def test_near_measures_metres_from_the_perimeter(site_a):
    inside_ring = _report("a", *_east_of(site_a, 900))
    _report("b", *_east_of(site_a, 1100))
    _report("unplaced", None, None)
    near = ExternalReport.objects.near(site_a, 1000)
    assert list(near) == [inside_ring]
    assert ExternalReport.objects.near(site_a, 1200).count() == 2


@pytest.mark.django_db
def test_near_at_78_north_where_a_degree_of_longitude_is_short():
    longyearbyen = make_site("LYR", 15.465, 78.246, half_side_m=1000)
    # 4.9 km east is about 0.2 degrees of longitude here: a degree-based box would miss it.
    near = _report("near", *_east_of(longyearbyen, 4900))
    _report("far", *_east_of(longyearbyen, 5200))
    assert list(ExternalReport.objects.near(longyearbyen, 5000)) == [near]


@pytest.mark.django_db
def test_near_across_the_antimeridian():
    taveuni = make_site("TVU", 179.999, -16.69, half_side_m=500)
    west_of_180 = _report("w", 179.98, -16.69)  # about 1.6 km west of the west edge
    east_of_180 = _report("e", -179.985, -16.69)  # about 1.2 km east of the east edge
    _report("far", -179.9, -16.69)
    found = set(ExternalReport.objects.near(taveuni, 2000))
    assert found == {west_of_180, east_of_180}


@pytest.mark.django_db
def test_site_layer_as_each_persona(client, personas, site_a):
    near = _report("near", *_east_of(site_a, 2000), summary="UAS AT 400 FEET", altitude_ft=400)
    far = _report("far", *_east_of(site_a, 9000))
    url = reverse("site_external_reports", args=["CGK"])
    expected = {
        "staff_a": 200,
        "supervisor_a": 200,
        "regulator": 200,
        "admin": 200,
        "staff_b": 404,
        "anonymous": 302,
    }
    for name, user in personas.items():
        client.logout()
        if name != "anonymous":
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == expected[name], name
        if response.status_code == 200:
            body = response.json()
            assert body["within_m"] == 5000  # the outermost alert ring
            assert [f["id"] for f in body["features"]] == [near.pk]
            properties = body["features"][0]["properties"]
            assert properties["summary"] == "UAS AT 400 FEET"
            assert properties["altitude_ft"] == 400
    client.force_login(personas["staff_a"])
    wider = client.get(url, {"within_m": "10000"}).json()
    assert {f["id"] for f in wider["features"]} == {near.pk, far.pk}


@pytest.mark.django_db
def test_site_layer_refuses_a_bad_distance(client, staff_a):
    client.force_login(staff_a)
    url = reverse("site_external_reports", args=["CGK"])
    for bad in ("far", "-5", "1e9", "nan"):
        response = client.get(url, {"within_m": bad})
        assert response.status_code == 400
        assert "Give within_m as a number of metres from 0 to 100000." in response.content.decode()
