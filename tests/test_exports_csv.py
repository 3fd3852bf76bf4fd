"""The CSV export's two writers produce the same bytes as the row-by-row reference.

The reference is the straightforward rendering of table.COLUMNS from ExportSource.incidents()
(as XLSX reads them). csvfile.write_python must equal it on every database; on PostGIS the
COPY writer (csvcopy.write_copy) must equal it too, on data chosen to break a formatter:
DST changes in both hemispheres, half- and quarter-hour zones, offsets with seconds, NULLs,
fractions of a second, floats Python and PostgreSQL print differently, unicode, quotes,
commas and line breaks, formula-looking text, and operator data redacted or not.
"""

import csv
from datetime import UTC, datetime

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from incidents.exports import csvfile, get
from incidents.exports.source import ExportSource
from incidents.exports.table import BOOLEAN, COLUMNS, HEADERS, LOCAL_TIME, TEXT, UTC_TIME, defuse
from incidents.models import Incident

from .conftest import make_site, postgis_only


def reference_cell(kind, value):
    if value is None:
        return ""
    if kind == UTC_TIME:
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == LOCAL_TIME:
        return value.isoformat(timespec="seconds")
    if kind == BOOLEAN:
        return "true" if value else "false"
    if kind == TEXT:
        return defuse(str(value))
    return value


def write_reference(source, path):
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for row in source.incidents():
            writer.writerow([reference_cell(kind, read(row)) for _, kind, read in COLUMNS])


def at(text):
    return datetime.fromisoformat(text).astimezone(UTC)


# (time zone, first seen, last seen): each pair straddles a change of offset or is odd.
TIMES = [
    ("Europe/London", "2026-03-29T00:59:59.999999+00:00", "2026-03-29T01:00:00+00:00"),
    ("Europe/London", "2026-10-25T00:30:00+00:00", "2026-10-25T01:30:00+00:00"),
    ("America/New_York", "2026-11-01T05:59:59+00:00", "2026-11-01T06:00:01.5+00:00"),
    ("America/St_Johns", "2026-03-08T05:29:00+00:00", "2026-03-08T05:31:00+00:00"),
    ("Australia/Lord_Howe", "2026-04-04T14:59:00+00:00", "2026-04-04T15:01:00+00:00"),
    ("Asia/Kathmandu", "2026-01-01T00:00:00+00:00", None),
    ("Asia/Kolkata", "1890-06-01T12:00:00+00:00", "1890-06-01T12:00:00.5+00:00"),
    ("Europe/Dublin", "1900-06-01T12:00:00+00:00", None),
    ("Pacific/Kiritimati", "2026-06-30T23:59:59+00:00", "2026-07-01T00:00:00+00:00"),
]

TEXTS = [
    'He said "stop", then ran,\nand the drone left.\r\nEnd',
    '=HYPERLINK("http://x")',
    "+1 555",
    "-5 m",
    "@operator",
    "\tindented",
    "\rcarriage",
    "ünïcödé ✈️ 無人機 \\ back\\slash",
    "",
    "plain",
    " leading space, comma",
    "'already quoted",
]

FLOATS = [0.0, 1e-05, 2.5e-07, 1234.5678901234567, 100.0, 1e15 + 0.5, 1e16, -0.0, None]


