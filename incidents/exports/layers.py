"""The map layers shared by the GeoJSON, GeoPackage and KML exports, all in WGS84 (EPSG:4326):

- incidents: one point per incident (the drone's best-estimate position);
- drone_takeoffs, drone_operators: the take-off and operator points of drone records, where known;
- drone_tracks: the drones' tracks as lines, where known;
- sites: the perimeters of the sites that have exported incidents;
- zones: each site's alert rings as bands (the area between one ring and the next inside it).
"""

from shapely import wkb

from .source import local_text, utc_text

LAYER_NAMES = (
    "incidents",
    "drone_takeoffs",
    "drone_operators",
    "drone_tracks",
    "sites",
    "zones",
)


def incident_properties(row):
    """The attributes of an incident feature: what a map user needs to identify and judge it."""
    return {
        "reference": row["reference"],
        "site_code": row["site_code"],
        "status": row["status"],
        "severity": row["severity"],
        "zone": row["zone"],
        "zone_ring_m": row["zone_ring_m"],
        "distance_m": row["distance_m"],
        "first_seen_utc": utc_text(row["first_seen"]),
        "first_seen_local": local_text(row["first_seen"], row["site_timezone"]),
        "time_zone": row["site_timezone"],
        "drone_count": row["drone_count"],
        "category": row["category"],
        "make_model": row["make_model"],
        "altitude_m": row["altitude_m"],
        "detection_methods": ";".join(row["detection_methods"] or []),
        "behaviours": ";".join(row["behaviours"] or []),
        "narrative": row["narrative"],
    }


def shape(geometry):
    return wkb.loads(bytes(geometry.wkb))


def drone_features(source):
    """(layer name, properties, shapely geometry) for every drone point and track."""
    for drone in source.drones():
        properties = {
            "reference": drone["reference"],
            "drone_id": drone["id"],
            "uas_id": drone["uas_id"],
            "uas_id_type": drone["uas_id_type"],
            "category": drone["category"],
            "make_model": drone["make_model"],
            "operator_id": drone["operator_id"],
        }
        if drone["takeoff_location"] is not None:
            yield "drone_takeoffs", properties, shape(drone["takeoff_location"])
        if drone["operator_location"] is not None:
            yield "drone_operators", properties, shape(drone["operator_location"])
        if drone["track"] is not None:
            yield "drone_tracks", properties, shape(drone["track"])


def site_features(source):
    """(layer name, properties, shapely geometry) for each site perimeter and alert ring."""
    for site in source.sites():
        yield (
            "sites",
            {
                "site_code": site.code,
                "name": site.name,
                "kind": site.kind,
                "time_zone": site.timezone,
            },
            site.perimeter_shape(),
        )
        previous = 0
        for ring in site.alert_rings():
            yield (
                "zones",
                {
                    "site_code": site.code,
                    "ring_index": ring.index,
                    "inner_m": previous,
                    "radius_m": ring.radius_m,
                },
                ring.band,
            )
            previous = ring.radius_m
