"""EU UAS geographical zones as reference zones: EUROCAE ED-269 (JSON) and ED-318 (GeoJSON).

ED-269 wraps its zones as {"features": [...]} or {"UASZoneList": [...]}; each zone holds a
list of volumes whose horizontal projection is a Polygon or a Circle (centre and radius in
the volume's unit, M or FT). ED-318 is a GeoJSON FeatureCollection whose geometries carry a
vertical `layer`, and a circle is a Point with `extent` {"subType": "Circle", "radius"}.
An ED-318 file is checked against the published JSON schema (ed318_schema/, MIT, from
github.com/UASGeoZones/ED-318) when the `jsonschema` library is installed, and every
geometry is checked here: coordinates in range, rings closed and valid, radii positive.

Circles become polygons geodesically: vertices at the radius along the ellipsoid from the
centre, enough of them that no chord strays more than CIRCLE_TOLERANCE_M inside the circle.
A zone's volumes are merged into one footprint and cut at 180° like site perimeters.

Each file is a dataset: importing it again replaces the zones it brought in before.
"""

import io
import json
import math
import zipfile
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path, PurePath

import shapely
from django.contrib.gis.geos import Polygon as GeosPolygon
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Polygon
from shapely.ops import unary_union

from .. import geo
from ..models import ReferenceZone, ZoneFormat, geos_of
from .report import ImportReport

CIRCLE_TOLERANCE_M = 1.0
MAX_CIRCLE_VERTICES = 4096
FEET = 0.3048
SCHEMA_DIR = Path(__file__).parent / "ed318_schema"
SCHEMA_BASE = "https://skyledger.invalid/ed318/"  # only names the files to each other
RESTRICTIONS = {"REQ_AUTHORISATION": "REQ_AUTHORIZATION"}  # ED-269 spells it the British way


class ZoneProblem(Exception):
    """A zone that cannot be imported; the message says which field and what to fix."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


# --- Geometry ----------------------------------------------------------------------------


def circle_vertex_count(radius_m, tolerance_m=CIRCLE_TOLERANCE_M):
    """Vertices a circle needs so that each chord's midpoint lies within `tolerance_m` of
    the true edge: the sagitta r(1 - cos(pi / n)) must not exceed the tolerance."""
    if radius_m <= tolerance_m:
        return 16
    n = math.ceil(math.pi / math.acos(1 - tolerance_m / radius_m))
    return max(16, min(MAX_CIRCLE_VERTICES, n))


def circle_polygon(lon, lat, radius_m):
    """A geodesic circle as a polygon: each vertex `radius_m` from the centre along the
    ellipsoid. Longitudes stay continuous across 180° (normalise_perimeter cuts them)."""
    count = circle_vertex_count(radius_m)
    azimuths = [360.0 * i / count for i in range(count)][::-1]  # anticlockwise, as RFC 7946
    xs, ys, _ = geo.WGS84.fwd([lon] * count, [lat] * count, azimuths, [radius_m] * count)
    points = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
    return geo.unwrap(Polygon([*points, points[0]]))


def _check_position(position, where):
    if (
        not isinstance(position, list | tuple)
        or len(position) < 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position[:2])
    ):
        message = _("“%(value)s” is not a [longitude, latitude] position.")
        raise ZoneProblem(where, message % {"value": position})
    lon, lat = position[0], position[1]
    problem = geo.point_problem(lon, lat)
    if problem:
        raise ZoneProblem(where, problem)
    return float(lon), float(lat)


def _polygon(rings, where, notes):
    if not isinstance(rings, list) or not rings:
        raise ZoneProblem(where, _("a polygon needs at least one ring of positions."))
    parsed = []
    for ring in rings:
        points = [_check_position(p, where) for p in (ring or [])]
        if len(points) < 4 or points[0] != points[-1]:
            raise ZoneProblem(
                where,
                _(
                    "each polygon ring needs at least four positions, the last equal to the "
                    "first (a closed ring)."
                ),
            )
        parsed.append(points)
    polygon = geo.unwrap(Polygon(parsed[0], parsed[1:]))
    if polygon.is_valid:
        return polygon
    # The authority's zone is kept (a map is better with it than without), repaired by the
    # standard rule, and the report says so, so that someone can check it and tell them.
    repaired = [p for p in _parts(shapely.make_valid(polygon)) if p.area > 0]
    if not repaired:
        raise ZoneProblem(where, _("the polygon encloses no area: check its coordinates."))
    message = _(
        "%(where)s: the polygon was not valid (%(reason)s); it was repaired by splitting it "
        "where its edges cross. Check it against the source."
    )
    notes.append(message % {"where": where, "reason": shapely.is_valid_reason(polygon)})
    return MultiPolygon(repaired)


def _parts(geometry):
    """The polygons in a geometry, whatever make_valid returned."""
    if isinstance(geometry, Polygon):
        return [geometry]
    return [p for part in getattr(geometry, "geoms", []) for p in _parts(part)]


def _radius_m(value, unit, where):
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        message = _("the circle radius must be a positive number, not “%(value)s”.")
        raise ZoneProblem(where, message % {"value": value})
    return float(value) * (FEET if unit == "ft" else 1.0)


def footprint(polygons):
    """The union of a zone's volume outlines as a MultiPolygon cut at 180°."""
    if len(polygons) == 1 and isinstance(polygons[0], Polygon):
        return geo.normalise_perimeter(polygons[0])
    merged = unary_union([geo.continuous(p) for p in polygons])
    return geo.normalise_perimeter(MultiPolygon(_parts(merged)))


