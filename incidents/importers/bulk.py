"""Writing many new incidents at once, as `Incident.save` would have stored them one by one:
references issued in one block per site and year, then every row in one COPY (PostGIS) or
one executemany (SpatiaLite), in one transaction. The audit triggers stay on, so the log
records each row. Callers give rows whose derived fields (zone, ring, distance, severities)
are already computed; see importers.incidents.
"""

import json
import struct
from collections import defaultdict

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from ..choices import Source
from ..models import Incident, ReferenceCounter


def reserve_references(site, year, count):
    """Issue `count` consecutive references of a site and year at once (see
    models.next_reference, which issues one): returns the first number. Runs inside the
    import's transaction, so the counter row stays locked until it commits."""
    counters = ReferenceCounter.objects.filter(site=site, year=year)
    if not counters.update(last_number=F("last_number") + count):
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(site=site, year=year, last_number=count)
        except IntegrityError:  # created meanwhile by another transaction: add to it
            if not counters.update(last_number=F("last_number") + count):
                raise
    last = counters.values_list("last_number", flat=True).get()
    return last - count + 1


def _issue_references(plan):
    groups = defaultdict(list)
    for values in plan.rows:
        site = plan.sites[values["site_id"]]
        year = values["first_seen"].astimezone(site.tzinfo).year
        groups[(site.pk, year)].append(values)
    ranges = []
    for (site_id, year), rows in sorted(groups.items()):
        site = plan.sites[site_id]
        rows.sort(key=lambda v: (v["first_seen"], v["row"]))
        first = reserve_references(site, year, len(rows))
        for offset, values in enumerate(rows):
            values["reference"] = f"{site.code}-{year}-{first + offset:05d}"
        ranges.append((site.code, len(rows), rows[0]["reference"], rows[-1]["reference"]))
    return ranges


def _point_wkb(lon, lat):
    """WKB of a point, little-endian (SpatiaLite's GeomFromWKB takes the SRID apart)."""
    return struct.pack("<BIdd", 1, 1, lon, lat)


def _point_ewkb_hex(lon, lat):
    """Hex EWKB of a WGS84 point, which PostGIS reads as geometry text input."""
    return struct.pack("<BIIdd", 1, 0x20000001, 4326, lon, lat).hex()


def _columns():
    return [f for f in Incident._meta.concrete_fields if not f.primary_key]


def _row_values(plan):
    """Every incident field of every row, by attribute name, in file order."""
    now = timezone.now()
    base = {f.attname: f.get_default() for f in _columns()}
    base.update(source=Source.IMPORT.value, created_at=now, updated_at=now)
    for values in plan.rows:
        row = dict(base)
        row.update(values)
        yield row


def _write_postgres(plan, columns):
    names = ", ".join(f'"{f.column}"' for f in columns)
    json_fields = {f.attname for f in columns if f.get_internal_type() == "JSONField"}
    with connection.cursor() as cursor:
        sql = f'COPY "{Incident._meta.db_table}" ({names}) FROM STDIN'
        with cursor.cursor.copy(sql) as copy:
            for row in _row_values(plan):
                row["location"] = _point_ewkb_hex(row["lon"], row["lat"])
                for name in json_fields:
                    row[name] = json.dumps(row[name])
                copy.write_row([row[f.attname] for f in columns])


def _write_sqlite(plan, columns):
    marks = ", ".join(
        "GeomFromWKB(?, 4326)" if f.get_internal_type() == "PointField" else "?" for f in columns
    )
    names = ", ".join(f'"{f.column}"' for f in columns)
    sql = f'INSERT INTO "{Incident._meta.db_table}" ({names}) VALUES ({marks})'
    adapt = connection.ops.adapt_datetimefield_value
    kinds = [f.get_internal_type() for f in columns]
    attnames = [f.attname for f in columns]

    def tuples():
        for row in _row_values(plan):
            row["location"] = _point_wkb(row["lon"], row["lat"])
            out = []
            for name, kind in zip(attnames, kinds, strict=True):
                value = row[name]
                if value is not None:
                    if kind == "DateTimeField":
                        value = adapt(value)
                    elif kind == "JSONField":
                        value = json.dumps(value)
                    elif kind == "UUIDField":
                        value = value.hex
                out.append(value)
            yield out

    connection.ensure_connection()
    connection.connection.executemany(sql, tuples())


def write_plan(plan):
    """Store `plan.rows` (dicts of Incident field values by attribute name, plus `lon`,
    `lat` and `row`, the file's row number) at `plan.sites` (pk -> Site) in one
    transaction; returns (site code, count, first, last reference) per site and year."""
    columns = _columns()
    with transaction.atomic():
        ranges = _issue_references(plan)
        if connection.vendor == "postgresql":
            _write_postgres(plan, columns)
        else:
            _write_sqlite(plan, columns)
    return ranges
