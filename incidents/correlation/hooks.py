"""What happens when an incident is recorded: called by services.record_incident inside its
transaction, so the event link and the queued tasks commit (or roll back) with it."""

from ..alerts.tasks import queue_incident_alert
from .events import link_incident
from .tasks import detect_patterns_after


def incident_recorded(incident):
    """Link the incident to its event now; detect patterns and alert in the background."""
    link_incident(incident)
    detect_patterns_after.enqueue(incident.pk)
    queue_incident_alert(incident)