def _limit(value, unit, where):
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        message = _("“%(value)s” is not a height: give a number.")
        raise ZoneProblem(where, message % {"value": value}) from None
    return number * (FEET if unit == "ft" else 1.0)


def _limits(volumes):
    """Lowest lower and highest upper limit (metres) with their references."""
    lowers = [(v["lower_m"], v["lower_reference"]) for v in volumes if v["lower_m"] is not None]
    uppers = [(v["upper_m"], v["upper_reference"]) for v in volumes if v["upper_m"] is not None]
    lower = min(lowers, default=(None, ""), key=lambda item: item[0])
    upper = max(uppers, default=(None, ""), key=lambda item: item[0])
    return {
        "lower_limit_m": lower[0],
        "lower_reference": lower[1] or "",
        "upper_limit_m": upper[0],
        "upper_reference": upper[1] or "",
    }


# --- ED-269 ------------------------------------------------------------------------------


def _ed269_circle_centre(centre, where):
    """The centre as (lon, lat). ED-269 does not fix the order; the samples write
    [lon, lat], which is assumed unless only the other order is in range."""
    if isinstance(centre, list | tuple) and len(centre) >= 2:
        first, second = centre[0], centre[1]
        if (
            isinstance(first, int | float)
            and isinstance(second, int | float)
            and abs(first) <= 90 < abs(second) <= 180
        ):
            return float(second), float(first)
    return _check_position(centre, where)


