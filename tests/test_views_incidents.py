"""The incident pages as each persona: log a sighting, list, detail, supervisor actions, edit."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.choices import Status, TimelineKind
from incidents.models import Evidence, Incident, TimelineEntry
from tests import samples
from tests.conftest import incident_fields

PERSONAS = ["staff_a", "supervisor_a", "staff_b", "regulator", "admin", "anonymous"]


def login(client, personas, name):
    user = personas[name]
    if user.is_authenticated:
        client.force_login(user)
    return user


def local(dt, site):
    return dt.astimezone(site.tzinfo).strftime("%Y-%m-%dT%H:%M")


def sighting(site, **overrides):
    """POST data for a valid sighting at the centre of the site."""
    centre = site.perimeter_shape().centroid
    data = {
        "site_choice": site.code,
        "submission_token": str(uuid.uuid4()),
        "first_seen": local(timezone.now() - timedelta(minutes=10), site),
        "drone_lat": f"{centre.y:.6f}",
        "drone_lon": f"{centre.x:.6f}",
        "observer_lat": f"{centre.y - 0.002:.6f}",
        "observer_lon": f"{centre.x:.6f}",
        "drone_count": "1",
        "category": "multirotor",
        "make_model": "DJI Mavic 3",
        "colour": "grey",
        "detection_methods": ["visual"],
        "narrative": "Hovering over the fuel farm.",
        "actions-TOTAL_FORMS": "1",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "20",
        "actions-0-kind": "notified_police",
        "actions-0-taken_at": local(timezone.now() - timedelta(minutes=5), site),
        "actions-0-note": "Called the airport police desk",
    }
    data.update(overrides)
    return data


# --- Log a sighting -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("staff_a", 200),
        ("supervisor_a", 200),
        ("staff_b", 200),
        ("regulator", 403),
        ("admin", 200),
        ("anonymous", 302),
    ],
)
def test_new_sighting_page_is_for_site_members(client, personas, persona, expected):
    login(client, personas, persona)
    response = client.get(reverse("incident_new"))
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith(reverse("login"))
    if expected == 403:
        assert "Only members of a site can log sightings" in response.content.decode()


def test_new_sighting_page_shows_the_site_time_zone_and_its_local_time(client, staff_a, site_a):
    client.force_login(staff_a)
    page = client.get(reverse("incident_new")).content.decode()
    assert "Asia/Jakarta" in page
    now_local = timezone.now().astimezone(site_a.tzinfo).strftime("%Y-%m-%dT%H")
    assert f'value="{now_local}' in page
    assert 'list="id_make_model-suggestions"' in page
    assert '<option value="DJI Mavic 3">' in page
    assert 'id="sighting-map"' in page


def test_member_of_several_sites_chooses_the_site(client, admin_user, site_a, site_b):
    client.force_login(admin_user)
    page = client.get(reverse("incident_new")).content.decode()
    assert '<select name="site_choice"' in page
    assert 'value="DPS"' in page and 'value="CGK"' in page


def test_staff_logs_a_sighting_and_sees_its_summary(client, staff_a, site_a):
    client.force_login(staff_a)
    data = sighting(site_a, first_seen="2026-01-10T10:00", **{"actions-0-taken_at": ""})
    data["actions-0-taken_at"] = "2026-01-10T10:05"
    response = client.post(reverse("incident_new"), data)
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incident_detail", args=[incident.reference])
    # Typed in Jakarta time (UTC+7).
    assert incident.first_seen == datetime(2026, 1, 10, 3, 0, tzinfo=UTC)
    assert incident.status == Status.SUBMITTED
    assert incident.reported_by == staff_a
    assert incident.make_model == "DJI Mavic 3"
    assert incident.observer_location is not None
    action = incident.actions.get()
    assert action.kind == "notified_police"
    assert action.taken_at == datetime(2026, 1, 10, 3, 5, tzinfo=UTC)
    assert action.recorded_by == staff_a
    page = client.get(response["Location"]).content.decode()
    assert incident.reference in page
    assert "Inside perimeter" in page
    assert "High" in page
    assert "2026-01-10 10:00" in page


def test_untouched_action_row_is_skipped(client, staff_a, site_a):
    client.force_login(staff_a)
    data = sighting(
        site_a, **{"actions-0-kind": "", "actions-0-taken_at": "", "actions-0-note": ""}
    )
    response = client.post(reverse("incident_new"), data)
    assert response.status_code == 302
    assert not Incident.objects.get().actions.exists()


def test_action_without_time_is_taken_now(client, staff_a, site_a):
    client.force_login(staff_a)
    client.post(reverse("incident_new"), sighting(site_a, **{"actions-0-taken_at": ""}))
    action = Incident.objects.get().actions.get()
    assert timezone.now() - action.taken_at < timedelta(minutes=1)


def test_save_as_draft_keeps_the_sighting_a_draft(client, staff_a, site_a):
    client.force_login(staff_a)
    client.post(reverse("incident_new"), sighting(site_a, save_as="draft"))
    assert Incident.objects.get().status == Status.DRAFT


def test_repeated_submission_stores_one_incident(client, staff_a, site_a):
    client.force_login(staff_a)
    data = sighting(site_a)
    first = client.post(reverse("incident_new"), data)
    second = client.post(reverse("incident_new"), data)
    assert Incident.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert Incident.objects.get().submission_token == uuid.UUID(data["submission_token"])


def test_invalid_value_is_explained_and_everything_typed_is_kept(client, staff_a, site_a):
    client.force_login(staff_a)
    data = sighting(site_a, heading_deg="400", lights="red and green")
    response = client.post(reverse("incident_new"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert Incident.objects.count() == 0
    assert "Heading must be between 0 and 359 degrees" in page
    for kept in (
        data["drone_lat"],
        data["drone_lon"],
        data["observer_lat"],
        "DJI Mavic 3",
        "red and green",
        "Hovering over the fuel farm.",
        "Called the airport police desk",
        data["submission_token"],
        data["first_seen"],
    ):
        assert kept in page
    # The error sits next to its field, which is opened if folded away.
    assert 'id="id_heading_deg_error"' in page


def test_missing_drone_position_says_how_to_give_it(client, staff_a, site_a):
    client.force_login(staff_a)
    response = client.post(
        reverse("incident_new"), sighting(site_a, drone_lat="", drone_lon="", colour="blue")
    )
    page = response.content.decode()
    assert "Place the drone: tap the map" in page
    assert 'value="blue"' in page


def test_location_far_from_site_is_shown_at_the_drone_position(client, staff_a, site_a):
    client.force_login(staff_a)
    response = client.post(reverse("incident_new"), sighting(site_a, drone_lat="10.0"))
    assert "km from CGK" in response.content.decode()
    assert "km from CGK" in " ".join(response.context["form"].errors["drone_lat"])


def test_chosen_files_must_be_chosen_again_after_an_error(client, staff_a, site_a):
    client.force_login(staff_a)
    upload = SimpleUploadedFile("photo.jpg", samples.jpeg(), content_type="image/jpeg")
    response = client.post(
        reverse("incident_new"), {**sighting(site_a, heading_deg="999"), "evidence": [upload]}
    )
    assert "choose your photos and videos again" in response.content.decode()


def test_evidence_files_are_stored_with_the_sighting(client, staff_a, site_a):
    client.force_login(staff_a)
    files = [
        SimpleUploadedFile("a.jpg", samples.jpeg(), content_type="image/jpeg"),
        SimpleUploadedFile("b.mp4", samples.mp4(), content_type="video/mp4"),
    ]
    response = client.post(reverse("incident_new"), {**sighting(site_a), "evidence": files})
    assert response.status_code == 302
    names = set(Evidence.objects.values_list("original_name", flat=True))
    assert names == {"a.jpg", "b.mp4"}
    page = client.get(response["Location"]).content.decode()
    assert 'class="thumb"' in page
    assert "b.mp4" in page


def test_empty_evidence_file_is_refused_with_its_name(client, staff_a, site_a):
    client.force_login(staff_a)
    empty = SimpleUploadedFile("empty.jpg", b"", content_type="image/jpeg")
    response = client.post(reverse("incident_new"), {**sighting(site_a), "evidence": [empty]})
    assert response.status_code == 200
    assert Incident.objects.count() == 0
    assert "empty.jpg" in response.content.decode()


def test_staff_cannot_log_a_sighting_at_another_site(client, staff_b, site_a, site_b):
    client.force_login(staff_b)
    response = client.post(reverse("incident_new"), sighting(site_a))
    assert response.status_code == 200
    assert Incident.objects.count() == 0
    assert "Select a valid choice" in response.content.decode()


# --- List -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees_a", "sees_b"),
    [
        ("staff_a", True, False),
        ("supervisor_a", True, False),
        ("staff_b", False, True),
        ("regulator", True, False),
        ("admin", True, True),
    ],
)
def test_list_shows_only_visible_incidents(
    client, personas, record, site_a, site_b, staff_b, persona, sees_a, sees_b
):
    a = record(site_a, status=Status.SUBMITTED)
    b = record(site_b, reported_by=staff_b, status=Status.SUBMITTED)
    login(client, personas, persona)
    page = client.get(reverse("incident_list")).content.decode()
    assert (a.reference in page) is sees_a
    assert (b.reference in page) is sees_b


def test_list_needs_sign_in(client):
    response = client.get(reverse("incident_list"))
    assert response.status_code == 302


def test_list_filter_lives_in_the_url_and_survives_pagination(client, staff_a, record, site_a):
    for _ in range(3):
        record(site_a, status=Status.SUBMITTED)
    draft = record(site_a)
    client.force_login(staff_a)
    url = reverse("incident_list") + "?status=submitted&ordering=-first_seen"
    page = client.get(url).content.decode()
    assert draft.reference not in page
    assert "3 incidents" in page

    from incidents.views import incidents as views

    original = views.PAGE_SIZE
    views.PAGE_SIZE = 2
    try:
        page = client.get(url).content.decode()
    finally:
        views.PAGE_SIZE = original
    assert "?status=submitted&amp;ordering=-first_seen&amp;page=2" in page


def test_list_times_are_in_each_site_local_time(client, staff_a, record, site_a):
    record(site_a, first_seen=datetime(2026, 1, 10, 3, 0, tzinfo=UTC))
    client.force_login(staff_a)
    page = client.get(reverse("incident_list")).content.decode()
    assert "2026-01-10 10:00" in page


def test_list_query_count_does_not_grow_with_incidents(client, staff_a, record, site_a):
    client.force_login(staff_a)
    record(site_a)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("incident_list"))
    for _ in range(10):
        record(site_a)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("incident_list"))
    assert len(many) == len(few)


def test_invalid_filter_is_explained_not_a_500(client, staff_a, record, site_a):
    client.force_login(staff_a)
    response = client.get(reverse("incident_list") + "?status=nonsense")
    assert response.status_code == 200
    assert "Some filters are not valid" in response.content.decode()


# --- Detail ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status", "expected"),
    [
        ("staff_a", Status.DRAFT, 200),
        ("supervisor_a", Status.DRAFT, 200),
        ("staff_b", Status.SUBMITTED, 404),
        ("regulator", Status.DRAFT, 404),
        ("regulator", Status.SUBMITTED, 200),
        ("admin", Status.DRAFT, 200),
        ("anonymous", Status.SUBMITTED, 302),
    ],
)
def test_detail_is_visible_only_to_who_may_see_it(
    client, personas, record, site_a, persona, status, expected
):
    incident = record(site_a, status=status)
    login(client, personas, persona)
    response = client.get(reverse("incident_detail", args=[incident.reference]))
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("persona", "buttons", "absent"),
    [
        ("staff_a", [], ["Start review", "Override severity", "Send back to draft"]),
        ("supervisor_a", ["Start review", "Send back to draft", "Override severity"], []),
        ("regulator", [], ["Start review", "Override severity", "Add comment", "Edit details"]),
    ],
)
def test_detail_shows_each_persona_only_their_actions(
    client, personas, record, site_a, persona, buttons, absent
):
    incident = record(site_a, status=Status.SUBMITTED)
    login(client, personas, persona)
    page = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    for label in buttons:
        assert label in page
    for label in absent:
        assert label not in page


def test_detail_shows_drones_and_observer_on_the_map(client, staff_a, site_a):
    from django.contrib.gis.geos import LineString, Point

    from incidents import services
    from tests.conftest import incident_fields

    centre = site_a.perimeter_shape().centroid
    incident = services.record_incident(
        site=site_a,
        reported_by=staff_a,
        observer_location=Point(centre.x, centre.y - 0.01, srid=4326),
        drones=[
            {
                "operator_location": Point(centre.x + 0.01, centre.y, srid=4326),
                "takeoff_location": Point(centre.x + 0.011, centre.y, srid=4326),
                "track": LineString((centre.x, centre.y), (centre.x + 0.01, centre.y), srid=4326),
            }
        ],
        **incident_fields(site_a),
    )
    client.force_login(staff_a)
    response = client.get(reverse("incident_detail", args=[incident.reference]))
    kinds = [f["properties"]["kind"] for f in response.context["features"]["features"]]
    assert kinds == ["drone", "observer", "sightline", "operator", "takeoff", "track"]


def test_staff_submits_their_draft(client, staff_a, record, site_a):
    incident = record(site_a)
    client.force_login(staff_a)
    response = client.post(reverse("incident_status", args=[incident.reference, "submitted"]))
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.SUBMITTED


def test_staff_cannot_start_review_and_is_told_why(client, staff_a, record, site_a):
    incident = record(site_a, status=Status.SUBMITTED)
    client.force_login(staff_a)
    response = client.post(reverse("incident_status", args=[incident.reference, "under_review"]))
    assert response.status_code == 403
    assert "Only a supervisor of CGK" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == Status.SUBMITTED


def test_supervisor_reviews_and_reports_with_authority_reference(
    client, supervisor_a, record, site_a
):
    incident = record(site_a, status=Status.SUBMITTED)
    client.force_login(supervisor_a)
    client.post(reverse("incident_status", args=[incident.reference, "under_review"]))
    client.post(
        reverse("incident_status", args=[incident.reference, "reported"]),
        {"authority_reference": "POLRI-2026-77", "note": "Sent to the airport police"},
    )
    incident.refresh_from_db()
    assert incident.status == Status.REPORTED
    assert incident.authority_reference == "POLRI-2026-77"
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds == ["created", "status", "edit", "status"]


def test_send_back_needs_a_note(client, supervisor_a, record, site_a):
    incident = record(site_a, status=Status.SUBMITTED)
    client.force_login(supervisor_a)
    response = client.post(reverse("incident_status", args=[incident.reference, "draft"]))
    assert response.status_code == 400
    assert "Say what needs fixing" in response.content.decode()


def test_impossible_move_is_explained(client, supervisor_a, record, site_a):
    incident = record(site_a)
    client.force_login(supervisor_a)
    response = client.post(reverse("incident_status", args=[incident.reference, "closed"]))
    assert response.status_code == 400
    assert "cannot go from Draft to Closed" in response.content.decode()


@pytest.mark.parametrize("persona", ["staff_b", "regulator"])
def test_outsiders_cannot_move_status(client, personas, record, site_a, persona):
    incident = record(site_a, status=Status.SUBMITTED)
    login(client, personas, persona)
    response = client.post(reverse("incident_status", args=[incident.reference, "under_review"]))
    assert response.status_code == (404 if persona == "staff_b" else 403)
    incident.refresh_from_db()
    assert incident.status == Status.SUBMITTED


def test_status_change_is_post_only(client, supervisor_a, record, site_a):
    incident = record(site_a, status=Status.SUBMITTED)
    client.force_login(supervisor_a)
    response = client.get(reverse("incident_status", args=[incident.reference, "under_review"]))
    assert response.status_code == 405


def test_supervisor_overrides_severity_with_reason(client, supervisor_a, record, site_a):
    incident = record(site_a)
    client.force_login(supervisor_a)
    url = reverse("incident_severity", args=[incident.reference])
    response = client.post(url, {"severity": "critical", "reason": ""})
    assert response.status_code == 400
    assert "Give a reason" in response.content.decode()
    client.post(url, {"severity": "critical", "reason": "Payload seen on camera"})
    incident.refresh_from_db()
    assert incident.severity == "critical"


def test_staff_cannot_override_severity(client, staff_a, record, site_a):
    incident = record(site_a)
    client.force_login(staff_a)
    response = client.post(
        reverse("incident_severity", args=[incident.reference]),
        {"severity": "critical", "reason": "x"},
    )
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.severity_override == ""


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("staff_a", 302), ("supervisor_a", 302), ("regulator", 403), ("staff_b", 404)],
)
def test_members_comment(client, personas, record, site_a, persona, expected):
    incident = record(site_a, status=Status.SUBMITTED)
    login(client, personas, persona)
    response = client.post(
        reverse("incident_comment", args=[incident.reference]), {"text": "Seen again at 10:40"}
    )
    assert response.status_code == expected
    stored = TimelineEntry.objects.filter(kind=TimelineKind.COMMENT).count()
    assert stored == (1 if expected == 302 else 0)


def test_empty_comment_is_explained(client, staff_a, record, site_a):
    incident = record(site_a)
    client.force_login(staff_a)
    response = client.post(reverse("incident_comment", args=[incident.reference]), {"text": ""})
    assert response.status_code == 400
    assert "Write the comment first" in response.content.decode()


# --- Edit -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status", "expected"),
    [
        ("staff_a", Status.DRAFT, 200),
        ("staff_a", Status.SUBMITTED, 403),
        ("supervisor_a", Status.SUBMITTED, 200),
        ("supervisor_a", Status.REPORTED, 200),
        ("supervisor_a", Status.CLOSED, 403),  # reopen it first
        ("regulator", Status.SUBMITTED, 403),
        ("staff_b", Status.DRAFT, 404),
        ("admin", Status.REPORTED, 200),
        ("anonymous", Status.DRAFT, 302),
    ],
)
def test_who_may_edit(client, personas, record, site_a, persona, status, expected):
    incident = record(site_a)
    if status != Status.DRAFT:
        Incident.objects.filter(pk=incident.pk).update(status=status)
    login(client, personas, persona)
    response = client.get(reverse("incident_edit", args=[incident.reference]))
    assert response.status_code == expected


def edit_data(incident):
    site = incident.site
    return {
        "first_seen": local(incident.first_seen, site),
        "drone_lat": f"{incident.location.y:.6f}",
        "drone_lon": f"{incident.location.x:.6f}",
        "drone_count": str(incident.drone_count),
        "category": incident.category,
        "detection_methods": incident.detection_methods,
        "make_model": incident.make_model,
    }


def test_edit_writes_each_changed_field_on_the_timeline(client, staff_a, record, site_a):
    incident = record(site_a, make_model="DJI Mini 3")
    client.force_login(staff_a)
    data = {**edit_data(incident), "make_model": "DJI Mavic 3", "drone_count": "4"}
    response = client.post(reverse("incident_edit", args=[incident.reference]), data)
    assert response.status_code == 302
    edits = {
        entry.field: (entry.old_value, entry.new_value, entry.author)
        for entry in TimelineEntry.objects.filter(kind=TimelineKind.EDIT)
    }
    assert edits == {
        "make_model": ("DJI Mini 3", "DJI Mavic 3", staff_a),
        "drone_count": ("1", "4", staff_a),
    }
    incident.refresh_from_db()
    assert incident.drone_count == 4
    page = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    assert "DJI Mini 3" in page and "DJI Mavic 3" in page


def test_edit_without_changes_writes_nothing(client, staff_a, record, site_a):
    incident = record(site_a)
    client.force_login(staff_a)
    client.post(reverse("incident_edit", args=[incident.reference]), edit_data(incident))
    assert not TimelineEntry.objects.filter(kind=TimelineKind.EDIT).exists()


def test_moving_the_drone_is_one_timeline_line(client, supervisor_a, record, site_a):
    incident = record(site_a)
    client.force_login(supervisor_a)
    data = {**edit_data(incident), "drone_lat": f"{incident.location.y + 0.001:.6f}"}
    client.post(reverse("incident_edit", args=[incident.reference]), data)
    entry = TimelineEntry.objects.get(kind=TimelineKind.EDIT)
    assert entry.field == "location"
    assert entry.new_value.startswith(f"{incident.location.y + 0.001:.6f}")


def test_edit_error_keeps_what_was_typed(client, staff_a, record, site_a):
    incident = record(site_a)
    client.force_login(staff_a)
    data = {**edit_data(incident), "speed_kmh": "9000", "colour": "orange"}
    response = client.post(reverse("incident_edit", args=[incident.reference]), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "at most 500 km/h" in page
    assert 'value="orange"' in page
    incident.refresh_from_db()
    assert incident.colour == ""


def test_staff_edit_post_after_submission_is_refused(client, staff_a, record, site_a):
    incident = record(site_a, status=Status.SUBMITTED)
    client.force_login(staff_a)
    data = {**edit_data(incident), "colour": "orange"}
    response = client.post(reverse("incident_edit", args=[incident.reference]), data)
    assert response.status_code == 403
    assert "only a supervisor of CGK can edit it now" in response.content.decode()


# --- The admin goes through the same verbs ---------------------------------------------


def admin_save(user, incident, **changes):
    """Run the admin's incident form and save as `user` would through the change page."""
    from django.contrib import admin as django_admin
    from django.forms.models import model_to_dict
    from django.test import RequestFactory

    from incidents.admin import IncidentAdmin

    request = RequestFactory().post("/admin/")
    request.user = user
    model_admin = IncidentAdmin(Incident, django_admin.site)
    form_class = model_admin.get_form(request, incident, change=True)
    data = {
        key: value
        for key, value in model_to_dict(incident).items()
        if key in form_class.base_fields and value is not None
    }
    data["location"] = incident.location.wkt
    data["detection_methods"] = incident.detection_methods
    data["behaviours"] = incident.behaviours
    for name in ("first_seen", "reported_at"):
        moment = getattr(incident, name).astimezone(timezone.get_current_timezone())
        data[f"{name}_0"] = moment.strftime("%Y-%m-%d")
        data[f"{name}_1"] = moment.strftime("%H:%M:%S")
    data.update(changes)
    form = form_class(data, instance=incident)
    if not form.is_valid():
        return form
    model_admin.save_model(request, form.save(commit=False), form, change=True)
    return form


