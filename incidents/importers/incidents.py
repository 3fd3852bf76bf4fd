"""Incidents from a CSV file: a log kept in a spreadsheet or another system, or SkyLedger's
own CSV export (so an export from one SkyLedger imports into another).

Each row is checked by the same rules as an incident typed in (the model's field validators
and choices, and the checks of `Incident.clean` restated for whole columns); each problem
names the row, the column as the file spells it, and what to fix. By default a file with any
bad row stores nothing, and the report lists every problem; `skip_bad_rows=True` stores the
good rows and lists the refused ones.

Derived fields are computed as `Incident.save` would: the zone, alert ring and geodesic
distance (`distances_to_perimeter_m`, once per site for all its rows), the computed and
effective severity (`compute_severity`), and a new reference from the site's counter for
the year of first sight in the site's time zone, numbered in order of first sight. Rows go
in with one COPY (PostGIS) or one executemany (SpatiaLite) in one transaction; the audit
triggers stay on, so the log records every inserted incident. Imported incidents have
source "import"; alerts and event linking, which are for live reports, are not run.

A row whose external id (or, in an export, its reference) was already imported for the
site is left alone, so importing a file twice changes nothing.
"""

import csv
import io
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import geo
from ..choices import Source, Status
from ..exports.table import FORMULA_STARTS
from ..models import (
    FUTURE_TOLERANCE,
    MAX_DISTANCE_FROM_SITE_M,
    Incident,
    Site,
    compute_severity,
    default_detection_methods,
)
from ..services.ingest import distances_to_perimeter_m
from .bulk import write_plan
from .report import ImportReport

# Each incident field read from the file, and the headers that may carry it (lower case,
# spaces and hyphens as underscores), first match wins. The export's headers are among them.
ALIASES = {
    "site": ("site_code", "site"),
    "first_seen": ("first_seen_utc", "first_seen", "first_seen_local", "time", "date_time"),
    "last_seen": ("last_seen_utc", "last_seen", "last_seen_local"),
    "reported_at": ("reported_at_utc", "reported_at"),
    "lon": ("longitude", "lon", "lng"),
    "lat": ("latitude", "lat"),
    "status": ("status",),
    "drone_count": ("drone_count", "drones", "number_of_drones"),
    "category": ("category",),
    "detection_methods": ("detection_methods", "detection_method", "detected_by"),
    "behaviours": ("behaviours", "behaviour", "behaviors", "behavior"),
    "altitude_m": ("altitude_m", "altitude"),
    "altitude_method": ("altitude_method",),
    "make_model": ("make_model",),
    "colour": ("colour", "color"),
    "lights": ("lights",),
    "heading_deg": ("heading_deg", "heading"),
    "speed_kmh": ("speed_kmh", "speed"),
    "payload_seen": ("payload_seen",),
    "payload_description": ("payload_description",),
    "operator_seen": ("operator_seen",),
    "operator_description": ("operator_description",),
    "authority_reference": ("authority_reference",),
    "external_id": ("external_id", "external_reference", "external_ref"),
    # SkyLedger's export: the source's reference (kept as external id when there is none),
    # and its severities (a severity unlike the computed one was an override).
    "reference": ("reference",),
    "severity": ("severity",),
    "computed_severity": ("computed_severity",),
    "narrative": ("narrative", "description", "what_happened"),
}
# Export columns that SkyLedger derives again (or that belong to the source), read by nobody.
DERIVED_HEADERS = frozenset(
    ["site_name", "zone", "zone_ring_m", "distance_m", "time_zone", "source"]
)
TEXT_FIELDS = (
    "make_model",
    "colour",
    "lights",
    "payload_description",
    "operator_description",
    "authority_reference",
    "narrative",
)
DEFAULT_STATUS = Status.SUBMITTED
TRUE_WORDS = frozenset(["true", "yes", "y", "1", "x"])
FALSE_WORDS = frozenset(["false", "no", "n", "0", ""])


def _header_key(text):
    return "_".join(str(text).strip().lower().replace("-", " ").split())


def _field(name):
    return Incident._meta.get_field(name)


