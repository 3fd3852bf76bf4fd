"""Write layers (pickled GeoDataFrames) into one GeoPackage with pyogrio.

gpkg.py calls `write` in its own process on PostGIS. With SpatiaLite it runs this file as a
separate process instead: GDAL's GeoPackage writer (bundled with pyogrio) crashes in a
process that has loaded SpatiaLite into Python's sqlite3, as SkyLedger's database connection
does. This script imports no Django and no SpatiaLite.

    python gpkg_writer.py OUTPUT.gpkg FILE.pickle [FILE.pickle ...]

Each pickle holds (layer name, GeoDataFrame); files of the same layer are appended in order.
"""

import pickle
import sys

import pyogrio

# Declared, so that the layer has its type even when the export holds no incident.
GEOMETRY_TYPES = {"incidents": "Point"}


def write(output, parts):
    """Write each (layer, frame) of `parts` to the GeoPackage `output`, appending a layer's
    later parts to its first."""
    started = set()
    # No fsync after each layer's transaction: the file is new, nobody reads it before it is
    # closed and hashed, and a crash fails the export job anyway. Each layer written costs
    # two fsyncs otherwise, more than writing 2,000 features.
    pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": "OFF"})
    try:
        for layer, frame in parts:
            pyogrio.write_dataframe(
                frame,
                output,
                layer=layer,
                driver="GPKG",
                append=layer in started,
                promote_to_multi=False,
                geometry_type=GEOMETRY_TYPES.get(layer),
                use_arrow=True,
            )
            started.add(layer)
    finally:
        pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": None})


def _load(paths):
    for path in paths:
        with open(path, "rb") as handle:
            yield pickle.load(handle)


if __name__ == "__main__":
    write(sys.argv[1], _load(sys.argv[2:]))
