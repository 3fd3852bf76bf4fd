"""Alerts: a critical incident sends one email and one signed webhook; failures retry."""

import json
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from incidents import geo
from incidents.alerts import webhooks
from incidents.choices import DeliveryStatus, Severity
from incidents.correlation import patterns
from incidents.models import Alert, AlertPreference, WebhookDelivery, WebhookEndpoint
from tests.tasks_helper import failed_tasks, run_tasks

SECRET = "test-secret-0123456789abcdef"


class Receiver:
    """A webhook receiver on 127.0.0.1 answering with the given status codes in turn."""

    def __init__(self, statuses=(200,)):
        self.statuses = list(statuses)
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                # Header names are case-insensitive (urllib sends them capitalised).
                receiver.requests.append((self.headers, body))
                status = (
                    receiver.statuses.pop(0)
                    if len(receiver.statuses) > 1
                    else (receiver.statuses[0])
                )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def _make(*statuses):
        made.append(Receiver(statuses or (200,)))
        return made[-1]

    yield _make
    for item in made:
        item.close()


@pytest.fixture
def supervisor_email(supervisor_a):
    supervisor_a.email = "supervisor_a@example.org"
    supervisor_a.save()
    return supervisor_a


def endpoint(site, url, **fields):
    item = WebhookEndpoint(site=site, name="SOC", url=url, secret=SECRET, **fields)
    item.full_clean()
    item.save()
    return item


def critical(record, site, **overrides):
    # A swarm inside the perimeter: high, raised one level to critical.
    return record(site, drone_count=4, **overrides)


def test_critical_incident_sends_one_email_and_one_verified_webhook(
    record, site_a, supervisor_email, receiver
):
    hook = receiver(200)
    endpoint(site_a, hook.url)
    incident = critical(record, site_a)
    assert incident.severity == Severity.CRITICAL
    run_tasks()
    assert not failed_tasks()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["supervisor_a@example.org"]
    assert message.subject == f"[SkyLedger] CRITICAL incident {incident.reference} at CGK"
    detail = reverse("incident_detail", args=[incident.reference])
    assert f"See the incident: {settings.SITE_URL}{detail}\n" in message.body
    assert "/event/" not in message.body

    assert len(hook.requests) == 1
    headers, body = hook.requests[0]
    assert webhooks.verify(SECRET, body, headers["X-SkyLedger-Signature"])
    assert not webhooks.verify("another-secret-0123456789", body, headers["X-SkyLedger-Signature"])
    payload = json.loads(body)
    assert payload["reference"] == incident.reference
    assert payload["url"].endswith(f"/incidents/{incident.reference}/")
    assert payload["severity"] == "critical"
    assert str(payload["sent_at"]) == headers["X-SkyLedger-Timestamp"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.status_code) == (
        DeliveryStatus.DELIVERED,
        1,
        200,
    )


def test_no_alert_storm_within_the_update_window(record, site_a, supervisor_email, receiver):
    from incidents.alerts.tasks import send_incident_alert

    hook = receiver(200)
    endpoint(site_a, hook.url)
    incident = critical(record, site_a)
    run_tasks()
    for _ in range(3):  # updates of the same incident
        send_incident_alert.enqueue(incident.pk)
    run_tasks()
    assert len(mail.outbox) == 1
    assert len(hook.requests) == 1
    # After the window a further update alerts again.
    Alert.objects.update(created_at=timezone.now() - timedelta(minutes=16))
    send_incident_alert.enqueue(incident.pk)
    run_tasks()
    assert len(mail.outbox) == 2


def test_failing_webhook_is_retried_with_back_off_and_logged(record, site_a, receiver, settings):
    settings.ALERT_WEBHOOK_BACKOFF_SECONDS = 30
    hook = receiver(500, 503, 200)
    endpoint(site_a, hook.url)
    critical(record, site_a)
    run_tasks()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.status_code) == (
        DeliveryStatus.RETRYING,
        1,
        500,
    )
    assert delivery.error == "HTTP 500 Internal Server Error"
    waited = delivery.next_attempt_at - delivery.last_attempt_at
    assert waited == timedelta(seconds=30)
    for expected_wait, attempts in ((timedelta(seconds=60), 2),):
        # The retry waits in the queue until its time; bring that time forward.
        assert run_tasks() == 0
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        run_tasks()
        delivery.refresh_from_db()
        assert delivery.attempts == attempts
        assert delivery.next_attempt_at - delivery.last_attempt_at == expected_wait
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_tasks()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.status_code, delivery.error) == (
        DeliveryStatus.DELIVERED,
        3,
        200,
        "",
    )
    assert len(hook.requests) == 3
    assert all(
        webhooks.verify(SECRET, body, headers["X-SkyLedger-Signature"])
        for headers, body in hook.requests
    )


def test_unreachable_webhook_fails_after_the_last_attempt(record, site_a, settings):
    settings.ALERT_WEBHOOK_MAX_ATTEMPTS = 2
    # Nothing listens on port 9 of 127.0.0.1 (discard): the connection is refused.
    endpoint(site_a, "http://127.0.0.1:9/hook")
    critical(record, site_a)
    run_tasks()
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_tasks()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.status_code) == (
        DeliveryStatus.FAILED,
        2,
        None,
    )
    assert "refused" in delivery.error.lower()
    assert delivery.next_attempt_at is None


