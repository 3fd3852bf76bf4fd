"""Many new rows of one model in one statement: COPY on PostGIS, one executemany on SQLite.

What `bulk_create` does, without its per-field, per-row machinery (most of the cost of
storing a large batch): each value is converted once, as its column needs. Primary keys are
left to the database and not read back. Used by sensor ingest (detections) and the bulk
incident importer. Triggers (the audit log) fire as for any insert.
"""

import struct

from django.db import connection


def insert_fields(model):
    """The fields `insert_rows` writes, in the order its rows give their values."""
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def insert_rows(model, rows):
    """Insert `rows`, each a sequence of attribute values in `insert_fields(model)` order.

    Geometries are points in the field's SRID, as anything indexed [x, y]: a GEOS Point, or
    a plain (lon, lat) pair, which spares a caller that has only numbers a GEOS object a row.
    """
    fields = insert_fields(model)
    postgres = connection.vendor == "postgresql"
    converters = [_converter(f, postgres) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    values = (
        [convert(value) for convert, value in zip(converters, row, strict=True)] for row in rows
    )
    if postgres:
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in values:
                copy.write_row(row)
        return
    marks = ", ".join(
        f"GeomFromWKB(%s, {f.srid})" if hasattr(f, "geom_type") else "%s" for f in fields
    )
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)


def _converter(model_field, postgres):
    """value -> database parameter for one column."""
    if hasattr(model_field, "geom_type"):  # points
        if postgres:  # EWKT text, which COPY hands to the geometry type's input
            prefix = f"SRID={model_field.srid};"
            return lambda p: None if p is None else f"{prefix}POINT({p[0]!r} {p[1]!r})"
        # Little-endian WKB for GeomFromWKB (the SRID is in the SQL).
        return lambda p: None if p is None else struct.pack("<BIdd", 1, 1, p[0], p[1])
    kind = model_field.get_internal_type()
    if kind == "JSONField":
        encoder = model_field.encoder
        return lambda value: connection.ops.adapt_json_value(value, encoder)
    if kind == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    if kind == "UUIDField" and not connection.features.has_native_uuid_field:
        return lambda value: None if value is None else value.hex
    return lambda value: value
