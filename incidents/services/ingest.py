"""Sensor ingest: detections in, grouped into sensor incidents, each stored exactly once.

`ingest_detections()` takes detections already parsed into `DetectionInput`s (the API does
the parsing, so this module knows no HTTP) and returns one `ItemResult` per input, in order.

Exactly once: a detection's client-chosen `detection_id` is unique. Sending it again with the
same body (same canonical JSON, so the same SHA-256) returns the stored result and stores
nothing; the same id with a different body is refused as a conflict.

Grouping (documented in the README): a detection joins an open sensor incident of its site
when a detection already in that incident is within `SKYLEDGER_INGEST_GROUP_GAP_S` seconds of
it and either has the same UAS ID or lies within `SKYLEDGER_INGEST_GROUP_DISTANCE_M` metres.
Otherwise it starts a new incident. Each UAS ID gets one Drone with its track; the incident's
location, zone, distance and severity follow the closest approach to the perimeter.

Concurrency: the sites of a batch are locked (FOR NO KEY UPDATE on PostGIS, so staff can still
record incidents; SpatiaLite takes its write lock at BEGIN) for the whole grouping, so two
requests can never both decide to open an incident for the same drone.
"""

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import LineString, Point
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from .. import geo
from ..choices import DetectionMethod, Source, Status, UasIdType
from ..geo import distances_to_perimeter_m
from ..models import (
    FUTURE_TOLERANCE,
    MAX_DISTANCE_FROM_SITE_M,
    Detection,
    Drone,
    Incident,
    Site,
)
from .incidents import record_incident

# Sensor incidents stay open to new detections until someone reports or closes them.
OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.UNDER_REVIEW)
MAX_BATCH = 1000


@dataclass
class DetectionInput:
    """One parsed, well-formed detection, not yet checked against the site or the store."""

    detection_id: object  # uuid.UUID
    body_sha256: str
    site: Site
    sensor_id: str
    time: datetime
    lon: float
    lat: float
    altitude_m: float | None = None
    detection_method: str = DetectionMethod.OTHER
    uas_id: str = ""
    uas_id_type: str = ""
    operator_id: str = ""
    operator_lon: float | None = None
    operator_lat: float | None = None
    signal: dict = field(default_factory=dict)
    remote_id: dict = field(default_factory=dict)


@dataclass
class ItemResult:
    """What happened to one detection: stored, duplicate (already stored), or refused."""

    status: str
    detection: Detection | None = None
    code: str = ""
    errors: dict = field(default_factory=dict)


def group_gap():
    return timedelta(seconds=settings.SKYLEDGER_INGEST_GROUP_GAP_S)


def ingest_detections(items, *, api_key=None):
    """Store each new detection once, grouped into sensor incidents; see the module doc.

    Returns one ItemResult per item, in the order given. Items are independent: a refused
    item never stops the others being stored.
    """
    for attempt in itertools.count():
        try:
            with transaction.atomic():
                return _ingest(items, api_key)
        except IntegrityError:
            # Another request stored one of these ids between our read and our write (only
            # possible across different sites, which do not share a lock); the next pass
            # sees it as stored and answers duplicate or conflict.
            if attempt >= 2:
                raise


def _ingest(items, api_key):
    sites = {item.site.pk: item.site for item in items}
    # Lock in a fixed order so two batches for the same sites cannot deadlock.
    list(Site.objects.filter(pk__in=sites).order_by("pk").select_for_update(**_no_key()))
    results = [None] * len(items)
    stored = {
        d.detection_id: d
        for d in Detection.objects.filter(
            detection_id__in=[item.detection_id for item in items]
        ).select_related("incident")
    }
    first_in_batch = {}
    fresh = []
    for index, item in enumerate(items):
        previous = stored.get(item.detection_id)
        if previous is not None:
            results[index] = _repeat(item, previous)
        elif item.detection_id in first_in_batch:
            earlier = first_in_batch[item.detection_id]
            if items[earlier].body_sha256 == item.body_sha256:
                results[index] = ("same_as", earlier)
            else:
                results[index] = _conflict()
        else:
            first_in_batch[item.detection_id] = index
            fresh.append(index)
    now = timezone.now()
    by_site = {}
    for index in fresh:
        by_site.setdefault(items[index].site.pk, []).append(index)
    for site_id, indices in by_site.items():
        site = sites[site_id]
        distances = distances_to_perimeter_m(
            [items[i].lon for i in indices], [items[i].lat for i in indices], site.perimeter_shape()
        )
        accepted = []
        for index, distance in zip(indices, distances, strict=True):
            problem = _site_problem(items[index], site, float(distance), now)
            if problem:
                results[index] = ItemResult("refused", code="invalid", errors=problem)
            else:
                accepted.append((items[index], float(distance), index))
        for index, detection in _store_for_site(site, accepted, api_key).items():
            results[index] = ItemResult("stored", detection=detection)
    for index, result in enumerate(results):
        if isinstance(result, tuple):
            original = results[result[1]]
            results[index] = (
                ItemResult("duplicate", detection=original.detection)
                if original.status == "stored"
                else original
            )
    return results


