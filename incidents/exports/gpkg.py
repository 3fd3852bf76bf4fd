"""GeoPackage: one file with the layers incidents, drone_takeoffs, drone_operators,
drone_tracks (where present), sites and zones, in EPSG:4326.

The incidents are read as tuples, chunk by chunk, and turned into GeoDataFrames of up to
BATCH rows with column operations (the site-local times are converted per time zone, not per
row); pyogrio writes each frame in one call. On PostGIS that happens in this process; with
SpatiaLite loaded, the frames are pickled and written by gpkg_writer.py in a child process
(it says why). Memory stays bounded by BATCH rows either way.
"""

import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import geopandas
import numpy
import pandas
import shapely
from django.db import connection
from django.db.models import BigIntegerField, F, TextField
from django.utils.translation import gettext_lazy as _

from . import gpkg_writer
from .geojson import other_layers
from .registry import Exporter, register
from .source import Latitude, Longitude

WRITER = Path(__file__).resolve().with_name("gpkg_writer.py")
BATCH = 20_000

# What is read of each incident, and the name each value gets.
FIELDS = {
    "reference": "reference",
    "site_code": F("site__code"),
    "status": "status",
    "severity": "severity",
    "zone": "zone",
    "zone_ring_m": "zone_ring_m",
    "distance_m": "distance_m",
    "first_seen": "first_seen",
    "time_zone": F("site__timezone"),
    "drone_count": "drone_count",
    "category": "category",
    "make_model": "make_model",
    "altitude_m": "altitude_m",
    "detection_methods": "detection_methods",
    "behaviours": "behaviours",
    "narrative": "narrative",
    "lon": Longitude("location"),
    "lat": Latitude("location"),
}
# The incident layer's columns: layers.incident_properties, in its order.
COLUMNS = [
    "reference",
    "site_code",
    "status",
    "severity",
    "zone",
    "zone_ring_m",
    "distance_m",
    "first_seen_utc",
    "first_seen_local",
    "time_zone",
    "drone_count",
    "category",
    "make_model",
    "altitude_m",
    "detection_methods",
    "behaviours",
    "narrative",
]


def _joined_in_database(name):
    """A JSON list joined with ";" by PostgreSQL: cheaper than decoding it in Python."""
    from .csvcopy import _Sql

    return _Sql(
        "array_to_string(ARRAY(SELECT jsonb_array_elements_text({0})), ';')",
        F(name),
        output_field=TextField(),
    )


def fields():
    """FIELDS, with the lists joined by the database where it can."""
    if connection.vendor != "postgresql":
        return FIELDS
    from .csvcopy import _Sql

    return {
        **FIELDS,
        # Microseconds since 1970 as an integer: pandas converts a column of them at once.
        "first_seen": _Sql(
            "(extract(epoch FROM {0}) * 1000000)::bigint",
            F("first_seen"),
            output_field=BigIntegerField(),
        ),
        "detection_methods": _joined_in_database("detection_methods"),
        "behaviours": _joined_in_database("behaviours"),
    }


def offset_text(seconds):
    """A UTC offset as datetime.isoformat writes it: +07:00, -03:30, +05:53:28."""
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(int(seconds)), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def local_times(utc, zones):
    """ISO 8601 site-local times with offsets (as source.local_text) for a UTC datetime
    series, converting each time zone's rows at once."""
    result = pandas.Series("", index=utc.index, dtype=object)
    naive_utc = utc.dt.tz_localize(None)
    for zone, index in zones.groupby(zones).groups.items():
        wall = utc[index].dt.tz_convert(zone).dt.tz_localize(None)
        offsets = (wall - naive_utc[index]).dt.total_seconds().astype("int64")
        text = numpy.datetime_as_string(wall.dt.floor("s").to_numpy(), unit="s")
        labels = {seconds: offset_text(seconds) for seconds in offsets.unique()}
        result[index] = pandas.Series(text, index=index) + offsets.map(labels)
    return result


def incident_frame(rows):
    """The incidents layer of one batch of fields() tuples as a GeoDataFrame."""
    in_database = connection.vendor == "postgresql"
    frame = pandas.DataFrame.from_records(rows, columns=list(FIELDS))
    first_seen = frame.pop("first_seen")
    if in_database:
        utc = pandas.to_datetime(first_seen.astype("int64"), unit="us", utc=True)
    else:
        utc = pandas.to_datetime(first_seen, utc=True)
    # GeoPackage keeps milliseconds; cut the rest here, or GDAL's Arrow writer rounds
    # 00:59:59.9999 up to an impossible 00:59:60.
    frame["first_seen_utc"] = utc.dt.floor("ms")
    frame["first_seen_local"] = local_times(utc, frame["time_zone"])
    for name in ("detection_methods", "behaviours"):
        if in_database:  # joined by the database already
            frame[name] = frame[name].fillna("")
        else:
            frame[name] = [";".join(items or []) for items in frame[name]]
    lon, lat = (frame.pop(name).to_numpy(dtype="float64") for name in ("lon", "lat"))
    points = shapely.points(lon, lat)
    return geopandas.GeoDataFrame(frame[COLUMNS], geometry=points, crs="EPSG:4326")


def incident_frames(source):
    """The incidents layer in GeoDataFrames of up to BATCH rows, in the list's order."""
    rows, written = [], False
    # On PostgreSQL every column is ready as psycopg reads it (times as integers, lists joined).
    for chunk in source.tuples(*fields().values(), raw=connection.vendor == "postgresql"):
        rows.extend(chunk)
        if len(rows) >= BATCH:
            yield incident_frame(rows)
            rows, written = [], True
    if rows or not written:  # an export of no incidents still has the layer
        yield incident_frame(rows)


def layers(source):
    """(layer name, GeoDataFrame) for every part of the export, the incidents first."""
    for frame in incident_frames(source):
        yield "incidents", frame
    yield from other_layers(source).items()


@register
class GeoPackageExporter(Exporter):
    identifier = "gpkg"
    verbose_name = _("GeoPackage")
    description = _("For QGIS and ArcGIS: every layer in one file.")
    extension = "gpkg"
    media_type = "application/geopackage+sqlite3"

    def write(self, source, path):
        Path(path).unlink(missing_ok=True)
        if connection.vendor == "postgresql":
            gpkg_writer.write(str(path), layers(source))
            return
        with tempfile.TemporaryDirectory() as folder:
            parts = []
            for number, part in enumerate(layers(source)):
                parts.append(Path(folder) / f"{number:05d}.pickle")
                with open(parts[-1], "wb") as handle:
                    pickle.dump(part, handle, protocol=pickle.HIGHEST_PROTOCOL)
            result = subprocess.run(
                [sys.executable, str(WRITER), str(path), *map(str, parts)],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise RuntimeError(f"The GeoPackage writer failed: {result.stderr[-2000:]}")
