"""Data rules of sites and incidents: every validation message, derived values, references."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from incidents import geo
from incidents.choices import Severity, Status
from incidents.models import (
    Drone,
    Evidence,
    Incident,
    IncidentAction,
    Site,
    compute_severity,
)
from tests.conftest import incident_fields, make_site, square


def errors_of(instance):
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


def new_incident(site, **overrides):
    return Incident(site=site, **incident_fields(site, **overrides))


def offset_point(site, azimuth, metres_from_centre):
    centre = site.perimeter_shape().centroid
    x, y, _ = geo.WGS84.fwd(centre.x, centre.y, azimuth, metres_from_centre)
    return Point(x, y, srid=4326)


# --- Incident validation: each message says what to fix -------------------------------


def test_valid_incident_passes_full_clean(site_a):
    new_incident(site_a).full_clean()


@pytest.mark.parametrize(
    ("field", "lon", "lat", "message"),
    [
        ("location", 106.6, -91, "Latitude must be between -90 and 90 (got -91)."),
        ("location", 186.6, -6.1, "Longitude must be between -180 and 180 (got 186.6)."),
        ("observer_location", -6.1, 106.6, "Are latitude and longitude swapped?"),
    ],
)
def test_coordinates_out_of_range_are_refused(site_a, field, lon, lat, message):
    incident = new_incident(site_a, **{field: Point(lon, lat, srid=4326)})
    assert message in errors_of(incident)[field][0]


def test_last_seen_before_first_seen_is_refused(site_a):
    now = timezone.now()
    incident = new_incident(
        site_a, first_seen=now - timedelta(hours=1), last_seen=now - timedelta(hours=2)
    )
    assert errors_of(incident)["last_seen"] == ["Last seen is before first seen: check both times."]


def test_first_seen_more_than_5_minutes_in_the_future_is_refused(site_a):
    incident = new_incident(site_a, first_seen=timezone.now() + timedelta(minutes=6))
    assert errors_of(incident)["first_seen"] == [
        "First seen is more than 5 minutes in the future. Check the date, the time and the "
        "time zone."
    ]


def test_first_seen_a_little_ahead_of_the_server_clock_is_accepted(site_a):
    new_incident(site_a, first_seen=timezone.now() + timedelta(minutes=4)).full_clean()


def test_last_seen_in_the_future_is_refused(site_a):
    incident = new_incident(site_a, last_seen=timezone.now() + timedelta(hours=1))
    assert "Last seen is more than 5 minutes in the future" in errors_of(incident)["last_seen"][0]


@pytest.mark.parametrize("count", [0, -1])
def test_drone_count_below_one_is_refused(site_a, count):
    errors = errors_of(new_incident(site_a, drone_count=count))
    assert "Drone count must be at least 1." in errors["drone_count"]


def test_swarm_of_twelve_drones_is_accepted(site_a):
    new_incident(site_a, drone_count=12).full_clean()


@pytest.mark.parametrize("heading", [360, 720])
def test_heading_outside_0_to_359_is_refused(site_a, heading):
    assert errors_of(new_incident(site_a, heading_deg=heading))["heading_deg"] == [
        "Heading must be between 0 and 359 degrees (0 is north, 90 is east)."
    ]


@pytest.mark.parametrize(
    ("altitude", "message"),
    [
        (-501, "Altitude must be at least -500 m (below ground level)."),
        (20001, "Altitude must be at most 20,000 m above ground."),
    ],
)
def test_altitude_outside_minus_500_to_20000_is_refused(site_a, altitude, message):
    assert errors_of(new_incident(site_a, altitude_m=altitude))["altitude_m"] == [message]


@pytest.mark.parametrize("altitude", [-500, 0, 120, 20000])
def test_altitude_within_range_is_accepted(site_a, altitude):
    new_incident(site_a, altitude_m=altitude).full_clean()


def test_speed_above_500_kmh_is_refused(site_a):
    assert errors_of(new_incident(site_a, speed_kmh=501))["speed_kmh"] == [
        "Estimated speed must be at most 500 km/h."
    ]


def test_unknown_detection_method_is_refused_with_the_valid_choices(site_a):
    errors = errors_of(new_incident(site_a, detection_methods=["visual", "telepathy"]))
    assert errors["detection_methods"][0].startswith("Unknown value(s): telepathy. Choose from:")
    assert "remote_id" in errors["detection_methods"][0]


def test_at_least_one_detection_method_is_required(site_a):
    assert "detection_methods" in errors_of(new_incident(site_a, detection_methods=[]))


def test_unknown_behaviour_is_refused(site_a):
    errors = errors_of(new_incident(site_a, behaviours=["hovering", "juggling"]))
    assert "Unknown value(s): juggling." in errors["behaviours"][0]


def test_location_far_from_the_site_is_refused_as_a_likely_typo(site_a):
    errors = errors_of(new_incident(site_a, location=Point(115.167, -8.748, srid=4326)))
    assert "km from CGK's perimeter (more than 100 km)" in errors["location"][0]
    assert "choose the right site" in errors["location"][0]


@pytest.mark.parametrize(
    ("field", "lon", "lat", "message"),
    [
        ("operator_location", 0, 95, "Latitude must be between -90 and 90 (got 95)."),
        ("takeoff_location", -200, 0, "Longitude must be between -180 and 180 (got -200)."),
    ],
)
def test_drone_coordinates_out_of_range_are_refused(record, site_a, field, lon, lat, message):
    drone = Drone(incident=record(site_a), **{field: Point(lon, lat, srid=4326)})
    assert message in errors_of(drone)[field][0]


def test_remote_id_uas_id_and_its_type_go_together(record, site_a):
    incident = record(site_a)
    assert errors_of(Drone(incident=incident, uas_id_type="serial"))["uas_id"] == [
        "Give the Remote ID UAS ID, or clear its type."
    ]
    drone = Drone(incident=incident, uas_id="1581F6N8A23B2ML3Y3KR")
    assert "Say what kind of UAS ID" in errors_of(drone)["uas_id_type"][0]


def test_a_swarm_incident_holds_one_record_per_drone(record, site_a):
    drones = [
        {"uas_id": f"1581F6N8A23B2ML3Y3K{i}", "uas_id_type": "serial", "operator_id": "OP-1"}
        for i in range(4)
    ]
    incident = record(site_a, drone_count=4, drones=drones)
    assert sorted(incident.drones.values_list("uas_id", flat=True)) == [d["uas_id"] for d in drones]


def test_payload_described_but_not_ticked_is_refused(site_a):
    errors = errors_of(new_incident(site_a, payload_description="A box"))
    assert "tick “payload seen”" in errors["payload_seen"][0]


def test_severity_override_needs_a_reason(site_a):
    errors = errors_of(new_incident(site_a, severity_override="critical"))
    assert errors["severity_override_reason"] == ["Give a reason for overriding the severity."]


def test_all_problems_are_reported_at_once(site_a):
    incident = new_incident(site_a, drone_count=0, heading_deg=400, altitude_m=30000)
    assert {"drone_count", "heading_deg", "altitude_m"} <= set(errors_of(incident))


def test_action_in_the_future_is_refused(record, site_a):
    incident = record(site_a)
    action = IncidentAction(
        incident=incident, kind="notified_police", taken_at=timezone.now() + timedelta(hours=1)
    )
    assert "more than 5 minutes in the future" in errors_of(action)["taken_at"][0]


def test_other_action_needs_a_description(record, site_a):
    action = IncidentAction(incident=record(site_a), kind="other")
    assert errors_of(action)["note"] == ["Describe the action taken."]


# --- Sites -------------------------------------------------------------------------------


def site_with(**fields):
    perimeter = MultiPolygon(Polygon(((0, 0), (0, 0.01), (0.01, 0.01), (0.01, 0), (0, 0))))
    defaults = {"code": "TST", "name": "Test", "perimeter": perimeter, "timezone": "UTC"}
    defaults.update(fields)
    return Site(**defaults)


def test_self_intersecting_perimeter_is_refused_and_not_repaired(db):
    bowtie = MultiPolygon(Polygon(((0, 0), (0.01, 0.01), (0.01, 0), (0, 0.01), (0, 0))))
    site = site_with(perimeter=bowtie)
    message = errors_of(site)["perimeter"][0]
    assert message.startswith("The perimeter is not a valid polygon (Self-intersection")
    assert "Redraw it" in message
    assert site.perimeter.equals_exact(bowtie)  # left exactly as typed
    assert not Site.objects.exists()


def test_perimeter_with_latitude_out_of_range_is_refused(db):
    perimeter = MultiPolygon(Polygon(((0, 89.9), (0, 91), (1, 91), (1, 89.9), (0, 89.9))))
    assert "latitude outside -90 to 90" in errors_of(site_with(perimeter=perimeter))["perimeter"][0]


@pytest.mark.parametrize(
    ("radii", "message"),
    [
        ([1000, 500], "Alert ring distances must increase outward, for example [500, 1000, 5000]."),
        ([0, 500], "Each alert ring distance must be between 1 and 100000 metres."),
        ([], "Give the alert ring distances in metres as a list, for example [500, 1000, 5000]."),
        (["far"], "Alert ring distances must be numbers of metres, for example [500, 1000, 5000]."),
        ([1, 2, 3, 4, 5, 6, 7], "Give at most 6 alert rings."),
    ],
)
def test_bad_alert_ring_distances_are_refused(db, radii, message):
    assert errors_of(site_with(zone_radii_m=radii))["zone_radii_m"] == [message]


def test_unknown_timezone_is_refused(db):
    message = errors_of(site_with(timezone="Asia/Atlantis"))["timezone"][0]
    assert message.startswith("“Asia/Atlantis” is not a known IANA time zone.")


@pytest.mark.parametrize("code", ["cgk", "C", "TOO-LONG", "ABCDEFGHI"])
def test_site_code_must_be_2_to_8_capitals_or_digits(db, code):
    assert (
        "Use 2 to 8 capital letters or digits, for example CGK."
        in errors_of(site_with(code=code))["code"]
    )


def test_site_default_alert_rings_are_500_1000_5000(db):
    assert site_with().zone_radii_m == [500, 1000, 5000]


def test_site_across_the_antimeridian_is_stored_as_two_parts(db):
    site = make_site("WYV", 179.9995, -16.788, 1000, timezone="Pacific/Fiji")
    site.refresh_from_db()
    assert len(site.perimeter) == 2
    assert all(-180 <= x <= 180 for polygon in site.perimeter for x, _ in polygon[0].coords)


# --- Derived values ----------------------------------------------------------------------


def test_incident_inside_the_perimeter_is_zone_inside_at_0_m(record, site_a):
    incident = record(site_a)
    assert (incident.zone, incident.zone_ring_m, incident.distance_m) == ("inside", None, 0)


def test_incident_in_the_second_ring_gets_ring_1000_and_its_distance(record, site_a):
    # The square's east edge is 1,000 m east of the centre; 750 m beyond it.
    incident = record(site_a, location=offset_point(site_a, 90, 1750))
    assert incident.zone == "ring"
    assert incident.zone_ring_m == 1000
    assert incident.distance_m == pytest.approx(750, abs=1)
    assert incident.computed_severity == Severity.LOW


def test_incident_beyond_all_rings_is_outside(record, site_a):
    incident = record(site_a, location=offset_point(site_a, 0, 8000))
    assert incident.zone == "outside"
    assert incident.distance_m == pytest.approx(7000, abs=1)


def test_derived_values_follow_the_location_when_it_moves(record, site_a):
    incident = record(site_a)
    incident.location = offset_point(site_a, 180, 1300)
    incident.full_clean()
    incident.save()
    incident.refresh_from_db()
    assert incident.zone_ring_m == 500
    assert incident.severity == Severity.MEDIUM


@pytest.mark.parametrize(
    ("zone", "ring_index", "count", "payload", "behaviours", "expected"),
    [
        ("inside", None, 1, False, [], "high"),
        ("inside", None, 3, False, [], "critical"),
        ("inside", None, 1, True, [], "critical"),
        ("ring", 0, 1, False, [], "medium"),
        ("ring", 0, 2, False, [], "medium"),
        ("ring", 0, 3, False, [], "high"),
        ("ring", 0, 5, False, ["payload_drop"], "critical"),
        ("ring", 1, 1, False, [], "low"),
        ("ring", 1, 1, False, ["payload_drop"], "medium"),
        ("ring", 2, 12, True, [], "high"),
        ("outside", None, 1, False, ["hovering"], "low"),
        ("outside", None, 3, False, [], "medium"),
    ],
)
def test_severity_rule(zone, ring_index, count, payload, behaviours, expected):
    assert compute_severity(zone, ring_index, count, payload, behaviours) == expected


def test_swarm_inside_the_perimeter_is_critical_on_save(record, site_a):
    assert record(site_a, drone_count=4).severity == Severity.CRITICAL


def test_severity_override_replaces_the_computed_severity_but_keeps_it(record, site_a):
    incident = record(site_a, location=offset_point(site_a, 0, 9000))
    incident.severity_override = Severity.HIGH
    incident.severity_override_reason = "Third sighting today"
    incident.full_clean()
    incident.save()
    assert (incident.computed_severity, incident.severity) == (Severity.LOW, Severity.HIGH)


# --- References --------------------------------------------------------------------------


def test_references_are_sequential_per_site_and_year(record, site_a, site_b, staff_b):
    first = record(site_a)
    second = record(site_a)
    other_site = record(site_b, reported_by=staff_b)
    year = first.first_seen.astimezone(site_a.tzinfo).year
    year_b = other_site.first_seen.astimezone(site_b.tzinfo).year
    assert first.reference == f"CGK-{year}-00001"
    assert second.reference == f"CGK-{year}-00002"
    assert other_site.reference == f"DPS-{year_b}-00001"


def test_reference_year_is_the_sites_local_year_of_first_seen(record, site_a):
    # 31 Dec 2025 20:00 UTC is already 1 Jan 2026 in Jakarta (UTC+7).
    first_seen = datetime(2025, 12, 31, 20, 0, tzinfo=UTC)
    incident = record(site_a, first_seen=first_seen)
    assert incident.reference == "CGK-2026-00001"
    earlier = record(site_a, first_seen=first_seen - timedelta(hours=8))
    assert earlier.reference == "CGK-2025-00001"


def test_reference_does_not_change_on_later_saves(record, site_a):
    incident = record(site_a)
    reference = incident.reference
    incident.narrative = "Updated"
    incident.save()
    assert Incident.objects.get(pk=incident.pk).reference == reference


def test_times_are_stored_in_utc(record, site_a):
    local = datetime(2026, 3, 1, 9, 30, tzinfo=site_a.tzinfo)
    incident = record(site_a, first_seen=local)
    incident.refresh_from_db()
    assert incident.first_seen.utcoffset() == timedelta(0)
    assert incident.first_seen == local


# --- Status transitions through the model -------------------------------------------------


def test_closed_incident_cannot_go_back_to_draft(record, site_a):
    incident = record(site_a, status=Status.CLOSED)
    incident = Incident.objects.get(pk=incident.pk)
    incident.status = Status.DRAFT
    assert errors_of(incident)["status"] == [
        "An incident cannot go from Closed to Draft. From Closed it can go to: Under review."
    ]


# --- Evidence ----------------------------------------------------------------------------


def test_evidence_records_sha256_size_and_media_type(record, site_a, staff_a):
    from tests import samples

    content = samples.png()
    evidence = Evidence(incident=record(site_a), uploaded_by=staff_a)
    evidence.file.save("photo.png", ContentFile(content), save=False)
    evidence.full_clean()
    evidence.save()
    evidence.refresh_from_db()
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.size_bytes == len(content)
    assert evidence.media_type == "image/png"
    assert evidence.original_name == "photo.png"
    assert evidence.file.name.startswith("evidence/CGK/")


def test_empty_evidence_file_is_refused(record, site_a):
    evidence = Evidence(incident=record(site_a))
    evidence.file.save("empty.jpg", ContentFile(b""), save=False)
    assert errors_of(evidence)["file"] == ["This file is empty: choose the file again."]


def test_evidence_over_the_size_limit_is_refused(record, site_a, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    evidence = Evidence(incident=record(site_a))
    evidence.file.save("big.mp4", ContentFile(b"x" * (1024 * 1024 + 1)), save=False)
    message = errors_of(evidence)["file"][0]
    assert message.startswith("This file is 1.0 MB, larger than the 1 MB limit.")


def test_square_helper_builds_a_valid_site_perimeter():
    assert geo.perimeter_problem(square(106.656, -6.12557, 1000)) is None


def test_same_external_id_from_the_same_source_at_a_site_is_refused(record, site_a):
    record(site_a, source="sensor", external_id="track-17")
    duplicate = new_incident(site_a, source="sensor", external_id="track-17")
    assert errors_of(duplicate)["__all__"] == [
        "This site already has an incident from this source with the same external id."
    ]
    new_incident(site_a, source="import", external_id="track-17").full_clean()
    new_incident(site_a, source="sensor").full_clean()  # no external id: never a clash


def test_location_in_web_mercator_is_converted_to_wgs84(site_a):
    centre = site_a.perimeter_shape().centroid
    mercator = Point(centre.x, centre.y, srid=4326).transform(3857, clone=True)
    incident = new_incident(site_a, location=mercator)
    incident.full_clean()
    assert incident.location.srid == 4326
    assert incident.location.x == pytest.approx(centre.x)


def test_operator_described_but_not_ticked_is_refused(site_a):
    errors = errors_of(new_incident(site_a, operator_description="Man in a red jacket"))
    assert errors["operator_seen"] == [
        "An operator is described: tick “operator seen” or clear the description."
    ]


def test_repeated_detection_method_is_refused(site_a):
    errors = errors_of(new_incident(site_a, detection_methods=["radar", "radar"]))
    assert errors["detection_methods"] == ["Each value may appear only once."]


def test_detection_methods_must_be_a_list(site_a):
    errors = errors_of(new_incident(site_a, detection_methods="visual"))
    assert errors["detection_methods"] == ["Give a list of values."]


def test_empty_perimeter_is_refused(db):
    empty = MultiPolygon(srid=4326)
    message = errors_of(site_with(perimeter=empty))["perimeter"][0]
    assert message == "The perimeter is empty: draw the site's boundary on the map."


def test_perimeter_far_past_180_is_refused(db):
    perimeter = MultiPolygon(Polygon(((370, 0), (370, 1), (371, 1), (371, 0), (370, 0))))
    assert errors_of(site_with(perimeter=perimeter))["perimeter"] == [
        "The perimeter has a longitude outside -180 to 180: check the coordinates."
    ]
