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

import bisect
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import LineString, Point
from django.db import IntegrityError, connection, transaction
from django.db.models import FloatField, Func
from django.utils import timezone
from django.utils.translation import gettext

from .. import geo
from ..bulkinsert import insert_fields, insert_rows
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
    _lock(sites)
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
    created = []
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
        created += _store_for_site(site, accepted, api_key)
    # One INSERT for every detection of the batch, whatever its site and incident.
    _insert_detections([detection for _, detection in created])
    for index, detection in created:
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


def _insert_detections(detections):
    """Store the detections in one statement (bulkinsert: COPY or one executemany). The rows'
    ids are not read back: nothing uses them."""
    if not detections:
        return
    now = timezone.now()
    for detection in detections:
        detection.received_at = now  # auto_now_add, as bulk_create would set it
    names = [f.attname for f in insert_fields(Detection)]
    insert_rows(Detection, ([getattr(d, name) for name in names] for d in detections))
    for detection in detections:
        detection._state.adding = False
        detection._state.db = connection.alias


def _lock(site_ids):
    """Lock the batch's sites in a fixed order, so two batches for the same sites cannot
    deadlock. SpatiaLite has no row locks: its write lock, taken at BEGIN, serves."""
    if not connection.features.has_select_for_update:
        return
    no_key = {"no_key": True} if connection.features.has_select_for_no_key_update else {}
    list(
        Site.objects.filter(pk__in=site_ids)
        .order_by("pk")
        .select_for_update(**no_key)
        .values_list("pk", flat=True)
    )


def _repeat(item, previous):
    if previous.body_sha256 == item.body_sha256 and previous.site_id == item.site.pk:
        previous.site = item.site  # the answer names the site: no query per duplicate
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


def _x(column):
    return Func(column, function="ST_X", output_field=FloatField())


def _y(column):
    return Func(column, function="ST_Y", output_field=FloatField())


@dataclass
class _Group:
    """An incident (or one to open) and the time, place and UAS ID of its detections, kept
    in time order so the detections near a given time are found by bisection."""

    incident: Incident | None
    times: list = field(default_factory=list)
    lons: list = field(default_factory=list)
    lats: list = field(default_factory=list)
    uas_times: dict = field(default_factory=dict)  # UAS ID: its detections' times, sorted
    new: list = field(default_factory=list)  # (item, distance, index) to store
    stored: list = field(default_factory=list)  # the incident's detections, in time order

    def add(self, time, lon, lat, uas_id):
        at = bisect.bisect_right(self.times, time)
        self.times.insert(at, time)
        self.lons.insert(at, lon)
        self.lats.insert(at, lat)
        if uas_id:
            bisect.insort(self.uas_times.setdefault(uas_id, []), time)

    def window(self, time, gap):
        """(start, stop) of the detections at most `gap` from `time`."""
        return bisect.bisect_left(self.times, time - gap), bisect.bisect_right(
            self.times, time + gap
        )

    def has_uas_near(self, uas_id, time, gap):
        times = self.uas_times.get(uas_id)
        if not times:
            return False
        at = bisect.bisect_left(times, time - gap)
        return at < len(times) and times[at] <= time + gap


def _store_for_site(site, accepted, api_key):
    """Group accepted detections into incidents and save the incidents and drones; returns
    [(index, unsaved Detection)]."""
    if not accepted:
        return []
    accepted.sort(key=lambda entry: (entry[0].time, str(entry[0].detection_id)))
    gap = group_gap()
    start, end = accepted[0][0].time - gap, accepted[-1][0].time + gap
    groups = [
        _Group(incident)
        for incident in Incident.objects.filter(
            site=site,
            source=Source.SENSOR,
            status__in=OPEN_STATUSES,
            first_seen__lte=end,
            last_seen__gte=start,
        )
    ]
    if groups:
        by_id = {group.incident.pk: group for group in groups}
        for row in _stored_detections(list(by_id)):
            group = by_id[row.incident_id]
            group.stored.append(row)
            if start <= row.time <= end:
                group.add(row.time, row.x, row.y, row.uas_id)
    limit = settings.SKYLEDGER_INGEST_GROUP_DISTANCE_M
    for entry in accepted:
        item = entry[0]
        group = _find_group(groups, item, gap, limit)
        if group is None:
            group = _Group(None)
            groups.append(group)
        group.add(item.time, item.lon, item.lat, item.uas_id)
        group.new.append(entry)
    created = []
    for group in groups:
        if group.new:
            created += _save_group(site, group, api_key)
    return created


