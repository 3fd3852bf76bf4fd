"""No N+1 queries: each page and API read makes the same number of queries with 2 rows as
with 12, and no more than its pinned limit.

The world grows by whole incidents, each with drones (one UAS ID shared by all, so the
repeat-offender pages grow too, one of its own), actions, evidence and comments, in one
event and in a pattern of its own; and by one export job, one API key and one site per
incident. The incident whose pages are read (the "focus") gains a drone with a new UAS ID,
an action, a file and a comment each time, so its detail page grows as well.

Each case gives the URL name, how to build the URL, who asks and the limit. Adding an
endpoint is one line; an API read operation of the OpenAPI schema without a line fails
`test_every_api_read_operation_has_a_case`.

Process-wide caches (content types, site time zones, ...) are warmed by a first request
before anything is counted. On PostGIS a request makes up to two more queries: it names the
signed-in person to the audit triggers (incidents.audit) and clears the name afterwards, so
the limit is two higher there.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.gis.geos import LineString, Point
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from incidents import services
from incidents.choices import ActionKind, PatternKind, Status
from incidents.models import Drone, Event, Evidence, ExportJob, IncidentAction, Pattern

from . import samples
from .api_helpers import make_key
from .conftest import incident_fields, make_site

FEW, MANY = 2, 12
# On PostGIS a request names its person to the audit triggers and clears it afterwards.
BACKEND_EXTRA = 2 if connection.vendor == "postgresql" else 0


@dataclass(frozen=True)
class Case:
    name: str  # the URL name, for the schema check
    url: object  # callable(world) -> str
    limit: int  # queries on SpatiaLite, at most (as measured: lower it when one goes)
    persona: str = "supervisor"
    # Text the response must hold, formatted with the newest incident's reference (ref), its
    # number (n), the focus incident's reference (focus) and the newest export (job).
    shows: str = "{ref}"


def fixed(path):
    return lambda world: path


def focus(template):
    return lambda world: template.format(**world["focus"])


# fmt: off
CASES = [
    # --- Web pages ------------------------------------------------------------------------
    Case("home", fixed("/"), 9, shows="CGK"),
    Case("home", fixed("/"), 9, persona="admin", shows="CGK"),
    Case("dashboard_incidents", fixed("/dashboard/incidents.geojson"), 3),
    Case("incident_list", fixed("/incidents/"), 6),
    Case("incident_list", fixed("/incidents/?ordering=-severity&status=submitted"), 6),
    Case("incident_list", fixed("/incidents/?ordering=drones&q=CGK"), 6),
    Case("incident_detail", focus("/incidents/{ref}/"), 16, shows="focus comment {n}"),
    Case("incident_edit", focus("/incidents/{ref}/edit/"), 6, shows="{focus}"),
    Case("incident_event", focus("/incidents/{pk}/event/"), 10),
    Case("repeat_uas", fixed("/drones/uas/SN-REPEAT/"), 4),
    Case("repeat_operator", fixed("/drones/operator/OP-REPEAT/"), 6),
    Case("pattern_list", fixed("/patterns/"), 4, shows="SN-{n} seen again"),
    Case("pattern_detail", focus("/patterns/{pattern}/"), 8),
    Case("site_map", focus("/sites/{code}/map/"), 5, shows="CGK"),
    Case("site_map_incidents", focus("/sites/{code}/map/incidents.geojson"), 4),
    Case("exports", fixed("/exports/"), 6, shows="/exports/{job}/"),
    Case("reports", fixed("/reports/"), 5, shows="CGK"),
    # --- REST API -------------------------------------------------------------------------
    Case("api-site-list", fixed("/api/v1/sites/"), 4, persona="admin", shows="S{n:02d}"),
    Case("api-site-detail", focus("/api/v1/sites/{code}/"), 3, shows="CGK"),
    Case("api-incident-list", fixed("/api/v1/incidents/"), 6),
    Case("api-incident-list", fixed("/api/v1/incidents/?page_size=500&format=json"), 6),
    Case("api-incident-list", fixed("/api/v1/incidents/"), 4, persona="read_key"),
    Case("api-incident-list", fixed("/api/v1/incidents/?in_bbox=100,-10,110,0"), 6),
    Case("api-incident-map-layer", fixed("/api/v1/incidents/map/"), 3),
    Case("api-incident-detail", focus("/api/v1/incidents/{ref}/"), 5, shows="{focus}"),
    Case("api-incident-drones", focus("/api/v1/incidents/{ref}/drones/"), 6,
         shows="SN-10{n:02d}"),
    Case("api-incident-timeline", focus("/api/v1/incidents/{ref}/timeline/"), 4,
         shows="focus comment {n}"),
    Case("api-incident-evidence", focus("/api/v1/incidents/{ref}/evidence/"), 4,
         shows="photo 10{n:02d}"),
    Case("api-key-list", fixed("/api/v1/keys/"), 4, shows="key {n}"),
    Case("api-key-list", fixed("/api/v1/keys/"), 4, persona="admin", shows="key {n}"),
    Case("api-key-detail", focus("/api/v1/keys/{key}/"), 4, shows="key 0"),
    Case("api_exports", fixed("/api/v1/exports/"), 3, shows="incidents-{n}.csv"),
    Case("api_export", focus("/api/v1/exports/{job}/"), 3, shows="incidents-0.csv"),
]
# fmt: on

# Read operations of the schema without a case, each with its reason.
EXCLUDED = {
    "api_export_file": "streams one stored file; it reads one job, whatever the number of rows",
}


def test_every_api_read_operation_has_a_case():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    cased = {case.name for case in CASES}
    missing = []
    for path, operations in schema["paths"].items():
        name = resolve(re.sub(r"\{[^}]+\}", "1", path)).url_name
        if "get" in operations and name not in cased and name not in EXCLUDED:
            missing.append(f"GET {path} ({name})")
    assert missing == [], "API read operations without a query-count case"


# --- The world ---------------------------------------------------------------------------


@pytest.fixture
def world(site_a, staff_a, supervisor_a, admin_user):
    now = timezone.now()
    first = services.record_incident(
        site=site_a,
        reported_by=staff_a,
        drones=[{"uas_id": "SN-REPEAT", "uas_id_type": "serial", "operator_id": "OP-REPEAT"}],
        **incident_fields(site_a, status=Status.SUBMITTED, first_seen=now - timedelta(minutes=3)),
    )
    key, _token = services.create_api_key(
        created_by=supervisor_a, name="key 0", purpose="read", sites=[site_a]
    )
    _read, read_token = make_key([site_a], "read", name="reader")
    pattern = Pattern.objects.create(
        kind=PatternKind.REPEAT_UAS,
        key="uas:SN-REPEAT",
        explanation="SN-REPEAT seen again",
        first_seen=now - timedelta(days=1),
        last_seen=now,
        site_count=1,
    )
    pattern.incidents.set([first])
    job = _export_job(supervisor_a, 0)
    clients = {}
    for persona, user in (("supervisor", supervisor_a), ("admin", admin_user)):
        clients[persona] = Client()
        clients[persona].force_login(user)
    clients["read_key"] = Client(HTTP_AUTHORIZATION=f"Api-Key {read_token}")
    return {
        "site": site_a,
        "staff": staff_a,
        "supervisor": supervisor_a,
        "first": first,
        "pattern": pattern,
        "count": 0,
        "clients": clients,
        "focus": {
            "ref": first.reference,
            "pk": first.pk,
            "code": site_a.code,
            "pattern": pattern.pk,
            "key": key.pk,
            "job": job.pk,
        },
    }


def _export_job(user, number):
    return ExportJob.objects.create(
        requested_by=user,
        requested_by_name=user.username,
        channel="web",
        format="csv",
        filter_query="site=CGK",
        status="done",
        total=number,
        progress=number,
        record_count=number,
        filename=f"incidents-{number}.csv",
        media_type="text/csv",
        sha256="0" * 64,
    )


def _evidence(incident, user, number):
    evidence = Evidence(incident=incident, uploaded_by=user, description=f"photo {number}")
    evidence.file.save(f"camera {number}.jpg", ContentFile(samples.jpeg()), save=False)
    evidence.full_clean()
    evidence.save()


def _drone(incident, number):
    centre = incident.location
    Drone.objects.create(
        incident=incident,
        uas_id=f"SN-{number}",
        uas_id_type="serial",
        operator_id=f"OP-{number}",
        operator_location=Point(centre.x + 0.001, centre.y, srid=4326),
        takeoff_location=Point(centre.x, centre.y + 0.001, srid=4326),
        track=LineString((centre.x, centre.y), (centre.x + 0.002, centre.y), srid=4326),
    )


def grow(world, up_to):
    """Add incidents (with everything around them) until the world holds `up_to`."""
    site, staff, supervisor = world["site"], world["staff"], world["supervisor"]
    first = world["first"]
    now = timezone.now()
    while world["count"] < up_to:
        n = world["count"] = world["count"] + 1
        incident = services.record_incident(
            site=site,
            reported_by=staff,
            drones=[{"uas_id": "SN-REPEAT", "uas_id_type": "serial", "operator_id": "OP-REPEAT"}],
            actions=[{"kind": ActionKind.NOTIFIED_POLICE, "note": f"call {n}"}],
            **incident_fields(
                site,
                status=Status.SUBMITTED,
                first_seen=now - timedelta(seconds=30 * n),
                drone_count=2,
                severity_override="high" if n % 2 else "",
                severity_override_reason="seen over the runway" if n % 2 else "",
            ),
        )
        _drone(incident, n)
        _evidence(incident, staff, n)
        services.add_comment(incident, supervisor, f"comment {n}")
        pattern = Pattern.objects.create(
            kind=PatternKind.REPEAT_UAS,
            key=f"uas:SN-{n}",
            explanation=f"SN-{n} seen again",
            first_seen=now - timedelta(days=1),
            last_seen=now,
            site_count=1,
        )
        pattern.incidents.set([incident, first])
        world["pattern"].incidents.add(incident)
        # The focus incident grows too: its detail page lists all of these.
        _drone(first, 1000 + n)
        IncidentAction.objects.create(
            incident=first, kind=ActionKind.OTHER, note=f"action {n}", recorded_by=staff
        )
        _evidence(first, staff, 1000 + n)
        services.add_comment(first, supervisor, f"focus comment {n}")
        services.create_api_key(
            created_by=supervisor, name=f"key {n}", purpose="ingest", sites=[site]
        )
        job = _export_job(supervisor, n)
        make_site(f"S{n:02d}", 10 + n, 40, timezone="Europe/Paris")
        world["newest"] = {
            "ref": incident.reference,
            "n": n,
            "focus": first.reference,
            "job": job.pk,
        }


def _count(world, case):
    client = world["clients"][case.persona]
    url = case.url(world)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            response.streaming_content = list(response.streaming_content)
    assert response.status_code == 200, (url, response.content[:500])
    text = b"".join(response.streaming_content) if response.streaming else response.content
    assert case.shows.format(**world["newest"]).encode() in text, url
    return len(queries), [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c.name}-{c.persona}-{i}" for i, c in enumerate(CASES)]
)
def test_queries_do_not_grow_with_rows(world, case):
    grow(world, FEW)
    _count(world, case)  # warm the process-wide caches first
    few, few_sql = _count(world, case)
    grow(world, MANY)
    many, many_sql = _count(world, case)
    assert many == few, "\n".join(many_sql)
    assert few <= case.limit + BACKEND_EXTRA, "\n".join(few_sql)
    assert Event.objects.count() == 1  # every incident is one event: the event page grew
