"""EU UAS geographical zones (ED-269, ED-318) become reference zones."""

import io
import itertools
import json
import math
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from shapely.geometry import Polygon

from incidents import geo
from incidents.importers import zones
from incidents.models import ReferenceZone

DATA = Path(__file__).parent / "data" / "zones"


def _import(name, dry_run=False):
    with (DATA / name).open("rb") as handle:
        return zones.import_zones(name, handle, dry_run=dry_run)


def _import_json(data, name="test.json"):
    return zones.import_zones(name, io.BytesIO(json.dumps(data).encode()))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("ed269_interuss_geo-awareness-che-1.json", 6),
        ("ed269_interuss_cis_source_sample.json", 1),
        ("ed318_interuss_cis_source_sample.json", 3),
        ("Example_Collection.json", 2),
        ("Example_GeoZone_2_Layers.json", 1),
        ("Example_GeoZone_Circle.json", 1),
        ("Example_GeoZone_with_extension.json", 1),
    ],
)
def test_samples_import_with_the_right_zone_count(name, count):
    report = _import(name)
    assert report.problems == []
    assert report.created == count
    assert ReferenceZone.objects.filter(dataset=name).count() == count


@pytest.mark.django_db
def test_ed269_fields_are_kept_and_limits_merged_across_volumes():
    _import("ed269_interuss_geo-awareness-che-1.json")
    zone = ReferenceZone.objects.get(identifier="Flugplatz Reichenbach")
    assert zone.restriction == "PROHIBITED" and zone.variant == "COMMON"
    assert zone.country == "CHE" and zone.source_format == "ed269"
    assert len(zone.volumes) == 3
    assert (zone.lower_limit_m, zone.lower_reference) == (0.0, "AGL")
    assert zone.message == "Flugplatz Reichenbach Drone Access Restrictions"
    assert zone.applicability[0]["permanent"] == "NO"
    assert zone.properties["identifier"] == "Flugplatz Reichenbach"
    lsxx = _import("ed269_interuss_cis_source_sample.json") and ReferenceZone.objects.get(
        identifier="LSXX"
    )
    # ED-269 writes REQ_AUTHORISATION; it is stored with ED-318's spelling.
    assert lsxx.restriction == "REQ_AUTHORIZATION"
    assert lsxx.upper_limit_m is None  # no upper limit given


@pytest.mark.django_db
def test_ed318_circle_becomes_a_geodesic_polygon_within_a_metre():
    _import("Example_GeoZone_Circle.json")
    zone = ReferenceZone.objects.get(identifier="ABC1234")
    assert zone.name == "Fictitious circle" and zone.restriction == "PROHIBITED"
    assert (zone.lower_limit_m, zone.upper_limit_m) == (50.0, 150.0)
    ring = zone.geometry[0].exterior_ring.coords
    for lon, lat in ring:
        assert geo.geodesic_distance_m(2.636866, 50.122901, lon, lat) == pytest.approx(
            3500, abs=1e-3
        )
    # The chord between neighbours never strays a metre inside the circle.
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        mid = geo.WGS84.npts(x1, y1, x2, y2, 1)[0]
        assert 3500 - geo.geodesic_distance_m(2.636866, 50.122901, *mid) < 1.0


def test_circle_across_the_antimeridian_is_cut_at_180():
    circle = zones.circle_polygon(179.99, 65.0, 5000)
    footprint = zones.footprint([circle])
    assert len(footprint.geoms) == 2
    west, _, east, _ = footprint.bounds
    assert west >= -180 and east <= 180
    assert geo.distance_to_perimeter_m(-179.95, 65.0, footprint) == 0.0


def test_circle_vertex_count_keeps_the_chord_error_under_a_metre():
    for radius in (10, 500, 3500, 50_000):
        n = zones.circle_vertex_count(radius)
        assert radius * (1 - math.cos(math.pi / n)) <= 1.0


