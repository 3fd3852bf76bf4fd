"""Map data as GeoJSON: a site's perimeter and alert rings, and incidents in bulk.

`site_layers` draws one site for Leaflet. `incident_features_geojson` turns any incident
queryset (already scoped with `visible_to()` and filtered) into a GeoJSON FeatureCollection
built by the database in one query, so a map of 50,000 incidents costs one round trip and
no Python object per incident. The staff map pages and the REST API's bulk map read both
call it.
"""

import json

import numpy as np
import shapely
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    BooleanField,
    DateField,
    DateTimeField,
    F,
    FloatField,
    Func,
    JSONField,
    Value,
    Window,
)
from django.db.models.functions import Concat, RowNumber
from django.urls import NoReverseMatch, get_script_prefix, reverse

from . import geo

# Decimal places kept in map coordinates: 1e-6 degrees is at most 0.11 m, well inside the
# 1 m the maps promise, and keeps a 50,000-point layer small.
COORDINATE_DECIMALS = 6

DEFAULT_INCIDENT_FIELDS = (
    "id",
    "reference",
    "first_seen",
    "severity",
    "zone",
    "status",
    "drone_count",
    "url",
)

_EMPTY_COLLECTION = '{"type": "FeatureCollection", "features": []}'


def _rounded(shape):
    return shapely.transform(shape, lambda xy: np.round(xy, COORDINATE_DECIMALS))


def _feature(shape, **properties):
    return {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(_rounded(shape)),
        "properties": properties,
    }


def site_layers(site, rings=True):
    """A site's perimeter and alert rings as a GeoJSON FeatureCollection (a dict).

    With rings=False only the perimeter: the map of all sites shows hundreds of sites, where
    the geodesic rings would cost most of the page's time and size and are too small to see.

    The first feature is the perimeter (properties kind="perimeter", radius_m=0, code,
    name); then one feature per alert ring, innermost first (kind="ring", index, radius_m),
    whose geometry is the band between the previous ring (or the perimeter) and this ring,
    so filled rings do not stack. Shapes are drawn with `geo.continuous`: a site across
    180° comes out as one shape running past 180, not two slivers at the ends of the world.
    """
    features = [
        _feature(
            geo.continuous(site.perimeter_shape()),
            kind="perimeter",
            radius_m=0,
            code=site.code,
            name=site.name,
        )
    ]
    if not rings:
        return {"type": "FeatureCollection", "features": features}
    perimeter_east = geo.continuous(site.perimeter_shape()).centroid.x
    for ring in site.alert_rings():
        band = geo.continuous(ring.band)
        # Rings are split at 180° independently of the perimeter; put each on the same side
        # as the perimeter so they are drawn around it.
        shift = 360 * round((perimeter_east - band.centroid.x) / 360)
        if shift:
            band = shapely.affinity.translate(band, xoff=shift)
        features.append(_feature(band, kind="ring", index=ring.index, radius_m=ring.radius_m))
    return {"type": "FeatureCollection", "features": features}


def incident_url_prefix():
    """The path an incident's reference is appended to for its page, e.g. /incidents/."""
    marker = "ZZZ-9999-99999"  # shaped like a reference, so a strict converter accepts it
    try:
        path = reverse("incident_detail", args=[marker])
    except NoReverseMatch:
        # The detail page is not routed (yet): its documented path under the script prefix.
        return f"{get_script_prefix()}incidents/"
    return path[: path.index(marker)]


def _normalise_fields(fields):
    pairs = []
    for item in fields:
        name, path = (item, item) if isinstance(item, str) else item
        if not name.isidentifier():
            raise ValueError(f"Property name {name!r} must be a plain identifier.")
        pairs.append((name, path))
    return pairs


def _sort_keys(ordering):
    """(expression, "ASC"/"DESC") for each item of an ordering made of field names, or None
    when an item is anything else (an expression, "?"), for the row-number route instead.

    PostgreSQL's defaults (NULLS LAST ascending, NULLS FIRST descending) are Django's too.
    """
    keys = []
    for item in ordering:
        if not isinstance(item, str) or item == "?" or "." in item:
            return None
        name = item.removeprefix("-")
        keys.append((F(name), "DESC" if item.startswith("-") else "ASC"))
    return keys


