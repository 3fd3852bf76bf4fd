"""Events: reports and sensor tracks of one pass become one event; merging and splitting."""

from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.urls import reverse
from django.utils import timezone

from incidents import geo, services
from incidents.choices import Corroboration, Source, Status, TimelineKind
from incidents.correlation import events
from incidents.models import Event, Incident, IncidentMerge, TimelineEntry

RID = {"uas_id": "1581F5FKD229400AB", "uas_id_type": "serial", "operator_id": "IDN-OP-0042"}


def near(site, metres, bearing=45):
    """A point `metres` from the site's centre along a bearing (geodesic)."""
    centre = site.perimeter_shape().centroid
    lon, lat, _ = geo.WGS84.fwd(centre.x, centre.y, bearing, metres)
    return Point(lon, lat, srid=4326)


def report(site, user, at, metres=0, minutes=4, **fields):
    return services.record_incident(
        site=site,
        reported_by=user,
        first_seen=at,
        last_seen=at + timedelta(minutes=minutes),
        location=near(site, metres),
        **fields,
    )


def sensor(site, at, metres=0, minutes=6, drones=(), track="T1", **fields):
    return services.record_incident(
        site=site,
        reported_by=None,
        source=Source.SENSOR,
        external_id=track,
        first_seen=at,
        last_seen=at + timedelta(minutes=minutes),
        location=near(site, metres),
        drones=list(drones),
        **fields,
    )


@pytest.fixture
def one_pass(site_a, staff_a, supervisor_a):
    """Three guards and two sensor tracks (one with Remote ID) of one pass over CGK."""
    at = timezone.now() - timedelta(hours=3)
    return [
        report(site_a, staff_a, at, metres=120),
        report(site_a, supervisor_a, at + timedelta(minutes=1), metres=400),
        report(site_a, staff_a, at + timedelta(minutes=3), metres=900),
        sensor(site_a, at - timedelta(minutes=2), metres=300, track="T-101", drones=[RID]),
        sensor(site_a, at + timedelta(minutes=2), metres=650, track="T-102"),
    ]


def test_three_reports_and_two_sensor_tracks_of_one_pass_are_one_event(one_pass):
    assert Event.objects.count() == 1
    event = Event.objects.get()
    assert set(Incident.objects.filter(event_membership__event=event)) == set(one_pass)
    assert event.corroboration == Corroboration.SENSOR_REMOTE_ID
    assert event.first_seen == min(i.first_seen for i in one_pass)
    assert event.last_seen == max(i.last_seen for i in one_pass)


def test_two_passes_an_hour_apart_stay_two_events(site_a, staff_a):
    at = timezone.now() - timedelta(hours=5)
    first = report(site_a, staff_a, at)
    second = report(site_a, staff_a, at + timedelta(hours=1))
    assert Event.objects.count() == 2
    assert events.event_of(first) != events.event_of(second)
    assert events.event_of(first).corroboration == Corroboration.ONE_REPORT


def test_same_time_but_far_apart_stays_two_events(site_a, staff_a, settings):
    settings.CORRELATION_DISTANCE_M = 3000
    at = timezone.now() - timedelta(hours=2)
    report(site_a, staff_a, at, metres=0)
    report(site_a, staff_a, at, metres=8000)
    assert Event.objects.count() == 2


def test_distance_is_geodesic_at_high_latitude(staff_a, settings):
    """At 78 N a degree of longitude is about 23 km: 0.1 degree east is ~2.3 km, not 11 km."""
    from tests.conftest import make_site

    settings.CORRELATION_DISTANCE_M = 3000
    north = make_site("LYR", 15.465, 78.246, timezone="Arctic/Longyearbyen")
    from incidents.choices import Role
    from incidents.models import SiteMembership

    SiteMembership.objects.create(user=staff_a, site=north, role=Role.STAFF)
    at = timezone.now() - timedelta(hours=2)
    for lon in (15.40, 15.50):
        services.record_incident(
            site=north, reported_by=staff_a, first_seen=at, location=Point(lon, 78.246, srid=4326)
        )
    assert Event.objects.filter(site=north).count() == 1


def test_report_and_sensor_without_remote_id(site_a, staff_a):
    at = timezone.now() - timedelta(hours=2)
    report(site_a, staff_a, at)
    sensor(site_a, at + timedelta(minutes=1), metres=200)
    assert Event.objects.get().corroboration == Corroboration.REPORT_AND_SENSOR


def test_several_reports(site_a, staff_a, supervisor_a):
    at = timezone.now() - timedelta(hours=2)
    report(site_a, staff_a, at)
    report(site_a, supervisor_a, at + timedelta(minutes=8), metres=100)
    assert Event.objects.get().corroboration == Corroboration.SEVERAL_REPORTS


def test_a_bridging_sensor_track_joins_two_events_into_one(site_a, staff_a):
    at = timezone.now() - timedelta(hours=4)
    report(site_a, staff_a, at, minutes=2)
    report(site_a, staff_a, at + timedelta(minutes=40), minutes=2)
    assert Event.objects.count() == 2
    sensor(site_a, at, minutes=42, metres=100)
    assert Event.objects.count() == 1
    assert Event.objects.get().memberships.count() == 3


# --- Merge and split --------------------------------------------------------------------


def timeline(incident):
    return list(TimelineEntry.objects.filter(incident=incident).values_list("kind", flat=True))


