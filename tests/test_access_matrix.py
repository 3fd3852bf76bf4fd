"""The access-control matrix: every URL and API operation, tried as every persona against an
object of site A and an object of site B, with the status each one must get.

Personas (the columns, in this order):

    staff_a   staff of site A (CGK)           reg_a   regulator granted site A
    sup_a     supervisor of site A            reg_b   regulator granted site B only
    staff_b   staff of site B (DPS)           admin   superuser
    anon      anonymous visitor               ingest  API key for ingest, scoped to A
                                              read    API key for reading, scoped to A

Each row gives the statuses for the object of site A, then for the object of site B. A URL
without objects (a list page) has the same statuses in both columns: the second request still
checks that nothing of the other site shows. OK means "allowed": the request reached the
view's own checks (a 400 for a deliberately empty body counts), so any status but
401/403/404/405, never a 500. Keys authenticate as no person, so on the web pages they are
anonymous visitors.

Beyond the status, every response body a persona gets is searched for the reference of the
incident that persona may not see: a page that answers 200 but shows another site's data fails.

The URL conf and the OpenAPI schema are enumerated: a URL or API operation added without a row
here fails `test_every_url_has_a_row` / `test_every_api_operation_has_a_row`.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from incidents import services
from incidents.choices import PatternKind, Status
from incidents.exports.jobs import start_export
from incidents.models import Drone, Evidence, Pattern, RegulatorGrant

from . import samples
from .api_helpers import make_key
from .conftest import incident_fields

PERSONAS = ("staff_a", "sup_a", "staff_b", "reg_a", "reg_b", "admin", "anon", "ingest", "read")
OK = "ok"
REFUSED = {401, 403, 404, 405}

# Shorthands for the most common lines of the table.
#           staff_a sup_a staff_b reg_a reg_b admin anon ingest read
SEES_A = (200, 200, 404, 200, 404, 200, 302, 302, 302)
SEES_B = (404, 404, 200, 404, 200, 200, 302, 302, 302)
SIGNED_IN = (200, 200, 200, 200, 200, 200, 302, 302, 302)
ANYONE = (200, 200, 200, 200, 200, 200, 200, 200, 200)
REDIRECTED = (302, 302, 302, 302, 302, 302, 302, 302, 302)
# Changes to an incident of A that only its supervisor (and the admin) may make, and of B that
# only B's supervisor may make: there is none in the cast, so B's are admin-only.
SUPERVISES_A = (403, OK, 404, 403, 404, OK, 302, 302, 302)
SUPERVISES_B = (404, 404, 403, 404, 403, OK, 302, 302, 302)


@dataclass(frozen=True)
class Row:
    """One operation: a URL name, a method, how to build the URL for an object of site A or
    B, and the expected status per persona for each."""

    name: str
    method: str
    url: object  # callable(world, side) -> str
    a: tuple
    b: tuple
    body: dict = field(default_factory=dict)
    json: bool = False

    def __post_init__(self):
        assert len(self.a) == len(self.b) == len(PERSONAS), self.name


def fixed(path):
    return lambda world, side: path


def obj(template):
    """A URL built from the world's object of the side being tried."""
    return lambda world, side: template.format(**world[side])