def _ordering(queryset):
    query = queryset.query
    ordering = list(query.order_by) or (
        list(queryset.model._meta.ordering) if query.default_ordering else []
    )
    return [*ordering, "pk"]


def incident_features_geojson(queryset, fields=DEFAULT_INCIDENT_FIELDS, geometry="location"):
    """A GeoJSON FeatureCollection (as text) of the queryset's rows, built in the database.

    `queryset` is used as it is, filters, scoping, order and slice (a page) included (its SQL
    becomes a subquery), so call it with `Incident.objects.visible_to(user)` narrowed as needed.
    `fields` names the feature properties: model field names, "url" (the incident's page,
    from its reference), or (property, lookup path) pairs such as ("site", "site__code").
    `geometry` names the point (or other geometry) field. Each feature's id is the primary
    key; date-times come out as UTC ISO 8601 with milliseconds (2026-05-01T12:00:00.000Z),
    booleans as true/false, JSON fields as JSON, so PostGIS and SpatiaLite give the same
    features. One query whatever the number of rows.
    """
    return _build(queryset, fields, geometry, compact=False)


def incident_rows_json(queryset, fields=DEFAULT_INCIDENT_FIELDS, geometry="location"):
    """The same rows as `incident_features_geojson`, in a compact JSON for the map pages:
    {"fields": ["id", "lon", "lat", <fields>...], "rows": [[id, lon, lat, ...], ...]}.

    About a third of the GeoJSON's size and half its database time: no "type"/"geometry"/
    "properties" keys repeated per row. `geometry` must be a point field. Values are written
    exactly as in the GeoJSON (coordinates to COORDINATE_DECIMALS places, same date-times),
    in the same order, so a client can turn each row back into the GeoJSON feature.
    """
    return _build(queryset, fields, geometry, compact=True)


def _build(queryset, fields, geometry, compact):
    pairs = _normalise_fields(fields)
    columns = {}
    for position, (_name, path) in enumerate(pairs):
        alias = f"p{position}"
        if path == "url":
            columns[alias] = Concat(Value(incident_url_prefix()), F("reference"), Value("/"))
        else:
            columns[alias] = F(path)
    columns["feature_pk"] = F("pk")
    if compact:
        columns["feature_x"] = Func(geometry, function="ST_X", output_field=FloatField())
        columns["feature_y"] = Func(geometry, function="ST_Y", output_field=FloatField())
    else:
        columns["feature_geometry"] = AsGeoJSON(geometry, precision=COORDINATE_DECIMALS)
    connection = connections[queryset.db]
    postgres = connection.vendor == "postgresql"
    ordering = _ordering(queryset)
    sort_keys = _sort_keys(ordering) if postgres else None
    if sort_keys is not None and not queryset.query.is_sliced:
        # PostgreSQL orders the aggregate by the queryset's own sort keys: one sort, where a
        # row number would cost a sort for the window and another for the aggregate.
        for index, (expression, _direction) in enumerate(sort_keys):
            columns[f"feature_sort{index}"] = expression
        order = ", ".join(f"features.feature_sort{i} {d}" for i, (_e, d) in enumerate(sort_keys))
        inner = queryset.values(**columns).order_by()
    elif postgres:
        # A slice (a page) keeps its own ORDER BY; the row number carries it to the aggregate.
        columns["feature_order"] = Window(RowNumber(), order_by=ordering)
        order = "features.feature_order"
        inner = queryset.values(**columns)
    else:
        # SQLite reads an ordered subquery in order (see _sqlite_sql); a slice keeps its own.
        order = None
        inner = queryset.values(**columns)
        if not queryset.query.is_sliced:
            inner = inner.order_by(*ordering)
    kinds = {alias: _kind(inner, alias) for alias in columns}

    try:
        inner_sql, params = inner.query.sql_with_params()
    except EmptyResultSet:  # e.g. visible_to() of an anonymous user: no query to run
        return _empty_rows(pairs) if compact else _EMPTY_COLLECTION
    if compact:
        build = _postgres_rows_sql if postgres else _sqlite_rows_sql
    else:
        build = _postgres_sql if postgres else _sqlite_sql
    sql = build(pairs, kinds, inner_sql, order)
    with connection.cursor() as cursor:
        # Always with a parameter tuple, so both drivers read %% in the SQL as a literal %.
        cursor.execute(sql, tuple(params))
        (text,) = cursor.fetchone()
    # PostgreSQL hands back json as text already; SQLite as text too. Both are one string.
    return text if isinstance(text, str) else json.dumps(text)


