"""Home page and admin, as each persona sees them."""

import pytest
from django.urls import reverse

from incidents.choices import Status
from incidents.models import Incident, Site, TimelineEntry


def test_anonymous_home_page_invites_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Drone incident log for critical sites" in response.content
    assert reverse("login").encode() in response.content


def test_login_page_renders(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Sign in" in response.content


def test_wrong_password_says_so_and_keeps_the_username(client, staff_a):
    response = client.post(reverse("login"), {"username": "staff_a", "password": "wrong"})
    assert response.status_code == 200
    assert b"didn't match" in response.content
    assert b'value="staff_a"' in response.content


def test_staff_home_lists_only_their_sites_and_incidents(
    client, staff_a, record, site_a, site_b, staff_b
):
    mine = record(site_a, drone_count=4)
    theirs = record(site_b, reported_by=staff_b)
    client.force_login(staff_a)
    page = client.get("/").content.decode()
    assert "Soekarno-Hatta" in page
    assert "Ngurah Rai" not in page
    assert mine.reference in page
    assert theirs.reference not in page
    assert "Critical" in page


def test_regulator_home_shows_no_drafts(client, regulator, record, site_a):
    draft = record(site_a)
    submitted = record(site_a, status=Status.SUBMITTED)
    client.force_login(regulator)
    page = client.get("/").content.decode()
    assert submitted.reference in page
    assert draft.reference not in page


def test_member_without_incidents_sees_an_empty_state(client, staff_a):
    client.force_login(staff_a)
    assert b"No incidents recorded yet." in client.get("/").content


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/incidents/site/",
        "/admin/incidents/site/add/",
        "/admin/incidents/incident/",
        "/admin/incidents/incident/add/",
        "/admin/incidents/sitemembership/",
        "/admin/incidents/regulatorgrant/add/",
        "/admin/incidents/incident/?status__exact=draft&q=CGK",
    ],
)
def test_admin_pages_load_for_an_admin(client, admin_user, record, site_a, url):
    record(site_a)
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


def test_admin_change_pages_show_leaflet_map_widgets(client, admin_user, record, site_a):
    incident = record(site_a)
    client.force_login(admin_user)
    for url in (
        reverse("admin:incidents_site_change", args=[site_a.pk]),
        reverse("admin:incidents_incident_change", args=[incident.pk]),
    ):
        page = client.get(url).content.decode()
        assert "leaflet" in page.lower()
        assert incident.reference in page or site_a.code in page