@pytest.mark.django_db
def test_invalid_ed318_example_is_refused_naming_the_problem():
    report = _import("InvalidExample_GeoZone_2_Layers.json")
    messages = [str(p) for p in report.problems]
    assert (
        "file, metadata.validFrom: {'purposely_invalid': 'This object is not a datetime'} "
        "is not of type 'string' (ED-318 schema)." in messages
    )
    assert any(m.startswith("feature 1, properties.type: 'REQ_AUTHORISATION'") for m in messages)
    assert report.created == 0 and not ReferenceZone.objects.exists()


def _feature(identifier, geometry):
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "identifier": identifier,
            "country": "CHE",
            "name": [{"text": identifier, "lang": "en-GB"}],
            "type": "PROHIBITED",
            "variant": "COMMON",
            "zoneAuthority": [
                {"name": [{"text": "FOCA", "lang": "en-GB"}], "purpose": "AUTHORIZATION"}
            ],
        },
    }


@pytest.mark.django_db
def test_bad_features_get_a_message_and_good_ones_are_kept():
    square = [[[7.0, 46.0], [7.1, 46.0], [7.1, 46.1], [7.0, 46.1], [7.0, 46.0]]]
    collection = {
        "type": "FeatureCollection",
        "features": [
            _feature("GOOD1", {"type": "Polygon", "coordinates": square}),
            _feature("LINE", {"type": "LineString", "coordinates": [[7, 46], [7.1, 46.1]]}),
            _feature(
                "FAR",
                {
                    "type": "Point",
                    "coordinates": [46.0, 97.0],
                    "extent": {"subType": "Circle", "radius": 100},
                },
            ),
            _feature(
                "NORAD",
                {
                    "type": "Point",
                    "coordinates": [7.0, 46.0],
                    "extent": {"subType": "Circle", "radius": -5},
                },
            ),
        ],
    }
    report = _import_json(collection)
    assert report.created == 1
    assert list(ReferenceZone.objects.values_list("identifier", flat=True)) == ["GOOD1"]
    assert [str(p) for p in report.problems] == [
        "feature 2, geometry: a LineString encloses no area: a zone needs a Polygon, "
        "MultiPolygon or a Point with a circle extent.",
        "feature 3, geometry (Point): Latitude must be between -90 and 90 (got 97). "
        "Are latitude and longitude swapped?",
        "feature 4, geometry (extent.radius): the circle radius must be a positive number, "
        "not “-5”.",
    ]


@pytest.mark.django_db
def test_dry_run_changes_nothing_and_reimport_is_unchanged():
    dry = _import("ed269_interuss_geo-awareness-che-1.json", dry_run=True)
    assert dry.created == 6 and not ReferenceZone.objects.exists()
    _import("ed269_interuss_geo-awareness-che-1.json")
    ids = set(ReferenceZone.objects.values_list("pk", flat=True))
    again = _import("ed269_interuss_geo-awareness-che-1.json")
    assert (again.created, again.updated, again.unchanged, again.deleted) == (0, 0, 6, 0)
    assert set(ReferenceZone.objects.values_list("pk", flat=True)) == ids


@pytest.mark.django_db
def test_reimport_of_a_changed_file_shows_updates_and_removals():
    square = [[[7.0, 46.0], [7.1, 46.0], [7.1, 46.1], [7.0, 46.1], [7.0, 46.0]]]
    bigger = [[[7.0, 46.0], [7.2, 46.0], [7.2, 46.2], [7.0, 46.2], [7.0, 46.0]]]
    first = {
        "type": "FeatureCollection",
        "features": [
            _feature("A1", {"type": "Polygon", "coordinates": square}),
            _feature("B1", {"type": "Polygon", "coordinates": square}),
        ],
    }
    second = {
        "type": "FeatureCollection",
        "features": [
            _feature("A1", {"type": "Polygon", "coordinates": bigger}),
        ],
    }
    _import_json(first)
    report = zones.import_zones("test.json", io.BytesIO(json.dumps(second).encode()), dry_run=True)
    assert (report.updated, report.deleted) == (1, 1)
    assert report.changes == ["A1: updated.", "B1: no longer in test.json, removed."]
    assert ReferenceZone.objects.count() == 2
    _import_json(second)
    assert list(ReferenceZone.objects.values_list("identifier", flat=True)) == ["A1"]


