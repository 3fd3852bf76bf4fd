"""GeoPackage: one file with the layers incidents, drone_takeoffs, drone_operators,
drone_tracks (where present), sites and zones, in EPSG:4326.

The layers are first written as GeoJSON (geojson.py, incidents streamed), then copied into
the GeoPackage by pyogrio in a child process (gpkg_writer.py says why), batch by batch, so
memory stays flat on both sides.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from .geojson import other_layers, write_incidents
from .registry import Exporter, register

WRITER = Path(__file__).resolve().with_name("gpkg_writer.py")


@register
class GeoPackageExporter(Exporter):
    identifier = "gpkg"
    verbose_name = _("GeoPackage")
    description = _("For QGIS and ArcGIS: every layer in one file.")
    extension = "gpkg"
    media_type = "application/geopackage+sqlite3"

    def write(self, source, path):
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            write_incidents(source, folder / "incidents.geojson")
            layers = ["incidents"]
            for layer, frame in other_layers(source).items():
                frame.to_file(folder / f"{layer}.geojson", driver="GeoJSON", engine="pyogrio")
                layers.append(layer)
            Path(path).unlink(missing_ok=True)
            result = subprocess.run(
                [sys.executable, str(WRITER), str(folder), str(path), *layers],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise RuntimeError(f"The GeoPackage writer failed: {result.stderr[-2000:]}")
