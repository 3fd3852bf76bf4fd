"""GeoJSON (RFC 7946): a zip holding one FeatureCollection file per layer (incidents.geojson,
drone_*.geojson where present, sites.geojson, zones.geojson) and a manifest.json.

One file per layer because a GeoJSON file holds one collection and QGIS reads each file as
one layer; drag the zip's files onto QGIS. The incidents layer is streamed feature by
feature; the small layers are written by geopandas/pyogrio with GDAL's RFC 7946 option.
"""

import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path

import geopandas
import orjson
from django.utils.translation import gettext_lazy as _

from . import manifest
from .layers import drone_features, incident_properties, site_features
from .registry import Exporter, register

# RFC 7946 section 11.2: 7 decimal places are about a centimetre, and say nothing false.
PRECISION = 7


def write_incidents(source, path):
    """Stream the incidents layer as an RFC 7946 FeatureCollection; return its count."""
    count = 0
    with open(path, "wb") as out:
        out.write(b'{"type":"FeatureCollection","name":"incidents","features":[\n')
        for row in source.incidents():
            feature = {
                "type": "Feature",
                "id": row["reference"],
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(row["lon"], PRECISION), round(row["lat"], PRECISION)],
                },
                "properties": incident_properties(row),
            }
            out.write((b",\n" if count else b"") + orjson.dumps(feature))
            count += 1
        out.write(b"\n]}\n")
    return count


def other_layers(source):
    """The drone, site and zone layers as GeoDataFrames, keyed by layer name."""
    features = defaultdict(list)
    for layer, properties, geometry in (*drone_features(source), *site_features(source)):
        features[layer].append({**properties, "geometry": geometry})
    return {
        layer: geopandas.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
        for layer, rows in features.items()
    }


@register
class GeoJsonExporter(Exporter):
    identifier = "geojson"
    verbose_name = _("GeoJSON layers (zip)")
    description = _(
        "For QGIS and web maps: incidents, drones, tracks, site perimeters and alert rings, "
        "one RFC 7946 file per layer."
    )
    extension = "geojson.zip"
    media_type = "application/zip"

    def write(self, source, path):
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            count = write_incidents(source, folder / "incidents.geojson")
            for layer, frame in other_layers(source).items():
                frame.to_file(
                    folder / f"{layer}.geojson",
                    driver="GeoJSON",
                    engine="pyogrio",
                    layer_options={"RFC7946": "YES", "WRITE_NAME": "YES"},
                )
            write_zip(source, self, folder, path, count)


def write_zip(source, exporter, folder, path, count):
    """Zip every file in `folder` with a manifest.json listing their SHA-256."""
    files = sorted(p for p in folder.iterdir() if p.is_file())
    entries = [
        manifest.file_entry(p.name, manifest.sha256_of_path(p), p.stat().st_size) for p in files
    ]
    inner = manifest.build(source, exporter, entries, count)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for p in files:
            archive.write(p, p.name)
        archive.writestr("manifest.json", manifest.dumps(inner))