def ed269_zone(zone, notes):
    """The ReferenceZone fields of one ED-269 UASZoneVersion, or raise ZoneProblem."""
    if not isinstance(zone, dict):
        raise ZoneProblem("", _("a zone must be a JSON object."))
    if not zone.get("identifier"):
        raise ZoneProblem("identifier", _("the zone has no identifier: give it one."))
    restriction = RESTRICTIONS.get(zone.get("restriction"), zone.get("restriction"))
    if restriction not in {"PROHIBITED", "REQ_AUTHORIZATION", "CONDITIONAL", "NO_RESTRICTION"}:
        raise ZoneProblem(
            "restriction",
            _(
                "“%(value)s” is not a restriction: use PROHIBITED, REQ_AUTHORISATION, "
                "CONDITIONAL or NO_RESTRICTION."
            )
            % {"value": zone.get("restriction")},
        )
    volumes_in = zone.get("geometry")
    if not isinstance(volumes_in, list) or not volumes_in:
        raise ZoneProblem("geometry", _("the zone needs at least one volume in `geometry`."))
    polygons, volumes = [], []
    for index, volume in enumerate(volumes_in, start=1):
        where = f"geometry {index}"
        unit = {"M": "m", "FT": "ft"}.get(str(volume.get("uomDimensions", "M")).upper())
        if unit is None:
            raise ZoneProblem(where, _("uomDimensions must be M or FT."))
        projection = volume.get("horizontalProjection") or {}
        kind = projection.get("type")
        if kind == "Polygon":
            polygons.append(_polygon(projection.get("coordinates"), f"{where} (Polygon)", notes))
        elif kind == "Circle":
            lon, lat = _ed269_circle_centre(projection.get("center"), f"{where} (Circle center)")
            radius = _radius_m(projection.get("radius"), unit, f"{where} (Circle radius)")
            polygons.append(circle_polygon(lon, lat, radius))
        else:
            raise ZoneProblem(
                f"{where} (horizontalProjection)",
                _("“%(kind)s” is not a horizontal projection: use Polygon or Circle.")
                % {"kind": kind},
            )
        volumes.append(
            {
                "lower_m": _limit(volume.get("lowerLimit"), unit, f"{where} (lowerLimit)"),
                "lower_reference": volume.get("lowerVerticalReference") or "",
                "upper_m": _limit(volume.get("upperLimit"), unit, f"{where} (upperLimit)"),
                "upper_reference": volume.get("upperVerticalReference") or "",
                "as_published": {k: v for k, v in volume.items() if k != "horizontalProjection"},
            }
        )
    properties = {k: v for k, v in zone.items() if k != "geometry"}
    return {
        "identifier": str(zone["identifier"])[:100],
        "name": str(zone.get("name") or "")[:300],
        "country": str(zone.get("country") or "")[:3],
        "restriction": restriction,
        "variant": str(zone.get("type") or "")[:20],
        "reasons": zone.get("reason") or [],
        "volumes": volumes,
        "applicability": zone.get("applicability") or [],
        "message": str(zone.get("message") or ""),
        "source_format": ZoneFormat.ED269,
        "geometry": footprint(polygons),
        "properties": properties,
        **_limits(volumes),
    }


# --- ED-318 ------------------------------------------------------------------------------


def _text(texts):
    """The English text of an ED-318 list of {text, lang}, else the first one."""
    if isinstance(texts, str):
        return texts
    if not isinstance(texts, list):
        return ""
    items = [t for t in texts if isinstance(t, dict) and t.get("text")]
    english = [t for t in items if str(t.get("lang", "")).lower().startswith("en")]
    return str((english or items or [{"text": ""}])[0]["text"])


def _ed318_volumes(geometry, where, notes):
    """(shapely polygons, layers) of one ED-318 geometry; collections are walked."""
    if not isinstance(geometry, dict):
        raise ZoneProblem(where, _("the feature has no geometry: a zone needs an area."))
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        polygons, layers = [], []
        for index, part in enumerate(geometry.get("geometries") or [], start=1):
            more, more_layers = _ed318_volumes(part, f"{where} {index}", notes)
            polygons += more
            layers += more_layers
        if not polygons:
            raise ZoneProblem(where, _("the geometry collection is empty."))
        return polygons, layers
    layer = geometry.get("layer") or {}
    unit = layer.get("uom", "m")
    if unit not in ("m", "ft"):
        message = _("“%(unit)s” is not a unit: use m or ft.")
        raise ZoneProblem(f"{where} (layer.uom)", message % {"unit": unit})
    volume = {
        "lower_m": _limit(layer.get("lower"), unit, f"{where} (layer.lower)"),
        "lower_reference": layer.get("lowerReference") or "",
        "upper_m": _limit(layer.get("upper"), unit, f"{where} (layer.upper)"),
        "upper_reference": layer.get("upperReference") or "",
        "as_published": layer,
    }
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        return [_polygon(coordinates, f"{where} (Polygon)", notes)], [volume]
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise ZoneProblem(f"{where} (MultiPolygon)", _("the MultiPolygon has no polygons."))
        return [_polygon(p, f"{where} (MultiPolygon)", notes) for p in coordinates], [volume]
    if kind == "Point":
        extent = geometry.get("extent") or {}
        if extent.get("subType") != "Circle":
            raise ZoneProblem(
                f"{where} (Point)",
                _(
                    'a Point encloses no area: give it an extent {"subType": "Circle", '
                    '"radius": metres}, or use a Polygon.'
                ),
            )
        lon, lat = _check_position(coordinates, f"{where} (Point)")
        radius = _radius_m(extent.get("radius"), unit, f"{where} (extent.radius)")
        return [circle_polygon(lon, lat, radius)], [volume]
    raise ZoneProblem(
        where,
        _(
            "a %(kind)s encloses no area: a zone needs a Polygon, MultiPolygon or a Point with "
            "a circle extent."
        )
        % {"kind": kind},
    )


