"""The verbs of incidents. Views, the API and commands call these rather than changing an
incident's status or severity by hand. (The Django admin, the administrators' own tool, edits
through the same model validation and writes the same timeline entries itself.)

Each function validates through the models' `full_clean()` and raises `ValidationError`
for bad data, or `ServiceError` (with a `code`) when the request itself is not allowed.
"""

from django.db import transaction
from django.utils import timezone

from ..choices import STAFF_TRANSITIONS, TRANSITIONS, Role, Severity, Status, TimelineKind
from ..correlation.hooks import incident_recorded
from ..models import Drone, Incident, IncidentAction, SiteMembership, TimelineEntry
from .errors import ServiceError


def role_at(user, site):
    """The user's role at a site (a Role value), or None if not a member."""
    if not user or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.SUPERVISOR
    return (
        SiteMembership.objects.filter(user=user, site=site).values_list("role", flat=True).first()
    )


def record_incident(*, site, reported_by, actions=(), drones=(), **fields):
    """Record a new incident at a site and start its timeline.

    `fields` are Incident fields; `actions` is a list of dicts of IncidentAction fields and
    `drones` a list of dicts of Drone fields (one per drone identified).
    A staff report needs a member of the site; sensor and import sources may pass
    reported_by=None.
    """
    if reported_by is not None and role_at(reported_by, site) is None:
        raise ServiceError(
            "not_a_member", f"You are not a member of {site.code} and cannot report there."
        )
    incident = Incident(site=site, reported_by=reported_by, **fields)
    incident.full_clean()
    with transaction.atomic():
        incident.save()
        for action in actions:
            item = IncidentAction(incident=incident, recorded_by=reported_by, **action)
            item.full_clean()
            item.save()
        for drone in drones:
            item = Drone(incident=incident, **drone)
            item.full_clean()
            item.save()
        TimelineEntry.objects.create(
            incident=incident,
            kind=TimelineKind.CREATED,
            author=reported_by,
            at=incident.reported_at,
            to_status=incident.status,
            text=f"Recorded as {incident.get_source_display().lower()}.",
        )
        incident_recorded(incident)
    return incident


def change_status(incident, user, new_status, note="", at=None):
    """Move an incident to a new status, if the transition and the user's role allow it."""
    new_status = Status(new_status)
    current = Status(incident.status)
    if new_status not in TRANSITIONS[current]:
        allowed = ", ".join(str(s.label) for s in incident.allowed_next_statuses()) or "nothing"
        raise ServiceError(
            "transition_not_allowed",
            f"An incident cannot go from {current.label} to {new_status.label}. "
            f"From {current.label} it can go to: {allowed}.",
        )
    role = role_at(user, incident.site)
    if role is None or (role == Role.STAFF and (current, new_status) not in STAFF_TRANSITIONS):
        raise ServiceError(
            "not_allowed",
            f"Only a supervisor of {incident.site.code} can move an incident from "
            f"{current.label} to {new_status.label}.",
        )
    if new_status == Status.DRAFT and not note.strip():
        raise ServiceError(
            "note_required", "Say what needs fixing when sending an incident back to draft."
        )
    with transaction.atomic():
        incident.status = new_status
        incident.full_clean()
        incident.save()
        TimelineEntry.objects.create(
            incident=incident,
            kind=TimelineKind.STATUS,
            author=user,
            at=at or timezone.now(),
            from_status=current,
            to_status=new_status,
            text=note,
        )
    return incident


def override_severity(incident, user, severity, reason, at=None):
    """Set (or, with severity="", clear) a supervisor's override of the computed severity."""
    if role_at(user, incident.site) != Role.SUPERVISOR:
        raise ServiceError(
            "not_allowed", f"Only a supervisor of {incident.site.code} can override severity."
        )
    if severity:
        severity = Severity(severity)
    if severity and not reason.strip():
        raise ServiceError("reason_required", "Give a reason for overriding the severity.")
    before = incident.get_severity_display()
    with transaction.atomic():
        incident.severity_override = severity
        incident.severity_override_reason = reason if severity else ""
        incident.full_clean()
        incident.save()
        summary = (
            f"Severity {before} → {incident.get_severity_display()}"
            if severity
            else f"Override cleared; severity back to {incident.get_severity_display()}"
        )
        TimelineEntry.objects.create(
            incident=incident,
            kind=TimelineKind.SEVERITY,
            author=user,
            at=at or timezone.now(),
            text=f"{summary}. {reason}".strip(),
        )
    return incident


def add_comment(incident, user, text):
    """Add a comment to an incident's timeline."""
    if role_at(user, incident.site) is None:
        raise ServiceError("not_allowed", f"Only members of {incident.site.code} can comment.")
    entry = TimelineEntry(
        incident=incident, kind=TimelineKind.COMMENT, author=user, text=text.strip()
    )
    entry.full_clean()
    entry.save()
    return entry


def recompute_site(site):
    """Recompute zone, distance and severity of a site's incidents after its perimeter or
    alert rings change. Returns the number of incidents updated."""
    count = 0
    with transaction.atomic():
        for incident in site.incidents.select_related("site").iterator(chunk_size=500):
            incident.site = site
            incident.refresh_derived()
            Incident.objects.filter(pk=incident.pk).update(
                zone=incident.zone,
                zone_ring_m=incident.zone_ring_m,
                distance_m=incident.distance_m,
                computed_severity=incident.computed_severity,
                severity=incident.severity,
            )
            count += 1
    return count