def _no_key():
    from django.db import connection

    return {"no_key": True} if connection.features.has_select_for_no_key_update else {}


def _repeat(item, previous):
    if previous.body_sha256 == item.body_sha256 and previous.site_id == item.site.pk:
        return ItemResult("duplicate", detection=previous)
    return _conflict()


def _conflict():
    return ItemResult(
        "refused",
        code="conflict",
        errors={
            "detection_id": [
                gettext(
                    "This detection_id was already used for a different detection. Send each "
                    "detection with its own new UUID; resend an id only with the identical body."
                )
            ]
        },
    )


def _site_problem(item, site, distance, now):
    errors = {}
    if distance > MAX_DISTANCE_FROM_SITE_M:
        errors["position"] = [
            gettext(
                "This position is %(km)s km from %(site)s's perimeter (more than %(max)s km). "
                "Check the coordinates and the site."
            )
            % {
                "km": f"{distance / 1000:,.0f}",
                "site": site.code,
                "max": MAX_DISTANCE_FROM_SITE_M // 1000,
            }
        ]
    if item.time > now + FUTURE_TOLERANCE:
        errors["time"] = [
            gettext(
                "This time is more than 5 minutes in the future. Check the sensor's clock and "
                "that the time carries its UTC offset."
            )
        ]
    return errors


# --- Grouping -------------------------------------------------------------------------


@dataclass
class _Group:
    incident: Incident | None
    members: list = field(default_factory=list)  # (time, lon, lat, uas_id) of every detection
    new: list = field(default_factory=list)  # (item, distance, index) to store


def _store_for_site(site, accepted, api_key):
    """Group accepted detections into incidents and store them; {index: Detection}."""
    if not accepted:
        return {}
    accepted.sort(key=lambda entry: (entry[0].time, str(entry[0].detection_id)))
    gap = group_gap()
    start, end = accepted[0][0].time - gap, accepted[-1][0].time + gap
    groups = {}
    open_incidents = Incident.objects.filter(
        site=site,
        source=Source.SENSOR,
        status__in=OPEN_STATUSES,
        first_seen__lte=end,
        last_seen__gte=start,
    )
    for incident in open_incidents:
        groups[incident.pk] = _Group(incident)
    for incident_id, time, location, uas_id in Detection.objects.filter(
        incident__in=list(groups), time__range=(start, end)
    ).values_list("incident_id", "time", "location", "uas_id"):
        groups[incident_id].members.append((time, location.x, location.y, uas_id))
    new_groups = []
    limit = settings.SKYLEDGER_INGEST_GROUP_DISTANCE_M
    for entry in accepted:
        item = entry[0]
        group = _find_group([*groups.values(), *new_groups], item, gap, limit)
        if group is None:
            group = _Group(None)
            new_groups.append(group)
        group.members.append((item.time, item.lon, item.lat, item.uas_id))
        group.new.append(entry)
    stored = {}
    for group in [*groups.values(), *new_groups]:
        if group.new:
            stored.update(_save_group(site, group, api_key))
    return stored


