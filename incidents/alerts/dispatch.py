"""Who gets an alert about what, and the rule against alert storms."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import Alert, Incident, Pattern, WebhookEndpoint
from . import email, webhooks


def alert_incident(incident_id):
    """Alert the site's supervisors and webhooks about an incident, if their rules want it
    and no alert about it went out within ALERT_UPDATE_WINDOW_MINUTES.

    Returns the Alert made, or None. Webhook deliveries are returned queued, not sent.
    """
    now = timezone.now()
    window = timedelta(minutes=settings.ALERT_UPDATE_WINDOW_MINUTES)
    with transaction.atomic():
        # The row lock makes concurrent updates of one incident queue here, so only one of
        # them sees "no recent alert".
        incident = (
            Incident.objects.select_for_update().select_related("site").filter(pk=incident_id)
        ).first()
        if incident is None:
            return None
        if incident.alerts.filter(created_at__gte=now - window).exists():
            return None
        users = email.incident_recipients(incident)
        endpoints = [
            e
            for e in WebhookEndpoint.objects.filter(site_id=incident.site_id, active=True)
            if e.wants(incident)
        ]
        if not users and not endpoints:
            return None
        alert = Alert.objects.create(incident=incident, created_at=now)
        deliveries = [
            webhooks.queue(e, alert, webhooks.incident_payload(incident)) for e in endpoints
        ]
        alert.webhooks_queued = len(deliveries)
        alert.save(update_fields=["webhooks_queued"])
    alert.emails_sent = email.send_incident_email(incident, users)
    alert.save(update_fields=["emails_sent"])
    alert.deliveries_queued = deliveries
    return alert


def alert_pattern(pattern_id):
    """Alert the supervisors and webhooks of every site involved in a new pattern, once."""
    with transaction.atomic():
        pattern = Pattern.objects.select_for_update().filter(pk=pattern_id).first()
        if pattern is None or pattern.alerts.exists():
            return None
        site_ids = list(pattern.incidents.values_list("site_id", flat=True).distinct())
        users = email.pattern_recipients(pattern)
        endpoints = list(
            WebhookEndpoint.objects.filter(site_id__in=site_ids, active=True, patterns=True)
        )
        if not users and not endpoints:
            return None
        alert = Alert.objects.create(pattern=pattern, created_at=timezone.now())
        deliveries = [
            webhooks.queue(e, alert, webhooks.pattern_payload(pattern)) for e in endpoints
        ]
        alert.webhooks_queued = len(deliveries)
        alert.save(update_fields=["webhooks_queued"])
    alert.emails_sent = email.send_pattern_email(pattern, users)
    alert.save(update_fields=["emails_sent"])
    alert.deliveries_queued = deliveries
    return alert