def admin_staff(user):
    """A site staff member given the admin and its incident permissions."""
    from django.contrib.auth.models import Permission

    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(codename__endswith="_incident"))
    return type(user).objects.get(pk=user.pk)


def test_admin_status_change_by_staff_is_refused_like_everywhere(staff_a, record, site_a):
    incident = record(site_a, status=Status.SUBMITTED)
    staff_a = admin_staff(staff_a)
    form = admin_save(staff_a, incident, status=Status.UNDER_REVIEW)
    assert "Only a supervisor of CGK" in " ".join(form.errors["status"])
    incident.refresh_from_db()
    assert incident.status == Status.SUBMITTED


def test_admin_status_change_by_admin_writes_the_timeline(admin_user, record, site_a):
    incident = record(site_a, status=Status.SUBMITTED)
    form = admin_save(admin_user, incident, status=Status.UNDER_REVIEW, colour="white")
    assert not form.errors
    incident.refresh_from_db()
    assert incident.status == Status.UNDER_REVIEW
    assert incident.colour == "white"
    entry = incident.timeline.get(kind=TimelineKind.STATUS)
    assert (entry.from_status, entry.to_status, entry.author) == (
        Status.SUBMITTED,
        Status.UNDER_REVIEW,
        admin_user,
    )


def test_admin_send_back_needs_a_note(admin_user, record, site_a):
    incident = record(site_a, status=Status.SUBMITTED)
    form = admin_save(admin_user, incident, status=Status.DRAFT)
    assert "Say what needs fixing" in " ".join(form.errors["status"])
    form = admin_save(admin_user, incident, status=Status.DRAFT, status_note="Wrong site")
    assert not form.errors
    assert incident.timeline.get(kind=TimelineKind.STATUS).text == "Wrong site"


