"""Sensor ingest: exactly once, item-by-item validation, grouping into incidents, distances."""

import json
import random
import uuid
from datetime import timedelta

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from incidents import geo
from incidents.api.serializers import DetectionResultSerializer, DetectionSerializer
from incidents.choices import Source, Status
from incidents.models import Detection, Drone, Incident
from incidents.services.ingest import distances_to_perimeter_m
from tests import geo_reference
from tests.api_helpers import client_for, detection, make_key
from tests.conftest import make_site

URL = "/api/v1/detections/"


@pytest.fixture
def ingest_a(site_a):
    return make_key([site_a], "ingest")[1]


def post(token, body):
    return client_for(token=token).post(URL, body, format="json")


def test_one_detection_opens_a_sensor_incident(site_a, ingest_a):
    body = detection(site_a, uas_id="DJI123")
    response = post(ingest_a, body)
    assert response.status_code == 201, response.json()
    result = response.json()["result"]
    incident = Incident.objects.get(reference=result["incident"])
    assert incident.source == Source.SENSOR
    assert incident.status == Status.DRAFT
    assert incident.zone == "inside" and result["zone"] == "inside"
    assert list(incident.drones.values_list("uas_id", flat=True)) == ["DJI123"]


def test_same_detection_again_returns_original_and_stores_nothing(site_a, ingest_a):
    body = detection(site_a)
    first = post(ingest_a, body)
    again = post(ingest_a, dict(reversed(list(body.items()))))  # key order does not matter
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["result"] == first.json()["result"]
    assert Detection.objects.count() == 1


def test_same_id_with_different_body_is_a_conflict(site_a, ingest_a):
    body = detection(site_a)
    post(ingest_a, body)
    response = post(ingest_a, {**body, "sensor_id": "other"})
    assert response.status_code == 409
    assert "detection_id" in response.json()["errors"]
    assert Detection.objects.count() == 1


def test_batch_keeps_good_items_and_names_each_bad_field(site_a, ingest_a):
    good = detection(site_a)
    far = detection(site_a, north_m=300_000)
    future = detection(site_a, at=timezone.now() + timedelta(hours=1))
    no_position = {k: v for k, v in detection(site_a).items() if k != "position"}
    bad_lat = detection(site_a)
    bad_lat["position"]["lat"] = 123
    response = post(ingest_a, [good, far, future, no_position, bad_lat, "text"])
    assert response.status_code == 200
    data = response.json()
    assert (data["stored"], data["refused"]) == (1, 5)
    items = data["items"]
    assert items[0]["status"] == "stored"
    assert "position" in items[1]["errors"] and "km" in items[1]["errors"]["position"][0]
    assert "time" in items[2]["errors"]
    assert "position" in items[3]["errors"]
    assert "lat" in items[4]["errors"]["position"]
    assert "non_field_errors" in items[5]["errors"]
    assert Detection.objects.count() == 1


def test_batch_over_the_limit_is_refused(site_a, ingest_a):
    response = post(ingest_a, [detection(site_a) for _ in range(1001)])
    assert response.status_code == 400
    assert "1000" in response.json()["errors"]["non_field_errors"][0]
    assert not Detection.objects.exists()


@pytest.mark.parametrize("body", [None, 5, "x", [], {"detection_id": "not-a-uuid"}])
def test_malformed_bodies_get_400_with_a_message(site_a, ingest_a, body):
    response = post(ingest_a, body)
    assert response.status_code == 400
    assert response.json()["errors"]


def test_detections_group_by_uas_and_by_time_and_distance(site_a, ingest_a, settings):
    settings.SKYLEDGER_INGEST_GROUP_GAP_S = 300
    settings.SKYLEDGER_INGEST_GROUP_DISTANCE_M = 2000
    start = timezone.now() - timedelta(hours=2)
    same_drone = [
        detection(site_a, at=start + timedelta(seconds=20 * i), north_m=1000 * i, uas_id="A1")
        for i in range(5)
    ]
    # A second drone flying with it: close in space and time, so the same incident.
    wingman = [detection(site_a, at=start + timedelta(seconds=30), east_m=300, uas_id="B2")]
    # An hour later, an unidentified drone: a new incident.
    later = [detection(site_a, at=start + timedelta(hours=1, seconds=s)) for s in (0, 60)]
    response = post(ingest_a, same_drone + wingman + later)
    assert response.json()["stored"] == 8
    first = Incident.objects.get(detections__detection_id=same_drone[0]["detection_id"])
    second = Incident.objects.get(detections__detection_id=later[0]["detection_id"])
    assert first != second
    assert first.detections.count() == 6 and second.detections.count() == 2
    assert first.drone_count == 2
    track = Drone.objects.get(incident=first, uas_id="A1").track
    assert len(track.coords) == 5
    assert [round(c[1], 4) for c in track.coords] == sorted(round(c[1], 4) for c in track.coords)
    # Closest approach: the first A1 point is the centre of the site.
    assert first.zone == "inside" and first.distance_m == 0


