"""Retention of operator personal data: clear it once a site's retention period has passed."""

import dataclasses
import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import audit
from ..models import Drone, Incident, Site
from ..privacy import DRONE_FIELDS, INCIDENT_FIELDS


@dataclasses.dataclass(frozen=True)
class RetentionResult:
    """What retention cleared (or, in a dry run, would clear) at one site."""

    site: str
    retention_days: int
    cutoff: datetime.datetime
    incidents: int
    drones: int
    fields: tuple


def _drones_with_personal_data():
    return Drone.objects.filter(
        ~Q(operator_id="") | Q(operator_location__isnull=False) | Q(takeoff_location__isnull=False)
    )


def apply_retention(*, now=None, dry_run=False):
    """Clear the operator ID, operator and take-off points and operator description of every
    incident first seen before its site's retention period (sites with no period keep them).

    Each site's clearing is one transaction, logged by the audit triggers (which keep only
    digests of personal values) and by one "retention" event naming the site, how many
    incidents and which fields: counts and names, never the data. Returns a RetentionResult
    per site that had something to clear.
    """
    now = now or timezone.now()
    results = []
    sites = Site.objects.filter(personal_data_retention_days__isnull=False).order_by("code")
    for site in sites:
        cutoff = now - datetime.timedelta(days=site.personal_data_retention_days)
        expired = Incident.objects.filter(site=site, first_seen__lt=cutoff)
        drones = _drones_with_personal_data().filter(incident__in=expired)
        described = expired.exclude(operator_description="")
        incident_ids = set(drones.values_list("incident_id", flat=True)) | set(
            described.values_list("pk", flat=True)
        )
        if not incident_ids:
            continue
        result = RetentionResult(
            site=site.code,
            retention_days=site.personal_data_retention_days,
            cutoff=cutoff,
            incidents=len(incident_ids),
            drones=drones.count(),
            fields=(
                *(f"drone.{f}" for f in DRONE_FIELDS),
                *(f"incident.{f}" for f in INCIDENT_FIELDS),
            ),
        )
        results.append(result)
        if dry_run:
            continue
        with transaction.atomic():
            drones.update(operator_id="", operator_location=None, takeoff_location=None)
            described.update(operator_description="")
            audit.record_event(
                "retention",
                details={
                    "site": site.code,
                    "retention_days": result.retention_days,
                    "cutoff": cutoff.isoformat(),
                    "incidents": result.incidents,
                    "drones": result.drones,
                    "fields": list(result.fields),
                },
            )
    return results