def ed318_zone(feature, notes):
    """The ReferenceZone fields of one ED-318 feature, or raise ZoneProblem."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ZoneProblem("type", _("each item of `features` must be a GeoJSON Feature."))
    properties = feature.get("properties") or {}
    if not properties.get("identifier"):
        message = _("the zone has no identifier: give it one.")
        raise ZoneProblem("properties.identifier", message)
    polygons, volumes = _ed318_volumes(feature.get("geometry"), "geometry", notes)
    return {
        "identifier": str(properties["identifier"])[:100],
        "name": _text(properties.get("name"))[:300],
        "country": str(properties.get("country") or "")[:3],
        "restriction": str(properties.get("type") or "")[:30],
        "variant": str(properties.get("variant") or "")[:20],
        "reasons": properties.get("reason") or [],
        "volumes": volumes,
        "applicability": properties.get("limitedApplicability") or [],
        "message": _text(properties.get("message")),
        "source_format": ZoneFormat.ED318,
        "geometry": footprint(polygons),
        "properties": properties,
        **_limits(volumes),
    }


def _inline_refs(node, document, documents):
    """The schema with every $ref replaced by what it points to: the ED-318 schemas are
    small and not recursive, and a validator without references is several times faster."""
    if isinstance(node, list):
        return [_inline_refs(item, document, documents) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        file_name, _, pointer = node["$ref"].partition("#")
        target_document = documents[PurePath(file_name).name] if file_name else document
        target = target_document
        for part in filter(None, pointer.split("/")):
            target = target[part]
        rest = {k: v for k, v in node.items() if k != "$ref"}
        resolved = _inline_refs(target, target_document, documents)
        return {**resolved, **_inline_refs(rest, document, documents)}
    return {key: _inline_refs(value, document, documents) for key, value in node.items()}


@cache
def ed318_validator():
    """A JSON-schema validator for ED-318 collections, or None without `jsonschema`."""
    try:
        import jsonschema
    except ImportError:
        return None
    documents = {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in SCHEMA_DIR.glob("Schema_*.json")
    }
    root = documents["Schema_GeoZones.json"]
    return jsonschema.Draft7Validator(
        _inline_refs(root, root, documents),
        format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
    )


def _is_position(value):
    return isinstance(value, list) and bool(value) and isinstance(value[0], int | float)


def _skeleton(coordinates):
    """Coordinates cut to four positions per ring, for the schema check: it then checks
    the structure without walking thousands of positions, which our own checks read."""
    if not isinstance(coordinates, list) or not coordinates or _is_position(coordinates):
        return coordinates
    if _is_position(coordinates[0]):
        return coordinates[:4]
    return [_skeleton(part) for part in coordinates]


def _schema_view(geometry):
    if not isinstance(geometry, dict):
        return geometry
    view = dict(geometry)
    if isinstance(view.get("geometries"), list):
        view["geometries"] = [_schema_view(part) for part in view["geometries"]]
    if "coordinates" in view:
        view["coordinates"] = _skeleton(view["coordinates"])
    return view


def _deepest(error):
    """The most specific reason under a schema error (oneOf/anyOf hide theirs)."""
    from jsonschema.exceptions import best_match

    while error.context:
        # Skip the `null` branch of "null or object": its complaint says nothing useful.
        useful = [e for e in error.context if e.validator_value != "null"] or error.context
        error = best_match(useful)
    return error


def _schema_problems(data):
    """(feature index or None, field path, message) for each ED-318 schema violation."""
    validator = ed318_validator()
    if validator is None:
        return []
    if isinstance(data.get("features"), list):
        data = {
            **data,
            "features": [
                {**f, "geometry": _schema_view(f.get("geometry"))} if isinstance(f, dict) else f
                for f in data["features"]
            ],
        }
    found = []
    for error in validator.iter_errors(data):
        leaf = _deepest(error)
        path = list(leaf.absolute_path)
        index = None
        if len(path) >= 2 and path[0] == "features" and isinstance(path[1], int):
            index, path = path[1], path[2:]
        field = ".".join(str(p) for p in path) or "(top level)"
        message = _("%(message)s (ED-318 schema).") % {"message": leaf.message}
        found.append((index, field, message))
    return found


# --- Reading and saving ------------------------------------------------------------------


def _load_json(name, handle):
    """The parsed JSON of a .json/.geojson file or of the one JSON file in a .zip."""
    data = handle.read()
    if PurePath(name).suffix.lower() == ".zip" or data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith((".json", ".geojson"))]
            if len(members) != 1:
                raise ValueError(f"the zip must hold exactly one .json file, not {len(members)}")
            data = archive.read(members[0])
    return json.loads(data.decode("utf-8-sig") if isinstance(data, bytes) else data)


def detect_format(data):
    """ZoneFormat of parsed JSON, or None when it is neither ED-269 nor ED-318."""
    if not isinstance(data, dict):
        return None
    if data.get("type") == "FeatureCollection":
        return ZoneFormat.ED318
    if isinstance(data.get("UASZoneList"), list):
        return ZoneFormat.ED269
    features = data.get("features")
    if isinstance(features, list) and all(
        isinstance(f, dict) and isinstance(f.get("geometry"), list) for f in features
    ):
        return ZoneFormat.ED269
    return None


def _feature(number):
    return _("feature %(number)d") % {"number": number}


def _identifier_of(item):
    if not isinstance(item, dict):
        return None
    properties = item.get("properties")
    if isinstance(properties, dict) and "identifier" in properties:
        return str(properties["identifier"])[:100]
    return str(item["identifier"])[:100] if "identifier" in item else None


def read_zones(name, handle, report):
    """(format, [(feature number, fields)], identifiers of refused features) of a file;
    problems go to `report`."""
    try:
        data = _load_json(name, handle)
    except (ValueError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        message = _("%(file)s is not readable JSON (%(error)s).")
        report.problem("file", "", message % {"file": name, "error": exc})
        return None, [], set()
    kind = detect_format(data)
    if kind is None:
        report.problem(
            "file",
            "",
            _(
                "%(file)s is neither ED-269 (an object with `UASZoneList` or `features` of "
                "zones with a `geometry` list) nor ED-318 (a GeoJSON FeatureCollection)."
            )
            % {"file": name},
        )
        return None, [], set()
    items = (
        data.get("UASZoneList")
        if kind == ZoneFormat.ED269 and "UASZoneList" in data
        else data.get("features")
    )
    refused = set()
    if kind == ZoneFormat.ED318:
        for index, field, message in _schema_problems(data):
            if index is None:
                report.problem("file", field, message)
            else:
                report.problem(_feature(index + 1), field, message)
                refused.add(index)
        if any(p.where == "file" for p in report.problems):
            message = _("%(file)s was refused as a whole: its collection does not follow ED-318.")
            report.notes.append(message % {"file": name})
            return kind, [], set()
    build = ed269_zone if kind == ZoneFormat.ED269 else ed318_zone
    zones, refused_ids = [], set()
    for index, item in enumerate(items):
        if index in refused:
            refused_ids.add(_identifier_of(item))
            continue
        notes = []
        try:
            zones.append((index + 1, build(item, notes)))
            report.notes.extend(f"{_feature(index + 1)}, {note}" for note in notes)
        except ZoneProblem as problem:
            report.problem(_feature(index + 1), problem.field, problem.message)
            refused_ids.add(_identifier_of(item))
    return kind, zones, refused_ids - {None}


def _same(zone, fields):
    return zone.properties == fields["properties"] and zone.geometry.equals_exact(
        geos_of(fields["geometry"]), 1e-9
    )


def import_zones(name, handle, *, dry_run=False):
    """Import one ED-269 or ED-318 file (or a .zip holding one) as reference zones.

    The file's name is its dataset: zones it brought before are replaced by those it brings
    now (so importing it twice changes nothing). Zones with problems are left out with a
    message, and the zones stored before under their identifiers are kept as they were;
    the others are imported. Returns an ImportReport.
    """
    report = ImportReport(dry_run=dry_run)
    dataset = PurePath(name).name
    kind, zones, held = read_zones(name, handle, report)
    for number, fields in zones:
        if fields["identifier"] in held:
            message = _(
                "%(feature)s (%(identifier)s): not imported, since another feature with this "
                "identifier was refused."
            )
            report.notes.append(
                message % {"feature": _feature(number), "identifier": fields["identifier"]}
            )
    zones = [(number, fields) for number, fields in zones if fields["identifier"] not in held]
    if kind is None or not zones:
        return report
    existing = defaultdict(list)
    for zone in ReferenceZone.objects.filter(dataset=dataset):
        if zone.identifier in held:
            message = _(
                "%(identifier)s: kept as stored before, since this file's version of it was "
                "refused."
            )
            report.notes.append(message % {"identifier": zone.identifier})
            continue
        existing[zone.identifier].append(zone)
    incoming = defaultdict(list)
    for _number, fields in zones:
        incoming[fields["identifier"]].append(fields)
    for identifier in sorted(set(existing) | set(incoming)):
        old, new = existing.get(identifier, []), incoming.get(identifier, [])
        unmatched = list(old)
        for fields in new:
            twin = next((z for z in unmatched if _same(z, fields)), None)
            if twin is not None:
                unmatched.remove(twin)
                report.unchanged += 1
            elif unmatched:
                unmatched.pop()
                report.updated += 1
                report.changes.append(_("%(identifier)s: updated.") % {"identifier": identifier})
            else:
                report.created += 1
        if unmatched:
            report.deleted += len(unmatched)
            message = _("%(identifier)s: no longer in %(file)s, removed.")
            report.changes.append(message % {"identifier": identifier, "file": dataset})
    counts = Counter(fields["restriction"] for _number, fields in zones)
    message = _("%(count)d %(format)s zones read from %(file)s: %(restrictions)s.")
    restrictions = ", ".join(f"{count} {kind_}" for kind_, count in sorted(counts.items()))
    report.notes.append(
        message
        % {
            "count": len(zones),
            "format": ZoneFormat(kind).label,
            "file": dataset,
            "restrictions": restrictions,
        }
    )
    if dry_run or not (report.created or report.updated or report.deleted):
        return report
    with transaction.atomic():
        ReferenceZone.objects.filter(dataset=dataset).exclude(identifier__in=held).delete()
        ReferenceZone.objects.bulk_create(
            [
                ReferenceZone(
                    dataset=dataset, **{**fields, "geometry": geos_of(fields["geometry"])}
                )
                for _number, fields in zones
            ],
            batch_size=500,
        )
    return report


def parse_bbox(text):
    """(min lon, min lat, max lon, max lat) from "minlon,minlat,maxlon,maxlat", or raise
    ValueError with a message saying what to fix."""
    try:
        values = [float(v) for v in (text or "").split(",")]
    except ValueError:
        values = []
    if len(values) != 4:
        raise ValueError(_("Give in_bbox as four numbers: min lon,min lat,max lon,max lat."))
    west, south, east, north = values
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south < north <= 90):
        raise ValueError(
            _(
                "in_bbox is out of range: longitudes -180 to 180, latitudes -90 to 90, "
                "south below north."
            )
        )
    return west, south, east, north


def reference_zones_geojson(bbox, zones=None):
    """A GeoJSON FeatureCollection (a dict) of the reference zones meeting the box.

    `bbox` is (west, south, east, north); a box with west > east crosses 180°."""
    west, south, east, north = bbox
    boxes = (
        [(west, south, east, north)]
        if west <= east
        else [
            (west, south, 180.0, north),
            (-180.0, south, east, north),
        ]
    )
    queryset = ReferenceZone.objects.all() if zones is None else zones
    selected = queryset.none()
    for box in boxes:
        selected |= queryset.filter(geometry__intersects=GeosPolygon.from_bbox(box))
    features = []
    for zone in selected.order_by("dataset", "identifier", "pk"):
        features.append(
            {
                "type": "Feature",
                "id": zone.pk,
                "geometry": json.loads(zone.geometry.geojson),
                "properties": {
                    "identifier": zone.identifier,
                    "name": zone.name,
                    "country": zone.country,
                    "restriction": zone.restriction,
                    "lower_limit_m": zone.lower_limit_m,
                    "lower_reference": zone.lower_reference,
                    "upper_limit_m": zone.upper_limit_m,
                    "upper_reference": zone.upper_reference,
                    "message": zone.message,
                    "dataset": zone.dataset,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