# fmt: off
ROWS = [
    # --- Staff web pages --------------------------------------------------------------------
    # The home page greets a visitor with the sign-in link; signed in, it is the dashboard.
    Row("home", "GET", fixed("/"), ANYONE, ANYONE),
    Row("incident_list", "GET", fixed("/incidents/"), SIGNED_IN, SIGNED_IN),
    # Regulators read; they record nothing.
    Row("incident_new", "GET", fixed("/incidents/new/"),
        (200, 200, 200, 403, 403, 200, 302, 302, 302),
        (200, 200, 200, 403, 403, 200, 302, 302, 302)),
    Row("incident_new", "POST", fixed("/incidents/new/"),
        (OK, OK, OK, 403, 403, OK, 302, 302, 302), (OK, OK, OK, 403, 403, OK, 302, 302, 302)),
    Row("incident_detail", "GET", obj("/incidents/{ref}/"), SEES_A, SEES_B),
    # The incidents are submitted: staff edited them while drafts; now supervisors do.
    Row("incident_edit", "GET", obj("/incidents/{ref}/edit/"),
        (403, 200, 404, 403, 404, 200, 302, 302, 302),
        (404, 404, 403, 404, 403, 200, 302, 302, 302)),
    Row("incident_edit", "POST", obj("/incidents/{ref}/edit/"), SUPERVISES_A, SUPERVISES_B),
    Row("incident_status", "POST", obj("/incidents/{ref}/status/under_review/"),
        SUPERVISES_A, SUPERVISES_B),
    Row("incident_severity", "POST", obj("/incidents/{ref}/severity/"),
        SUPERVISES_A, SUPERVISES_B),
    Row("incident_comment", "POST", obj("/incidents/{ref}/comment/"),
        (OK, OK, 404, OK, 404, OK, 302, 302, 302), (404, 404, OK, 404, OK, OK, 302, 302, 302)),
    Row("incident_report_pdf", "GET", obj("/incidents/{ref}/report.pdf"), SEES_A, SEES_B),
    Row("dashboard_incidents", "GET", fixed("/dashboard/incidents.geojson"), SIGNED_IN, SIGNED_IN),
    Row("evidence_file", "GET", obj("/evidence/files/{evidence_name}"), SEES_A, SEES_B),
    Row("evidence_preview", "GET", obj("/evidence/preview/{evidence_pk}/"), SEES_A, SEES_B),
    Row("incident_event", "GET", obj("/incidents/{pk}/event/"), SEES_A, SEES_B),
    # Merge and split answer everyone who sees the incident with a redirect to the event page;
    # the service refuses non-supervisors there with a message (test_correlation_events.py).
    Row("incident_merge", "POST", obj("/incidents/{pk}/merge/"),
        (302, 302, 404, 302, 404, 302, 302, 302, 302),
        (404, 404, 302, 404, 302, 302, 302, 302, 302)),
    Row("incident_split", "POST", obj("/incidents/{pk}/split/"),
        (302, 302, 404, 302, 404, 302, 302, 302, 302),
        (404, 404, 302, 404, 302, 302, 302, 302, 302)),
    Row("repeat_uas", "GET", obj("/drones/uas/{uas_id}/"), SIGNED_IN, SIGNED_IN),
    # Operator IDs are personal data: regulators see them only with the grant's flag.
    Row("repeat_operator", "GET", obj("/drones/operator/{operator_id}/"),
        (200, 200, 200, 404, 404, 200, 302, 302, 302),
        (200, 200, 200, 404, 404, 200, 302, 302, 302)),
    Row("pattern_list", "GET", fixed("/patterns/"), SIGNED_IN, SIGNED_IN),
    Row("pattern_detail", "GET", obj("/patterns/{pattern}/"), SEES_A, SEES_B),
    Row("pattern_detail", "POST", obj("/patterns/{pattern}/"), SUPERVISES_A, SUPERVISES_B),
    Row("alert_preferences", "GET", fixed("/alerts/preferences/"), SIGNED_IN, SIGNED_IN),
    Row("reports", "GET", fixed("/reports/"), SIGNED_IN, SIGNED_IN),
    # Asking for a site one may not see is a form error naming the field, not a 404.
    Row("summary_pdf", "GET", obj("/reports/summary.pdf?site={code}"),
        (200, 200, 400, 200, 400, 200, 302, 302, 302),
        (400, 400, 200, 400, 200, 200, 302, 302, 302)),
    Row("reference_zones", "GET", fixed("/zones/reference.geojson?in_bbox=106,-7,107,-6"),
        SIGNED_IN, SIGNED_IN),
    Row("site_external_reports", "GET", obj("/sites/{code}/external-reports.geojson"),
        SEES_A, SEES_B),
    # The map of all sites shows each persona the sites it may see (the body check below
    # catches any incident of the other site).
    Row("all_sites_map", "GET", fixed("/map/"), SIGNED_IN, SIGNED_IN),
    Row("all_sites_map_incidents", "GET", fixed("/map/incidents.geojson?format=rows"),
        SIGNED_IN, SIGNED_IN),
    Row("all_sites_map_incidents", "GET", fixed("/map/incidents.geojson"), SIGNED_IN, SIGNED_IN),
    Row("site_map", "GET", obj("/sites/{code}/map/"), SEES_A, SEES_B),
    Row("site_map_incidents", "GET", obj("/sites/{code}/map/incidents.geojson"), SEES_A, SEES_B),
    # Export jobs belong to the person who asked: A's job is staff_a's, B's is staff_b's.
    Row("exports", "GET", fixed("/exports/"), SIGNED_IN, SIGNED_IN),
    Row("exports", "POST", fixed("/exports/"),
        (OK, OK, OK, OK, OK, OK, 302, 302, 302), (OK, OK, OK, OK, OK, OK, 302, 302, 302)),
    Row("export_job", "GET", obj("/exports/{job}/"),
        (200, 404, 404, 404, 404, 404, 302, 302, 302),
        (404, 404, 200, 404, 404, 404, 302, 302, 302)),
    Row("export_status", "GET", obj("/exports/{job}/status/"),
        (200, 404, 404, 404, 404, 404, 302, 302, 302),
        (404, 404, 200, 404, 404, 404, 302, 302, 302)),
    Row("export_download", "GET", obj("/exports/{job}/file/"),
        (200, 404, 404, 404, 404, 404, 302, 302, 302),
        (404, 404, 200, 404, 404, 404, 302, 302, 302)),
    Row("export_manifest", "GET", obj("/exports/{job}/manifest/"),
        (200, 404, 404, 404, 404, 404, 302, 302, 302),
        (404, 404, 200, 404, 404, 404, 302, 302, 302)),
    # --- Accounts ---------------------------------------------------------------------------
    Row("login", "GET", fixed("/accounts/login/"), ANYONE, ANYONE),
    Row("logout", "POST", fixed("/accounts/logout/"), REDIRECTED, REDIRECTED),
    Row("password_change", "GET", fixed("/accounts/password_change/"), SIGNED_IN, SIGNED_IN),
    Row("password_change_done", "GET", fixed("/accounts/password_change/done/"),
        SIGNED_IN, SIGNED_IN),
    Row("password_reset", "GET", fixed("/accounts/password_reset/"), ANYONE, ANYONE),
    Row("password_reset_done", "GET", fixed("/accounts/password_reset/done/"), ANYONE, ANYONE),
    Row("password_reset_confirm", "GET", fixed("/accounts/reset/MQ/set-password/"),
        ANYONE, ANYONE),
    Row("password_reset_complete", "GET", fixed("/accounts/reset/done/"), ANYONE, ANYONE),
    # With the second factor off (as in these tests) the code page sends everyone on.
    Row("two_factor_verify", "GET", fixed("/accounts/two-factor/"), REDIRECTED, REDIRECTED),
    Row("two_factor_setup", "GET", fixed("/accounts/two-factor/setup/"), SIGNED_IN, SIGNED_IN),
    Row("set_language", "POST", fixed("/i18n/setlang/"), REDIRECTED, REDIRECTED),
    # --- Django admin: a few representative pages (the rest is excluded below) --------------
    Row("admin:index", "GET", fixed("/admin/"),
        (302, 302, 302, 302, 302, 200, 302, 302, 302),
        (302, 302, 302, 302, 302, 200, 302, 302, 302)),
    Row("admin:incidents_incident_changelist", "GET", fixed("/admin/incidents/incident/"),
        (302, 302, 302, 302, 302, 200, 302, 302, 302),
        (302, 302, 302, 302, 302, 200, 302, 302, 302)),
    Row("admin:incidents_incident_change", "GET", obj("/admin/incidents/incident/{pk}/change/"),
        (302, 302, 302, 302, 302, 200, 302, 302, 302),
        (302, 302, 302, 302, 302, 200, 302, 302, 302)),
    # --- REST API ---------------------------------------------------------------------------
    Row("api-schema", "GET", fixed("/api/v1/schema/?format=json"), ANYONE, ANYONE),
    Row("api-docs", "GET", fixed("/api/v1/docs/"), ANYONE, ANYONE),
    Row("api-detections", "POST", fixed("/api/v1/detections/"),
        (403, 403, 403, 403, 403, 403, 401, OK, 403),
        (403, 403, 403, 403, 403, 403, 401, OK, 403), json=True),
    Row("api-site-list", "GET", fixed("/api/v1/sites/"),
        (200, 200, 200, 200, 200, 200, 401, 403, 200),
        (200, 200, 200, 200, 200, 200, 401, 403, 200)),
    Row("api-site-detail", "GET", obj("/api/v1/sites/{code}/"),
        (200, 200, 404, 200, 404, 200, 401, 403, 200),
        (404, 404, 200, 404, 200, 200, 401, 403, 404)),
    Row("api-incident-list", "GET", fixed("/api/v1/incidents/"),
        (200, 200, 200, 200, 200, 200, 401, 403, 200),
        (200, 200, 200, 200, 200, 200, 401, 403, 200)),
    Row("api-incident-list", "POST", fixed("/api/v1/incidents/"),
        (OK, OK, OK, OK, OK, OK, 401, 403, 403),
        (OK, OK, OK, OK, OK, OK, 401, 403, 403), json=True),
    Row("api-incident-map-layer", "GET", fixed("/api/v1/incidents/map/"),
        (200, 200, 200, 200, 200, 200, 401, 403, 200),
        (200, 200, 200, 200, 200, 200, 401, 403, 200)),
    Row("api-incident-detail", "GET", obj("/api/v1/incidents/{ref}/"),
        (200, 200, 404, 200, 404, 200, 401, 403, 200),
        (404, 404, 200, 404, 200, 200, 401, 403, 404)),
    Row("api-incident-detail", "PATCH", obj("/api/v1/incidents/{ref}/"),
        (403, OK, 404, 403, 404, OK, 401, 403, 403),
        (404, 404, 403, 404, 403, OK, 401, 403, 403), json=True),
    Row("api-incident-drones", "GET", obj("/api/v1/incidents/{ref}/drones/"),
        (200, 200, 404, 200, 404, 200, 401, 403, 200),
        (404, 404, 200, 404, 200, 200, 401, 403, 404)),
    Row("api-incident-timeline", "GET", obj("/api/v1/incidents/{ref}/timeline/"),
        (200, 200, 404, 200, 404, 200, 401, 403, 200),
        (404, 404, 200, 404, 200, 200, 401, 403, 404)),
    Row("api-incident-evidence", "GET", obj("/api/v1/incidents/{ref}/evidence/"),
        (200, 200, 404, 200, 404, 200, 401, 403, 200),
        (404, 404, 200, 404, 200, 200, 401, 403, 404)),
    Row("api-incident-comments", "POST", obj("/api/v1/incidents/{ref}/comments/"),
        (OK, OK, 404, OK, 404, OK, 401, 403, 403),
        (404, 404, OK, 404, OK, OK, 401, 403, 403), json=True),
    Row("api-incident-change-status", "POST", obj("/api/v1/incidents/{ref}/status/"),
        (OK, OK, 404, OK, 404, OK, 401, 403, 403),
        (404, 404, OK, 404, OK, OK, 401, 403, 403), json=True),
    Row("api-incident-severity", "POST", obj("/api/v1/incidents/{ref}/severity/"),
        (OK, OK, 404, OK, 404, OK, 401, 403, 403),
        (404, 404, OK, 404, OK, OK, 401, 403, 403), json=True),
    # Keys: A's key serves site A only, B's key site B only.
    Row("api-key-list", "GET", fixed("/api/v1/keys/"),
        (200, 200, 200, 200, 200, 200, 401, 403, 403),
        (200, 200, 200, 200, 200, 200, 401, 403, 403)),
    Row("api-key-list", "POST", fixed("/api/v1/keys/"),
        (OK, OK, OK, OK, OK, OK, 401, 403, 403),
        (OK, OK, OK, OK, OK, OK, 401, 403, 403), json=True),
    Row("api-key-detail", "GET", obj("/api/v1/keys/{key}/"),
        (404, 200, 404, 404, 404, 200, 401, 403, 403),
        (404, 404, 404, 404, 404, 200, 401, 403, 403)),
    Row("api-key-revoke", "POST", obj("/api/v1/keys/{key}/revoke/"),
        (404, OK, 404, 404, 404, OK, 401, 403, 403),
        (404, 404, 404, 404, 404, OK, 401, 403, 403), json=True),
    Row("api_exports", "GET", fixed("/api/v1/exports/"),
        (200, 200, 200, 200, 200, 200, 401, 403, 403),
        (200, 200, 200, 200, 200, 200, 401, 403, 403)),
    Row("api_exports", "POST", fixed("/api/v1/exports/"),
        (OK, OK, OK, OK, OK, OK, 401, 403, 403),
        (OK, OK, OK, OK, OK, OK, 401, 403, 403), json=True),
    Row("api_export", "GET", obj("/api/v1/exports/{job}/"),
        (200, 404, 404, 404, 404, 404, 401, 403, 403),
        (404, 404, 200, 404, 404, 404, 401, 403, 403)),
    Row("api_export_file", "GET", obj("/api/v1/exports/{job}/file/"),
        (200, 404, 404, 404, 404, 404, 401, 403, 403),
        (404, 404, 200, 404, 404, 404, 401, 403, 403)),
]
# fmt: on

