"""Shared data for the export tests: a filtered set with everything an export must carry."""

import io
import json
import zipfile
import zoneinfo
from datetime import timedelta

import pytest
from django.contrib.gis.geos import LineString, Point
from django.utils import timezone

from incidents import geo
from incidents.models import Incident

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
