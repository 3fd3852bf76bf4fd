"""The sighting and edit forms on their own: positions, site time, files, changes."""

import uuid
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.forms import (
    ActionFormSet,
    EvidenceFilesField,
    IncidentEditForm,
    SightingForm,
    reporting_sites,
)
from tests import samples


def form_data(site, **overrides):
    centre = site.perimeter_shape().centroid
    data = {
        "site_choice": site.code,
        "submission_token": str(uuid.uuid4()),
        "first_seen": "2026-01-10T10:00",
        "drone_lat": f"{centre.y:.6f}",
        "drone_lon": f"{centre.x:.6f}",
        "drone_count": "1",
        "category": "unknown",
        "detection_methods": ["visual"],
    }
    data.update(overrides)
    return data


def test_typed_time_is_the_chosen_site_local_time(admin_user, site_a, site_b):
    sites = reporting_sites(admin_user)
    jakarta = SightingForm(form_data(site_a), sites=sites)
    bali = SightingForm(form_data(site_b), sites=sites)
    assert jakarta.is_valid() and bali.is_valid()
    assert jakarta.cleaned_data["first_seen"] == datetime(2026, 1, 10, 3, 0, tzinfo=UTC)
    assert bali.cleaned_data["first_seen"] == datetime(2026, 1, 10, 2, 0, tzinfo=UTC)


def test_half_a_position_is_refused(staff_a, site_a):
    form = SightingForm(form_data(site_a, observer_lat="-6.1"), sites=reporting_sites(staff_a))
    assert not form.is_valid()
    assert form.errors["observer_lon"] == ["Give both latitude and longitude, or neither."]


def test_latitude_off_the_globe_is_refused(staff_a, site_a):
    form = SightingForm(form_data(site_a, drone_lat="91"), sites=reporting_sites(staff_a))
    assert not form.is_valid()
    assert "less than or equal to 90" in form.errors["drone_lat"][0]


def test_reporting_sites_are_the_member_sites(staff_a, regulator, admin_user, site_a, site_b):
    assert [s.code for s in reporting_sites(staff_a)] == ["CGK"]
    assert list(reporting_sites(regulator)) == []
    assert [s.code for s in reporting_sites(admin_user)] == ["CGK", "DPS"]


def test_each_bad_file_is_named(settings):
    field = EvidenceFilesField(required=False)
    settings.EVIDENCE_MAX_BYTES = 4096
    good = SimpleUploadedFile("a.pdf", samples.pdf())
    big = SimpleUploadedFile("big.mp4", samples.mp4() + b"\x00" * 5000)
    fake = SimpleUploadedFile("fake.jpg", b"<html>not a photo</html>")
    with pytest.raises(ValidationError) as error:
        field.clean([good, big, fake])
    assert error.value.messages[0].startswith("big.mp4: This file is ")
    assert "larger than the" in error.value.messages[0]
    assert error.value.messages[1].startswith("fake.jpg: “fake.jpg” is not a photo")
    assert field.clean([good]) == [good]


def test_untouched_action_rows_are_skipped():
    data = {
        "actions-TOTAL_FORMS": "2",
        "actions-INITIAL_FORMS": "0",
        "actions-0-kind": "",
        "actions-0-taken_at": "",
        "actions-0-note": "",
        "actions-1-kind": "paused_operations",
        "actions-1-taken_at": "",
        "actions-1-note": "",
    }
    formset = ActionFormSet(data, prefix="actions")
    assert formset.is_valid()
    rows = [row for row in formset.cleaned_data if row]
    assert [row["kind"] for row in rows] == ["paused_operations"]
    assert rows[0]["taken_at"] is not None


def test_edit_form_reports_only_what_changed(record, site_a):
    incident = record(site_a, make_model="DJI Mini 3")
    local = incident.first_seen.astimezone(site_a.tzinfo).strftime("%Y-%m-%dT%H:%M")
    data = {
        "first_seen": local,
        "drone_lat": f"{incident.location.y:.6f}",
        "drone_lon": f"{incident.location.x:.6f}",
        "drone_count": "1",
        "category": "unknown",
        "detection_methods": ["visual"],
        "make_model": "DJI Air 3",
    }
    form = IncidentEditForm(data, instance=type(incident).objects.get(pk=incident.pk))
    assert form.is_valid(), form.errors
    assert form.changes() == {"make_model": "DJI Air 3"}
