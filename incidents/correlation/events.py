"""Events: incidents of one site that overlap in time and place are one occurrence.

`link_incident()` runs as each incident is recorded and joins it to the event of every
incident it corroborates. Supervisors can also merge duplicate incidents into one survivor
and split them again; both are kept in each incident's timeline, and nothing is deleted.
"""

from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone

from .. import geo
from ..choices import Corroboration, Role, Source, TimelineKind
from ..models import Drone, Event, EventMembership, Incident, IncidentMerge, TimelineEntry
from ..services.errors import ServiceError


def _end(incident):
    return incident.last_seen or incident.first_seen


def corroborating(incident):
    """Other incidents of the same site whose time window overlaps this one's (give or take
    CORRELATION_TIME_MARGIN_MINUTES) and whose location is within CORRELATION_DISTANCE_M
    metres of it, measured on the ellipsoid."""
    margin = timedelta(minutes=settings.CORRELATION_TIME_MARGIN_MINUTES)
    candidates = list(
        Incident.objects.filter(site_id=incident.site_id, first_seen__lte=_end(incident) + margin)
        .annotate(end=Coalesce("last_seen", "first_seen"))
        .filter(end__gte=incident.first_seen - margin)
        .exclude(pk=incident.pk)
        .only("pk", "location", "first_seen", "last_seen")
    )
    if not candidates:
        return []
    lons = np.array([c.location.x for c in candidates])
    lats = np.array([c.location.y for c in candidates])
    _, _, metres = geo.WGS84.inv(
        np.full_like(lons, incident.location.x), np.full_like(lats, incident.location.y), lons, lats
    )
    return [
        c for c, d in zip(candidates, metres, strict=True) if d <= settings.CORRELATION_DISTANCE_M
    ]


def corroboration_of(incidents):
    """The corroboration level of a set of incidents (see choices.Corroboration)."""
    sources = {i.source for i in incidents}
    sensor_ids = [i.pk for i in incidents if i.source == Source.SENSOR]
    if sensor_ids and Drone.objects.filter(incident_id__in=sensor_ids).exclude(uas_id="").exists():
        return Corroboration.SENSOR_REMOTE_ID
    if Source.SENSOR in sources and sources - {Source.SENSOR}:
        return Corroboration.REPORT_AND_SENSOR
    if len(incidents) > 1:
        return Corroboration.SEVERAL_REPORTS
    return Corroboration.ONE_REPORT


def refresh_event(event):
    """Recompute an event's time span and corroboration from its incidents."""
    incidents = list(Incident.objects.filter(event_membership__event=event))
    event.first_seen = min(i.first_seen for i in incidents)
    event.last_seen = max(_end(i) for i in incidents)
    event.corroboration = corroboration_of(incidents)
    event.save(update_fields=["first_seen", "last_seen", "corroboration", "updated_at"])
    return event


@transaction.atomic
def link_incident(incident):
    """Put a newly recorded incident in an event with the incidents it corroborates.

    When it bridges incidents that were in different events (a long sensor track across two
    sightings), those events become one: the oldest keeps its identity, the others' links
    move to it and the emptied events are removed.
    """
    matches = corroborating(incident)
    events = list(
        Event.objects.filter(memberships__incident__in=[m.pk for m in matches])
        .distinct()
        .order_by("created_at", "pk")
    )
    if events:
        event = events[0]
        others = [e.pk for e in events[1:]]
        if others:
            EventMembership.objects.filter(event_id__in=others).update(event=event)
            Event.objects.filter(pk__in=others).delete()
    else:
        event = Event.objects.create(
            site_id=incident.site_id, first_seen=incident.first_seen, last_seen=_end(incident)
        )
    EventMembership.objects.update_or_create(incident=incident, defaults={"event": event})
    # Incidents recorded before correlation existed have no event yet: bring them in too.
    for match in matches:
        EventMembership.objects.get_or_create(incident=match, defaults={"event": event})
    return refresh_event(event)


def event_of(incident):
    """The incident's event, or None if it has none."""
    return Event.objects.filter(memberships__incident=incident).first()


# --- Merging and splitting --------------------------------------------------------------


def survivor_of(incident):
    """The incident this one was merged into (following chains), or None if not merged."""
    survivor, seen = None, {incident.pk}
    current = incident
    while True:
        merge = IncidentMerge.objects.filter(incident=current, split_at__isnull=True).first()
        if merge is None or merge.merged_into_id in seen:
            return survivor
        survivor = current = merge.merged_into
        seen.add(current.pk)


