"""Map GeoJSON for a bbox (vs json_agg and vs GeoFeatureModelSerializer) and the spatial
index on a 1% bbox (vs the same query with the index out of reach)."""

import json

from django.db import connection, transaction

from incidents import spatialindex

from .common import bbox_for_fraction, fetch_one

SLIM = ("id", "reference", "first_seen", "severity", "zone")


def run(ctx):
    map_geojson(ctx)
    bbox_index(ctx)


def map_geojson(ctx):
    from rest_framework.renderers import JSONRenderer
    from rest_framework_gis.serializers import GeoFeatureModelSerializer

    from incidents.mapdata import incident_features_geojson
    from incidents.models import Incident

    table = Incident._meta.db_table
    x0, y0, x1, y1 = bbox_for_fraction(0.10)
    # The API's ?in_bbox= path: the spatial index on both backends (on SpatiaLite through
    # the SpatialIndex virtual table, which Django's own lookups never use).
    in_box = spatialindex.in_bbox(
        Incident.objects.all(), "location", spatialindex.boxes(x0, y0, x1, y1)
    )
    n_box = in_box.count()
    if ctx.postgres:
        where = f"location @ ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, 4326)"
        raw_map = (
            "SELECT json_build_object('type', 'FeatureCollection', 'features', json_agg("
            "json_build_object('type', 'Feature', 'id', id, 'geometry', "
            "ST_AsGeoJSON(location, 6)::json, 'properties', json_build_object("
            "'id', id, 'reference', reference, 'first_seen', first_seen, "
            "'severity', severity, 'zone', zone))))::text "
            f"FROM {table} WHERE {where}"
        )
        baseline = "json_agg(ST_AsGeoJSON)"
    else:
        frame = f"BuildMbr({x0}, {y0}, {x1}, {y1}, 4326)"
        where = (
            f"ROWID IN (SELECT ROWID FROM SpatialIndex WHERE f_table_name = '{table}' "
            f"AND f_geometry_column = 'location' AND search_frame = {frame}) "
            f"AND MbrWithin(location, {frame})"
        )
        raw_map = (
            "SELECT json_object('type', 'FeatureCollection', 'features', json_group_array("
            "json_object('type', 'Feature', 'id', id, 'geometry', "
            "json(AsGeoJSON(location, 6)), 'properties', json_object("
            "'id', id, 'reference', reference, 'first_seen', first_seen, "
            "'severity', severity, 'zone', zone)))) "
            f"FROM {table} WHERE {where}"
        )
        baseline = "json_group_array(AsGeoJSON), through SpatialIndex"

    def ours_map():
        return incident_features_geojson(in_box, fields=SLIM)

    ours_t, ours_text = ctx.timed(ours_map)
    raw_t, raw_text = ctx.timed(lambda: fetch_one(raw_map))
    # Both sides must describe the same features, or the comparison means nothing.
    assert len(json.loads(ours_text)["features"]) == len(json.loads(raw_text)["features"])
    ctx.ratio(f"map GeoJSON, {n_box:,} in bbox", ours_t, raw_t, 1.5, baseline=baseline)

    class Slim(GeoFeatureModelSerializer):
        class Meta:
            model = Incident
            geo_field = "location"
            fields = SLIM

    def serializer_map():
        return JSONRenderer().render(Slim(in_box.only(*SLIM, "location"), many=True).data)

    drf_t, _ = ctx.timed(serializer_map, max(1, ctx.repeats // 2))
    ctx.faster(
        "  same bbox vs GeoFeatureModelSerializer",
        ours_t,
        drf_t,
        5,
        baseline="GeoFeatureModelSerializer",
    )


def bbox_index(ctx):
    from incidents.models import Incident

    table = Incident._meta.db_table
    x0, y0, x1, y1 = bbox_for_fraction(0.01)
    if ctx.postgres:
        sql = (
            f"SELECT id, reference FROM {table} "
            f"WHERE location @ ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, 4326)"
        )
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(f"    {line}" for (line,) in cursor.fetchall())

        def indexed():
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return len(cursor.fetchall())

        def unindexed():
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_indexscan = off")
                cursor.execute("SET LOCAL enable_bitmapscan = off")
                cursor.execute(sql)
                return len(cursor.fetchall())

        baseline = "enable_indexscan/bitmapscan = off"
    else:
        frame = f"BuildMbr({x0}, {y0}, {x1}, {y1}, 4326)"
        sql = (
            f"SELECT id, reference FROM {table} WHERE ROWID IN (SELECT ROWID FROM SpatialIndex "
            f"WHERE f_table_name = '{table}' AND f_geometry_column = 'location' "
            f"AND search_frame = {frame}) AND MbrWithin(location, {frame})"
        )
        scan = f"SELECT id, reference FROM {table} WHERE MbrWithin(location, {frame})"
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = "\n".join(f"    {row[-1]}" for row in cursor.fetchall())

        def indexed():
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return len(cursor.fetchall())

        def unindexed():
            with connection.cursor() as cursor:
                cursor.execute(scan)
                return len(cursor.fetchall())

        baseline = "full scan with MbrWithin"

    # Milliseconds each: more runs than the others, so one slow run does not decide.
    ours_t, n_small = ctx.timed(indexed, max(ctx.repeats, 15))
    raw_t, n_scan = ctx.timed(unindexed, max(ctx.repeats, 9))
    assert n_small == n_scan, (n_small, n_scan)
    ctx.info(f"EXPLAIN of the 1% bbox query ({n_small:,} rows):\n{plan}")
    ctx.faster(
        f"bbox 1% ({n_small:,} rows): spatial index vs none",
        ours_t,
        raw_t,
        20,
        baseline=baseline,
        note=plan,
    )
