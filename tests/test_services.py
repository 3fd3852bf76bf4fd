"""The verbs: recording, status changes, severity overrides, comments, recomputing zones."""

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents.choices import Severity, Status, TimelineKind
from incidents.models import Incident
from tests.conftest import incident_fields


def test_record_incident_starts_the_timeline(record, site_a, staff_a):
    incident = record(site_a, actions=[{"kind": "notified_police"}])
    entry = incident.timeline.get()
    assert (entry.kind, entry.author, entry.to_status) == (TimelineKind.CREATED, staff_a, "draft")
    assert incident.actions.get().kind == "notified_police"
    assert incident.actions.get().recorded_by == staff_a


def test_staff_of_another_site_cannot_report_there(site_a, staff_b):
    with pytest.raises(services.ServiceError) as caught:
        services.record_incident(site=site_a, reported_by=staff_b, **incident_fields(site_a))
    assert caught.value.code == "not_a_member"
    assert "not a member of CGK" in caught.value.message
    assert not Incident.objects.exists()


def test_bad_incident_is_refused_and_nothing_is_stored(site_a, staff_a):
    with pytest.raises(ValidationError) as caught:
        services.record_incident(
            site=site_a, reported_by=staff_a, **incident_fields(site_a, drone_count=0)
        )
    assert "drone_count" in caught.value.message_dict
    assert not Incident.objects.exists()


def test_bad_action_rolls_back_the_whole_report(site_a, staff_a):
    with pytest.raises(ValidationError):
        services.record_incident(
            site=site_a, reported_by=staff_a, actions=[{"kind": "other"}], **incident_fields(site_a)
        )
    assert not Incident.objects.exists()


def test_sensor_report_needs_no_person(site_a):
    incident = services.record_incident(
        site=site_a, reported_by=None, source="sensor", **incident_fields(site_a)
    )
    assert incident.timeline.get().text == "Recorded as sensor."


def test_staff_submits_and_supervisor_reviews_reports_and_closes(
    record, site_a, staff_a, supervisor_a
):
    incident = record(site_a)
    services.change_status(incident, staff_a, Status.SUBMITTED)
    services.change_status(incident, supervisor_a, Status.UNDER_REVIEW)
    services.change_status(incident, supervisor_a, Status.REPORTED, note="Ref DGCA-123")
    services.change_status(incident, supervisor_a, Status.CLOSED)

    history = [(e.kind, e.from_status, e.to_status, e.author) for e in incident.timeline.all()]
    assert history == [
        ("created", "", "draft", staff_a),
        ("status", "draft", "submitted", staff_a),
        ("status", "submitted", "under_review", supervisor_a),
        ("status", "under_review", "reported", supervisor_a),
        ("status", "reported", "closed", supervisor_a),
    ]
    assert Incident.objects.get(pk=incident.pk).status == Status.CLOSED


def test_staff_cannot_close_an_incident(record, site_a, staff_a):
    incident = record(site_a, status=Status.UNDER_REVIEW)
    with pytest.raises(services.ServiceError) as caught:
        services.change_status(incident, staff_a, Status.CLOSED)
    assert caught.value.code == "not_allowed"
    assert caught.value.message == (
        "Only a supervisor of CGK can move an incident from Under review to Closed."
    )
    assert Incident.objects.get(pk=incident.pk).status == Status.UNDER_REVIEW


@pytest.mark.parametrize("persona", ["staff_b", "regulator", "anonymous"])
def test_outsiders_cannot_change_status(personas, record, site_a, persona):
    incident = record(site_a)
    with pytest.raises(services.ServiceError) as caught:
        services.change_status(incident, personas[persona], Status.SUBMITTED)
    assert caught.value.code == "not_allowed"


def test_draft_cannot_jump_to_closed(record, site_a, supervisor_a):
    incident = record(site_a)
    with pytest.raises(services.ServiceError) as caught:
        services.change_status(incident, supervisor_a, Status.CLOSED)
    assert caught.value.code == "transition_not_allowed"
    assert caught.value.message == (
        "An incident cannot go from Draft to Closed. From Draft it can go to: Submitted."
    )
    assert incident.timeline.count() == 1


def test_sending_back_to_draft_needs_a_note(record, site_a, supervisor_a):
    incident = record(site_a, status=Status.SUBMITTED)
    with pytest.raises(services.ServiceError) as caught:
        services.change_status(incident, supervisor_a, Status.DRAFT)
    assert caught.value.code == "note_required"
    services.change_status(incident, supervisor_a, Status.DRAFT, note="Add the drone's colour")
    assert incident.timeline.last().text == "Add the drone's colour"


def test_closed_incident_can_be_reopened_for_review(record, site_a, supervisor_a):
    incident = record(site_a, status=Status.CLOSED)
    services.change_status(incident, supervisor_a, Status.UNDER_REVIEW, note="New evidence")
    assert incident.status == Status.UNDER_REVIEW


def test_supervisor_overrides_severity_with_a_reason(record, site_a, supervisor_a):
    incident = record(site_a)
    services.override_severity(incident, supervisor_a, Severity.CRITICAL, "Part of a swarm at DPS")
    incident.refresh_from_db()
    assert (incident.computed_severity, incident.severity) == (Severity.HIGH, Severity.CRITICAL)
    entry = incident.timeline.last()
    assert entry.kind == TimelineKind.SEVERITY
    assert entry.text == "Severity High → Critical. Part of a swarm at DPS"

    services.override_severity(incident, supervisor_a, "", "")
    incident.refresh_from_db()
    assert incident.severity == Severity.HIGH
    assert incident.severity_override_reason == ""


def test_severity_override_without_reason_is_refused(record, site_a, supervisor_a):
    incident = record(site_a)
    with pytest.raises(services.ServiceError) as caught:
        services.override_severity(incident, supervisor_a, Severity.LOW, "  ")
    assert caught.value.code == "reason_required"
    assert Incident.objects.get(pk=incident.pk).severity == Severity.HIGH


@pytest.mark.parametrize("persona", ["staff_a", "staff_b", "regulator", "anonymous"])
def test_only_supervisors_override_severity(personas, record, site_a, persona):
    incident = record(site_a)
    with pytest.raises(services.ServiceError) as caught:
        services.override_severity(incident, personas[persona], Severity.LOW, "Looks harmless")
    assert caught.value.code == "not_allowed"


def test_empty_comment_is_refused(record, site_a, staff_a):
    with pytest.raises(ValidationError) as caught:
        services.add_comment(record(site_a), staff_a, "   ")
    assert caught.value.message_dict["text"] == ["Write the comment before saving it."]


def test_comment_is_added_to_the_timeline(record, site_a, supervisor_a):
    incident = record(site_a)
    services.add_comment(incident, supervisor_a, "Checked CCTV")
    assert incident.timeline.last().text == "Checked CCTV"


def test_recompute_site_updates_zones_after_rings_change(record, site_a):
    from tests.test_models import offset_point

    incident = record(site_a, location=offset_point(site_a, 90, 3000))  # 2,000 m out
    assert incident.zone_ring_m == 5000
    site_a.zone_radii_m = [2500]
    site_a.full_clean()
    site_a.save()
    assert services.recompute_site(site_a) == 1
    incident.refresh_from_db()
    assert (incident.zone, incident.zone_ring_m, incident.severity) == ("ring", 2500, "medium")


def test_outsider_cannot_comment(record, site_a, staff_b):
    with pytest.raises(services.ServiceError) as caught:
        services.add_comment(record(site_a), staff_b, "Not my site")
    assert caught.value.message == "Only members of CGK can comment."
