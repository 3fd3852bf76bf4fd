"""Incidents import from CSV: derived fields as the app computes them, an export that
imports back, a clear message for every kind of bad row, and an intact audit log."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from incidents import geo, services
from incidents.audit.verify import verify
from incidents.exports.jobs import export_to_file
from incidents.importers.incidents import import_incidents
from incidents.models import AuditEntry, Incident, ReferenceCounter, compute_severity

from .exports_support import TRICKY, east_of

HEADER = [
    "site_code",
    "first_seen",
    "last_seen",
    "longitude",
    "latitude",
    "drone_count",
    "category",
    "detection_method",
    "status",
    "description",
    "external_reference",
]


def north_of(site, metres):
    centre = site.perimeter_shape().centroid
    lon, lat, _ = geo.WGS84.fwd(centre.x, centre.y, 0, metres)
    return lon, lat


def csv_bytes(rows, header=HEADER):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def run(data, name="log.csv", **options):
    return import_incidents(io.BytesIO(data), name, **options)


def good_row(site, metres=0, **cells):
    lon, lat = north_of(site, metres)
    row = {
        "site_code": site.code,
        "first_seen": "2025-06-01T10:00:00+07:00",
        "last_seen": "",
        "longitude": repr(lon),
        "latitude": repr(lat),
        "drone_count": "1",
        "category": "multirotor",
        "detection_method": "visual",
        "status": "submitted",
        "description": "Seen over the apron.",
        "external_reference": "",
    }
    row.update(cells)
    return [row[h] for h in HEADER]


def test_good_file_gets_zones_references_and_severity_as_the_app_computes_them(site_a):
    rows = [
        good_row(site_a, 0, first_seen="2025-06-03T08:00:00+07:00", external_reference="L-3"),
        good_row(site_a, 1300, first_seen="2025-06-01T08:00:00+07:00", drone_count="3"),
        good_row(site_a, 4000, first_seen="2025-06-02T08:00:00Z", detection_method="radar;RF"),
        good_row(site_a, 9000, first_seen="2025-06-04 09:30", category="Fixed wing"),
    ]
    report = run(csv_bytes(rows))

    assert report.problems == []
    assert report.created == 4
    assert report.changes == ["CGK: 4 incidents, CGK-2025-00001 to CGK-2025-00004."]
    imported = list(Incident.objects.order_by("reference").select_related("site"))
    # References follow first sight, whatever the order of the rows.
    assert [(i.reference, i.first_seen) for i in imported] == [
        ("CGK-2025-00001", datetime(2025, 6, 1, 1, 0, tzinfo=UTC)),
        ("CGK-2025-00002", datetime(2025, 6, 2, 8, 0, tzinfo=UTC)),
        ("CGK-2025-00003", datetime(2025, 6, 3, 1, 0, tzinfo=UTC)),
        # No offset: the site's local time (Asia/Jakarta, UTC+7).
        ("CGK-2025-00004", datetime(2025, 6, 4, 2, 30, tzinfo=UTC)),
    ]
    for incident in imported:
        where = geo.locate(
            incident.location.x,
            incident.location.y,
            site_a.perimeter_shape(),
            site_a.zone_radii_m,
        )
        assert incident.zone == where.zone
        assert incident.zone_ring_m == where.ring_m
        assert incident.distance_m == pytest.approx(where.distance_m, abs=0.06)
        assert incident.computed_severity == compute_severity(
            where.zone, where.ring_index, incident.drone_count, False, []
        )
        assert incident.severity == incident.computed_severity
        assert incident.source == "import"
    by_ref = {i.reference: i for i in imported}
    assert (by_ref["CGK-2025-00001"].zone, by_ref["CGK-2025-00001"].zone_ring_m) == ("ring", 500)
    assert by_ref["CGK-2025-00001"].severity == "high"  # medium ring, raised for a swarm of 3
    assert by_ref["CGK-2025-00003"].zone == "inside"
    assert by_ref["CGK-2025-00003"].severity == "high"
    assert by_ref["CGK-2025-00003"].external_id == "L-3"
    assert by_ref["CGK-2025-00003"].narrative == "Seen over the apron."
    assert by_ref["CGK-2025-00002"].detection_methods == ["radar", "rf"]
    assert (by_ref["CGK-2025-00002"].zone, by_ref["CGK-2025-00002"].severity) == ("ring", "low")
    assert by_ref["CGK-2025-00004"].zone == "outside"
    assert by_ref["CGK-2025-00004"].category == "fixed_wing"


def test_imported_incidents_take_the_next_numbers_and_the_counter_moves_on(site_a, record):
    existing = record(site_a, first_seen=datetime(2025, 3, 1, tzinfo=UTC))
    assert existing.reference == "CGK-2025-00001"
    # 31 Dec 20:00 UTC is already New Year's Day in Jakarta: numbered in 2026.
    rows = [
        good_row(site_a, first_seen="2025-05-01T00:00:00Z"),
        good_row(site_a, first_seen="2025-12-31T20:00:00Z"),
    ]
    run(csv_bytes(rows))
    assert sorted(Incident.objects.values_list("reference", flat=True)) == [
        "CGK-2025-00001",
        "CGK-2025-00002",
        "CGK-2026-00001",
    ]
    later = record(site_a, first_seen=datetime(2025, 7, 1, tzinfo=UTC))
    assert later.reference == "CGK-2025-00003"


def test_imported_incidents_show_in_the_list_the_detail_and_the_map(client, staff_a, site_a):
    recent = (timezone.now() - timedelta(hours=2)).isoformat(timespec="seconds")
    run(csv_bytes([good_row(site_a, 1300, first_seen=recent, external_reference="SHEET-7")]))
    incident = Incident.objects.get()
    client.force_login(staff_a)
    assert incident.reference in client.get(reverse("incident_list")).content.decode()
    detail = client.get(reverse("incident_detail", args=[incident.reference]))
    assert "Seen over the apron." in detail.content.decode()
    data = client.get(reverse("site_map_incidents", args=[site_a.code]))
    features = json.loads(data.content)["features"]
    assert [f["properties"]["reference"] for f in features] == [incident.reference]


@pytest.fixture
def exported(site_a, record, supervisor_a, tmp_path):
    """Three incidents of site A with most fields filled, exported to CSV."""
    now = timezone.now().replace(microsecond=0)
    record(
        site_a,
        status="submitted",
        first_seen=now - timedelta(hours=20),
        last_seen=now - timedelta(hours=19, minutes=40),
        location=east_of(site_a, 1300),
        narrative=TRICKY,
        make_model="DJI Mavic 3",
        colour="grey",
        lights="red, flashing",
        altitude_m=120.5,
        altitude_method="rangefinder",
        heading_deg=270,
        speed_kmh=40,
        drone_count=2,
        detection_methods=["visual", "rf"],
        behaviours=["hovering", "filming"],
        payload_seen=True,
        payload_description="a small box",
        operator_seen=True,
        operator_description="man in a red jacket",
        authority_reference="POL-2026-118",
    )
    record(site_a, first_seen=now - timedelta(days=3), location=east_of(site_a, 7000))
    third = record(site_a, status="submitted", first_seen=now - timedelta(days=2))
    services.override_severity(third, supervisor_a, "critical", "fuel depot next to it")
    path = tmp_path / "export.csv"
    export_to_file("csv", path, "site=CGK", None)
    return path


FIELDS = (
    "status",
    "first_seen",
    "last_seen",
    "location",
    "altitude_m",
    "altitude_method",
    "drone_count",
    "category",
    "make_model",
    "colour",
    "lights",
    "heading_deg",
    "speed_kmh",
    "behaviours",
    "payload_seen",
    "payload_description",
    "detection_methods",
    "operator_seen",
    "operator_description",
    "authority_reference",
    "narrative",
    "zone",
    "zone_ring_m",
    "distance_m",
    "computed_severity",
    "severity",
    "severity_override",
)


def test_an_export_imports_back_and_a_second_import_changes_nothing(exported, site_a):
    originals = {i.reference: i for i in Incident.objects.all()}
    report = run(exported.read_bytes(), "export.csv")
    assert (report.problems, report.notes) == ([], [])
    assert report.created == 3
    copies = Incident.objects.filter(source="import")
    assert sorted(c.external_id for c in copies) == sorted(originals)
    for copy in copies:
        original = originals[copy.external_id]
        assert copy.reference not in originals
        for name in FIELDS:
            assert getattr(copy, name) == getattr(original, name), name
    kept = copies.get(severity_override="critical")
    assert "export.csv" in kept.severity_override_reason

    again = run(exported.read_bytes(), "export.csv")
    assert (again.created, again.unchanged, again.problems) == (0, 3, [])
    assert Incident.objects.count() == 6


BAD_ROWS = [
    ({"site_code": "XXX"}, "site_code", "no site has the code “XXX”"),
    ({"first_seen": ""}, "first_seen", "give the time"),
    ({"first_seen": "yesterday 5pm"}, "first_seen", "“yesterday 5pm” is not an ISO 8601 time"),
    ({"first_seen": "2099-01-01T00:00:00Z"}, "first_seen", "more than 5 minutes in the future"),
    ({"last_seen": "2025-06-01T09:00:00+07:00"}, "last_seen", "last seen is before first seen"),
    ({"longitude": "106,6,5"}, "longitude", "“106,6,5” is not a number"),
    ({"latitude": "95"}, "latitude", "Latitude must be between -90 and 90"),
    ({"longitude": "110.5"}, "longitude", "km from CGK's perimeter (more than 100 km)"),
    ({"drone_count": "0"}, "drone_count", "Drone count must be at least 1."),
    ({"drone_count": "two"}, "drone_count", "“two” is not a whole number"),
    ({"category": "balloon"}, "category", "“balloon” is not one of: multirotor"),
    ({"detection_method": "visual;sonar"}, "detection_method", "unknown: sonar. Choose from"),
    ({"status": "open"}, "status", "“open” is not one of: draft, submitted"),
    ({"external_reference": "x" * 101}, "external_reference", "101 characters; at most 100"),
]


@pytest.mark.parametrize(("cells", "column", "message"), BAD_ROWS)
def test_each_kind_of_bad_row_is_named_and_nothing_is_stored(site_a, cells, column, message):
    rows = [good_row(site_a), good_row(site_a, **cells), good_row(site_a)]
    report = run(csv_bytes(rows))
    assert [(p.where, p.field) for p in report.problems] == [("row 3", column)]
    assert message in report.problems[0].message
    assert Incident.objects.count() == 0
    assert not ReferenceCounter.objects.exists()
    assert "Nothing was imported" in " ".join(report.lines())


def test_columns_of_the_export_format_are_checked_too(site_a):
    header = ["site_code", "first_seen_utc", "latitude", "longitude", "heading_deg"]
    header += ["payload_seen", "payload_description", "altitude_m", "severity"]
    lon, lat = north_of(site_a, 0)
    ok = [site_a.code, "2025-06-01T01:00:00Z", lat, lon, "90", "false", "", "", ""]
    changes = [(4, "400"), (5, "Maybe"), (6, "a parcel"), (7, "30000"), (8, "severe")]
    rows = [[*ok[:i], value, *ok[i + 1 :]] for i, value in changes] + [ok]
    report = run(csv_bytes(rows, header))
    assert [str(p) for p in report.problems] == [
        "row 2, heading_deg: Heading must be between 0 and 359 degrees (0 is north, 90 is east).",
        "row 3, payload_seen: “Maybe” is not true or false.",
        "row 4, payload_seen: a payload is described: write true here or clear it.",
        "row 5, altitude_m: Altitude must be at most 20,000 m above ground.",
        "row 6, severity: “severe” is not one of: low, medium, high, critical.",
    ]
    assert Incident.objects.count() == 0


def test_every_bad_row_is_listed_and_the_command_fails_without_storing(site_a, tmp_path):
    rows = [
        good_row(site_a, external_reference="A"),
        good_row(site_a, drone_count="-1"),
        good_row(site_a, external_reference="A"),
        good_row(site_a, latitude="north"),
    ]
    path = tmp_path / "log.csv"
    path.write_bytes(csv_bytes(rows))
    out = io.StringIO()
    with pytest.raises(CommandError, match="3 problems: nothing was imported"):
        call_command("import_incidents", str(path), stdout=out)
    lines = out.getvalue().splitlines()
    assert "row 3, drone_count: Drone count must be at least 1." in lines
    assert "row 5, latitude: “north” is not a number." in lines
    assert (
        "row 4, external_reference: “A” is already used by row 2 for this site; each row needs "
        "its own." in lines
    )
    assert Incident.objects.count() == 0


def test_skip_bad_rows_imports_the_good_ones_and_lists_the_rest(site_a):
    rows = [good_row(site_a), good_row(site_a, category="kite"), good_row(site_a, 1300)]
    header = [*HEADER, "Weather"]
    report = run(csv_bytes([[*row, "rain"] for row in rows], header), skip_bad_rows=True)
    assert "Columns not imported: Weather." in report.notes
    assert (report.created, report.refused) == (2, 1)
    assert Incident.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "log.csv is empty: it has no header row."),
        ("site_code;first_seen\n".encode("utf-16"), "log.csv is not UTF-8 text"),
        (b"site_code,first_seen,latitude\nCGK,2025-01-01T00:00Z,1\n", "longitude"),
    ],
)
def test_a_file_that_is_not_an_incident_csv_gets_one_clear_message(site_a, data, message):
    report = run(data)
    assert len(report.problems) == 1
    assert message in str(report.problems[0])
    assert Incident.objects.count() == 0


def test_dry_run_checks_everything_and_stores_nothing(site_a, tmp_path):
    path = tmp_path / "log.csv"
    path.write_bytes(csv_bytes([good_row(site_a), good_row(site_a, 1300)]))
    out = io.StringIO()
    call_command("import_incidents", str(path), "--dry-run", stdout=out)
    assert out.getvalue().startswith("Dry run, nothing saved: 2 would be created")
    assert Incident.objects.count() == 0
    assert not ReferenceCounter.objects.exists()


def test_site_option_imports_a_file_without_site_column_and_refuses_other_sites(
    site_a, site_b, tmp_path
):
    header = ["first_seen", "longitude", "latitude", "site"]
    lon, lat = north_of(site_b, 0)
    rows = [["2025-06-01 10:00", lon, lat, ""], ["2025-06-01 11:00", lon, lat, "CGK"]]
    path = tmp_path / "dps.csv"
    path.write_bytes(csv_bytes(rows, header))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_incidents", str(path), "--site", "dps", stdout=out)
    assert "row 3, site: this row is for CGK but the import is for DPS only." in out.getvalue()
    path.write_bytes(csv_bytes(rows[:1], header))
    call_command("import_incidents", str(path), "--site", "DPS", stdout=io.StringIO())
    incident = Incident.objects.get()
    # Local time of the site (Asia/Makassar, UTC+8).
    assert (incident.site, incident.first_seen) == (site_b, datetime(2025, 6, 1, 2, tzinfo=UTC))
    with pytest.raises(CommandError, match="No site has the code 'ZZZ'"):
        call_command("import_incidents", str(path), "--site", "ZZZ")


def test_the_audit_log_records_every_imported_incident_and_verifies(exported, site_a):
    before = AuditEntry.objects.filter(table_name="incidents_incident", action="insert").count()
    run(exported.read_bytes(), "export.csv")
    inserts = AuditEntry.objects.filter(table_name="incidents_incident", action="insert")
    assert inserts.count() == before + 3
    imported = {str(pk) for (pk,) in Incident.objects.filter(source="import").values_list("pk")}
    assert imported <= set(inserts.values_list("object_pk", flat=True))
    assert verify() == []


def test_admin_import_page_dry_run_then_import_as_the_admin(client, admin_user, site_a):
    client.force_login(admin_user)
    url = reverse("admin:incidents_incident_import")
    assert url in client.get(reverse("admin:incidents_incident_changelist")).content.decode()
    data = csv_bytes([good_row(site_a), good_row(site_a, status="lost")])

    def post(**options):
        upload = io.BytesIO(data)
        upload.name = "log.csv"
        return client.post(url, {"file": upload, **options}).content.decode()

    text = post(dry_run="on")
    assert "row 3, status: “lost” is not one of" in text
    text = post(dry_run="on", skip_bad_rows="on")
    assert "Dry run, nothing saved: 1 would be created" in text
    assert not Incident.objects.exists()
    post(skip_bad_rows="on")
    incident = Incident.objects.get()
    entry = AuditEntry.objects.get(
        table_name="incidents_incident", action="insert", object_pk=str(incident.pk)
    )
    assert entry.actor == str(admin_user.pk)


def test_only_administrators_may_import_incidents(client, supervisor_a):
    url = reverse("admin:incidents_incident_import")
    client.force_login(supervisor_a)
    assert client.get(url).status_code == 302  # not admin staff: sent to the admin login
    supervisor_a.is_staff = True
    supervisor_a.save()
    supervisor_a.user_permissions.set(
        Permission.objects.filter(codename__in=["add_incident", "change_incident"])
    )
    assert client.get(url).status_code == 403
