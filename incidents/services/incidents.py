"""The verbs of incidents. Views, the API and commands call these rather than changing an
incident's status or severity by hand. (The Django admin, the administrators' own tool, edits
through the same model validation and writes the same timeline entries itself.)

Each function validates through the models' `full_clean()` and raises `ValidationError`
for bad data, or `ServiceError` (with a `code`) when the request itself is not allowed.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..choices import STAFF_TRANSITIONS, TRANSITIONS, Role, Severity, Status, TimelineKind
from ..correlation.hooks import incident_recorded
from ..models import Drone, Evidence, Incident, IncidentAction, SiteMembership, TimelineEntry
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


def check_status_change(incident, user, new_status, note=""):
    """Raise ServiceError unless the user may move the incident to new_status now."""
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


def change_status(incident, user, new_status, note="", at=None):
    """Move an incident to a new status, if the transition and the user's role allow it."""
    check_status_change(incident, user, new_status, note)
    new_status = Status(new_status)
    current = Status(incident.status)
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


def check_severity_override(incident, user):
    """Raise ServiceError unless the user may override the incident's severity."""
    if role_at(user, incident.site) != Role.SUPERVISOR:
        raise ServiceError(
            "not_allowed", f"Only a supervisor of {incident.site.code} can override severity."
        )


def override_severity(incident, user, severity, reason, at=None):
    """Set (or, with severity="", clear) a supervisor's override of the computed severity."""
    check_severity_override(incident, user)
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


def record_sighting(*, site, reported_by, submission_token, files=(), **kwargs):
    """Record a staff sighting from the web form, with its evidence files, exactly once.

    `submission_token` is the UUID the form was served with: a repeated POST of the same form
    (a double tap, a retry after a timeout) returns the incident already stored for it instead
    of storing a second one. Returns (incident, created). Other arguments are those of
    record_incident().
    """
    existing = Incident.objects.filter(submission_token=submission_token).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            incident = record_incident(
                site=site, reported_by=reported_by, submission_token=submission_token, **kwargs
            )
            for upload in files:
                evidence = Evidence(incident=incident, file=upload, uploaded_by=reported_by)
                evidence.full_clean()
                evidence.save()
    except (IntegrityError, ValidationError) as error:
        # The same form arrived twice at once and the other request stored it first (caught
        # by full_clean's uniqueness check, or by the database's unique index).
        if isinstance(error, ValidationError) and "submission_token" not in getattr(
            error, "error_dict", {}
        ):
            raise
        existing = Incident.objects.filter(submission_token=submission_token).first()
        if existing is None:
            raise
        return existing, False
    return incident, True


# What a person may change after recording; the site, status, source, derived fields and
# the severity override (which has its own verb) are not.
EDITABLE_FIELDS = frozenset(
    f.name
    for f in Incident._meta.concrete_fields
    if f.editable
    and f.name
    not in {
        "id",
        "site",
        "status",
        "source",
        "external_id",
        "reported_by",
        "reported_at",
        "submission_token",
        "severity_override",
        "severity_override_reason",
    }
)


def check_may_edit(incident, user):
    """Raise ServiceError unless the user may edit the incident's details.

    Supervisors may until it is closed (reopen it first); staff only while it is a draft
    (new, or sent back to them); regulators and non-members never.
    """
    role = role_at(user, incident.site)
    if role == Role.SUPERVISOR and incident.status != Status.CLOSED:
        return
    if role == Role.STAFF and incident.status == Status.DRAFT:
        return
    if role == Role.SUPERVISOR:
        raise ServiceError(
            "not_allowed", "This incident is closed: reopen it before editing its details."
        )
    if role == Role.STAFF:
        raise ServiceError(
            "not_allowed",
            f"This incident is {incident.get_status_display()}: only a supervisor of "
            f"{incident.site.code} can edit it now.",
        )
    raise ServiceError("not_allowed", f"Only members of {incident.site.code} can edit incidents.")


def may_edit(user, incident):
    """True when `check_may_edit` would let the user edit the incident."""
    try:
        check_may_edit(incident, user)
    except ServiceError:
        return False
    return True


def _shown(incident, name, value):
    """A field value as people read it on the timeline."""
    field = Incident._meta.get_field(name)
    if value is None or value == "" or value == []:
        return ""
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    item_choices = getattr(field, "item_choices", None)
    if item_choices:
        labels = dict(item_choices)
        return ", ".join(str(labels.get(item, item)) for item in value)
    if hasattr(value, "coords"):
        return f"{value.y:.6f}, {value.x:.6f}"
    if hasattr(value, "astimezone"):
        return value.astimezone(incident.site.tzinfo).strftime("%Y-%m-%d %H:%M %Z")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _same(before, after):
    if hasattr(before, "equals_exact") and hasattr(after, "equals_exact"):
        return before.equals_exact(after, 1e-9)
    return before == after


def update_incident(incident, user, changes, at=None):
    """Change an incident's details and put each changed field on its timeline.

    `changes` maps Incident field names to new values. Status and severity overrides have
    their own verbs (change_status, override_severity) and are refused here. Returns the
    list of TimelineEntry rows written (empty when nothing changed).
    """
    check_may_edit(incident, user)
    refused = set(changes) - EDITABLE_FIELDS
    if refused:
        raise ServiceError(
            "not_editable",
            f"These fields cannot be edited here: {', '.join(sorted(refused))}.",
        )
    at = at or timezone.now()
    diffs = []
    for name, value in changes.items():
        before = getattr(incident, name)
        if not _same(before, value):
            diffs.append((name, _shown(incident, name, before)))
            setattr(incident, name, value)
    if not diffs:
        return []
    with transaction.atomic():
        incident.full_clean()
        incident.save()
        entries = [
            TimelineEntry(
                incident=incident,
                kind=TimelineKind.EDIT,
                author=user,
                at=at,
                field=name,
                old_value=old,
                new_value=_shown(incident, name, getattr(incident, name)),
                text=str(Incident._meta.get_field(name).verbose_name),
            )
            for name, old in diffs
        ]
        TimelineEntry.objects.bulk_create(entries)
    return entries