@pytest.mark.django_db
def test_swiss_national_test_set_imports_whole(capsys):
    call_command("import_zones", str(DATA / "SwissGeozones_ED318_Testdaten.zip"))
    out = capsys.readouterr().out
    assert ReferenceZone.objects.count() == 1179
    assert "0 refused" in out
    assert "1179 ED-318 (GeoJSON) zones read" in out
    # One published polygon crosses itself: kept, repaired, and said so.
    assert "feature 759, geometry (Polygon): the polygon was not valid" in out
    reasons = {}
    for zone_reasons in ReferenceZone.objects.values_list("reasons", flat=True):
        for reason in zone_reasons:
            reasons[reason] = reasons.get(reason, 0) + 1
    assert reasons == {"NATURE": 648, "SENSITIVE": 347, "AIR_TRAFFIC": 184}


@pytest.mark.django_db
def test_reference_zone_layer_by_bbox(client, personas):
    _import("ed269_interuss_geo-awareness-che-1.json")
    url = reverse("reference_zones")
    montreux = "6.8,46.3,7.0,46.5"
    for name, user in personas.items():
        client.logout()
        if name != "anonymous":
            client.force_login(user)
        response = client.get(url, {"in_bbox": montreux})
        if name == "anonymous":
            assert response.status_code == 302
            continue
        assert response.status_code == 200
        assert response["Content-Type"] == "application/geo+json"
        ids = {f["properties"]["identifier"] for f in response.json()["features"]}
        assert "Montreux Concert Area" in ids and "Lausanne Airport" not in ids
    client.force_login(personas["staff_a"])
    response = client.get(url, {"in_bbox": "6.8,46.3"})
    assert response.status_code == 400
    assert "four numbers" in response.content.decode()
    # A box wholly inside a zone still gets that zone (not only partial overlaps).
    tiny = "6.905,46.425,6.906,46.426"
    inside = client.get(url, {"in_bbox": tiny}).json()["features"]
    montreux = [f for f in response_features(client, url, montreux) if "Montreux" in str(f)]
    assert montreux and any("Montreux" in str(f) for f in inside)


def response_features(client, url, box):
    return client.get(url, {"in_bbox": box}).json()["features"]


def test_footprint_of_two_volumes_is_their_union():
    a = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    b = Polygon([(0.5, 0), (2, 0), (2, 1), (0.5, 1)])
    assert zones.footprint([a, b]).area == pytest.approx(2.0)


@pytest.mark.django_db
def test_a_refused_feature_leaves_the_stored_zone_as_it_was():
    square = [[[7.0, 46.0], [7.1, 46.0], [7.1, 46.1], [7.0, 46.1], [7.0, 46.0]]]
    bigger = [[[7.0, 46.0], [7.2, 46.0], [7.2, 46.2], [7.0, 46.2], [7.0, 46.0]]]
    _import_json(
        {
            "type": "FeatureCollection",
            "features": [
                _feature("A1", {"type": "Polygon", "coordinates": square}),
                _feature("B1", {"type": "Polygon", "coordinates": square}),
            ],
        }
    )
    stored_b1 = ReferenceZone.objects.get(identifier="B1")
    report = _import_json(
        {
            "type": "FeatureCollection",
            "features": [
                _feature("A1", {"type": "Polygon", "coordinates": bigger}),
                _feature("B1", {"type": "LineString", "coordinates": [[7, 46], [7.1, 46.1]]}),
            ],
        }
    )
    assert (report.updated, report.deleted, report.refused) == (1, 0, 1)
    assert "B1: kept as stored before, since this file's version of it was refused." in (
        report.notes
    )
    assert ReferenceZone.objects.get(identifier="B1") == stored_b1
    assert ReferenceZone.objects.get(identifier="A1").geometry.extent[2] == pytest.approx(7.2)