def test_admin_override_by_staff_is_refused(staff_a, record, site_a):
    incident = record(site_a)
    staff_a = admin_staff(staff_a)
    form = admin_save(
        staff_a, incident, severity_override="critical", severity_override_reason="Payload"
    )
    assert "Only a supervisor of CGK can override" in " ".join(form.errors["severity_override"])


def test_admin_override_by_admin_goes_on_the_timeline(admin_user, record, site_a):
    incident = record(site_a)
    admin_save(
        admin_user, incident, severity_override="critical", severity_override_reason="Payload"
    )
    incident.refresh_from_db()
    assert incident.severity == "critical"
    assert "Payload" in incident.timeline.get(kind=TimelineKind.SEVERITY).text


def test_detail_query_count_does_not_grow_with_its_history(client, supervisor_a, record, site_a):
    from incidents import services

    incident = record(site_a)
    client.force_login(supervisor_a)
    url = reverse("incident_detail", args=[incident.reference])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for number in range(5):
        services.add_comment(incident, supervisor_a, f"Comment {number}")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def _with_drone(site, reported_by, first_seen, uas="1581F5FKD229400AB", operator="IDN-OP-0042"):
    return services.record_incident(
        site=site,
        reported_by=reported_by,
        **incident_fields(site, first_seen=first_seen, status=Status.SUBMITTED),
        drones=[{"uas_id": uas, "uas_id_type": "serial", "operator_id": operator}],
    )