def test_closest_approach_sets_location_and_severity(site_a, ingest_a):
    start = timezone.now() - timedelta(hours=1)
    out = detection(site_a, at=start, north_m=3000, uas_id="Z9")
    post(ingest_a, out)
    incident = Incident.objects.get()
    assert incident.zone == "ring" and incident.severity == "low"
    post(ingest_a, detection(site_a, at=start + timedelta(seconds=30), uas_id="Z9"))
    incident.refresh_from_db()
    assert incident.zone == "inside" and incident.severity == "high"
    assert incident.last_seen > incident.first_seen


def test_detection_that_changes_nothing_leaves_the_incident_as_it_is(site_a, ingest_a):
    start = timezone.now() - timedelta(hours=1)
    post(ingest_a, detection(site_a, at=start, uas_id="Z9"))
    post(ingest_a, detection(site_a, at=start + timedelta(seconds=60), north_m=900, uas_id="Z9"))
    before = Incident.objects.values().get()
    # Inside the time range and farther than the closest approach: nothing to rewrite.
    inside = detection(site_a, at=start + timedelta(seconds=30), north_m=500, uas_id="Z9")
    with CaptureQueriesContext(connection) as queries:
        assert post(ingest_a, inside).status_code == 201
    assert not [q for q in queries.captured_queries if 'UPDATE "incidents_incident"' in q["sql"]]
    assert Incident.objects.values().get() == before
    assert Detection.objects.filter(incident_id=before["id"]).count() == 3
    # A later one moves last_seen and is written.
    post(ingest_a, detection(site_a, at=start + timedelta(seconds=90), north_m=500, uas_id="Z9"))
    assert Incident.objects.get().last_seen == start + timedelta(seconds=90)


def test_joining_detections_update_the_drone_and_keep_what_staff_wrote(site_a, ingest_a):
    start = timezone.now() - timedelta(hours=1)
    first = detection(site_a, at=start, uas_id="A1", operator_id="OP-1")
    first["operator_position"] = {"lat": first["position"]["lat"] + 0.01, "lon": 1.0}
    post(ingest_a, first)
    drone = Drone.objects.get()
    drone.make_model, drone.description = "DJI Mini 3", "Seen by the gate guard"
    drone.save()
    # No operator this time: the drone keeps the one it had; its track grows.
    post(ingest_a, detection(site_a, at=start + timedelta(seconds=5), north_m=50, uas_id="A1"))
    drone.refresh_from_db()
    assert (drone.make_model, drone.description) == ("DJI Mini 3", "Seen by the gate guard")
    assert drone.operator_id == "OP-1" and drone.operator_location.x == 1.0
    assert len(drone.track.coords) == 2
    later = detection(site_a, at=start + timedelta(seconds=10), north_m=90, uas_id="A1")
    later.update(operator_id="OP-2", operator_position={"lat": 51.5, "lon": 2.0})
    post(ingest_a, later)
    drone.refresh_from_db()
    assert drone.operator_id == "OP-2" and drone.operator_location.x == 2.0
    assert drone.make_model == "DJI Mini 3" and len(drone.track.coords) == 3
    assert Drone.objects.count() == 1
    assert set(Detection.objects.values_list("drone_id", flat=True)) == {drone.pk}


def _track(site, count, at, uas_id=None):
    """`count` detections of one drone, 5 s and 20 m apart."""
    return [
        detection(site, at=at + timedelta(seconds=5 * i), north_m=20 * i, uas_id=uas_id)
        for i in range(count)
    ]


def _queries_to_store(token, bodies, stored=None):
    """Queries other than the statement storing the detections, one for the whole batch
    (COPY on PostgreSQL, an executemany INSERT on SQLite)."""
    with CaptureQueriesContext(connection) as queries:
        response = post(token, bodies)
    assert response.status_code == 200
    assert response.json()["stored"] == (len(bodies) if stored is None else stored)
    inserts = [
        query
        for query in queries.captured_queries
        if 'INSERT INTO "incidents_detection"' in query["sql"]
        or query["sql"].startswith('COPY "incidents_detection"')
    ]
    assert len(inserts) == (1 if response.json()["stored"] else 0)
    return len(queries) - len(inserts)