# URL prefixes left out of the table (beyond the rows above), each with its reason.
EXCLUDED_PREFIXES = {
    "admin/": "Django admin: superusers only (is_staff is never given to site people); "
    "covered by the index, incident changelist and incident change rows above.",
}


def _named_routes(patterns, prefix="", namespace=""):
    """(key, route) of every URL the project serves: its name (with namespace) or, for an
    unnamed one, its route text, so an unnamed URL still has to have a row."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_routes(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            yield (f"{namespace}{pattern.name}" if pattern.name else route), route


def test_every_url_has_a_row():
    routes = dict(_named_routes(get_resolver().url_patterns))
    served = set(routes)
    excluded = {key for key, route in routes.items() if route.startswith(tuple(EXCLUDED_PREFIXES))}
    tabled = {row.name for row in ROWS}
    assert served - excluded - tabled == set(), "URLs without a row in the access matrix"
    assert tabled - served == set(), "rows for URLs that no longer exist"


def test_every_api_operation_has_a_row():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    tabled = {(row.name, row.method) for row in ROWS}
    missing = []
    for path, operations in schema["paths"].items():
        sample = re.sub(r"\{[^}]+\}", "1", path)
        name = resolve(sample).url_name
        for method in operations:
            if (name, method.upper()) not in tabled:
                missing.append(f"{method.upper()} {path} ({name})")
    assert missing == []


# --- The world the matrix is tried in ---------------------------------------------------------


@pytest.fixture
def world(site_a, site_b, staff_a, supervisor_a, staff_b, regulator, admin_user):
    regulator_b = get_user_model().objects.create_user("regulator_b", password="pw-reg-b")
    RegulatorGrant.objects.create(user=regulator_b, authority="Other CAA").sites.set([site_b])
    users = {
        "staff_a": staff_a,
        "sup_a": supervisor_a,
        "staff_b": staff_b,
        "reg_a": regulator,
        "reg_b": regulator_b,
        "admin": admin_user,
    }
    objects = {}
    for side, site, member in (("A", site_a, staff_a), ("B", site_b, staff_b)):
        # Submitted, so a granted regulator sees it (a draft would be hidden from them).
        incident = services.record_incident(
            site=site, reported_by=member, **incident_fields(site, status=Status.SUBMITTED)
        )
        Drone.objects.create(
            incident=incident,
            uas_id=f"SN-{side}",
            uas_id_type="serial",
            operator_id=f"OP-{side}",
        )
        evidence = Evidence(incident=incident, uploaded_by=member)
        evidence.file.save(f"camera {side}.jpg", ContentFile(samples.jpeg()), save=False)
        evidence.full_clean()
        evidence.save()
        pattern = Pattern.objects.create(
            kind=PatternKind.REPEAT_UAS,
            key=f"uas:SN-{side}",
            explanation=f"SN-{side} seen again",
            first_seen=timezone.now() - timedelta(days=1),
            last_seen=timezone.now(),
            site_count=1,
        )
        pattern.incidents.set([incident])
        job = start_export(member, "csv", f"site={site.code}")
        key, _token = make_key([site], "read", name=f"key {side}")
        objects[side] = {
            "ref": incident.reference,
            "pk": incident.pk,
            "code": site.code,
            "uas_id": f"SN-{side}",
            "operator_id": f"OP-{side}",
            "evidence_name": evidence.file.name,
            "evidence_pk": evidence.pk,
            "pattern": pattern.pk,
            "job": job.pk,
            "key": key.pk,
        }
    _ingest, ingest_token = make_key([site_a], "ingest", name="ingest A")
    _read, read_token = make_key([site_a], "read", name="read A")
    clients = {}
    for persona in PERSONAS:
        client = Client()
        if persona in users:
            client.force_login(users[persona])
        elif persona == "ingest":
            client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {ingest_token}"
        elif persona == "read":
            client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {read_token}"
        clients[persona] = client
    return {**objects, "clients": clients}


# Whose eyes may see which side's incident (the leak check on every response body).
MAY_SEE = {
    "staff_a": {"A"},
    "sup_a": {"A"},
    "staff_b": {"B"},
    "reg_a": {"A"},
    "reg_b": {"B"},
    "admin": {"A", "B"},
    "anon": set(),
    "ingest": set(),
    "read": {"A"},
}


def _send(client, row, url):
    method = getattr(client, row.method.lower())
    if row.json:
        return method(url, json.dumps(row.body), content_type="application/json")
    if row.method == "GET":
        return method(url)
    return method(url, row.body)


def _text(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _matches(expected, status):
    if expected == OK:
        return status not in REFUSED and status < 500
    return status == expected


def test_access_matrix(world):
    """Every row, as every persona, on site A's object and site B's: the expected status,
    and no body that shows an incident the persona may not see."""
    failures = []
    for row in ROWS:
        sides = ("A", "B")
        if row.url(world, "A") == row.url(world, "B"):
            # No object in the URL: one request per persona answers for both columns.
            assert row.a == row.b, f"{row.name} has no object, so A and B must match"
            sides = ("A",)
        for side in sides:
            url = row.url(world, side)
            for persona, expected in zip(PERSONAS, row.a if side == "A" else row.b, strict=True):
                # Each request is rolled back, so a POST that succeeds changes nothing for
                # the next persona.
                client = world["clients"][persona]
                cookies = {name: morsel.value for name, morsel in client.cookies.items()}
                with transaction.atomic():
                    response = _send(client, row, url)
                    body = _text(response)
                    transaction.set_rollback(True)
                # Signing out (or a rotated session) must not sign the persona out for the
                # rows after it: the session row it ended was rolled back with the request.
                client.cookies = SimpleCookie(cookies)
                where = f"{row.method} {url} ({row.name}, object of {side}) as {persona}"
                if not _matches(expected, response.status_code):
                    failures.append(f"{where}: {response.status_code}, expected {expected}")
                for other in {"A", "B"} - MAY_SEE[persona]:
                    if world[other]["ref"] in body:
                        failures.append(f"{where}: shows {other}'s incident {world[other]['ref']}")
    assert failures == []