@pytest.mark.parametrize(("persona", "earlier"), [("supervisor_a", 1), ("admin", 2)])
def test_detail_says_how_often_its_drone_was_seen_before(
    client, personas, staff_a, staff_b, site_a, site_b, persona, earlier
):
    now = timezone.now()
    _with_drone(site_a, staff_a, now - timedelta(days=5))
    _with_drone(site_b, staff_b, now - timedelta(days=3))
    incident = _with_drone(site_a, staff_a, now - timedelta(hours=1))
    client.force_login(personas[persona])
    page = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    noun = "incident" if earlier == 1 else "incidents"
    # Only what the persona may see is counted: staff of site A do not learn about DPS.
    assert f"UAS ID 1581F5FKD229400AB: seen in {earlier} earlier {noun}" in page
    assert f"Operator ID IDN-OP-0042: seen in {earlier} earlier {noun}" in page
    assert f'href="{reverse("repeat_uas", args=["1581F5FKD229400AB"])}"' in page
    assert f'href="{reverse("repeat_operator", args=["IDN-OP-0042"])}"' in page


def test_detail_of_a_first_sighting_says_not_seen_before(client, staff_a, site_a):
    incident = _with_drone(site_a, staff_a, timezone.now() - timedelta(hours=1))
    client.force_login(staff_a)
    page = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    assert "UAS ID 1581F5FKD229400AB: not seen before." in page


def test_detail_links_to_its_event_and_pdf_report(client, staff_a, record, site_a):
    incident = record(site_a)
    client.force_login(staff_a)
    page = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    assert f'href="{reverse("incident_event", args=[incident.pk])}"' in page
    assert f'href="{reverse("incident_report_pdf", args=[incident.reference])}"' in page
    assert "corroboration: One report" in page


def test_detail_query_count_does_not_grow_with_earlier_sightings(client, staff_a, site_a):
    now = timezone.now()
    incident = _with_drone(site_a, staff_a, now)
    client.force_login(staff_a)
    url = reverse("incident_detail", args=[incident.reference])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for days in range(1, 6):
        _with_drone(site_a, staff_a, now - timedelta(days=days))
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert "seen in 5 earlier incidents" in page
    assert len(many) == len(few)


def test_list_links_exports_and_summary_pdf_to_the_same_filter(client, staff_a, record, site_a):
    record(site_a)
    client.force_login(staff_a)
    page = client.get(reverse("incident_list") + "?severity=high&page=1").content.decode()
    assert f'href="{reverse("exports")}?severity=high"' in page
    assert f'href="{reverse("summary_pdf")}?severity=high"' in page
