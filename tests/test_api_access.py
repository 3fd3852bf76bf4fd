"""The API as each persona and each key scope: nobody reads or writes across sites."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from incidents import services
from incidents.choices import Status
from incidents.models import ApiKey, Incident
from tests.api_helpers import client_for, make_key
from tests.conftest import incident_fields

PERSONAS = ["staff_a", "supervisor_a", "staff_b", "regulator", "admin", "anonymous"]


@pytest.fixture
def world(personas, site_a, site_b, record, staff_b, supervisor_a):
    draft_a = record(site_a)
    submitted_a = record(site_a)
    services.change_status(submitted_a, supervisor_a, Status.SUBMITTED)
    draft_b = record(site_b, reported_by=staff_b)
    keys = {
        "read_a": make_key([site_a], "read")[1],
        "ingest_a": make_key([site_a], "ingest")[1],
        "read_b": make_key([site_b], "read")[1],
    }
    revoked, token = make_key([site_a], "read")
    services.revoke_api_key(revoked, None)
    keys["revoked"] = token
    return {
        "personas": personas,
        "keys": keys,
        "draft_a": draft_a.reference,
        "submitted_a": submitted_a.reference,
        "draft_b": draft_b.reference,
    }


def caller(world, who):
    if who in world["keys"]:
        return client_for(token=world["keys"][who])
    return client_for(world["personas"][who])


def references(response):
    return {f["properties"]["reference"] for f in response.json()["features"]}


SEES = {
    "staff_a": {"draft_a", "submitted_a"},
    "supervisor_a": {"draft_a", "submitted_a"},
    "staff_b": {"draft_b"},
    "regulator": {"submitted_a"},
    "admin": {"draft_a", "submitted_a", "draft_b"},
    "read_a": {"submitted_a"},
    "read_b": set(),
}


@pytest.mark.parametrize("who", list(SEES))
def test_each_caller_lists_and_reads_only_what_they_may(world, who):
    client = caller(world, who)
    expected = {world[name] for name in SEES[who]}
    assert references(client.get("/api/v1/incidents/")) == expected
    layer = client.get("/api/v1/incidents/map/")
    assert layer.status_code == 200 and layer["Content-Type"] == "application/geo+json"
    features = json.loads(b"".join(layer.streaming_content))["features"]
    assert {f["properties"]["reference"] for f in features} == expected
    for name in ("draft_a", "submitted_a", "draft_b"):
        reference = world[name]
        status = 200 if name in SEES[who] else 404
        assert client.get(f"/api/v1/incidents/{reference}/").status_code == status
        for part in ("drones", "timeline", "evidence"):
            assert client.get(f"/api/v1/incidents/{reference}/{part}/").status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("ingest_a", 403), ("revoked", 401)]
)
def test_callers_without_read_access_are_refused(world, who, status):
    for url in ("/api/v1/incidents/", "/api/v1/sites/", "/api/v1/incidents/map/"):
        response = caller(world, who).get(url)
        assert response.status_code == status
        assert response.json()["detail"]


@pytest.mark.parametrize(
    ("who", "codes"),
    [
        ("staff_a", {"CGK"}),
        ("staff_b", {"DPS"}),
        ("regulator", {"CGK"}),
        ("admin", {"CGK", "DPS"}),
        ("read_a", {"CGK"}),
    ],
)
def test_sites_are_scoped(world, who, codes):
    response = caller(world, who).get("/api/v1/sites/")
    assert {f["properties"]["code"] for f in response.json()["features"]} == codes
    assert response.json()["features"][0]["geometry"]["type"] == "MultiPolygon"
    other = ({"CGK", "DPS"} - codes) or set()
    for code in other:
        assert caller(world, who).get(f"/api/v1/sites/{code}/").status_code == 404


def feature(site, **properties):
    fields = incident_fields(site)
    location = fields.pop("location")
    props = {"site": site.code, "first_seen": fields["first_seen"].isoformat(), **properties}
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [location.x, location.y]},
        "properties": props,
    }


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("staff_a", 201),
        ("supervisor_a", 201),
        ("admin", 201),
        ("staff_b", 400),  # site A is not even a choice for them
        ("regulator", 403),  # sees site A, but is not a member
        ("anonymous", 401),
        ("read_a", 403),
        ("ingest_a", 403),
    ],
)
def test_recording_an_incident_at_site_a(world, site_a, who, status):
    before = Incident.objects.count()
    response = caller(world, who).post("/api/v1/incidents/", feature(site_a), format="json")
    assert response.status_code == status, response.json()
    assert Incident.objects.count() == before + (status == 201)
    if status == 201:
        assert response.json()["properties"]["reference"].startswith("CGK-")
    if who == "staff_b":
        assert "site" in response.json()["errors"]


def test_model_rules_come_back_as_field_errors(world, site_a):
    future = (timezone.now() + timedelta(hours=2)).isoformat()
    body = feature(site_a, first_seen=future, payload_description="a box")
    response = caller(world, "staff_a").post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "first_seen" in errors and "payload_seen" in errors


@pytest.mark.parametrize(
    ("who", "target", "status"),
    [
        ("staff_a", "draft_a", 200),
        ("staff_a", "submitted_a", 403),  # staff edit drafts only
        ("supervisor_a", "submitted_a", 200),
        ("staff_b", "draft_a", 404),
        ("regulator", "submitted_a", 403),
        ("admin", "draft_b", 200),
        ("read_a", "submitted_a", 403),
        ("anonymous", "draft_a", 401),
    ],
)
def test_editing(world, who, target, status):
    url = f"/api/v1/incidents/{world[target]}/"
    body = {"properties": {"narrative": "Edited through the API."}}
    response = caller(world, who).patch(url, body, format="json")
    assert response.status_code == status, response.json()
    edited = Incident.objects.get(reference=world[target]).narrative == "Edited through the API."
    assert edited == (status == 200)


@pytest.mark.parametrize(
    ("who", "target", "status"),
    [
        ("staff_a", "draft_a", 201),
        ("regulator", "submitted_a", 403),
        ("staff_b", "draft_a", 404),
        ("read_a", "submitted_a", 403),
        ("anonymous", "draft_a", 401),
    ],
)
def test_comments(world, who, target, status):
    url = f"/api/v1/incidents/{world[target]}/comments/"
    response = caller(world, who).post(url, {"text": "Police told."}, format="json")
    assert response.status_code == status
    incident = Incident.objects.get(reference=world[target])
    assert incident.timeline.filter(text="Police told.").exists() == (status == 201)


def test_empty_comment_names_the_field(world):
    url = f"/api/v1/incidents/{world['draft_a']}/comments/"
    response = caller(world, "staff_a").post(url, {"text": "  "}, format="json")
    assert response.status_code == 400 and "text" in response.json()["errors"]


def test_status_changes_follow_roles_and_transitions(world):
    submitted = f"/api/v1/incidents/{world['submitted_a']}/status/"
    staff = caller(world, "staff_a")
    assert staff.post(submitted, {"status": "under_review"}, format="json").status_code == 403
    supervisor = caller(world, "supervisor_a")
    response = supervisor.post(submitted, {"status": "closed"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "transition_not_allowed"
    response = supervisor.post(submitted, {"status": "under_review"}, format="json")
    assert response.status_code == 200
    assert response.json()["properties"]["status"] == "under_review"
    draft = f"/api/v1/incidents/{world['draft_a']}/status/"
    assert staff.post(draft, {"status": "submitted"}, format="json").status_code == 200
    bad = staff.post(draft, {"status": "nonsense"}, format="json")
    assert bad.status_code == 400 and "status" in bad.json()["errors"]


def test_severity_override_is_for_supervisors_with_a_reason(world):
    url = f"/api/v1/incidents/{world['draft_a']}/severity/"
    assert (
        caller(world, "staff_a").post(url, {"severity": "critical", "reason": "x"}).status_code
        == 403
    )
    supervisor = caller(world, "supervisor_a")
    response = supervisor.post(url, {"severity": "critical"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "reason_required"
    response = supervisor.post(url, {"severity": "critical", "reason": "Payload"}, format="json")
    assert response.json()["properties"]["severity"] == "critical"


def test_session_writes_need_csrf(world, site_a):
    client = client_for(world["personas"]["staff_a"], csrf=True)
    response = client.post("/api/v1/incidents/", feature(site_a), format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_filters_match_the_web_list(world):
    client = caller(world, "staff_a")
    response = client.get("/api/v1/incidents/", {"status": "submitted"})
    assert references(response) == {world["submitted_a"]}
    response = client.get("/api/v1/incidents/", {"site": "DPS"})
    assert response.status_code == 400 and "site" in response.json()["errors"]
    admin = caller(world, "admin")
    response = admin.get("/api/v1/incidents/", {"in_bbox": "106.5,-6.3,106.8,-6.0"})
    assert references(response) == {world["draft_a"], world["submitted_a"]}
    layer = admin.get("/api/v1/incidents/map/", {"in_bbox": "115,-9,115.3,-8.5"})
    features = json.loads(b"".join(layer.streaming_content))["features"]
    assert [f["properties"]["reference"] for f in features] == [world["draft_b"]]


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "nan,0,1,1", "0,10,1,5", "0,0,200,1"])
def test_bad_bbox_names_the_parameter(world, bbox):
    response = caller(world, "admin").get("/api/v1/incidents/", {"in_bbox": bbox})
    assert response.status_code == 400 and "in_bbox" in response.json()["errors"]


def test_page_size_is_capped(world, settings):
    settings.API_MAX_PAGE_SIZE = 2
    response = caller(world, "admin").get("/api/v1/incidents/", {"page_size": 1000})
    assert len(response.json()["features"]) == 2 and response.json()["count"] == 3


# --- Keys --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sites", "status"),
    [
        ("supervisor_a", ["CGK"], 201),
        ("supervisor_a", ["DPS"], 400),  # not a site they see
        ("staff_a", ["CGK"], 403),
        ("regulator", ["CGK"], 403),
        ("admin", ["CGK", "DPS"], 201),
        ("anonymous", ["CGK"], 401),
        ("read_a", ["CGK"], 403),
    ],
)
def test_making_keys(world, who, sites, status):
    body = {"name": "Fence sensor", "purpose": "ingest", "sites": sites}
    response = caller(world, who).post("/api/v1/keys/", body, format="json")
    assert response.status_code == status, response.json()
    if status == 201:
        token = response.json()["token"]
        key = ApiKey.objects.get(pk=response.json()["id"])
        assert token.startswith("skl_") and token not in key.token_hash
        assert ApiKey.objects.find(token) == key
        again = caller(world, who).get(f"/api/v1/keys/{key.pk}/")
        assert "token" not in again.json()


def test_supervisor_sees_and_revokes_only_their_sites_keys(world, site_a, site_b):
    both, _ = make_key([site_a, site_b], "read", name="shared")
    supervisor = caller(world, "supervisor_a")
    names = {k["name"] for k in supervisor.get("/api/v1/keys/").json()}
    assert "shared" not in names and names
    assert supervisor.post(f"/api/v1/keys/{both.pk}/revoke/").status_code == 404
    mine = ApiKey.objects.find(world["keys"]["read_a"])
    assert supervisor.post(f"/api/v1/keys/{mine.pk}/revoke/").status_code == 200
    assert caller(world, "read_a").get("/api/v1/incidents/").status_code == 401
    assert caller(world, "staff_b").get("/api/v1/keys/").json() == []


def test_key_records_last_use(world):
    key = ApiKey.objects.find(world["keys"]["read_a"])
    assert key.last_used_at is None
    caller(world, "read_a").get("/api/v1/sites/")
    key.refresh_from_db()
    assert key.last_used_at is not None


@pytest.mark.parametrize(
    "header", ["Api-Key nonsense", "Api-Key skl_000000000000_wrong", "Api-Key ", "Api-Key é"]
)
def test_bad_keys_get_401(world, header):
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/incidents/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Api-Key"


def test_management_command_makes_a_key(world, capsys):
    call_command("create_api_key", name="Radar", purpose="read", site=["CGK"])
    token = capsys.readouterr().out.strip()
    assert ApiKey.objects.find(token).name == "Radar"
    client = client_for(token=token)
    assert references(client.get("/api/v1/incidents/")) == {world["submitted_a"]}


def test_docs_page_and_schema_are_served_without_a_cdn(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200 and b"/api/v1/detections/" in schema.content
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower() and b"swagger-ui" in docs.content


def test_admin_makes_a_key_and_sees_its_token_once(world, site_a, client):
    client.force_login(world["personas"]["admin"])
    response = client.post(
        "/admin/incidents/apikey/add/",
        {"name": "Admin-made", "purpose": "read", "sites": [site_a.pk]},
        follow=True,
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(name="Admin-made")
    message = next(str(m) for m in response.context["messages"] if "token" in str(m))
    token = message.rsplit(" ", 1)[1]
    assert ApiKey.objects.find(token) == key
    page = client.get(f"/admin/incidents/apikey/{key.pk}/change/")
    assert token not in page.content.decode()


def test_admin_lists_detections(world, site_a):
    from tests.api_helpers import detection

    client_for(token=world["keys"]["ingest_a"]).post(
        "/api/v1/detections/", detection(site_a, sensor_id="sensor-A"), format="json"
    )
    admin = client_for(world["personas"]["admin"])
    assert "sensor-A" in admin.get("/admin/incidents/detection/").content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("staff_a", 403),
        ("supervisor_a", 403),
        ("regulator", 403),
        ("admin", 403),
        ("anonymous", 401),
        ("read_a", 403),
    ],
)
def test_only_ingest_keys_post_detections(world, site_a, who, status):
    from incidents.models import Detection
    from tests.api_helpers import detection

    response = caller(world, who).post("/api/v1/detections/", detection(site_a), format="json")
    assert response.status_code == status
    assert not Detection.objects.exists()


def test_bbox_across_the_antimeridian(world):
    from django.contrib.gis.geos import Point

    from tests.conftest import make_site

    site = make_site("SUV", 179.999, -16.5, half_side_m=2000)
    east = services.record_incident(
        site=site,
        reported_by=None,
        source="import",
        first_seen=timezone.now() - timedelta(hours=1),
        location=Point(-179.99, -16.5, srid=4326),
    )
    admin = caller(world, "admin")
    across = admin.get("/api/v1/incidents/", {"in_bbox": "179.9,-17,-179.9,-16"})
    assert references(across) == {east.reference}
    west_only = admin.get("/api/v1/incidents/", {"in_bbox": "179.9,-17,180,-16"})
    assert references(west_only) == set()


def test_unknown_api_addresses_answer_json_404(client):
    response = client.get("/api/v1/exports/-180/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