def _choice_map(choices):
    """Lower-cased value and label -> value, so "Fixed wing" and "fixed_wing" both read."""
    mapping = {}
    for value, label in choices:
        mapping[str(label).lower()] = value
        mapping[str(value).lower()] = value
    return mapping


def _text(value):
    """A cell as stored: trimmed, and without the apostrophe SkyLedger's exports put before
    a leading formula character (see exports.table.defuse)."""
    value = value.strip()
    if value.startswith("'") and value[1:2] in FORMULA_STARTS and value[1:2]:
        return value[1:]
    return value


class RowError(Exception):
    """A problem with one cell: the column (canonical name) and what to fix."""

    def __init__(self, column, message):
        super().__init__(message)
        self.column = column
        self.message = message


@dataclass
class Plan:
    """What an import would store: one dict of Incident field values per good row (derived
    fields included, references not yet issued), and the sites they go to."""

    rows: list = field(default_factory=list)
    sites: dict = field(default_factory=dict)  # pk -> Site
    skipped_existing: int = 0


class _Reader:
    """Checks the rows of one file and turns them into incident field values."""

    def __init__(self, header, report, site, file_name):
        self.report = report
        self.file_name = file_name
        self.forced_site = site
        self.now = timezone.now()
        self.columns = {}  # canonical name -> (index, header as written)
        keys = [_header_key(h) for h in header]
        for name, aliases in ALIASES.items():
            for alias in aliases:
                if alias in keys:
                    index = keys.index(alias)
                    self.columns[name] = (index, str(header[index]).strip())
                    break
        # Headers read, or left for another header of the same field (the export's local
        # times beside its UTC ones), or derived again here: all but these are named.
        known = DERIVED_HEADERS.union(*ALIASES.values())
        self.ignored = [str(h).strip() for h in header if _header_key(h) not in known | {""}]
        self.sites = {s.code: s for s in Site.objects.all()}
        self.choices = {
            name: _choice_map(_field(name).choices)
            for name in ("status", "category", "altitude_method", "severity", "computed_severity")
        }
        self.item_choices = {
            name: _choice_map(_field(name).item_choices)
            for name in ("detection_methods", "behaviours")
        }
        self.max_lengths = {
            name: _field(name).max_length
            for name in ("make_model", "colour", "lights", "authority_reference", "external_id")
        }
        # The export's reference becomes the external id when the row has none.
        self.max_lengths["reference"] = self.max_lengths["external_id"]

    def missing(self):
        required = ["first_seen", "lon", "lat"]
        if self.forced_site is None:
            required.insert(0, "site")
        return [ALIASES[name][0] for name in required if name not in self.columns]

    def header_name(self, column):
        return self.columns[column][1] if column in self.columns else ALIASES[column][0]

    # --- one cell at a time ------------------------------------------------------------

    def _cells(self, row):
        return {
            name: (_text(row[index]) if index < len(row) else "")
            for name, (index, _) in self.columns.items()
        }

    def _site(self, cells):
        code = cells.get("site", "").upper()
        if self.forced_site is not None:
            if code and code != self.forced_site.code:
                raise RowError(
                    "site",
                    _("this row is for %(code)s but the import is for %(site)s only.")
                    % {"code": code, "site": self.forced_site.code},
                )
            return self.forced_site
        if not code:
            raise RowError("site", _("give the site code, e.g. CGK."))
        site = self.sites.get(code)
        if site is None:
            raise RowError(
                "site",
                _("no site has the code “%(code)s”; create the site first or fix the code.")
                % {"code": code},
            )
        return site

    def _time(self, cells, name, site, required=False):
        text = cells.get(name, "")
        if not text:
            if required:
                raise RowError(name, _("give the time, e.g. 2026-03-01T19:05:00+07:00."))
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise RowError(
                name,
                _(
                    "“%(value)s” is not an ISO 8601 time: write e.g. 2026-03-01T19:05:00+07:00, "
                    "or 2026-03-01 19:05 for the site's local time."
                )
                % {"value": text},
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=site.tzinfo)
        return moment

    def _float(self, cells, name, required=False):
        text = cells.get(name, "")
        if not text:
            if required:
                raise RowError(name, _("give a number in decimal degrees, e.g. 106.6556."))
            return None
        try:
            value = float(text.replace(",", ".") if text.count(",") == 1 else text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise RowError(name, _("“%(value)s” is not a number.") % {"value": text})
        return value

    def _int(self, cells, name, default=None):
        text = cells.get(name, "")
        if not text:
            return default
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or number != int(number):
            raise RowError(name, _("“%(value)s” is not a whole number.") % {"value": text})
        return int(number)

    def _validated(self, name, value):
        """Run the model field's own validators (ranges, with the model's messages)."""
        if value is None:
            return None
        try:
            _field(name).run_validators(value)
        except ValidationError as error:
            raise RowError(name, " ".join(error.messages)) from None
        return value

    def _choice(self, cells, name, default):
        text = cells.get(name, "")
        if not text:
            return default
        value = self.choices[name].get(text.lower())
        if value is None:
            allowed = ", ".join(str(v) for v, _ in _field(name).choices)
            raise RowError(
                name,
                _("“%(value)s” is not one of: %(allowed)s.") % {"value": text, "allowed": allowed},
            )
        return value

    def _choice_list(self, cells, name, default):
        text = cells.get(name, "")
        items = [item.strip() for item in text.replace(",", ";").split(";") if item.strip()]
        if not items:
            return default
        values, unknown = [], []
        for item in items:
            value = self.item_choices[name].get(item.lower())
            if value is None:
                unknown.append(item)
            elif value not in values:
                values.append(value)
        if unknown:
            allowed = ", ".join(v for v, _ in _field(name).item_choices)
            raise RowError(
                name,
                _("unknown: %(unknown)s. Choose from %(allowed)s, separated by “;”.")
                % {"unknown": ", ".join(unknown), "allowed": allowed},
            )
        return values

    def _bool(self, cells, name):
        text = cells.get(name, "")
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise RowError(name, _("“%(value)s” is not true or false.") % {"value": text})

    def _short_text(self, cells, name):
        text = cells.get(name, "")
        limit = self.max_lengths[name]
        if len(text) > limit:
            raise RowError(
                name,
                _("%(length)d characters; at most %(limit)d fit.")
                % {"length": len(text), "limit": limit},
            )
        return text

    # --- one row ---------------------------------------------------------------------

    def read_row(self, row):
        """The incident fields of one row (zone and severity not yet computed), or raise
        RowError for the first problem found in it."""
        cells = self._cells(row)
        site = self._site(cells)
        first_seen = self._time(cells, "first_seen", site, required=True)
        if first_seen > self.now + FUTURE_TOLERANCE:
            raise RowError(
                "first_seen",
                _("more than 5 minutes in the future. Check the date, the time and the time zone."),
            )
        last_seen = self._time(cells, "last_seen", site)
        if last_seen is not None and last_seen > self.now + FUTURE_TOLERANCE:
            raise RowError("last_seen", _("more than 5 minutes in the future."))
        if last_seen is not None and last_seen < first_seen:
            raise RowError("last_seen", _("last seen is before first seen: check both times."))
        lon = self._float(cells, "lon", required=True)
        lat = self._float(cells, "lat", required=True)
        problem = geo.point_problem(lon, lat)
        if problem:
            raise RowError("lat" if not -90 <= lat <= 90 else "lon", problem)
        values = {
            "site_id": site.pk,
            "first_seen": first_seen,
            "last_seen": last_seen,
            "reported_at": self._time(cells, "reported_at", site) or self.now,
            "lon": lon,
            "lat": lat,
            "status": self._choice(cells, "status", DEFAULT_STATUS.value),
            "drone_count": self._validated("drone_count", self._int(cells, "drone_count", 1)),
            "category": self._choice(cells, "category", "unknown"),
            "detection_methods": self._choice_list(
                cells, "detection_methods", default_detection_methods()
            ),
            "behaviours": self._choice_list(cells, "behaviours", []),
            "altitude_m": self._validated("altitude_m", self._float(cells, "altitude_m")),
            "altitude_method": self._choice(cells, "altitude_method", ""),
            "heading_deg": self._validated("heading_deg", self._int(cells, "heading_deg")),
            "speed_kmh": self._validated("speed_kmh", self._int(cells, "speed_kmh")),
            "payload_seen": self._bool(cells, "payload_seen"),
            "operator_seen": self._bool(cells, "operator_seen"),
            "make_model": self._short_text(cells, "make_model"),
            "colour": self._short_text(cells, "colour"),
            "lights": self._short_text(cells, "lights"),
            "authority_reference": self._short_text(cells, "authority_reference"),
            "external_id": self._short_text(cells, "external_id")
            or self._short_text(cells, "reference")
            or None,
        }
        for name in ("payload_description", "operator_description", "narrative"):
            values[name] = cells.get(name, "")
        if values["payload_description"] and not values["payload_seen"]:
            raise RowError(
                "payload_seen", _("a payload is described: write true here or clear it.")
            )
        if values["operator_description"] and not values["operator_seen"]:
            raise RowError(
                "operator_seen",
                _("an operator is described: write true here or clear the description."),
            )
        values["severity_given"] = self._choice(cells, "severity", "")
        values["computed_given"] = self._choice(cells, "computed_severity", "")
        return values

    def where(self, number):
        return _("row %(number)d") % {"number": number}

    def problem(self, number, error):
        self.report.problem(self.where(number), self.header_name(error.column), error.message)


def _rows_of(handle, report, file_name):
    data = handle.read()
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        report.problem(
            "file", "", _("%(file)s is not UTF-8 text: save it as UTF-8 CSV.") % {"file": file_name}
        )
        return None
    return csv.reader(io.StringIO(text, newline=""))


def read_plan(handle, file_name, report, *, site=None):
    """Check every row of a CSV file and return a Plan of the good ones; each bad row adds
    its problem to `report`."""
    plan = Plan()
    rows = _rows_of(handle, report, file_name)
    if rows is None:
        return plan
    try:
        header = next(rows, None)
        if header is None:
            report.problem(
                "file", "", _("%(file)s is empty: it has no header row.") % {"file": file_name}
            )
            return plan
        reader = _Reader(header, report, site, file_name)
        missing = reader.missing()
        if missing:
            report.problem(
                "row 1",
                ", ".join(missing),
                _(
                    "the header must name these columns: %(missing)s (site_code may be left out "
                    "when the import is for one site)."
                )
                % {"missing": ", ".join(missing)},
            )
            return plan
        if reader.ignored:
            report.notes.append(
                _("Columns not imported: %(columns)s.") % {"columns": ", ".join(reader.ignored)}
            )
        good = []
        for number, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue
            try:
                values = reader.read_row(row)
            except RowError as error:
                reader.problem(number, error)
                continue
            values["row"] = number
            good.append(values)
    except csv.Error as error:
        report.problem(
            "file",
            "",
            _("%(file)s is not a readable CSV file (%(error)s).")
            % {"file": file_name, "error": error},
        )
        return plan
    used = {values["site_id"] for values in good}
    plan.sites = {s.pk: s for s in reader.sites.values() if s.pk in used}
    _derive(plan, good, reader)
    _leave_out_known(plan, reader)
    return plan


def _derive(plan, good, reader):
    """Zone, ring, distance and severities of the good rows: one geodesic pass per site."""
    by_site = defaultdict(list)
    for values in good:
        by_site[values["site_id"]].append(values)
    for site_id, rows in by_site.items():
        site = plan.sites[site_id]
        distances = distances_to_perimeter_m(
            [v["lon"] for v in rows], [v["lat"] for v in rows], site.perimeter_shape()
        )
        radii = np.asarray(site.zone_radii_m, dtype=float)
        ring_indices = np.searchsorted(radii, distances, side="left")
        for values, distance, ring_index in zip(rows, distances, ring_indices, strict=True):
            distance = float(distance)
            if distance > MAX_DISTANCE_FROM_SITE_M:
                reader.problem(
                    values["row"],
                    RowError(
                        "lon",
                        _(
                            "this location is %(km)s km from %(site)s's perimeter (more than "
                            "%(max)d km). Check the coordinates, or the site."
                        )
                        % {
                            "km": f"{distance / 1000:,.0f}",
                            "site": site.code,
                            "max": MAX_DISTANCE_FROM_SITE_M // 1000,
                        },
                    ),
                )
                continue
            if distance <= 0:
                zone, ring_m, ring_index = geo.Zone.INSIDE, None, None
            elif ring_index < len(radii):
                zone, ring_m, ring_index = geo.Zone.RING, int(radii[ring_index]), int(ring_index)
            else:
                zone, ring_m, ring_index = geo.Zone.OUTSIDE, None, None
            computed = compute_severity(
                zone,
                ring_index,
                values["drone_count"],
                values["payload_seen"],
                values["behaviours"],
            ).value
            values.update(
                zone=zone,
                zone_ring_m=ring_m,
                distance_m=round(distance, 1),
                computed_severity=computed,
            )
            _apply_override(values, computed, reader.file_name)
            plan.rows.append(values)
    plan.rows.sort(key=lambda v: v["row"])


def _apply_override(values, computed, file_name):
    """The file's severity wins where the file says it was overridden (its severity differs
    from its own computed severity) or, without a computed column, where it differs from
    SkyLedger's."""
    given, given_computed = values.pop("severity_given"), values.pop("computed_given")
    override = ""
    if given and given != (given_computed or computed):
        override = given
    values["severity_override"] = override
    values["severity_override_reason"] = (
        _("Severity %(severity)s kept from %(file)s, row %(row)d.")
        % {"severity": override, "file": file_name, "row": values["row"]}
        if override
        else ""
    )
    values["severity"] = override or computed


def _leave_out_known(plan, reader):
    """Drop rows whose external id this site already has from an import (counted as
    unchanged), and report external ids repeated within the file."""
    seen = {}
    keyed = defaultdict(set)
    keep = []
    for values in plan.rows:
        key = values["external_id"]
        if key is None:
            keep.append(values)
            continue
        site_key = (values["site_id"], key)
        if site_key in seen:
            reader.problem(
                values["row"],
                RowError(
                    "external_id" if "external_id" in reader.columns else "reference",
                    _(
                        "“%(id)s” is already used by row %(row)d for this site; each row "
                        "needs its own."
                    )
                    % {"id": key, "row": seen[site_key]},
                ),
            )
            continue
        seen[site_key] = values["row"]
        keyed[values["site_id"]].add(key)
        keep.append(values)
    known = set()
    for site_id, keys in keyed.items():
        keys = list(keys)
        for start in range(0, len(keys), 500):
            known.update(
                (site_id, key)
                for key in Incident.objects.filter(
                    site_id=site_id, source=Source.IMPORT, external_id__in=keys[start : start + 500]
                ).values_list("external_id", flat=True)
            )
    plan.rows = [v for v in keep if (v["site_id"], v["external_id"]) not in known]
    plan.skipped_existing = len(keep) - len(plan.rows)


def import_incidents(handle, file_name, *, site=None, dry_run=False, skip_bad_rows=False):
    """Import incidents from an open CSV file (binary or text).

    `site`: a Site every row is for (the file may then leave out site_code). With a bad
    row nothing is stored unless `skip_bad_rows`; in a dry run nothing is stored at all.
    Returns an ImportReport: created, unchanged (already imported), and every problem.
    """
    report = ImportReport(dry_run=dry_run)
    plan = read_plan(handle, file_name, report, site=site)
    report.unchanged = plan.skipped_existing
    if report.problems and not skip_bad_rows:
        report.notes.append(
            _("Nothing was imported: fix the rows below and import the file again.")
            if not dry_run
            else _("These rows must be fixed before the file can be imported.")
        )
        return report
    if report.problems:
        report.notes.append(_("The rows below were left out; the other rows are imported."))
    report.created = len(plan.rows)
    if dry_run or not plan.rows:
        return report
    for code, count, first, last in write_plan(plan):
        report.changes.append(
            _("%(site)s: %(count)d incidents, %(first)s to %(last)s.")
            % {"site": code, "count": count, "first": first, "last": last}
        )
    return report