def test_batch_queries_do_not_grow_with_its_detections(site_a, ingest_a):
    start = timezone.now() - timedelta(days=1)
    post(ingest_a, detection(site_a, at=start - timedelta(hours=5)))  # first use of key, year
    small_at, large_at = start, start + timedelta(hours=3)

    def batch(at, count, offset=0):
        # A drone with a UAS ID, and an hour later one without (grouped by distance).
        moment = at + timedelta(seconds=5 * offset)
        return _track(site_a, count, moment, "Q1") + _track(
            site_a, count, moment + timedelta(hours=1)
        )

    # Two new incidents each: ten detections against a hundred.
    assert _queries_to_store(ingest_a, batch(small_at, 10)) == _queries_to_store(
        ingest_a, batch(large_at, 100)
    )
    # The same incidents again, now holding stored detections and drones.
    small, large = batch(small_at, 5, offset=10), batch(large_at, 50, offset=100)
    assert _queries_to_store(ingest_a, small) == _queries_to_store(ingest_a, large)
    # Sent again: each item is answered as a duplicate, without a query of its own.
    assert _queries_to_store(ingest_a, small, stored=0) == _queries_to_store(
        ingest_a, large, stored=0
    )
    assert Incident.objects.count() == 5
    assert Detection.objects.count() == 1 + 2 * (10 + 100 + 5 + 50)


def test_ingest_distances_agree_with_the_exact_oracle_within_a_metre():
    rng = np.random.default_rng(7)
    cases = [
        (106.656, -6.12557),  # Jakarta
        (15.5, 78.2),  # Svalbard, 78 N
        (179.95, -16.5),  # across the antimeridian
    ]
    for lon, lat in cases:
        perimeter = geo.normalise_perimeter(geo.rectangle(lon, lat, 1500, 800, 30))
        # Random points around the site, and the centre itself last (inside: 0 m).
        lons = np.append(((lon + rng.uniform(-0.3, 0.3, 60)) + 180) % 360 - 180, lon)
        lats = np.append(lat + rng.uniform(-0.2, 0.2, 60), lat)
        batch = distances_to_perimeter_m(lons, lats, perimeter)
        # The slow exhaustive search the fast routine replaced, kept as the test oracle.
        exact = geo_reference.distances_to_perimeter_m(lons, lats, perimeter)
        assert np.max(np.abs(batch - exact)) < 1.0
        assert batch[-1] == 0 and (batch > 0).sum() > 50


