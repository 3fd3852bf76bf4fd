"""Operator personal data: who sees it, redaction everywhere else, and retention."""

import io
import json
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from incidents.audit.verify import verify
from incidents.models import AuditEntry, RegulatorGrant
from incidents.privacy import may_see_personal_data

from .conftest import _user
from .test_audit import run_verify, triggers_off

OPERATOR_ID = "IDN-OP-7Q2X9Z"
DESCRIPTION = "Man in a red jacket by the car park gate"


@pytest.fixture
def police(site_a):
    """A police-type regulator, whose grant includes operator personal data."""
    user = _user("police")
    grant = RegulatorGrant.objects.create(
        user=user, authority="Airport police", sees_personal_data=True
    )
    grant.sites.set([site_a])
    return user


@pytest.fixture
def with_operator(record, site_a):
    """Record an incident at site A whose drone names and locates its operator."""

    def _make(days_ago=1, site=site_a, reported_by=None):
        centre = site.perimeter_shape().centroid
        extra = {"reported_by": reported_by} if reported_by else {}
        incident = record(
            site,
            first_seen=timezone.now() - timedelta(days=days_ago),
            operator_seen=True,
            operator_description=DESCRIPTION,
            drones=[
                {
                    "uas_id": "1581F5FJC23A0001",
                    "uas_id_type": "serial",
                    "operator_id": OPERATOR_ID,
                    "operator_location": Point(centre.x + 0.01, centre.y, srid=4326),
                    "takeoff_location": Point(centre.x + 0.011, centre.y, srid=4326),
                }
            ],
            **extra,
        )
        return incident

    return _make


def run_retention(*args):
    out = io.StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


# --- who may see it -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("staff_a", True),
        ("supervisor_a", True),
        ("staff_b", False),
        ("regulator", False),
        ("police", True),
        ("admin", True),
        ("anonymous", False),
    ],
)
def test_who_may_see_operator_data_of_site_a(personas, police, site_a, persona, expected):
    people = {**personas, "police": police}
    assert may_see_personal_data(people[persona], site_a) is expected


def test_police_grant_does_not_reach_other_sites(police, site_b):
    assert may_see_personal_data(police, site_b) is False


# --- retention ----------------------------------------------------------------------------


def test_retention_clears_expired_operator_data_only(with_operator, site_a):
    site_a.personal_data_retention_days = 30
    site_a.save()
    old = with_operator(days_ago=40)
    recent = with_operator(days_ago=5)

    output = run_retention()

    assert "Cleared operator data of 1 incident(s)" in output and "CGK" in output
    old.refresh_from_db()
    drone = old.drones.get()
    assert (drone.operator_id, drone.operator_location, drone.takeoff_location) == ("", None, None)
    assert old.operator_description == ""
    assert drone.uas_id == "1581F5FJC23A0001"  # the drone itself is not personal data
    kept = recent.drones.get()
    assert kept.operator_id == OPERATOR_ID and kept.operator_location is not None
    recent.refresh_from_db()
    assert recent.operator_description == DESCRIPTION


def test_retention_dry_run_changes_nothing(with_operator, site_a):
    site_a.personal_data_retention_days = 30
    site_a.save()
    old = with_operator(days_ago=40)
    events = AuditEntry.objects.filter(action="retention").count()

    output = run_retention("--dry-run")

    assert "Would clear operator data of 1 incident(s)" in output
    assert old.drones.get().operator_id == OPERATOR_ID
    assert AuditEntry.objects.filter(action="retention").count() == events


def test_site_without_retention_keeps_operator_data(with_operator, site_a):
    old = with_operator(days_ago=4000)
    assert "No operator data past" in run_retention()
    assert old.drones.get().operator_id == OPERATOR_ID


def test_retention_records_counts_not_data_and_audit_stays_verifiable(with_operator, site_a):
    site_a.personal_data_retention_days = 30
    site_a.save()
    with_operator(days_ago=40)
    with_operator(days_ago=50)

    run_retention()

    event = AuditEntry.objects.filter(action="retention").get()
    details = json.loads(event.new_values)
    assert details["site"] == "CGK" and details["incidents"] == 2
    assert "drone.operator_id" in details["fields"]
    assert "incident.operator_description" in details["fields"]
    # The log proves values existed and were removed, and holds none of them.
    for entry in AuditEntry.objects.all():
        for text in (entry.old_values or "", entry.new_values or ""):
            assert OPERATOR_ID not in text and DESCRIPTION not in text
    assert run_verify()[0] == 0
    # Running it again finds nothing left to clear, and records nothing.
    assert "No operator data past" in run_retention()
    assert AuditEntry.objects.filter(action="retention").count() == 1


def test_audit_entries_hold_digests_of_personal_values(with_operator):
    incident = with_operator()
    drone = incident.drones.get()
    entry = AuditEntry.objects.filter(table_name="incidents_drone", object_pk=str(drone.pk)).last()
    values = json.loads(entry.new_values)
    assert len(values["operator_id"]) == 64 and values["operator_id"] != OPERATOR_ID
    assert values["uas_id"] == "1581F5FJC23A0001"


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("incidents_drone", "operator_id", "'SOMEONE-ELSE'"),
        ("incidents_incident", "operator_description", "'nobody was there'"),
        ("incidents_drone", "takeoff_location", "NULL"),
    ],
)
def test_personal_field_changed_around_triggers_is_detected(with_operator, table, column, value):
    incident = with_operator()
    pk = incident.drones.get().pk if table == "incidents_drone" else incident.pk
    with triggers_off(table) as cursor:
        cursor.execute(f'UPDATE "{table}" SET "{column}" = {value} WHERE id = %s', [pk])
    problems = [p.message for p in verify(connection)]
    assert any(f"{table} #{pk} differs" in m and column in m for m in problems), problems


def test_install_rebaselines_rows_logged_in_plain_text_before_hashing(with_operator):
    """A log written before personal columns were hashed holds plain values: the next
    migrate writes a fresh hashed baseline for those rows, so verify stays clean."""
    from incidents.audit import triggers

    drone = with_operator().drones.get()
    AuditEntry.objects.create(
        at="",
        action="update",
        table_name="incidents_drone",
        object_pk=str(drone.pk),
        new_values=json.dumps({"id": drone.pk, "operator_id": OPERATOR_ID}),
    )
    assert any("incidents_drone" in p.message for p in verify(connection))

    triggers.install(connection)

    assert verify(connection) == []
    newest = AuditEntry.objects.filter(table_name="incidents_drone").order_by("seq").last()
    assert newest.action == "baseline" and OPERATOR_ID not in newest.new_values
