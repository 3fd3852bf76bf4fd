"""What every exporter reads: the filtered incidents as plain rows, fetched in chunks so that
an export of 100,000 incidents uses about as much memory as one of 1,000."""

import json
import zoneinfo
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.gis.db.models.functions import GeoFunc
from django.db import connection, transaction
from django.db.models import F, FloatField
from django.db.models.expressions import RawSQL
from django.http import QueryDict

from ..models import Drone, Incident, Site

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


class Longitude(GeoFunc):
    """A point's x (longitude in EPSG:4326) read as a float by the database."""

    function = "ST_X"
    output_field = FloatField()


class Latitude(GeoFunc):
    """A point's y (latitude in EPSG:4326) read as a float by the database."""

    function = "ST_Y"
    output_field = FloatField()


def stable_order(queryset):
    """`queryset` in its own order with the primary key as the last tie-breaker, so every
    export of the same rows lists them in the same order, whichever path writes it."""
    query = queryset.query
    ordering = list(query.order_by or (query.get_meta().ordering if query.default_ordering else ()))
    if any(isinstance(o, str) and o.lstrip("-") in ("pk", "id") for o in ordering):
        return queryset
    return queryset.order_by(*ordering, "pk")


def keys_in(keys):
    """The right-hand side of `pk__in` for a chunk of keys, as one parameter (a JSON list read
    by json_each on SQLite, an array on PostgreSQL): Django resolves each item of a plain list
    on its own, which cost more than the whole query (about 20 microseconds a key)."""
    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(keys)])
    return RawSQL("SELECT unnest(%s::bigint[])", [keys])