def _require_supervisor(user, site):
    from ..services import role_at

    if role_at(user, site) != Role.SUPERVISOR:
        raise ServiceError(
            "not_allowed", f"Only a supervisor of {site.code} can merge or split its incidents."
        )


def merge_incidents(survivor, others, user, reason=""):
    """Merge duplicate incidents into a survivor. Each merged incident keeps its reference
    and data and points to the survivor; every incident involved gets a timeline entry."""
    others = [o for o in others if o.pk != survivor.pk]
    if not others:
        raise ServiceError("nothing_to_merge", "Choose at least one other incident to merge.")
    _require_supervisor(user, survivor.site)
    wrong_site = [o.reference for o in others if o.site_id != survivor.site_id]
    if wrong_site:
        raise ServiceError(
            "different_site",
            f"Only incidents of the same site can be merged; {', '.join(wrong_site)} "
            f"is not at {survivor.site.code}.",
        )
    now = timezone.now()
    with transaction.atomic():
        locked = {
            i.pk: i
            for i in Incident.objects.select_for_update().filter(
                pk__in=[survivor.pk, *(o.pk for o in others)]
            )
        }
        if survivor_of(locked[survivor.pk]) is not None:
            raise ServiceError(
                "survivor_merged",
                f"{survivor.reference} is itself merged into another incident; "
                "choose that one as the survivor.",
            )
        active = IncidentMerge.objects.filter(split_at__isnull=True)
        already = active.filter(incident_id__in=[o.pk for o in others]).select_related(
            "incident", "merged_into"
        )
        if already:
            merge = already[0]
            raise ServiceError(
                "already_merged",
                f"{merge.incident.reference} is already merged into "
                f"{merge.merged_into.reference}; split it first.",
            )
        hosts = active.filter(merged_into_id__in=[o.pk for o in others]).select_related(
            "merged_into"
        )
        if hosts:
            raise ServiceError(
                "has_merged",
                f"Other incidents are merged into {hosts[0].merged_into.reference}; choose it "
                "as the survivor, or split them first.",
            )
        for other in others:
            IncidentMerge.objects.create(
                incident=other, merged_into=survivor, merged_by=user, merged_at=now, reason=reason
            )
            TimelineEntry.objects.create(
                incident=other,
                kind=TimelineKind.MERGED,
                author=user,
                at=now,
                text=f"Merged into {survivor.reference}. {reason}".strip(),
            )
        TimelineEntry.objects.create(
            incident=survivor,
            kind=TimelineKind.MERGED,
            author=user,
            at=now,
            text=f"{', '.join(o.reference for o in others)} merged into this incident. "
            f"{reason}".strip(),
        )
    return survivor


def split_incident(incident, user, reason=""):
    """Undo the merge of an incident into its survivor; both timelines record the split."""
    _require_supervisor(user, incident.site)
    if not reason.strip():
        raise ServiceError("reason_required", "Say why this incident is being split off.")
    now = timezone.now()
    with transaction.atomic():
        merge = (
            IncidentMerge.objects.select_for_update()
            .filter(incident=incident, split_at__isnull=True)
            .select_related("merged_into")
            .first()
        )
        if merge is None:
            raise ServiceError(
                "not_merged", f"{incident.reference} is not merged into another incident."
            )
        merge.split_at, merge.split_by, merge.split_reason = now, user, reason
        merge.save(update_fields=["split_at", "split_by", "split_reason"])
        TimelineEntry.objects.create(
            incident=incident,
            kind=TimelineKind.SPLIT,
            author=user,
            at=now,
            text=f"Split from {merge.merged_into.reference}. {reason}".strip(),
        )
        TimelineEntry.objects.create(
            incident=merge.merged_into,
            kind=TimelineKind.SPLIT,
            author=user,
            at=now,
            text=f"{incident.reference} split off. {reason}".strip(),
        )
    return incident


def with_merge_state(incidents):
    """Annotate a queryset of incidents with `is_merged` (merged into another, now)."""
    return incidents.annotate(
        is_merged=Exists(
            IncidentMerge.objects.filter(incident=OuterRef("pk"), split_at__isnull=True)
        )
    )