def _find_group(groups, item, gap, limit):
    """The group this detection belongs to: the first with the same UAS ID nearby in time,
    else the nearest in space (within `limit`) among groups with a detection within the
    time gap. One geodesic call covers every candidate group."""
    candidates = []
    for group in groups:
        low, high = group.window(item.time, gap)
        if low == high:
            continue
        if item.uas_id and group.has_uas_near(item.uas_id, item.time, gap):
            return group
        candidates.append((group, low, high))
    if not candidates:
        return None
    lons = np.array([x for group, low, high in candidates for x in group.lons[low:high]])
    lats = np.array([y for group, low, high in candidates for y in group.lats[low:high]])
    _, _, meters = geo.WGS84.inv(
        np.full_like(lons, item.lon), np.full_like(lats, item.lat), lons, lats
    )
    starts = np.cumsum([0] + [high - low for _, low, high in candidates[:-1]])
    nearest = np.minimum.reduceat(np.asarray(meters), starts)
    best = int(np.argmin(nearest))  # the first of equals, as groups are in order
    return candidates[best][0] if nearest[best] <= limit else None


def _stored_detections(incident_ids):
    """Every stored detection of these incidents, in time order, as named rows of what
    grouping, the incident summary and the drone tracks need: one query, no model objects."""
    return (
        Detection.objects.filter(incident__in=incident_ids)
        .annotate(
            x=_x("location"),
            y=_y("location"),
            ox=_x("operator_location"),
            oy=_y("operator_location"),
            drone_ox=_x("drone__operator_location"),
            drone_oy=_y("drone__operator_location"),
        )
        .order_by("time", "pk")
        .values_list(
            "incident_id",
            "pk",
            "time",
            "x",
            "y",
            "uas_id",
            "uas_id_type",
            "operator_id",
            "ox",
            "oy",
            "detection_method",
            "distance_m",
            "altitude_m",
            # The drone each detection joined, so updating it needs no query to read it.
            "drone_id",
            "drone__uas_id",
            "drone__uas_id_type",
            "drone__operator_id",
            "drone_ox",
            "drone_oy",
            named=True,
        )
    )


def _stored_summary(stored):
    """What an incident's stored detections add up to: first and last time, UAS IDs,
    methods, and the closest approach as (time, lon, lat, distance, altitude)."""
    if not stored:
        return None
    closest = min(stored, key=lambda row: (row.distance_m, row.time, row.pk))
    return {
        "first_seen": stored[0].time,
        "last_seen": stored[-1].time,
        "uas_ids": {row.uas_id for row in stored},
        "methods": {row.detection_method for row in stored},
        "closest": (closest.time, closest.x, closest.y, closest.distance_m, closest.altitude_m),
    }


def _save_group(site, group, api_key):
    """Open or update the group's incident and its drones; [(index, unsaved Detection)]."""
    rows = [
        (item.time, item.lon, item.lat, distance, item.altitude_m)
        for item, distance, _ in group.new
    ]
    closest = min(rows, key=lambda row: (row[3], row[0]))
    first_seen = min(row[0] for row in rows)
    last_seen = max(row[0] for row in rows)
    uas_ids = {item.uas_id for item, _, _ in group.new}
    methods = {item.detection_method for item, _, _ in group.new}
    incident = group.incident
    stored = _stored_summary(group.stored)
    if stored is not None:
        # Stored detections come first, so they win ties, as they always have.
        if (stored["closest"][3], stored["closest"][0]) <= (closest[3], closest[0]):
            closest = stored["closest"]
        first_seen = min(first_seen, stored["first_seen"])
        last_seen = max(last_seen, stored["last_seen"])
        uas_ids |= stored["uas_ids"]
        methods |= stored["methods"]
    uas_ids = sorted(uas_ids - {""})
    fields = {
        "first_seen": first_seen,
        "last_seen": last_seen,
        "location": Point(closest[1], closest[2], srid=4326),
        "altitude_m": _altitude(closest[4]),
        "drone_count": max(1, len(uas_ids)),
        "detection_methods": sorted(methods),
    }
    if incident is None:
        incident = record_incident(
            site=site,
            reported_by=None,
            source=Source.SENSOR,
            status=Status.DRAFT,
            narrative="Opened from sensor detections.",
            **fields,
        )
    elif _changes(incident, fields):
        for name, value in fields.items():
            setattr(incident, name, value)
        incident.site = site  # the locked site itself: no query to check or read it
        incident.full_clean(exclude=["site"])
        incident.save()
    else:
        incident.site = site  # nothing to write: the detection joins the incident as it is
    drones = _save_drones(incident, group)
    return [
        (index, _detection(item, distance, site, incident, drones, api_key))
        for item, distance, index in group.new
    ]


