"""Operator personal data: who sees it, redaction everywhere else, and retention."""

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.audit.verify import verify
from incidents.choices import Status
from incidents.exports.jobs import export_to_file
from incidents.models import AuditEntry, RegulatorGrant
from incidents.privacy import may_see_personal_data
from incidents.reports import render_incident_report

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
            status=Status.SUBMITTED,
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


SEES = {
    "staff_a": True,
    "supervisor_a": True,
    "regulator": False,
    "police": True,
    "admin": True,
}
VIEWERS = sorted(SEES)


@pytest.fixture
def people(personas, police):
    return {**personas, "police": police}


@pytest.mark.parametrize("persona", VIEWERS)
def test_incident_page_and_map_show_operator_data_only_to_those_who_need_it(
    client, people, with_operator, persona
):
    incident = with_operator()
    client.force_login(people[persona])
    response = client.get(reverse("incident_detail", args=[incident.reference]))
    assert response.status_code == 200
    page = response.content.decode()
    features = {f["properties"]["kind"] for f in response.context["features"]["features"]}
    assert (OPERATOR_ID in page) is SEES[persona]
    assert (DESCRIPTION in page) is SEES[persona]
    assert ({"operator", "takeoff"} <= features) is SEES[persona]
    assert ("Redacted: operator personal data" in page) is not SEES[persona]
    assert "1581F5FJC23A0001" in page  # the drone itself is shown to all


@pytest.mark.parametrize("persona", VIEWERS)
def test_api_redacts_operator_data(client, people, with_operator, persona):
    incident = with_operator()
    client.force_login(people[persona])
    feature = client.get(f"/api/v1/incidents/{incident.reference}/").json()
    drones = client.get(f"/api/v1/incidents/{incident.reference}/drones/").json()
    drone = drones["features"][0]["properties"]
    listed = client.get("/api/v1/incidents/").json()["features"][0]["properties"]
    if SEES[persona]:
        assert feature["properties"]["operator_description"] == DESCRIPTION
        assert listed["operator_description"] == DESCRIPTION
        assert drone["operator_id"] == OPERATOR_ID
        assert drone["operator_location"]["type"] == "Point"
    else:
        assert feature["properties"]["operator_description"] == ""
        assert listed["operator_description"] == ""
        assert (drone["operator_id"], drone["operator_location"]) == ("", None)
        assert drone["takeoff_location"] is None
    assert drone["uas_id"] == "1581F5FJC23A0001"


def test_api_key_never_sees_operator_data(client, with_operator, supervisor_a, site_a):
    incident = with_operator()
    _key, token = services.create_api_key(
        created_by=supervisor_a, name="BI", purpose="read", sites=[site_a]
    )
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {token}"}
    drones = client.get(f"/api/v1/incidents/{incident.reference}/drones/", **headers).json()
    assert drones["features"][0]["properties"]["operator_id"] == ""


@pytest.mark.parametrize("persona", VIEWERS)
def test_csv_export_redacts_operator_data_and_says_so(tmp_path, people, with_operator, persona):
    with_operator()
    path = tmp_path / "out.csv"
    job = export_to_file("csv", path, "", people[persona])
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 1
    shown = rows[0]["operator_description"]
    manifest = json.loads(path.with_name("out.csv.manifest.json").read_text())
    assert manifest == job.manifest
    if SEES[persona]:
        assert shown == DESCRIPTION and manifest["personal_data"] == "included"
    else:
        assert shown == "" and manifest["personal_data"] == "personal data redacted"


@pytest.mark.parametrize("persona", VIEWERS)
def test_geojson_export_leaves_out_operator_and_takeoff_points(
    tmp_path, people, with_operator, persona
):
    with_operator()
    path = tmp_path / "out.zip"
    export_to_file("geojson", path, "", people[persona])

    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        text = "".join(archive.read(n).decode() for n in names)
    assert ("drone_operators.geojson" in names) is SEES[persona]
    assert (OPERATOR_ID in text) is SEES[persona]


@pytest.mark.parametrize("persona", VIEWERS)
def test_pdf_report_redacts_operator_data(client, people, with_operator, persona):
    from pypdf import PdfReader

    incident = with_operator()
    client.force_login(people[persona])
    response = client.get(reverse("incident_report_pdf", args=[incident.reference]))
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    # Table cells wrap long IDs over lines: compare without whitespace.
    text = "".join("".join(page.extract_text() for page in reader.pages).split())
    assert (OPERATOR_ID in text) is SEES[persona]
    assert ("".join(DESCRIPTION.split()) in text) is SEES[persona]
    assert ("[redacted]" in text) is not SEES[persona]


def test_pdf_report_from_the_command_line_is_complete(with_operator):
    from pypdf import PdfReader

    content = render_incident_report(with_operator())
    text = "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split())
    assert OPERATOR_ID in text and "".join(DESCRIPTION.split()) in text


@pytest.mark.parametrize(
    ("persona", "status"),
    [("staff_a", 200), ("regulator", 404), ("police", 200), ("staff_b", 200), ("admin", 200)],
)
def test_repeat_operator_page_only_for_those_who_may_see_operator_ids(
    client, people, with_operator, persona, status
):
    incident = with_operator()
    client.force_login(people[persona])
    response = client.get(reverse("repeat_operator", args=[OPERATOR_ID]))
    assert response.status_code == status
    if status == 200:
        # staff_b may look up operators at DPS, but never finds CGK's incidents.
        shown = incident.reference in response.content.decode()
        assert shown is (persona != "staff_b")


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
