"""The GeoPackage's incidents layer, built column by column, carries what the row-by-row
layer properties (layers.incident_properties) say, on data with awkward time zones and text."""

import pyogrio
import pytest

from incidents.exports import get
from incidents.exports.layers import incident_properties

from .exports_support import source_for, tricky

__all__ = ["tricky"]  # the fixture, imported for pytest


def test_incidents_layer_equals_the_layer_properties(tricky, tmp_path):
    path = tmp_path / "out.gpkg"
    get("gpkg").write(source_for(None), path)
    frame = pyogrio.read_dataframe(path, layer="incidents", datetime_as_string=True)
    expected = {row["reference"]: row for row in source_for(None).incidents()}
    assert list(frame["reference"]) == list(expected)  # same rows, same order
    for _, feature in frame.iterrows():
        row = expected[feature["reference"]]
        wanted = incident_properties(row)
        assert feature["first_seen_local"] == wanted["first_seen_local"]
        assert feature["first_seen_utc"].startswith(wanted["first_seen_utc"][:-1])
        for name in ("site_code", "time_zone", "narrative", "make_model", "behaviours"):
            assert feature[name] == wanted[name], name
        assert feature["detection_methods"] == wanted["detection_methods"]
        assert feature["drone_count"] == wanted["drone_count"]
        assert feature.geometry.x == row["lon"] and feature.geometry.y == row["lat"]
        if wanted["altitude_m"] is None:
            assert feature["altitude_m"] != feature["altitude_m"]  # NaN: no value
        else:
            assert feature["altitude_m"] == pytest.approx(wanted["altitude_m"])


def test_empty_export_still_has_an_incidents_layer(db, tmp_path):
    path = tmp_path / "empty.gpkg"
    get("gpkg").write(source_for(None), path)
    assert dict(pyogrio.list_layers(path))["incidents"] == "Point"
    assert pyogrio.read_info(path, layer="incidents")["features"] == 0
