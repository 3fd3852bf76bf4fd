"""Sites from GeoJSON, KML or GeoPackage: one site per polygon feature.

Attributes are matched to site fields by name (code, name, kind, timezone, zone_radii_m,
case-insensitively) unless a mapping says otherwise, e.g. {"name": "NAME_EN"}. A feature
whose code is already a site updates it (the dry run shows each change); any other creates
a site. `Site.full_clean()` decides what is valid, so its messages are the ones users see
in the admin too. A changed perimeter or alert rings recomputes the site's incidents.

GeoJSON and KML are read with pyogrio; KML falls back to a plain reading with lxml when
GDAL has neither its KML nor its LIBKML driver. GeoPackage is read with Django's own GDAL
bindings instead: a GeoPackage is a SQLite file, and pyogrio's wheel brings its own SQLite,
which crashes the process (a segmentation fault) once the SpatiaLite database connection
has loaded the system one.
"""

import io
import json
import math
import tempfile
import warnings
from pathlib import PurePath

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Polygon

from .. import services
from ..choices import SiteKind
from ..models import Site, geos_of
from .report import ImportReport

FIELDS = ("code", "name", "kind", "timezone", "zone_radii_m")
SUFFIXES = (".geojson", ".json", ".kml", ".gpkg")
KML_NS = "{http://www.opengis.net/kml/2.2}"


def parse_mapping(text):
    """{"name": "NAME_FIELD", ...} from "name=NAME_FIELD,code=ICAO"; ValueError says what
    is wrong."""
    mapping = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        field, sep, source = item.partition("=")
        field, source = field.strip(), source.strip()
        if not sep or not source or field not in FIELDS:
            message = _(
                "“%(item)s” is not a mapping: write site_field=FILE_FIELD, where site_field "
                "is one of %(fields)s."
            )
            raise ValueError(message % {"item": item, "fields": ", ".join(FIELDS)})
        mapping[field] = source
    return mapping


# --- Reading ----------------------------------------------------------------------------


def _gdal_kml_driver():
    import pyogrio

    drivers = pyogrio.list_drivers()
    return next((d for d in ("LIBKML", "KML") if d in drivers), None)


def _read_with_gdal(data):
    """[(attributes, shapely geometry or None)] read through pyogrio."""
    import pyogrio

    with warnings.catch_warnings():
        # GDAL reads the upload from memory and notes that its name lacks ".gpkg".
        warnings.filterwarnings("ignore", "File /vsimem/", RuntimeWarning)
        frame = pyogrio.read_dataframe(
            io.BytesIO(data), force_2d=True, on_invalid="ignore", use_arrow=False
        )
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    rows = []
    columns = [c for c in frame.columns if c != "geometry"]
    for record in frame.itertuples(index=False):
        values = record._asdict()
        geometry = values.pop("geometry", None)
        attributes = {c: values.get(c) for c in columns}
        rows.append((attributes, geometry))
    return rows


def _read_geopackage(data):
    """[(attributes, shapely geometry or None)] of every feature layer of a GeoPackage."""
    from django.contrib.gis.gdal import DataSource, SpatialReference

    rows = []
    with tempfile.NamedTemporaryFile(suffix=".gpkg") as copy:
        copy.write(data)
        copy.flush()
        wgs84 = SpatialReference(4326)
        for layer in DataSource(copy.name):
            for feature in layer:
                attributes = {name: feature.get(name) for name in layer.fields}
                geometry = feature.geom
                if geometry is not None and layer.srs is not None and layer.srs.srid != 4326:
                    geometry.transform(wgs84)
                shape = None if geometry is None else shapely.from_wkb(bytes(geometry.wkb))
                rows.append((attributes, shape))
    return rows


def _kml_coordinates(element):
    text = element.findtext(f"{KML_NS}coordinates") or ""
    points = []
    for token in text.split():
        parts = token.split(",")
        points.append((float(parts[0]), float(parts[1])))
    return points


def _kml_polygon(element):
    outer = element.find(f"{KML_NS}outerBoundaryIs/{KML_NS}LinearRing")
    holes = element.findall(f"{KML_NS}innerBoundaryIs/{KML_NS}LinearRing")
    if outer is None:
        return None
    return Polygon(_kml_coordinates(outer), [_kml_coordinates(h) for h in holes])


def read_kml_with_lxml(data):
    """[(attributes, shapely geometry or None)] of a KML file's placemarks, read without
    GDAL: the name, ExtendedData values and Polygon/MultiGeometry of each."""
    from lxml import etree

    root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    rows = []
    for placemark in root.iter(f"{KML_NS}Placemark"):
        attributes = {"Name": placemark.findtext(f"{KML_NS}name")}
        for item in placemark.iter(f"{KML_NS}Data"):
            attributes[item.get("name")] = item.findtext(f"{KML_NS}value")
        for item in placemark.iter(f"{KML_NS}SimpleData"):
            attributes[item.get("name")] = item.text
        polygons = [p for p in map(_kml_polygon, placemark.iter(f"{KML_NS}Polygon")) if p]
        geometry = None
        if len(polygons) == 1:
            geometry = polygons[0]
        elif polygons:
            geometry = MultiPolygon(polygons)
        else:
            point = next(placemark.iter(f"{KML_NS}Point"), None)
            line = next(placemark.iter(f"{KML_NS}LineString"), None)
            if point is not None:
                geometry = shapely.Point(_kml_coordinates(point)[0])
            elif line is not None:
                geometry = shapely.LineString(_kml_coordinates(line))
        rows.append((attributes, geometry))
    return rows