def _row_names(pairs):
    return ["id", "lon", "lat", *(name for name, _path in pairs)]


def _empty_rows(pairs):
    return json.dumps({"fields": _row_names(pairs), "rows": []})


def _row_values(pairs, kinds, value):
    return ", ".join(
        value(kinds[f"p{position}"], f"features.p{position}") for position in range(len(pairs))
    )


def _postgres_rows_sql(pairs, kinds, inner_sql, order):
    names = ", ".join(f"'{name}'" for name in _row_names(pairs))
    places = COORDINATE_DECIMALS
    row = (
        f"json_build_array(features.feature_pk, "
        f"round(features.feature_x::numeric, {places}), "
        f"round(features.feature_y::numeric, {places}), "
        f"{_row_values(pairs, kinds, _postgres_value)})"
    )
    return (
        f"SELECT json_build_object('fields', json_build_array({names}), 'rows', "
        f"COALESCE(json_agg({row} ORDER BY {order}), '[]'::json))::text "
        f"FROM ({inner_sql}) AS features"
    )


def _sqlite_rows_sql(pairs, kinds, inner_sql, order):
    names = ", ".join(f"'{name}'" for name in _row_names(pairs))
    places = COORDINATE_DECIMALS
    row = (
        f"json_array(features.feature_pk, round(features.feature_x, {places}), "
        f"round(features.feature_y, {places}), {_row_values(pairs, kinds, _sqlite_value)})"
    )
    return (
        f"SELECT json_object('fields', json_array({names}), 'rows', json_group_array({row})) "
        f"FROM ({inner_sql}) AS features"
    )


def _kind(values_queryset, alias):
    field = values_queryset.query.annotations[alias].output_field
    if isinstance(field, GeometryField):
        return "geometry"
    if isinstance(field, DateTimeField):
        return "datetime"
    if isinstance(field, DateField):
        return "date"
    if isinstance(field, BooleanField):
        return "boolean"
    if isinstance(field, JSONField):
        return "json"
    return "plain"


def _postgres_value(kind, column):
    if kind == "datetime":
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    if kind == "date":
        return f"to_char({column}, 'YYYY-MM-DD')"
    return column  # booleans, numbers, text and jsonb map to JSON natively


def _sqlite_value(kind, column):
    if kind == "datetime":
        return f"strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', {column})"
    if kind == "boolean":
        truth = f"CASE WHEN {column} IS NULL THEN 'null' WHEN {column} THEN 'true' ELSE 'false' END"
        return f"json({truth})"
    if kind == "json":
        return f"json({column})"
    return column


def _properties(pairs, kinds, function, value):
    items = []
    for position, (name, _path) in enumerate(pairs):
        alias = f"p{position}"
        items.append(f"'{name}', {value(kinds[alias], 'features.' + alias)}")
    return f"{function}({', '.join(items)})"


def _postgres_sql(pairs, kinds, inner_sql, order):
    feature = (
        "json_build_object('type', 'Feature', 'id', features.feature_pk, "
        "'geometry', features.feature_geometry::json, "
        f"'properties', {_properties(pairs, kinds, 'json_build_object', _postgres_value)})"
    )
    return (
        "SELECT json_build_object('type', 'FeatureCollection', 'features', "
        f"COALESCE(json_agg({feature} ORDER BY {order}), '[]'::json))::text "
        f"FROM ({inner_sql}) AS features"
    )


def _sqlite_sql(pairs, kinds, inner_sql, order):
    feature = (
        "json_object('type', 'Feature', 'id', features.feature_pk, "
        "'geometry', json(features.feature_geometry), "
        f"'properties', {_properties(pairs, kinds, 'json_object', _sqlite_value)})"
    )
    # SQLite 3.40 has no ORDER BY inside an aggregate; it reads an ordered subquery of an
    # aggregate in order (the subquery cannot be flattened into an aggregate query).
    return (
        "SELECT json_object('type', 'FeatureCollection', 'features', "
        f"json_group_array({feature})) FROM ({inner_sql}) AS features"
    )