def test_low_severity_incident_alerts_nobody_by_default(record, site_a, supervisor_email):
    centre = site_a.perimeter_shape().centroid
    lon, lat, _ = geo.WGS84.fwd(centre.x, centre.y, 90, 4000)
    from django.contrib.gis.geos import Point

    incident = record(site_a, location=Point(lon, lat, srid=4326))
    assert incident.severity == Severity.LOW
    run_tasks()
    assert mail.outbox == []
    assert not Alert.objects.exists()


def test_preference_by_zone_alerts_for_a_low_incident(record, site_a, supervisor_email):
    AlertPreference.objects.create(user=supervisor_email, min_severity="", zones=["ring"])
    centre = site_a.perimeter_shape().centroid
    lon, lat, _ = geo.WGS84.fwd(centre.x, centre.y, 90, 3000)
    from django.contrib.gis.geos import Point

    record(site_a, location=Point(lon, lat, srid=4326))
    run_tasks()
    assert len(mail.outbox) == 1


def test_email_opt_out_is_respected(record, site_a, supervisor_email):
    AlertPreference.objects.create(user=supervisor_email, email=False)
    critical(record, site_a)
    run_tasks()
    assert mail.outbox == []


def test_staff_and_other_sites_get_no_email(record, site_a, staff_a, staff_b, supervisor_email):
    staff_a.email, staff_b.email = "staff_a@example.org", "staff_b@example.org"
    staff_a.save()
    staff_b.save()
    critical(record, site_a)
    run_tasks()
    assert [m.to for m in mail.outbox] == [["supervisor_a@example.org"]]


def test_new_pattern_alerts_supervisors_and_webhooks(
    record, site_a, site_b, supervisor_email, staff_b, receiver
):
    hook = receiver(200)
    endpoint(site_a, hook.url, min_severity="")
    rid = [{"uas_id": "1581F5FKD229400AB", "uas_id_type": "serial"}]
    now = timezone.now()
    services_record = record
    services_record(site_a, first_seen=now - timedelta(days=2), drones=rid)
    services_record(site_b, reported_by=staff_b, first_seen=now - timedelta(hours=1), drones=rid)
    run_tasks()
    pattern_mails = [m for m in mail.outbox if "Pattern" in m.subject]
    assert len(pattern_mails) == 1
    assert "UAS ID 1581F5FKD229400AB was seen at 2 sites (CGK, DPS)" in pattern_mails[0].body
    kinds = [json.loads(body)["type"] for _, body in hook.requests]
    assert kinds.count("pattern") == 1
    # A re-run of the detector makes no new pattern and no new alert.
    patterns.detect()
    run_tasks()
    assert len([m for m in mail.outbox if "Pattern" in m.subject]) == 1


def test_endpoint_refuses_a_non_http_url(site_a):
    item = WebhookEndpoint(site=site_a, name="bad", url="ftp://example.org/x", secret=SECRET)
    with pytest.raises(Exception, match="Give an http:// or https:// address"):
        item.full_clean()


# --- The preferences page as each persona -----------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status", "notice"),
    [
        ("staff_a", 200, True),
        ("supervisor_a", 200, False),
        ("staff_b", 200, True),
        ("regulator", 200, True),
        ("admin", 200, False),
        ("anonymous", 302, False),
    ],
)
def test_preferences_page_as_each_persona(client, personas, persona, status, notice):
    if persona != "anonymous":
        client.force_login(personas[persona])
    response = client.get(reverse("alert_preferences"))
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert "Alert preferences" in page
        assert ("You are not a supervisor" in page) is notice


def test_supervisor_saves_preferences(client, supervisor_a):
    client.force_login(supervisor_a)
    response = client.post(
        reverse("alert_preferences"),
        {"email": "on", "min_severity": "high", "zones": ["inside"], "patterns": ""},
        follow=True,
    )
    assert "Your alert preferences are saved." in response.content.decode()
    saved = AlertPreference.objects.get(user=supervisor_a)
    assert (saved.email, saved.min_severity, saved.zones, saved.patterns) == (
        True,
        "high",
        ["inside"],
        False,
    )


def test_bad_preference_says_what_to_fix_and_keeps_the_rest(client, supervisor_a):
    client.force_login(supervisor_a)
    response = client.post(
        reverse("alert_preferences"), {"min_severity": "extreme", "zones": ["inside"]}
    )
    page = response.content.decode()
    assert "Select a valid choice" in page
    assert re.search(r'<input[^>]*value="inside"[^>]*checked', page)
    assert not AlertPreference.objects.exists()


def test_admin_lists_endpoints_and_deliveries(client, admin_user, site_a):
    endpoint(site_a, "https://soc.example.org/hook")
    client.force_login(admin_user)
    assert b"SOC" in client.get("/admin/incidents/webhookendpoint/").content
    assert client.get("/admin/incidents/webhookdelivery/").status_code == 200
    assert client.get("/admin/incidents/pattern/").status_code == 200