@pytest.fixture
def tricky(record, site_a, site_b):
    """Incidents at sites in many zones with every kind of awkward value."""
    sites = [site_a, site_b]
    for n, (zone, _, _) in enumerate(TIMES):
        sites.append(make_site(f"Z{n:02d}", -120 + n * 25, 50 - n * 11, timezone=zone))
    made = []
    for n, (_zone, first, last) in enumerate(TIMES * 2):
        site = sites[2 + n % len(TIMES)] if n < len(TIMES) else sites[n % 2]
        incident = record(
            site, reported_by=None, source="import", first_seen=at("2026-01-02T03:04:05+00:00")
        )
        text = TEXTS[n % len(TEXTS)]
        other = TEXTS[(n + 3) % len(TEXTS)]
        distance = FLOATS[(n + 2) % len(FLOATS)]
        Incident.objects.filter(pk=incident.pk).update(
            first_seen=at(first),
            last_seen=at(last) if last else None,
            reported_at=at(first),
            narrative=text,
            make_model=other,
            colour=TEXTS[(n + 5) % len(TEXTS)],
            lights=TEXTS[(n + 7) % len(TEXTS)],
            payload_description=other,
            operator_description=f"{text} operator {n}",
            authority_reference=TEXTS[(n + 1) % len(TEXTS)],
            external_id=None if n % 3 else f"=ext{n}",
            altitude_m=FLOATS[n % len(FLOATS)],
            distance_m=1.5 if distance is None else distance,
            heading_deg=None if n % 2 else n * 19 % 360,
            speed_kmh=None if n % 4 else n,
            payload_seen=bool(n % 2),
            operator_seen=bool(n % 3),
            zone_ring_m=None if n % 2 else 500,
            behaviours=[[], ["hovering"], ["hovering", "circling"], ['=say "hi"', "a\\b"]][n % 4],
            detection_methods=[["visual", "rf"], [], ["radar"], ["x, y", ""]][n % 4],
            location=Point(-179.9999999 + n * 20.123456789, -89.5 + n * 10.000001, srid=4326),
        )
        made.append(incident)
    site_a.name = 'Soekarno "Hatta", Jakarta'
    site_a.save()
    # Two incidents at the same moment: the order between them must not depend on the plan.
    Incident.objects.filter(pk=made[1].pk).update(first_seen=at(TIMES[0][1]))
    return sites


def source_for(personal_site_ids):
    return ExportSource(
        queryset=Incident.objects.order_by("-first_seen"),
        filter_query="",
        generated_by="test",
        generated_at=datetime(2026, 5, 1, tzinfo=UTC),
        personal_site_ids=personal_site_ids,
    )


def personal_cases(sites):
    return [None, {sites[0].pk, sites[3].pk}, set()]


def test_python_writer_equals_the_reference(tricky, tmp_path):
    for personal in personal_cases(tricky):
        write_reference(source_for(personal), tmp_path / "reference.csv")
        csvfile.write_python(source_for(personal), tmp_path / "python.csv")
        expected = (tmp_path / "reference.csv").read_bytes()
        assert (tmp_path / "python.csv").read_bytes() == expected
    rows = list(csv.reader(expected.decode("utf-8-sig").splitlines(keepends=True)))
    assert len(rows) == 1 + Incident.objects.count()


@postgis_only
def test_copy_writer_equals_the_reference_byte_for_byte(tricky, tmp_path):
    from incidents.exports.csvcopy import write_copy

    for personal in personal_cases(tricky):
        reported = []
        source = source_for(personal)
        source.progress = reported.append
        write_reference(source_for(personal), tmp_path / "reference.csv")
        write_copy(source, tmp_path / "copy.csv")
        expected = (tmp_path / "reference.csv").read_bytes()
        got = (tmp_path / "copy.csv").read_bytes()
        assert got.splitlines() == expected.splitlines()
        assert got == expected
        assert reported[-1] == Incident.objects.count()


def test_redacted_export_blanks_operator_description_only_where_not_allowed(tricky, tmp_path):
    allowed = tricky[0]
    path = tmp_path / "out.csv"
    get("csv").write(source_for({allowed.pk}), path)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_reference = {i.reference: i for i in Incident.objects.select_related("site")}
    assert {r["operator_description"] != "" for r in rows} == {True, False}
    for row in rows:
        incident = by_reference[row["reference"]]
        if incident.site_id == allowed.pk:
            assert row["operator_description"] == defuse(incident.operator_description)
        else:
            assert row["operator_description"] == ""


def test_exporter_uses_copy_on_postgis_only(tricky, tmp_path, monkeypatch):
    called = []
    monkeypatch.setattr(csvfile, "write_python", lambda *args: called.append("python"))
    get("csv").write(source_for(None), tmp_path / "out.csv")
    assert called == ([] if connection.vendor == "postgresql" else ["python"])