def _changes(incident, fields):
    """Whether the summary of the incident's detections differs from what it stores: a
    detection inside its time range and no closer than its closest approach changes nothing,
    so the incident (its derived zone and severity too) is not written again."""
    for name, value in fields.items():
        stored = getattr(incident, name)
        if name == "location":
            if stored is None or (stored.x, stored.y) != (value.x, value.y):
                return True
        elif stored != value:
            return True
    return False


def _save_drones(incident, group):
    """Create or update the drone of each UAS ID with new detections: its track (every
    position in time order) and what its latest detection says; {uas_id: Drone}."""
    new = {}
    for item, _, _ in group.new:
        if item.uas_id:
            new.setdefault(item.uas_id, []).append((item.time, item.lon, item.lat, item))
    if not new:
        return {}
    drones, stored = {}, {}
    if group.incident is not None:
        for row in group.stored:
            if row.uas_id in new:
                stored.setdefault(row.uas_id, []).append((row.time, row.x, row.y, row))
                if row.uas_id not in drones and row.drone__uas_id == row.uas_id:
                    drones[row.uas_id] = _stored_drone(incident, row)
        missing = [uas_id for uas_id in new if uas_id not in drones]
        if missing:  # a UAS ID new to the incident, or a drone no detection points to
            drones.update({d.uas_id: d for d in incident.drones.filter(uas_id__in=missing)})
    # Stored positions first, so among equal times they keep their place, as before.
    tracks = {
        uas_id: sorted(stored.get(uas_id, []) + rows, key=lambda row: row[0])
        for uas_id, rows in new.items()
    }
    for uas_id, rows in tracks.items():
        latest = rows[-1][3]
        drone = drones.get(uas_id) or Drone(incident=incident, uas_id=uas_id)
        drone.uas_id_type = drone.uas_id_type or latest.uas_id_type or UasIdType.SERIAL
        drone.operator_id = latest.operator_id or drone.operator_id
        operator = _operator(latest)
        if operator is not None:
            drone.operator_location = operator
        points = [(row[1], row[2]) for row in rows]
        drone.track = LineString(points, srid=4326) if len(set(points)) > 1 else None
        drone.full_clean(exclude=["incident"])  # the incident just saved: no query to check it
        if drone.pk is None:
            drone.save()
        else:
            drone.save(update_fields=DRONE_FIELDS)
        drones[uas_id] = drone
    return drones


# What ingest writes on a drone it already has; staff's own fields are left alone.
DRONE_FIELDS = ["uas_id_type", "operator_id", "operator_location", "track", "updated_at"]


def _stored_drone(incident, row):
    """The drone a stored detection joined, as far as ingest reads and writes it (saved with
    DRONE_FIELDS only, so the fields not read here are never overwritten)."""
    drone = Drone(
        pk=row.drone_id,
        incident=incident,
        uas_id=row.drone__uas_id,
        uas_id_type=row.drone__uas_id_type,
        operator_id=row.drone__operator_id,
        operator_location=(
            None if row.drone_ox is None else Point(row.drone_ox, row.drone_oy, srid=4326)
        ),
    )
    drone._state.adding = False
    drone._state.db = Drone.objects.db
    return drone


def _operator(source):
    if isinstance(source, tuple):  # a stored detection's row
        return None if source.ox is None else Point(source.ox, source.oy, srid=4326)
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
