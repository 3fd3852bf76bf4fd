"""What every exporter reads: the filtered incidents as plain rows, fetched in chunks so that
an export of 100,000 incidents uses no more memory than one of 1,000."""

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F
from django.http import QueryDict

from ..models import Drone, Site

# Each incident row carries these fields (values() names), plus the derived ones below.
INCIDENT_FIELDS = (
    "id",
    "reference",
    "status",
    "severity",
    "computed_severity",
    "zone",
    "zone_ring_m",
    "distance_m",
    "first_seen",
    "last_seen",
    "reported_at",
    "source",
    "location",
    "altitude_m",
    "altitude_method",
    "drone_count",
    "category",
    "make_model",
    "colour",
    "lights",
    "heading_deg",
    "speed_kmh",
    "behaviours",
    "payload_seen",
    "payload_description",
    "detection_methods",
    "operator_seen",
    "operator_description",
    "authority_reference",
    "external_id",
    "narrative",
)
DRONE_FIELDS = (
    "id",
    "incident_id",
    "uas_id",
    "uas_id_type",
    "category",
    "make_model",
    "operator_id",
    "operator_location",
    "takeoff_location",
    "track",
    "description",
)


def utc_text(value):
    """ISO 8601 in UTC with a Z, to the second; empty for no time."""
    if value is None:
        return ""
    return value.astimezone(zoneinfo.ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_text(value, tz_name):
    """ISO 8601 in the site's zone with its offset, e.g. 2026-03-01T19:05:00+07:00."""
    if value is None:
        return ""
    return value.astimezone(zoneinfo.ZoneInfo(tz_name)).isoformat(timespec="seconds")


@dataclass
class ExportSource:
    """The incidents of one export and the facts about it that go into its manifest.

    `queryset` is already scoped (visible_to) and filtered; `progress(n)` is called with the
    number of incidents read so far after every chunk.
    """

    queryset: object
    filter_query: str
    generated_by: str
    generated_at: datetime
    progress: object = None
    chunk_size: int = 1000
    sequence: int = 1  # the export's number, for file names that must count up (E5X)
    _count: int | None = field(default=None, repr=False)

    def count(self):
        if self._count is None:
            self._count = self.queryset.count()
        return self._count

    def filter_description(self):
        """The filter as a dict of lists, e.g. {"site": ["CGK"], "status": ["submitted"]}."""
        params = QueryDict(self.filter_query)
        return {key: params.getlist(key) for key in sorted(params)}

    def incidents(self, with_drones=False):
        """Yield each incident as a dict (see INCIDENT_FIELDS) with `lon`, `lat`, the site's
        `site_code`, `site_name`, `site_timezone`, and `drones` (a list of dicts) if asked."""
        rows = self.queryset.values(
            *INCIDENT_FIELDS,
            site_code=F("site__code"),
            site_name=F("site__name"),
            site_timezone=F("site__timezone"),
        ).iterator(chunk_size=self.chunk_size)
        done = 0
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) >= self.chunk_size:
                yield from self._finish(batch, with_drones)
                done += len(batch)
                batch = []
                self._report(done)
        if batch:
            yield from self._finish(batch, with_drones)
            done += len(batch)
        self._report(done)

    def _report(self, done):
        if self.progress is not None:
            self.progress(done)

    def _finish(self, batch, with_drones):
        drones = defaultdict(list)
        if with_drones:
            ids = [row["id"] for row in batch]
            for drone in (
                Drone.objects.filter(incident_id__in=ids).order_by("pk").values(*DRONE_FIELDS)
            ):
                drones[drone["incident_id"]].append(drone)
        for row in batch:
            point = row.pop("location")
            row["lon"], row["lat"] = point.x, point.y
            if with_drones:
                row["drones"] = drones.get(row["id"], [])
            yield row

    def drones(self):
        """Every drone record of the exported incidents, with its incident's reference."""
        incident_ids = self.queryset.order_by().values("pk")
        return (
            Drone.objects.filter(incident_id__in=incident_ids)
            .order_by("pk")
            .values(*DRONE_FIELDS, reference=F("incident__reference"))
            .iterator(chunk_size=self.chunk_size)
        )

    def sites(self):
        """The sites that have at least one exported incident."""
        return Site.objects.filter(pk__in=self.queryset.order_by().values("site_id")).order_by(
            "code"
        )
