"""Copy GeoJSON layer files into one GeoPackage, batch by batch. Run as a separate process
by gpkg.py: GDAL's GeoPackage writer (bundled with pyogrio) crashes in a process that has
loaded SpatiaLite into Python's sqlite3, as SkyLedger's database connection does. This
script imports no Django and no SpatiaLite.

    python gpkg_writer.py FOLDER OUTPUT.gpkg LAYER [LAYER ...]
"""

import sys
from pathlib import Path

import pandas
import pyogrio

BATCH = 2000


def copy_layer(source, output, layer):
    total = pyogrio.read_info(source)["features"]
    start = 0
    while True:
        frame = pyogrio.read_dataframe(
            source, skip_features=start, max_features=BATCH, datetime_as_string=True
        )
        for column in frame.columns:
            # GeoPackage date-times are UTC: keep the UTC ones typed, and the local ones (with
            # their offset, which the format cannot hold) as ISO 8601 text.
            if column.endswith("_utc"):
                frame[column] = pandas.to_datetime(frame[column], utc=True)
        pyogrio.write_dataframe(
            frame, output, layer=layer, driver="GPKG", append=start > 0, promote_to_multi=False
        )
        start += BATCH
        if start >= total:
            break


def main(folder, output, layers):
    for layer in layers:
        copy_layer(str(Path(folder) / f"{layer}.geojson"), output, layer)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
