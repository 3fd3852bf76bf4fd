"""Bounding-box filters that use the spatial index on both backends.

PostGIS uses its GiST index for `__intersects` by itself. SpatiaLite never does: Django's
spatial lookups there are plain function calls evaluated row by row, and the R*Tree is only
reached through the `SpatialIndex` virtual table. `in_bbox()` adds that sub-select on
SpatiaLite, so a box holding 1% of a million rows reads 1% of them, then keeps the exact
`__intersects` test for the shapes whose bounding rectangle merely touches the box.
"""

from django.contrib.gis.geos import Polygon
from django.db import connections
from django.db.models import Q
from django.db.models.expressions import RawSQL

SPATIAL_INDEX_ROWIDS = (
    "SELECT ROWID FROM SpatialIndex WHERE f_table_name = %s AND f_geometry_column = %s "
    "AND search_frame = BuildMbr(%s, %s, %s, %s)"
)


def boxes(minlon, minlat, maxlon, maxlat):
    """The box as one or two polygons (SRID 4326): a box whose min longitude is greater than
    its max crosses the antimeridian and is split there."""
    if minlon <= maxlon:
        parts = [(minlon, minlat, maxlon, maxlat)]
    else:
        parts = [(minlon, minlat, 180, maxlat), (-180, minlat, maxlon, maxlat)]
    polygons = []
    for part in parts:
        polygon = Polygon.from_bbox(part)
        polygon.srid = 4326
        polygons.append(polygon)
    return polygons


def in_bbox(queryset, field, polygons):
    """`queryset` narrowed to rows whose geometry `field` intersects any of the rectangles
    `polygons` (as from `boxes()`), through the spatial index on either backend."""
    model = queryset.model
    geometry = model._meta.get_field(field)
    # A point intersects a rectangle exactly when its bounding box lies within it (edges
    # included), which the index alone answers (PostGIS `@`, SpatiaLite MbrWithin); other
    # shapes need the exact intersection test as well.
    lookup = "contained" if geometry.geom_type == "POINT" else "intersects"
    match = Q()
    for polygon in polygons:
        match |= Q(**{f"{field}__{lookup}": polygon})
    queryset = queryset.filter(match)
    if connections[queryset.db].vendor != "sqlite" or not geometry.spatial_index:
        return queryset
    selects, params = [], []
    for polygon in polygons:
        selects.append(SPATIAL_INDEX_ROWIDS)
        params += [model._meta.db_table, geometry.column, *polygon.extent]
    # The table's integer primary key is SQLite's ROWID, the key the R*Tree stores.
    return queryset.filter(pk__in=RawSQL(" UNION ALL ".join(selects), params))