def test_non_admin_is_sent_to_the_admin_login(client, staff_a):
    client.force_login(staff_a)
    response = client.get("/admin/incidents/incident/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def admin_site_form(site, **changes):
    data = {
        "code": site.code,
        "name": site.name,
        "kind": site.kind,
        "active": "on",
        "timezone": site.timezone,
        "perimeter": site.perimeter.geojson,
        "zone_radii_m": "[500, 1000, 5000]",
        "address": "",
        "contact_name": "",
        "contact_phone": "",
        "contact_email": "",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_admin_refuses_a_self_intersecting_perimeter_and_keeps_the_form(client, admin_user, site_a):
    client.force_login(admin_user)
    bowtie = (
        '{"type": "MultiPolygon", "coordinates": [[[[106.6, -6.1], [106.7, -6.0], '
        "[106.7, -6.1], [106.6, -6.0], [106.6, -6.1]]]]}"
    )
    url = reverse("admin:incidents_site_change", args=[site_a.pk])
    response = client.post(url, admin_site_form(site_a, perimeter=bowtie, name="Renamed"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "The perimeter is not a valid polygon (Self-intersection" in page
    assert 'value="Renamed"' in page
    assert Site.objects.get(pk=site_a.pk).name == "Soekarno-Hatta"


def test_admin_ring_change_recomputes_incidents(client, admin_user, record, site_a):
    from tests.test_models import offset_point

    incident = record(site_a, location=offset_point(site_a, 90, 3000))
    client.force_login(admin_user)
    url = reverse("admin:incidents_site_change", args=[site_a.pk])
    response = client.post(url, admin_site_form(site_a, zone_radii_m="[2500]"), follow=True)
    assert b"Zones and severities recomputed for 1 incidents." in response.content
    incident.refresh_from_db()
    assert incident.zone_ring_m == 2500


def admin_incident_form(client, incident, **changes):
    """The admin change form's data for an incident, as a browser would post it."""
    url = reverse("admin:incidents_incident_change", args=[incident.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    data.update(
        {
            "site": incident.site_id,
            "location": incident.location.geojson,
            "first_seen_0": incident.first_seen.strftime("%Y-%m-%d"),
            "first_seen_1": incident.first_seen.strftime("%H:%M:%S"),
            "reported_at_0": incident.reported_at.strftime("%Y-%m-%d"),
            "reported_at_1": incident.reported_at.strftime("%H:%M:%S"),
            "detection_methods": ["visual"],
            "behaviours": [],
        }
    )
    for prefix in ("drones", "actions", "evidence", "timeline"):
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    for key in ("observer_location", "last_seen"):
        data.pop(key, None)
    data.update(changes)
    return url, data


def test_admin_status_change_is_validated_and_logged(client, admin_user, record, site_a):
    incident = record(site_a, status=Status.CLOSED)
    client.force_login(admin_user)
    url, data = admin_incident_form(client, incident, status="draft")
    response = client.post(url, data)
    assert "An incident cannot go from Closed to Draft." in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).status == Status.CLOSED

    data["status"] = "under_review"
    response = client.post(url, data)
    assert response.status_code == 302
    entry = TimelineEntry.objects.filter(incident=incident).last()
    assert (entry.from_status, entry.to_status, entry.author) == (
        "closed",
        "under_review",
        admin_user,
    )


def test_admin_refuses_a_location_off_the_globe_and_keeps_what_was_typed(
    client, admin_user, record, site_a
):
    incident = record(site_a)
    client.force_login(admin_user)
    bad = '{"type": "Point", "coordinates": [106.65, 95.0]}'
    url, data = admin_incident_form(client, incident, location=bad, narrative="Typed text")
    response = client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Latitude must be between -90 and 90 (got 95)." in page
    assert "Typed text" in page
    assert Incident.objects.get(pk=incident.pk).location.equals(incident.location)


def test_admin_offers_make_and_model_suggestions(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("admin:incidents_incident_add")).content.decode()
    assert 'list="id_make_model-suggestions"' in page
    assert '<option value="DJI Mavic 2">' in page


def test_admin_shows_a_site_across_180_as_one_shape_and_saves_it_split_again(client, admin_user):
    import json

    from tests.conftest import make_site

    site = make_site("WYV", 179.9995, -16.788, 1000, timezone="Pacific/Fiji")
    client.force_login(admin_user)
    url = reverse("admin:incidents_site_change", args=[site.pk])
    shown = json.loads(_perimeter_widget_value(client.get(url)))
    assert len(shown["coordinates"]) == 1  # one polygon, as drawn
    longitudes = [x for x, _ in shown["coordinates"][0][0]]
    assert max(longitudes) > 180 and min(longitudes) > 0  # continuous across 180

    response = client.post(url, admin_site_form(site, perimeter=json.dumps(shown)))
    assert response.status_code == 302
    site.refresh_from_db()
    assert len(site.perimeter) == 2
    assert all(-180 <= x <= 180 for polygon in site.perimeter for x, _ in polygon[0].coords)


def _perimeter_widget_value(response):
    """The GeoJSON the perimeter map widget is given, from its hidden textarea."""
    import html
    import re

    match = re.search(
        r'<textarea[^>]*name="perimeter"[^>]*>(.*?)</textarea>', response.content.decode(), re.S
    )
    return html.unescape(match.group(1)).strip()


HOME_SITES = {
    "staff_a": ["Soekarno-Hatta"],
    "supervisor_a": ["Soekarno-Hatta"],
    "staff_b": ["Ngurah Rai"],
    "regulator": ["Soekarno-Hatta"],
    "admin": ["Soekarno-Hatta", "Ngurah Rai"],
}


@pytest.mark.parametrize("persona", [*HOME_SITES, "anonymous"])
def test_home_page_as_each_persona(client, personas, persona):
    if persona != "anonymous":
        client.force_login(personas[persona])
    page = client.get("/").content.decode()
    for name in ("Soekarno-Hatta", "Ngurah Rai"):
        assert (name in page) == (name in HOME_SITES.get(persona, []))
    assert ("Sign in" in page) == (persona == "anonymous")
