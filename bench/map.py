"""Map GeoJSON for a bbox (vs json_agg and vs GeoFeatureModelSerializer) and the spatial
index on a 1% bbox (vs the same query with the index out of reach)."""

import json

from django.db import connection, transaction

from .common import bbox_for_fraction, bbox_rows, fetch_one, raw_bbox_where

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
    bbox, in_box = bbox_rows(0.10)
    n_box = in_box.count()
    where = raw_bbox_where(ctx.postgres, bbox)
    if ctx.postgres:
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
    bbox = bbox_for_fraction(0.01)
    sql = f"SELECT id, reference FROM {table} WHERE {raw_bbox_where(ctx.postgres, bbox, table)}"
    if ctx.postgres:
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
        frame = "BuildMbr({}, {}, {}, {}, 4326)".format(*bbox)
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