def test_merge_keeps_every_reference_and_split_restores(one_pass, supervisor_a):
    survivor, *others = one_pass[:3]
    events.merge_incidents(survivor, others, supervisor_a, "Same drone, three guards.")
    for other in others:
        # Nothing is deleted: the merged report still resolves by its own reference.
        again = Incident.objects.get(reference=other.reference)
        assert events.survivor_of(again) == survivor
        assert timeline(other) == [TimelineKind.CREATED, TimelineKind.MERGED]
    assert timeline(survivor) == [TimelineKind.CREATED, TimelineKind.MERGED]
    survivor_text = TimelineEntry.objects.get(incident=survivor, kind=TimelineKind.MERGED).text
    assert all(o.reference in survivor_text for o in others)

    events.split_incident(others[0], supervisor_a, "Second guard saw a different drone.")
    assert events.survivor_of(others[0]) is None
    assert events.survivor_of(others[1]) == survivor
    assert timeline(others[0]) == [TimelineKind.CREATED, TimelineKind.MERGED, TimelineKind.SPLIT]
    assert timeline(survivor)[-1] == TimelineKind.SPLIT
    # The merge record stays, closed, for the history.
    assert IncidentMerge.objects.filter(incident=others[0], split_at__isnull=False).count() == 1

    # It can be merged again after the split.
    events.merge_incidents(survivor, [others[0]], supervisor_a)
    assert events.survivor_of(others[0]) == survivor


def test_staff_cannot_merge(one_pass, staff_a):
    with pytest.raises(services.ServiceError, match="Only a supervisor of CGK"):
        events.merge_incidents(one_pass[0], one_pass[1:2], staff_a)
    assert not IncidentMerge.objects.exists()


def test_cannot_merge_twice_or_into_a_merged_incident(one_pass, supervisor_a):
    a, b, c = one_pass[:3]
    events.merge_incidents(a, [b], supervisor_a)
    with pytest.raises(services.ServiceError, match="already merged into"):
        events.merge_incidents(c, [b], supervisor_a)
    with pytest.raises(services.ServiceError, match="itself merged"):
        events.merge_incidents(b, [c], supervisor_a)
    with pytest.raises(services.ServiceError, match="choose it as the survivor"):
        events.merge_incidents(c, [a], supervisor_a)


def test_cannot_merge_across_sites(site_a, site_b, supervisor_a, staff_a, staff_b, admin_user):
    at = timezone.now() - timedelta(hours=1)
    mine = report(site_a, staff_a, at)
    theirs = report(site_b, staff_b, at)
    with pytest.raises(services.ServiceError, match="same site"):
        events.merge_incidents(mine, [theirs], admin_user)


def test_split_needs_a_reason_and_a_merge(one_pass, supervisor_a):
    with pytest.raises(services.ServiceError, match="not merged"):
        events.split_incident(one_pass[1], supervisor_a, "Why not")
    events.merge_incidents(one_pass[0], [one_pass[1]], supervisor_a)
    with pytest.raises(services.ServiceError, match="Say why"):
        events.split_incident(one_pass[1], supervisor_a, " ")


# --- The event page as each persona ------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status", "merge_form"),
    [
        ("staff_a", 200, False),
        ("supervisor_a", 200, True),
        ("staff_b", 404, False),
        ("regulator", 404, False),  # drafts are never shown to regulators
        ("admin", 200, True),
        ("anonymous", 302, False),
    ],
)
def test_event_page_as_each_persona(client, personas, one_pass, persona, status, merge_form):
    if persona != "anonymous":
        client.force_login(personas[persona])
    response = client.get(reverse("incident_event", args=[one_pass[0].pk]))
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert "Sensor with Remote ID" in page
        assert all(i.reference in page for i in one_pass)
        assert ("Merge the ticked incidents into this one" in page) is merge_form


def test_regulator_sees_a_submitted_incident_event(client, regulator, site_a, staff_a):
    at = timezone.now() - timedelta(hours=1)
    shown = report(site_a, staff_a, at, status=Status.SUBMITTED)
    draft = report(site_a, staff_a, at, metres=50)
    client.force_login(regulator)
    page = client.get(reverse("incident_event", args=[shown.pk])).content.decode()
    assert shown.reference in page
    assert draft.reference not in page


def test_supervisor_merges_and_splits_through_the_page(client, supervisor_a, one_pass):
    survivor, other = one_pass[0], one_pass[1]
    client.force_login(supervisor_a)
    response = client.post(
        reverse("incident_merge", args=[survivor.pk]),
        {"merge": [other.pk], "reason": "duplicate"},
        follow=True,
    )
    assert f"Merged {other.reference} into {survivor.reference}." in response.content.decode()
    page = client.get(reverse("incident_event", args=[other.pk])).content.decode()
    assert f"This incident is merged into {survivor.reference}." in page
    # Members and the survivor link to their incident pages, not back to the event page.
    assert f'href="{reverse("incident_detail", args=[survivor.reference])}"' in page
    response = client.post(
        reverse("incident_split", args=[other.pk]), {"reason": "not the same"}, follow=True
    )
    assert f"{other.reference} was split off." in response.content.decode()
    assert events.survivor_of(other) is None


def test_staff_merge_through_the_page_is_refused_with_a_message(client, staff_a, one_pass):
    client.force_login(staff_a)
    response = client.post(
        reverse("incident_merge", args=[one_pass[0].pk]), {"merge": [one_pass[1].pk]}, follow=True
    )
    assert "Only a supervisor of CGK can merge or split its incidents." in (
        response.content.decode()
    )
    assert not IncidentMerge.objects.exists()


def test_merge_with_nothing_ticked_says_what_to_do(client, supervisor_a, one_pass):
    client.force_login(supervisor_a)
    response = client.post(reverse("incident_merge", args=[one_pass[0].pk]), {}, follow=True)
    assert "Choose at least one other incident to merge." in response.content.decode()
