"""Repeat offenders: every incident a UAS ID or an operator ID turned up in, at every site the
user may see, and the "seen before" counts an incident page shows."""

from django.db.models import Count, Max
from django.urls import reverse

from ..models import Drone, Incident
from ..privacy import may_see_personal_data, personal_data_site_ids


def _searchable(user, column):
    """Incidents the user may search by this kind of ID: an operator ID is personal data, so
    it is looked up only at sites whose operator data the user may see."""
    incidents = Incident.objects.visible_to(user)
    if column == "operator_id":
        site_ids = personal_data_site_ids(user)
        if site_ids is not None:
            incidents = incidents.filter(site_id__in=site_ids)
    return incidents


def incidents_with(user, *, uas_id=None, operator_id=None):
    """Incidents the user may see with a drone of this UAS ID (or operator ID), newest first.
    An operator ID is personal data: it is looked up only at sites whose operator data the
    user may see."""
    column, value = ("uas_id", uas_id) if uas_id else ("operator_id", operator_id)
    drones = Drone.objects.filter(**{column: value})
    return (
        _searchable(user, column)
        .filter(pk__in=drones.values("incident_id"))
        .select_related("site")
        .order_by("-first_seen")
    )


def seen_before(incident, user):
    """How often this incident's drones and operators were seen before it, in what the user
    may see. For the incident page:

        {"uas_ids": [{"id": "1581F...", "incidents": 2, "sites": 2,
                      "last_seen": datetime | None, "url": "/drones/uas/1581F.../"}, ...],
         "operator_ids": [... same keys ...]}

    Counts cover other incidents first seen before this one; an ID never seen before has
    incidents=0. IDs are listed once each, in the order of the incident's drones.
    """
    result = {"uas_ids": [], "operator_ids": []}
    drones = list(incident.drones.values_list("uas_id", "operator_id"))
    for key, column, index, url_name in (
        ("uas_ids", "uas_id", 0, "repeat_uas"),
        ("operator_ids", "operator_id", 1, "repeat_operator"),
    ):
        if column == "operator_id" and not may_see_personal_data(user, incident.site_id):
            continue
        values = list(dict.fromkeys(d[index] for d in drones if d[index]))
        if not values:
            continue
        earlier = (
            _searchable(user, column)
            .filter(first_seen__lt=incident.first_seen)
            .exclude(pk=incident.pk)
        )
        # One grouped query per kind of ID, however many drones the incident has.
        summaries = {
            row[column]: row
            for row in Drone.objects.filter(**{f"{column}__in": values, "incident__in": earlier})
            .values(column)
            .annotate(
                incidents=Count("incident", distinct=True),
                sites=Count("incident__site", distinct=True),
                latest=Max("incident__first_seen"),
            )
            .order_by()
        }
        for value in values:
            summary = summaries.get(value, {"incidents": 0, "sites": 0, "latest": None})
            result[key].append(
                {
                    "id": value,
                    "incidents": summary["incidents"],
                    "sites": summary["sites"],
                    "last_seen": summary["latest"],
                    "url": reverse(url_name, args=[value]),
                }
            )
    return result


def map_features(incidents):
    """A GeoJSON FeatureCollection of incidents for the page maps."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [i.location.x, i.location.y]},
                "properties": {
                    "reference": i.reference,
                    "site": i.site.code,
                    "first_seen": f"{i.first_seen:%Y-%m-%d %H:%M} UTC",
                    "severity": i.severity,
                },
            }
            for i in incidents
        ],
    }
