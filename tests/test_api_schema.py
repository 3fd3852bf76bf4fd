"""Schemathesis over every operation of the live schema: no 5xx, and every response is one
the schema documents (status code, content type, body), as a person and as each key."""

import itertools

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from incidents import services
from incidents.choices import Status
from tests.api_helpers import detection, make_key

# A bounded run: the documented examples, then a few generated cases per operation. The
# coverage phase (every boundary of every parameter) would take minutes on its own.
CONFIG = SchemathesisConfig.from_dict(
    {"seed": 20261125, "phases": {"coverage": {"enabled": False}}}
)
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application, config=CONFIG)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CSRF = "k" * 32
_counter = itertools.count()


@pytest.fixture
def in_test_transaction():
    """Call the real WSGI app inside the test's transaction, as Django's test client does:
    without this, the end of each request closes the database connection (PostgreSQL)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def cast(in_test_transaction, client, site_a, supervisor_a, record):
    """Headers for each caller, and real identifiers to aim at some of the time."""
    incident = record(site_a)
    services.change_status(incident, supervisor_a, Status.SUBMITTED)
    key, read = make_key([site_a], "read")
    _, ingest = make_key([site_a], "ingest")
    client.force_login(supervisor_a)
    session = client.cookies["sessionid"].value
    return {
        "callers": {
            "supervisor": {"Cookie": f"sessionid={session}; csrftoken={CSRF}", "X-CSRFToken": CSRF},
            "read_key": {"Authorization": f"Api-Key {read}"},
            "ingest_key": {"Authorization": f"Api-Key {ingest}"},
        },
        "path": {"reference": incident.reference, "code": site_a.code, "id": str(key.pk)},
        "detection": detection(site_a),
    }


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.parametrize("who", ["supervisor", "read_key", "ingest_key"])
def test_every_operation_conforms(case, cast, who):
    turn = next(_counter)
    if turn % 2 and case.path_parameters:
        for name in case.path_parameters:
            case.path_parameters[name] = cast["path"].get(name, case.path_parameters[name])
    if case.path == "/api/v1/detections/" and turn % 3 == 0:
        case.body = cast["detection"]
    case.call_and_validate(headers=cast["callers"][who], checks=CHECKS)