def read_features(name, handle):
    """[(attributes, shapely geometry or None)] of a file, in file order; ValueError with a
    message when the file cannot be read at all."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(
            _("%(file)s is not a .geojson, .json, .kml or .gpkg file.") % {"file": name}
        )
    data = handle.read()
    if suffix == ".kml" and _gdal_kml_driver() is None:
        try:
            return read_kml_with_lxml(data)
        except Exception as exc:  # lxml's errors say where the XML breaks
            message = _("%(file)s is not readable KML (%(error)s).")
            raise ValueError(message % {"file": name, "error": exc}) from exc
    try:
        if suffix == ".gpkg":
            return _read_geopackage(data)
        return _read_with_gdal(data)
    except Exception as exc:  # GDAL's message names the format problem
        message = _("%(file)s could not be read (%(error)s).")
        raise ValueError(message % {"file": name, "error": exc}) from exc


# --- Turning features into sites --------------------------------------------------------


def _blank(value):
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _radii(value):
    """Alert ring distances from a list, "[500, 1000]" or "500,1000,5000"; anything else is
    passed on for Site.clean() to explain."""
    if isinstance(value, list | tuple):
        return list(value)
    text = str(value).strip()
    try:
        parsed = json.loads(text if text.startswith("[") else f"[{text}]")
    except ValueError:
        return text
    return parsed


def _kind(value):
    text = str(value).strip()
    for choice in SiteKind:
        if text.lower() in (choice.value, str(choice.label).lower()):
            return choice.value
    return text  # Site.full_clean() says which kinds there are


def _values(attributes, mapping):
    """The site field values a feature gives (only those present)."""
    lower = {str(k).lower(): k for k in attributes}
    values = {}
    for field in FIELDS:
        source = mapping.get(field, field)
        key = source if source in attributes else lower.get(source.lower())
        if key is None or _blank(attributes[key]):
            continue
        value = attributes[key]
        if field == "zone_radii_m":
            value = _radii(value)
        elif field == "kind":
            value = _kind(value)
        elif field == "code":
            value = str(value).strip().upper()
        else:
            value = str(value).strip()
        values[field] = value
    return values


def _describe(value):
    return json.dumps(value) if isinstance(value, list) else f"“{value}”"


def _messages(error):
    """(field, message) pairs of a ValidationError."""
    if hasattr(error, "message_dict"):
        return [(f, m) for f, messages in error.message_dict.items() for m in messages]
    return [("", m) for m in error.messages]


def import_sites(name, handle, *, mapping=None, dry_run=False):
    """Create or update sites from a GeoJSON, KML or GeoPackage file.

    Each bad feature is reported (feature number, field, what to fix) and skipped; the
    others are saved, each on its own. Returns an ImportReport.
    """
    report = ImportReport(dry_run=dry_run)
    mapping = mapping or {}
    try:
        features = read_features(name, handle)
    except ValueError as exc:
        report.problem("file", "", str(exc))
        return report
    seen = {}
    for number, (attributes, geometry) in enumerate(features, start=1):
        where = _("feature %(number)d") % {"number": number}
        values = _values(attributes, mapping)
        code = values.get("code")
        if not code:
            source = mapping.get("code", "code")
            message = _("no site code: give each feature a “%(field)s” value.")
            report.problem(where, "code", message % {"field": source})
            continue
        if code in seen:
            message = _("%(code)s is already feature %(number)d of this file.")
            report.problem(where, "code", message % {"code": code, "number": seen[code]})
            continue
        seen[code] = number
        if geometry is None or not isinstance(geometry, Polygon | MultiPolygon):
            kind = (
                _("no geometry")
                if geometry is None
                else _("a %(type)s") % {"type": geometry.geom_type}
            )
            report.problem(
                where,
                "perimeter",
                _("the site's perimeter must be a polygon; this feature has %(kind)s.")
                % {"kind": kind},
            )
            continue
        site = Site.objects.filter(code=code).first()
        before = None
        if site is not None:
            before = {f: getattr(site, f) for f in ("name", "kind", "timezone", "zone_radii_m")}
            before["perimeter"] = site.perimeter.clone()
        else:
            site = Site()
        for field, value in values.items():
            setattr(site, field, value)
        flat = shapely.force_2d(geometry)
        site.perimeter = geos_of(MultiPolygon([flat]) if isinstance(flat, Polygon) else flat)
        try:
            site.full_clean()
        except ValidationError as error:
            for field, message in _messages(error):
                report.problem(f"{where} ({code})", field, message)
            continue
        if before is None:
            report.created += 1
            message = _("%(code)s: new site “%(name)s”.")
            report.changes.append(message % {"code": code, "name": site.name})
            if not dry_run:
                site.save()
            continue
        changed = [
            f"{field} {_describe(old)} → {_describe(getattr(site, field))}"
            for field, old in before.items()
            if field != "perimeter" and old != getattr(site, field)
        ]
        perimeter_changed = not before["perimeter"].equals_exact(site.perimeter, 1e-9)
        if perimeter_changed:
            changed.append(_("perimeter changed"))
        if not changed:
            report.unchanged += 1
            continue
        report.updated += 1
        report.changes.append(f"{code}: " + "; ".join(changed) + ".")
        if dry_run:
            continue
        with transaction.atomic():
            site.save()
            if perimeter_changed or before["zone_radii_m"] != site.zone_radii_m:
                count = services.recompute_site(site)
                report.changes.append(
                    _("%(code)s: zones and severities recomputed for %(count)d incidents.")
                    % {"code": code, "count": count}
                )
    return report
