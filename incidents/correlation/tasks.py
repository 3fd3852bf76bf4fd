"""Background tasks for correlation, run by `python manage.py db_worker`."""

from django_tasks import task

from ..alerts.tasks import send_pattern_alert
from ..models import Incident
from . import patterns


@task()
def detect_patterns_after(incident_id):
    """Run the pattern detector around a new incident; alert about each new pattern."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        return []
    created = patterns.detect_around(incident)
    for pattern in created:
        send_pattern_alert.enqueue(pattern.pk)
    return [p.pk for p in created]
