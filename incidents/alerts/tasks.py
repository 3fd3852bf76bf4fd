"""Background tasks for alerts, run by `python manage.py db_worker`."""

from django_tasks import task

from ..choices import DeliveryStatus
from ..models import WebhookDelivery
from . import dispatch, webhooks


def _send_deliveries(alert):
    if alert is not None:
        for delivery in alert.deliveries_queued:
            deliver_webhook.enqueue(delivery.pk)


@task()
def send_incident_alert(incident_id):
    """Email and queue webhooks about an incident (see dispatch.alert_incident)."""
    alert = dispatch.alert_incident(incident_id)
    _send_deliveries(alert)
    return alert.pk if alert else None


@task()
def send_pattern_alert(pattern_id):
    """Email and queue webhooks about a new pattern (see dispatch.alert_pattern)."""
    alert = dispatch.alert_pattern(pattern_id)
    _send_deliveries(alert)
    return alert.pk if alert else None


@task()
def deliver_webhook(delivery_id):
    """One attempt at a webhook delivery; after a failure, the next try is scheduled with
    exponential back-off until ALERT_WEBHOOK_MAX_ATTEMPTS."""
    delivery = (
        WebhookDelivery.objects.select_related("endpoint")
        .filter(pk=delivery_id, status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING])
        .first()
    )
    if delivery is None:
        return None
    webhooks.attempt(delivery)
    if delivery.status == DeliveryStatus.RETRYING:
        deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
    return delivery.status


def queue_incident_alert(incident):
    """Ask the worker to consider alerting about an incident (new, or just updated)."""
    send_incident_alert.enqueue(incident.pk)
