"""Signed webhooks: JSON POSTed to each endpoint, signed with its secret.

The receiver checks `X-SkyLedger-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw request
body under the shared secret (see `verify()`). The body carries `sent_at`, the same instant
as the `X-SkyLedger-Timestamp` header (Unix seconds), so the signature covers the time too
and a receiver can refuse replays of old deliveries.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from ..choices import DeliveryStatus
from ..models import WebhookDelivery

SIGNATURE_HEADER = "X-SkyLedger-Signature"
TIMESTAMP_HEADER = "X-SkyLedger-Timestamp"


def sign(secret, body):
    """The signature header value for a raw body (bytes)."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret, body, signature):
    """What a receiver does: recompute the signature and compare in constant time."""
    return hmac.compare_digest(sign(secret, body), signature or "")


def incident_payload(incident):
    return {
        "type": "incident",
        "reference": incident.reference,
        "site": incident.site.code,
        "severity": incident.severity,
        "zone": incident.zone,
        "distance_m": incident.distance_m,
        "drone_count": incident.drone_count,
        "first_seen": incident.first_seen.isoformat(),
        "location": {"lon": incident.location.x, "lat": incident.location.y},
        "url": settings.SITE_URL + reverse("incident_detail", args=[incident.reference]),
    }


def pattern_payload(pattern):
    return {
        "type": "pattern",
        "id": pattern.pk,
        "kind": pattern.kind,
        "explanation": pattern.explanation,
        "first_seen": pattern.first_seen.isoformat(),
        "last_seen": pattern.last_seen.isoformat(),
        "references": sorted(pattern.incidents.values_list("reference", flat=True)),
        "url": settings.SITE_URL + reverse("pattern_detail", args=[pattern.pk]),
    }


def backoff(attempts):
    """How long to wait before the next try, after `attempts` failed ones."""
    return timedelta(seconds=settings.ALERT_WEBHOOK_BACKOFF_SECONDS * 2 ** (attempts - 1))


def attempt(delivery):
    """Try one delivery once and record the outcome. Returns True if it was accepted (2xx).

    After a failure the delivery is marked retrying, with its next attempt time, until
    ALERT_WEBHOOK_MAX_ATTEMPTS is reached; then it is failed.
    """
    now = timezone.now()
    endpoint = delivery.endpoint
    sent_at = int(time.time())
    body = json.dumps({**delivery.payload, "sent_at": sent_at}, sort_keys=True).encode()
    request = urllib.request.Request(
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "SkyLedger-webhook/1",
            SIGNATURE_HEADER: sign(endpoint.secret, body),
            TIMESTAMP_HEADER: str(sent_at),
        },
    )
    delivery.attempts += 1
    delivery.last_attempt_at = now
    try:
        with urllib.request.urlopen(
            request, timeout=settings.ALERT_WEBHOOK_TIMEOUT_SECONDS
        ) as response:
            delivery.status_code = response.status
            delivery.error = ""
    except urllib.error.HTTPError as exc:
        delivery.status_code = exc.code
        delivery.error = f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        delivery.status_code = None
        delivery.error = str(getattr(exc, "reason", exc))[:1000]
    ok = delivery.status_code is not None and 200 <= delivery.status_code < 300
    if ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            DeliveryStatus.DELIVERED,
            now,
            None,
        )
    elif delivery.attempts >= settings.ALERT_WEBHOOK_MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    else:
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save()
    return ok


def queue(endpoint, alert, payload):
    """A pending delivery of a payload to an endpoint (the task worker sends it)."""
    return WebhookDelivery.objects.create(endpoint=endpoint, alert=alert, payload=payload)
