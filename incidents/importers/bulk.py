"""Writing many new incidents at once, as `Incident.save` would have stored them one by one:
references issued in one block per site and year, then every row in one COPY (PostGIS) or
one executemany (SpatiaLite) through `bulkinsert`, in one transaction. The audit triggers
stay on, so the log records each row. Callers give rows whose derived fields (zone, ring,
distance, severities) are already computed; see importers.incidents.
"""

from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..bulkinsert import insert_fields, insert_rows
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


def _rows(plan):
    """Every incident field of every row, in `insert_fields` order, in file order."""
    now = timezone.now()
    fields = insert_fields(Incident)
    base = {f.attname: f.get_default() for f in fields}
    base.update(source=Source.IMPORT.value, created_at=now, updated_at=now)
    for values in plan.rows:
        row = dict(base)
        row.update(values)
        row["location"] = (row["lon"], row["lat"])
        yield [row[f.attname] for f in fields]


def write_plan(plan):
    """Store `plan.rows` (dicts of Incident field values by attribute name, plus `lon`,
    `lat` and `row`, the file's row number) at `plan.sites` (pk -> Site) in one
    transaction; returns (site code, count, first, last reference) per site and year."""
    with transaction.atomic():
        ranges = _issue_references(plan)
        insert_rows(Incident, _rows(plan))
    return ranges