def test_thousand_detections_twice_shuffled_store_exactly_a_thousand(site_a, ingest_a, settings):
    settings.SKYLEDGER_INGEST_GROUP_GAP_S = 300
    settings.SKYLEDGER_INGEST_GROUP_DISTANCE_M = 2000
    rng = random.Random(42)
    start = timezone.now() - timedelta(days=1)
    detections, expected = [], {}
    # 20 clusters of 50: each within 4 minutes and 1.5 km, clusters 30 minutes apart, so
    # every order of arrival gives the same 20 incidents.
    for cluster in range(20):
        for _ in range(50):
            body = detection(
                site_a,
                at=start + timedelta(minutes=30 * cluster, seconds=rng.uniform(0, 240)),
                north_m=rng.uniform(-700, 700),
                east_m=rng.uniform(-700, 700),
                uas_id=f"U{cluster:02d}" if cluster % 2 else None,
            )
            detections.append(body)
            expected[body["detection_id"]] = cluster
    sends = detections * 2
    rng.shuffle(sends)
    batches = [sends[i : i + 97] for i in range(0, len(sends), 97)]
    requests = batches + rng.sample(batches, max(1, len(batches) // 20))
    rng.shuffle(requests)
    for batch in requests:
        response = post(ingest_a, batch)
        assert response.status_code == 200
        assert response.json()["refused"] == 0
    assert Detection.objects.count() == 1000
    groups = {}
    for detection_id, incident_id in Detection.objects.values_list("detection_id", "incident_id"):
        groups.setdefault(expected[str(detection_id)], set()).add(incident_id)
    assert all(len(ids) == 1 for ids in groups.values())
    assert Incident.objects.count() == 20


def test_ingest_key_cannot_post_for_another_site(site_a, site_b, ingest_a):
    response = post(ingest_a, detection(site_b))
    assert response.status_code == 400
    assert "site" in response.json()["errors"]
    assert not Detection.objects.exists()


def test_site_may_be_left_out_for_a_one_site_key(site_a, ingest_a):
    body = detection(site_a)
    del body["site"]
    assert post(ingest_a, body).status_code == 201


def test_key_for_two_sites_must_name_the_site(site_a, site_b):
    token = make_key([site_a, site_b], "ingest")[1]
    body = detection(site_a)
    del body["site"]
    response = post(token, body)
    assert response.status_code == 400 and "site" in response.json()["errors"]


def test_same_id_from_another_site_is_a_conflict(site_a, site_b, ingest_a):
    ingest_b = make_key([site_b], "ingest")[1]
    body = detection(site_a)
    post(ingest_a, body)
    other = detection(site_b, detection_id=body["detection_id"])
    assert post(ingest_b, other).status_code == 409


def test_far_north_site_groups_and_measures(db):
    site = make_site("LYR", 15.465, 78.246)
    token = make_key([site], "ingest")[1]
    response = post(token, detection(site, north_m=2500, uas_id="N1"))
    assert response.status_code == 201
    assert abs(response.json()["result"]["distance_m"] - 1500) < 1.5
    assert uuid.UUID(response.json()["detection_id"])


def remote_id_messages(uas_id, lon, lat, height_m):
    """A Basic ID and a Location message as a receiver would hand them over."""
    basic = bytes([0x02, (1 << 4) | 2]) + uas_id.encode().ljust(20, b"\0") + bytes(3)
    location = (
        bytes([0x12, 0x20, 90, 20, 0])
        + round(lat * 1e7).to_bytes(4, "little", signed=True)
        + round(lon * 1e7).to_bytes(4, "little", signed=True)
        + bytes(4)
        + round((height_m + 1000) * 2).to_bytes(2, "little")
        + bytes(2)
        + (0xFFFF).to_bytes(2, "little")
        + bytes(2)
    )
    assert len(basic) == len(location) == 25
    return basic, location


def test_remote_id_messages_fill_the_detection(site_a, ingest_a):
    import base64

    from tests.api_helpers import offset

    lon, lat = offset(site_a, north_m=200)
    basic, location = remote_id_messages("1596F3A9BC1234567890", lon, lat, 120)
    body = detection(site_a)
    del body["position"]
    body["remote_id"] = [basic.hex(" "), base64.b64encode(location).decode()]
    response = post(ingest_a, body)
    assert response.status_code == 201, response.json()
    stored = Detection.objects.get()
    assert stored.uas_id == "1596F3A9BC1234567890" and stored.uas_id_type == "serial"
    assert abs(stored.location.y - lat) < 1e-6 and stored.altitude_m == 120
    assert stored.remote_id["uas_id"] == "1596F3A9BC1234567890"
    assert Drone.objects.get().uas_id == "1596F3A9BC1234567890"


@pytest.mark.parametrize(
    ("raw", "field"),
    [("zz-not-hex-or-base64!", "raw"), ("12 20", "length"), ("ff" * 25, "message_size")],
)
def test_malformed_remote_id_is_refused_naming_the_field(site_a, ingest_a, raw, field):
    body = detection(site_a, remote_id=[raw])
    response = post(ingest_a, body)
    assert response.status_code == 400
    message = response.json()["errors"]["remote_id"]["0"][0]
    assert message.startswith(f"{field}:")
    assert not Detection.objects.exists()


def test_readme_curl_examples_are_accepted(site_a, ingest_a):
    import json
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## For integrators", 1)[1].split("\n## ", 1)[0]
    bodies = [json.loads(b) for b in re.findall(r"-d '(.*?)'", section, flags=re.S)]
    assert len(bodies) == 2
    single, batch = bodies
    assert post(ingest_a, single).status_code == 201
    response = post(ingest_a, batch)
    assert response.json()["stored"] == 2, response.json()
    assert Detection.objects.get(detection_id=batch[1]["detection_id"]).uas_id == (
        "1596F3A9BC1234567890"
    )


@pytest.mark.parametrize("signal", [{"note": "a\u0000b"}, {"blob": "x" * 20_000}, {"\u0000": 1}])
def test_signal_data_that_cannot_be_stored_is_refused(site_a, ingest_a, signal):
    response = post(ingest_a, detection(site_a, signal=signal))
    assert response.status_code == 400 and "signal" in response.json()["errors"]
    assert not Detection.objects.exists()


def test_batch_answer_matches_the_detection_serializer(site_a, ingest_a):
    bodies = _track(site_a, 3, timezone.now() - timedelta(hours=1), "R1")
    items = post(ingest_a, bodies).json()["items"]
    stored = Detection.objects.select_related("incident", "site").order_by("time")
    assert [item["result"] for item in items] == DetectionResultSerializer(stored, many=True).data


def _outcome_of(parse, raw):
    """What a parser makes of an item: its DetectionInput's fields (with the number types),
    or the serializer's error detail."""
    try:
        parsed = parse(raw)
    except ValidationError as error:
        return ("refused", error.detail)
    numbers = [type(getattr(parsed, name)) for name in ("lat", "lon", "altitude_m")]
    return ("parsed", vars(parsed), numbers, parsed.time.tzinfo)


def _variant(body, path, value):
    body = json.loads(json.dumps(body))
    *parents, last = path
    holder = body
    for name in parents:
        holder = holder[name]
    if value is _DROP:
        del holder[last]
    else:
        holder[last] = value
    return body


_DROP = object()

# Plainly valid variations: the plain parser takes each, and agrees with the serializer.
PLAIN_VARIANTS = [
    ((), None),
    (("site",), _DROP),
    (("position", "altitude_m"), _DROP),
    (("position", "altitude_m"), None),
    (("position", "altitude_m"), 12),
    (("position", "lat"), 51),
    (("uas_id",), ""),
    (("operator_id",), "OP-9"),
    (("operator_position",), {"lat": 51.49, "lon": -0.1, "extra": 1}),
    (("operator_position",), None),
    (("detection_method",), "radar"),
    (("signal",), {}),
    (("signal",), {"rssi_dbm": -70, "nested": {"a": [1, 2]}}),
    (("signal",), _DROP),
    (("unknown_key",), "ignored"),
    (("time",), "2026-01-02T03:04:05.123456+02:00"),
    (("time",), "2026-01-02T03:04:05Z"),
    (("time",), "2026-01-02T03:04:05"),  # no offset: the field's own rule applies
    (("detection_id",), "6F9619FF8B86D011B42D00C04FC964FF"),
]

# Anything else is left to the serializer: the same value or the same messages.
OTHER_VARIANTS = [
    (("detection_id",), _DROP),
    (("detection_id",), "not-a-uuid"),
    (("detection_id",), 12345),
    (("detection_id",), None),
    (("site",), "NOPE"),
    (("site",), ""),
    (("site",), None),
    (("site",), " CGK "),
    (("sensor_id",), " padded "),
    (("sensor_id",), ""),
    (("sensor_id",), "x" * 101),
    (("sensor_id",), "nul\x00"),
    (("sensor_id",), 42),
    (("time",), "yesterday"),
    (("time",), 1700000000),
    (("position",), _DROP),
    (("position",), "north"),
    (("position", "lat"), 91),
    (("position", "lat"), True),
    (("position", "lat"), "51.5"),
    (("position", "lat"), float("nan")),
    (("position", "lon"), _DROP),
    (("position", "altitude_m"), 100001),
    (("position", "altitude_m"), "high"),
    (("uas_id_type",), _DROP),
    (("uas_id_type",), ""),
    (("uas_id_type",), "passport"),
    (("uas_id_type",), ["serial"]),
    (("uas_id",), None),
    (("uas_id",), "U" * 41),
    (("detection_method",), ""),
    (("detection_method",), None),
    (("detection_method",), ["rf"]),
    (("detection_method",), "sonar"),
    (("operator_position",), {}),
    (("operator_position",), {"lat": 1}),
    (("operator_position",), "here"),
    (("operator_id",), None),
    (("signal",), "text"),
    (("signal",), None),
    (("signal",), {"blob": "x" * 20_000}),
    (("remote_id",), []),
]


@pytest.mark.parametrize("path, value", PLAIN_VARIANTS + OTHER_VARIANTS)
def test_plain_parser_agrees_with_the_serializer(site_a, path, value):
    body = detection(site_a, uas_id="DJI123", operator_id="OP-1")
    raw = body if not path else _variant(body, path, value)
    parser = DetectionSerializer(sites={site_a.code: site_a}, only_site=site_a)
    serializer = DetectionSerializer(sites={site_a.code: site_a}, only_site=site_a)
    if (path, value) in PLAIN_VARIANTS:
        assert parser.parse_plain(raw) is not None
    else:
        assert parser.parse_plain(raw) is None
    assert _outcome_of(parser.parse, raw) == _outcome_of(serializer.parse_with_serializer, raw)


@pytest.mark.parametrize("raw", ["text", 5, None, [], ["a"]])
def test_plain_parser_leaves_items_that_are_not_objects_to_the_serializer(site_a, raw):
    parser = DetectionSerializer(sites={site_a.code: site_a}, only_site=site_a)
    assert parser.parse_plain(raw) is None
    assert _outcome_of(parser.parse, raw) == _outcome_of(parser.parse_with_serializer, raw)
    assert _outcome_of(parser.parse, raw)[0] == "refused"
