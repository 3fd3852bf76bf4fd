"""Coordinated activity: bursts at several sites, swarms, repeats; the pattern pages."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.choices import PatternKind, PatternStatus, Role, Status
from incidents.correlation import patterns
from incidents.models import Pattern, SiteMembership
from tests.conftest import incident_fields, make_site
from tests.tasks_helper import failed_tasks, run_tasks


def at_day(days_ago, hour, minute):
    day = (timezone.now() - timedelta(days=days_ago)).astimezone(UTC)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


@pytest.fixture
def jakarta_sites(site_a):
    """CGK and three more sites around Jakarta, all within 40 km of each other."""
    return [
        site_a,
        make_site("HLP", 106.8907, -6.2666, name="Halim Perdanakusuma"),
        make_site("PRK", 106.8272, -6.1049, kind="port", name="Tanjung Priok"),
        make_site("MKR", 106.7300, -6.3500, kind="power_plant", name="Muara Karang"),
    ]


def sighting(site, when, **fields):
    fields.setdefault("status", Status.SUBMITTED)
    return services.record_incident(
        site=site,
        reported_by=None,
        source="import",
        **incident_fields(site, first_seen=when, **fields),
    )


def test_four_sites_within_half_an_hour_raise_one_pattern_with_its_reason(jakarta_sites):
    start = at_day(2, 14, 2)
    for site, minutes in zip(jakarta_sites, (0, 9, 18, 27), strict=True):
        sighting(site, start + timedelta(minutes=minutes))
    created, found = patterns.detect()
    assert found == 1
    pattern = Pattern.objects.get()
    assert created == [pattern]
    assert pattern.kind == PatternKind.SITES
    assert pattern.incidents.count() == 4
    assert pattern.site_count == 4
    assert pattern.explanation.startswith(
        "Drones were reported at 4 sites (CGK, HLP, MKR, PRK) within 27 minutes, "
        f"between 14:02 and 14:29 UTC on {start:%Y-%m-%d}; the sites are at most "
    )
    km = int(pattern.explanation.split("at most ")[1].split(" km")[0])
    assert 20 <= km <= 40  # HLP to MKR, measured on the ellipsoid

    # Re-runs find the same pattern and add no twin.
    assert patterns.detect()[0] == []
    assert Pattern.objects.count() == 1


def test_a_burst_straddling_window_boundaries_is_found(jakarta_sites, settings):
    settings.PATTERN_WINDOW_MINUTES = 30
    start = at_day(2, 14, 20)  # 14:20 to 14:47 crosses the 14:30 bucket edge
    for site, minutes in zip(jakarta_sites, (0, 9, 18, 27), strict=True):
        sighting(site, start + timedelta(minutes=minutes))
    patterns.detect()
    assert Pattern.objects.get().incidents.count() == 4


def test_the_same_sites_hours_apart_raise_nothing(jakarta_sites):
    start = at_day(2, 9, 0)
    for hour, site in enumerate(jakarta_sites):
        sighting(site, start + timedelta(hours=hour))
    assert patterns.detect() == ([], 0)


def test_sites_too_far_apart_raise_nothing(site_a, site_b, jakarta_sites, settings):
    settings.PATTERN_MIN_SITES = 3
    start = at_day(2, 14, 0)
    # Two Jakarta sites and Bali (about 980 km away): only two are within 100 km.
    sighting(jakarta_sites[0], start)
    sighting(jakarta_sites[1], start + timedelta(minutes=5))
    sighting(site_b, start + timedelta(minutes=10))
    assert patterns.detect() == ([], 0)


def test_a_fifth_site_later_updates_the_pattern_instead_of_adding_one(jakarta_sites):
    start = at_day(2, 14, 2)
    for site, minutes in zip(jakarta_sites[:3], (0, 5, 10), strict=True):
        sighting(site, start + timedelta(minutes=minutes))
    patterns.detect()
    sighting(jakarta_sites[3], start + timedelta(minutes=12))
    assert patterns.detect()[0] == []
    pattern = Pattern.objects.get()
    assert pattern.incidents.count() == 4
    assert "4 sites" in pattern.explanation


def test_swarms_at_two_sites_the_same_day(site_a, site_b):
    sighting(site_a, at_day(3, 1, 10), drone_count=5)
    sighting(site_b, at_day(3, 20, 45), drone_count=3)
    sighting(site_b, at_day(3, 21, 0), drone_count=1)  # not a swarm
    patterns.detect()
    pattern = Pattern.objects.get(kind=PatternKind.SWARMS)
    assert pattern.incidents.count() == 2
    assert "Swarms of 3 or more drones were reported at 2 sites (CGK, DPS)" in (pattern.explanation)
    assert "up to 5 drones" in pattern.explanation


def test_same_uas_id_at_two_sites_two_days_apart(site_a, site_b):
    rid = [{"uas_id": "1581F5FKD229400AB", "uas_id_type": "serial", "operator_id": "OP-7"}]
    sighting(site_a, at_day(5, 8, 0), drones=rid)
    sighting(site_b, at_day(3, 8, 0), drones=rid)
    patterns.detect()
    uas = Pattern.objects.get(kind=PatternKind.REPEAT_UAS)
    assert uas.key == "uas:1581F5FKD229400AB"
    assert uas.explanation.startswith(
        "UAS ID 1581F5FKD229400AB was seen at 2 sites (CGK, DPS) in 2 incidents"
    )
    assert Pattern.objects.filter(kind=PatternKind.REPEAT_OPERATOR, key="operator:OP-7").exists()


def test_the_background_task_raises_the_pattern_when_the_fourth_site_reports(jakarta_sites):
    start = timezone.now() - timedelta(minutes=40)
    for site, minutes in zip(jakarta_sites, (0, 4, 8, 12), strict=True):
        sighting(site, start + timedelta(minutes=minutes))
    assert not Pattern.objects.exists()
    run_tasks()
    assert not failed_tasks()
    assert Pattern.objects.filter(kind=PatternKind.SITES).count() == 1
    assert Pattern.objects.get().incidents.count() == 4


def test_command_over_history(jakarta_sites, capsys):
    start = at_day(20, 14, 2)
    for site, minutes in zip(jakarta_sites, (0, 9, 18, 27), strict=True):
        sighting(site, start + timedelta(minutes=minutes))
    call_command("detect_patterns", "--since", f"{start - timedelta(days=1):%Y-%m-%d}")
    assert "1 patterns found, 1 new." in capsys.readouterr().out
    call_command("detect_patterns", "--since", f"{start + timedelta(days=1):%Y-%m-%d}")
    assert "0 patterns found, 0 new." in capsys.readouterr().out
    assert Pattern.objects.count() == 1


def test_command_refuses_a_bad_date(db):
    with pytest.raises(CommandError, match="is not a date: use YYYY-MM-DD"):
        call_command("detect_patterns", "--since", "last tuesday")


def test_site_clusters_on_frames_across_the_antimeridian():
    """Two sites either side of 180° (about 22 km apart) and one nearby are one burst."""
    sites = pd.DataFrame(
        {
            "code": ["FJA", "FJB", "FJC"],
            "lon": [179.9, -179.9, 179.8],
            "lat": [-16.8, -16.8, -16.9],
        },
        index=[1, 2, 3],
    )
    incidents = pd.DataFrame(
        {"id": [10, 11, 12], "site_id": [1, 2, 3], "t": [1_000_000, 1_000_300, 1_000_600]}
    )
    thresholds = patterns.Thresholds(3, 50_000, 1800, 3, 2, 2)
    found = patterns.find_site_clusters(incidents, sites, thresholds)
    assert [f.incident_ids for f in found] == [[10, 11, 12]]


# --- Pages as each persona ----------------------------------------------------------------


@pytest.fixture
def burst(jakarta_sites, site_b):
    start = at_day(2, 14, 2)
    for site, minutes in zip(jakarta_sites, (0, 9, 18, 27), strict=True):
        sighting(site, start + timedelta(minutes=minutes))
    patterns.detect()
    return Pattern.objects.get()


@pytest.mark.parametrize(
    ("persona", "list_shows", "detail_status", "visible"),
    [
        ("staff_a", True, 200, 1),
        ("supervisor_a", True, 200, 1),
        ("staff_b", False, 404, 0),
        ("regulator", True, 200, 1),
        ("admin", True, 200, 4),
        ("anonymous", False, 302, 0),
    ],
)
def test_pattern_pages_as_each_persona(
    client, personas, burst, persona, list_shows, detail_status, visible
):
    if persona != "anonymous":
        client.force_login(personas[persona])
    listing = client.get(reverse("pattern_list"))
    if persona == "anonymous":
        assert listing.status_code == 302
    else:
        assert (burst.explanation in listing.content.decode()) is list_shows
    response = client.get(reverse("pattern_detail", args=[burst.pk]))
    assert response.status_code == detail_status
    if detail_status == 200:
        page = response.content.decode()
        assert burst.explanation in page
        shown = [i for i in burst.incidents.all() if i.reference in page]
        assert len(shown) == visible
        assert 'id="map-features"' in page
        assert "incidents/js/correlation-map.js" in page
        if visible < 4:
            assert f"{4 - visible} more incidents are at sites you may not see." in page


def test_supervisor_of_an_involved_site_confirms(client, supervisor_a, burst):
    client.force_login(supervisor_a)
    response = client.post(
        reverse("pattern_detail", args=[burst.pk]),
        {"status": PatternStatus.CONFIRMED, "note": "Police informed."},
        follow=True,
    )
    assert "Pattern marked Confirmed." in response.content.decode()
    burst.refresh_from_db()
    assert (burst.status, burst.reviewed_by, burst.review_note) == (
        PatternStatus.CONFIRMED,
        supervisor_a,
        "Police informed.",
    )


def test_supervisor_of_another_involved_site_dismisses(client, burst, django_user_model):
    from incidents.models import Site

    user = django_user_model.objects.create_user("supervisor_hlp", password="pw")
    SiteMembership.objects.create(
        user=user, site=Site.objects.get(code="HLP"), role=Role.SUPERVISOR
    )
    client.force_login(user)
    client.post(reverse("pattern_detail", args=[burst.pk]), {"status": PatternStatus.DISMISSED})
    burst.refresh_from_db()
    assert burst.status == PatternStatus.DISMISSED


def test_staff_and_regulator_cannot_review(client, staff_a, regulator, burst):
    for user in (staff_a, regulator):
        client.force_login(user)
        page = client.get(reverse("pattern_detail", args=[burst.pk])).content.decode()
        assert "Save decision" not in page
        response = client.post(
            reverse("pattern_detail", args=[burst.pk]), {"status": PatternStatus.CONFIRMED}
        )
        assert response.status_code == 403
    burst.refresh_from_db()
    assert burst.status == PatternStatus.OPEN


def test_review_with_a_bad_decision_keeps_the_note(client, supervisor_a, burst):
    client.force_login(supervisor_a)
    response = client.post(
        reverse("pattern_detail", args=[burst.pk]), {"status": "maybe", "note": "typed note"}
    )
    page = response.content.decode()
    assert "Select a valid choice" in page
    assert "typed note" in page


def test_detection_treats_naive_since_as_utc(jakarta_sites):
    start = at_day(2, 14, 2)
    for site, minutes in zip(jakarta_sites, (0, 9, 18, 27), strict=True):
        sighting(site, start + timedelta(minutes=minutes))
    since = datetime.combine(start.date(), datetime.min.time(), UTC)
    assert patterns.detect(since=since)[1] == 1