def _find_group(groups, item, gap, limit):
    """The group this detection belongs to: same UAS ID nearby in time first, then the
    nearest in space among groups with a detection within the time gap."""
    best, best_distance = None, None
    for group in groups:
        close = [m for m in group.members if abs(m[0] - item.time) <= gap]
        if not close:
            continue
        if item.uas_id and any(m[3] == item.uas_id for m in close):
            return group
        lons = np.array([m[1] for m in close])
        lats = np.array([m[2] for m in close])
        _, _, meters = geo.WGS84.inv(
            np.full_like(lons, item.lon), np.full_like(lats, item.lat), lons, lats
        )
        nearest = float(np.min(meters))
        if nearest <= limit and (best_distance is None or nearest < best_distance):
            best, best_distance = group, nearest
    return best


def _save_group(site, group, api_key):
    rows = []
    if group.incident is not None:
        rows = [
            (d.time, d.location.x, d.location.y, d.distance_m, d.altitude_m, d)
            for d in group.incident.detections.all()
        ]
    rows += [
        (item.time, item.lon, item.lat, distance, item.altitude_m, item)
        for item, distance, _ in group.new
    ]
    closest = min(rows, key=lambda row: (row[3], row[0]))
    uas_ids = sorted({_uas(row[5]) for row in rows} - {""})
    methods = sorted({_method(row[5]) for row in rows})
    fields = {
        "first_seen": min(row[0] for row in rows),
        "last_seen": max(row[0] for row in rows),
        "location": Point(closest[1], closest[2], srid=4326),
        "altitude_m": _altitude(closest[4]),
        "drone_count": max(1, len(uas_ids)),
        "detection_methods": methods,
    }
    incident = group.incident
    if incident is None:
        incident = record_incident(
            site=site,
            reported_by=None,
            source=Source.SENSOR,
            status=Status.DRAFT,
            narrative="Opened from sensor detections.",
            **fields,
        )
    else:
        for name, value in fields.items():
            setattr(incident, name, value)
        incident.full_clean()
        incident.save()
    drones = {d.uas_id: d for d in incident.drones.filter(uas_id__in=uas_ids)}
    for uas_id in uas_ids:
        mine = sorted((row for row in rows if _uas(row[5]) == uas_id), key=lambda row: row[0])
        drone = drones.get(uas_id) or Drone(incident=incident, uas_id=uas_id)
        latest = mine[-1][5]
        drone.uas_id_type = drone.uas_id_type or latest.uas_id_type or UasIdType.SERIAL
        drone.operator_id = latest.operator_id or drone.operator_id
        operator = _operator(latest)
        if operator is not None:
            drone.operator_location = operator
        points = [(row[1], row[2]) for row in mine]
        drone.track = LineString(points, srid=4326) if len(set(points)) > 1 else None
        drone.full_clean()
        drone.save()
        drones[uas_id] = drone
    stored = {}
    created = Detection.objects.bulk_create(
        [
            _detection(item, distance, site, incident, drones, api_key)
            for item, distance, _ in group.new
        ]
    )
    for (_, _, index), detection in zip(group.new, created, strict=True):
        detection.incident = incident
        stored[index] = detection
    return stored


def _uas(source):
    return source.uas_id


def _method(source):
    return source.detection_method


def _operator(source):
    if isinstance(source, Detection):
        return source.operator_location
    if source.operator_lon is None:
        return None
    return Point(source.operator_lon, source.operator_lat, srid=4326)


def _altitude(value):
    # The incident keeps only plausible heights above ground; the detection keeps the raw one.
    if value is None or not -500 <= value <= 20000:
        return None
    return value


def _detection(item, distance, site, incident, drones, api_key):
    where = geo.classify_zone(distance, site.zone_radii_m)
    return Detection(
        detection_id=item.detection_id,
        body_sha256=item.body_sha256,
        site=site,
        api_key=api_key,
        sensor_id=item.sensor_id,
        time=item.time,
        location=Point(item.lon, item.lat, srid=4326),
        altitude_m=item.altitude_m,
        detection_method=item.detection_method,
        uas_id=item.uas_id,
        uas_id_type=item.uas_id_type,
        operator_id=item.operator_id,
        operator_location=_operator(item),
        signal=item.signal,
        remote_id=item.remote_id,
        zone=where.zone,
        distance_m=round(where.distance_m, 1),
        incident=incident,
        drone=drones.get(item.uas_id),
    )