def _unconverted(queryset):
    """The rows of a values_list queryset as the database driver returns them."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _redact_drone(drone):
    drone["operator_id"] = ""
    drone["operator_location"] = None
    drone["takeoff_location"] = None


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
    # Under SQLite's historical limit of 999 parameters per query.
    chunk_size: int = 900
    stream_size: int = 10_000  # rows per batch where one query streams them (PostgreSQL)
    sequence: int = 1  # the export's number, for file names that must count up (E5X)
    # The sites whose operator personal data the exporting person may see (None: every site;
    # see incidents.privacy). Elsewhere operator fields are blanked and their points left out.
    personal_site_ids: set | None = None
    _count: int | None = field(default=None, repr=False)
    _ids: array | None = field(default=None, repr=False)

    def count(self):
        if self._count is None:
            self._count = self.queryset.count()
        return self._count

    def filter_description(self):
        """The filter as a dict of lists, e.g. {"site": ["CGK"], "status": ["submitted"]}."""
        params = QueryDict(self.filter_query)
        return {key: params.getlist(key) for key in sorted(params)}

    def ids(self):
        """The exported incidents' primary keys in the list's order, read once.

        Exports read this snapshot first and then fetch rows in short chunks by key: the set
        stays the one counted even if incidents are recorded meanwhile, and no read cursor
        stays open for the whole export (on SQLite that would hold writers off until the
        export ends). 8 bytes per incident."""
        if self._ids is None:
            keys = (
                stable_order(self.queryset).values_list("pk", flat=True).iterator(chunk_size=10_000)
            )
            self._ids = array("q", keys)
        return self._ids

    def _chunks(self):
        ids = self.ids()
        for start in range(0, len(ids), self.chunk_size):
            yield ids[start : start + self.chunk_size].tolist()

    def incidents(self, with_drones=False):
        """Yield each incident as a dict (see INCIDENT_FIELDS) with `lon`, `lat`, the site's
        `site_code`, `site_name`, `site_timezone`, and `drones` (a list of dicts) if asked."""
        done = 0
        for chunk in self._chunks():
            rows = {
                row["id"]: row
                for row in Incident.objects.filter(pk__in=keys_in(chunk)).values(
                    *INCIDENT_FIELDS,
                    "site_id",
                    site_code=F("site__code"),
                    site_name=F("site__name"),
                    site_timezone=F("site__timezone"),
                )
            }
            batch = [rows[pk] for pk in chunk if pk in rows]  # deleted meanwhile: left out
            yield from self._finish(batch, with_drones)
            done += len(batch)
            self._report(done)
        self._report(done)

    def tuples(self, *fields, raw=False):
        """Yield the exported incidents as lists of tuples, one list per chunk, in the list's
        order: `values_list(*fields)`, where a field may also be an expression. With `raw`,
        PostgreSQL's values come as psycopg reads them (no converter call per row) and
        SQLite's as stored, without Django's conversions (times as UTC text,
        JSON as text, booleans as 0 and 1), which cost more than the query.

        On PostgreSQL one query streams them (a server-side cursor reads one consistent
        snapshot and holds no writer off); elsewhere the key snapshot is read in chunks."""
        done = 0
        if connection.vendor == "postgresql" and raw:
            # psycopg's own values, without a Python call per row for Django's converters.
            sql, params = stable_order(self.queryset).values_list(*fields).query.sql_with_params()
            with transaction.atomic(), connection.connection.cursor(name="export_rows") as rows:
                rows.itersize = self.stream_size
                rows.execute(sql, params)
                while batch := rows.fetchmany(self.stream_size):
                    if len(batch[0]) > len(fields):  # ORDER BY terms selected as well
                        batch = [row[: len(fields)] for row in batch]
                    yield batch
                    done += len(batch)
                    self._report(done)
            self._report(done)
            return
        if connection.vendor == "postgresql":
            rows = stable_order(self.queryset).values_list(*fields)
            batch = []
            for row in rows.iterator(chunk_size=self.stream_size):
                batch.append(row)
                if len(batch) == self.stream_size:
                    yield batch
                    done += len(batch)
                    self._report(done)
                    batch = []
            if batch:
                yield batch
                done += len(batch)
            self._report(done)
            return
        for chunk in self._chunks():
            query = Incident.objects.filter(pk__in=keys_in(chunk)).values_list(*fields, "pk")
            rows = _unconverted(query) if raw else query
            by_key = {row[-1]: row[:-1] for row in rows}
            batch = [by_key[pk] for pk in chunk if pk in by_key]  # deleted meanwhile: left out
            yield batch
            done += len(batch)
            self._report(done)
        self._report(done)

    def _report(self, done):
        if self.progress is not None:
            self.progress(done)

    def _finish(self, batch, with_drones):
        drones = defaultdict(list)
        if with_drones:
            ids = [row["id"] for row in batch]
            for drone in (
                Drone.objects.filter(incident_id__in=keys_in(ids))
                .order_by("pk")
                .values(*DRONE_FIELDS)
            ):
                drones[drone["incident_id"]].append(drone)
        for row in batch:
            point = row.pop("location")
            row["lon"], row["lat"] = point.x, point.y
            site_id = row.pop("site_id")
            hidden = not self.shows_personal_data(site_id)
            if hidden:
                row["operator_description"] = ""
            if with_drones:
                row["drones"] = drones.get(row["id"], [])
                if hidden:
                    for drone in row["drones"]:
                        _redact_drone(drone)
            yield row

    def shows_personal_data(self, site_id):
        return self.personal_site_ids is None or site_id in self.personal_site_ids

    def redacts_personal_data(self):
        """Whether any exported incident's operator data is withheld from this export."""
        if self.personal_site_ids is None:
            return False
        return self.queryset.exclude(site_id__in=self.personal_site_ids).exists()

    def drones(self):
        """Every drone record of the exported incidents, with its incident's reference."""
        for chunk in self._chunks():
            for drone in (
                Drone.objects.filter(incident_id__in=keys_in(chunk))
                .order_by("pk")
                .values(
                    *DRONE_FIELDS,
                    reference=F("incident__reference"),
                    incident_site_id=F("incident__site_id"),
                )
            ):
                if not self.shows_personal_data(drone.pop("incident_site_id")):
                    _redact_drone(drone)
                yield drone

    def sites(self):
        """The sites that have at least one exported incident."""
        return Site.objects.filter(pk__in=self.queryset.order_by().values("site_id")).order_by(
            "code"
        )
