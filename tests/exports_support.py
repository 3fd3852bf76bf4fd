"""Shared data for the export tests: a filtered set with everything an export must carry."""

import io
import json
import zipfile
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.gis.geos import LineString, Point
from django.utils import timezone

from incidents import geo
from incidents.exports.source import ExportSource
from incidents.models import Incident

from .conftest import make_site

FILTER = "site=CGK&status=submitted"
TRICKY = '=HYPERLINK("http://x") <b>bold & "quoted"</b> ünïcödé\nsecond line'


def east_of(site, metres, north=0):
    centre = site.perimeter_shape().centroid
    x, y, _ = geo.WGS84.fwd(centre.x, centre.y, 90, metres)
    if north:
        x, y, _ = geo.WGS84.fwd(x, y, 0, north)
    return Point(x, y, srid=4326)


@pytest.fixture
def dataset(record, site_a, site_b, staff_b):
    """Two submitted CGK incidents (the filtered set) and three that the filter leaves out."""
    now = timezone.now().replace(microsecond=0)
    first = record(
        site_a,
        status="submitted",
        first_seen=now - timedelta(hours=20, minutes=7),
        narrative=TRICKY,
        make_model="DJI Mavic 3",
        altitude_m=120.5,
        drone_count=2,
        detection_methods=["visual", "rf"],
        behaviours=["hovering"],
        drones=[
            {
                "uas_id": "1581f5fjd228400b",
                "uas_id_type": "serial",
                "category": "multirotor",
                "make_model": "DJI Mavic 3",
                "operator_id": "IDN-OP-1234",
                "takeoff_location": east_of(site_a, 3000),
                "operator_location": east_of(site_a, 3050),
                "track": LineString(
                    east_of(site_a, 3000), east_of(site_a, 1500, 200), east_of(site_a, 0)
                ),
            },
            {"category": "fixed_wing", "description": "white wing, no lights"},
        ],
    )
    second = record(
        site_a,
        status="submitted",
        first_seen=now - timedelta(days=3, minutes=1),
        location=east_of(site_a, 1700),
        drone_count=4,
        category="multirotor",
    )
    record(site_a, first_seen=now - timedelta(hours=2))  # a draft
    record(site_a, status="submitted", first_seen=now - timedelta(days=40))
    Incident.objects.filter(first_seen__lt=now - timedelta(days=39)).update(status="under_review")
    record(site_b, reported_by=staff_b, status="submitted", first_seen=now - timedelta(hours=5))
    return [first, second]


def expected(references):
    """The database's incidents of these references, by reference."""
    return {
        i.reference: i
        for i in Incident.objects.filter(reference__in=references).select_related("site")
    }


def utc(moment):
    return moment.astimezone(zoneinfo.ZoneInfo("UTC"))


def local(incident, moment):
    return moment.astimezone(zoneinfo.ZoneInfo(incident.site.timezone))


def unzip(data):
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name) for name in archive.namelist()}


def manifest_of(files):
    return json.loads(files["manifest.json"])


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
