"""Every export format read back with an independent reader and compared with the database."""

import csv
import hashlib
import io
import json
from pathlib import Path

import openpyxl
import pyogrio
import pytest
from django.core.management import call_command
from lxml import etree

from incidents.exports.jobs import export_to_file, start_export
from incidents.models import Drone

from .exports_support import FILTER, TRICKY, dataset, expected, local, unzip, utc

__all__ = ["dataset"]  # the fixture, imported for pytest


def export(tmp_path, format, query=FILTER, user=None):
    path = tmp_path / f"out.{format}"
    job = export_to_file(format, path, query, user)
    return job, path


def test_csv_rows_equal_the_filtered_incidents(dataset, tmp_path):
    job, path = export(tmp_path, "csv")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    db = expected([i.reference for i in dataset])
    assert sorted(r["reference"] for r in rows) == sorted(db)
    assert job.record_count == 2
    for row in rows:
        incident = db[row["reference"]]
        assert float(row["latitude"]) == incident.location.y
        assert float(row["longitude"]) == incident.location.x
        assert row["first_seen_utc"] == utc(incident.first_seen).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert row["first_seen_local"] == local(incident, incident.first_seen).isoformat()
        assert row["time_zone"] == "Asia/Jakarta"
        assert row["severity"] == incident.severity
        assert row["status"] == "submitted"
        assert int(row["drone_count"]) == incident.drone_count
        assert float(row["distance_m"]) == incident.distance_m
        assert row["detection_methods"] == ";".join(incident.detection_methods)
    first = next(r for r in rows if r["reference"] == dataset[0].reference)
    # Excel must not run staff's free text as a formula: the apostrophe keeps it text.
    assert first["narrative"] == "'" + TRICKY
    assert first["altitude_m"] == "120.5"


def test_xlsx_cells_are_typed_and_equal_the_database(dataset, tmp_path):
    _, path = export(tmp_path, "xlsx")
    sheet = openpyxl.load_workbook(path).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    db = expected([i.reference for i in dataset])
    assert len(rows) == 2
    for values in rows:
        row = dict(zip(header, values, strict=True))
        incident = db[row["reference"]]
        # Excel keeps 15 significant digits: a nanodegree is well below a millimetre.
        assert row["latitude"] == pytest.approx(incident.location.y, abs=1e-9)
        assert row["longitude"] == pytest.approx(incident.location.x, abs=1e-9)
        assert isinstance(row["latitude"], float)
        assert row["first_seen_utc"] == utc(incident.first_seen).replace(tzinfo=None)
        assert row["first_seen_local"] == local(incident, incident.first_seen).replace(tzinfo=None)
        assert row["drone_count"] == incident.drone_count
        assert row["payload_seen"] is False
    narratives = {r[header.index("reference")]: r[header.index("narrative")] for r in rows}
    assert narratives[dataset[0].reference] == TRICKY  # a text cell, not a formula


def _features(path, layer=None):
    return pyogrio.read_dataframe(path, layer=layer)


def test_geojson_layers_read_back_in_qgis_terms(dataset, tmp_path):
    _, path = export(tmp_path, "geojson")
    files = unzip(path.read_bytes())
    assert set(files) == {
        "incidents.geojson",
        "drone_takeoffs.geojson",
        "drone_operators.geojson",
        "drone_tracks.geojson",
        "sites.geojson",
        "zones.geojson",
        "manifest.json",
    }
    folder = tmp_path / "unzipped"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    incidents = _features(folder / "incidents.geojson")
    db = expected([i.reference for i in dataset])
    assert sorted(incidents["reference"]) == sorted(db)
    for _, feature in incidents.iterrows():
        incident = db[feature["reference"]]
        assert feature.geometry.x == pytest.approx(incident.location.x, abs=1e-7)
        assert feature.geometry.y == pytest.approx(incident.location.y, abs=1e-7)
        assert feature["severity"] == incident.severity
    # RFC 7946: no "crs" member, WGS84 longitude-latitude.
    assert "crs" not in json.loads(files["incidents.geojson"])
    assert len(_features(folder / "zones.geojson")) == len(dataset[0].site.zone_radii_m)
    assert list(_features(folder / "sites.geojson")["site_code"]) == ["CGK"]
    track = _features(folder / "drone_tracks.geojson").geometry.iloc[0]
    stored = Drone.objects.get(uas_id="1581f5fjd228400b").track
    assert [tuple(round(v, 7) for v in c) for c in track.coords] == [
        (round(x, 7), round(y, 7)) for x, y in stored.coords
    ]
    inner = json.loads(files["manifest.json"])
    assert inner["record_count"] == 2
    for entry in inner["files"]:
        assert hashlib.sha256(files[entry["name"]]).hexdigest() == entry["sha256"]
    assert len(inner["files"]) == 6


def test_geopackage_layers_read_back(dataset, tmp_path):
    _, path = export(tmp_path, "gpkg")
    layers = dict(pyogrio.list_layers(path))
    assert {"incidents", "sites", "zones", "drone_tracks", "drone_takeoffs"} <= set(layers)
    assert layers["incidents"] == "Point"
    assert pyogrio.read_info(path, layer="incidents")["crs"] == "EPSG:4326"
    incidents = _features(path, "incidents")
    db = expected([i.reference for i in dataset])
    assert sorted(incidents["reference"]) == sorted(db)
    for _, feature in incidents.iterrows():
        incident = db[feature["reference"]]
        assert feature.geometry.x == pytest.approx(incident.location.x, abs=1e-7)
        assert feature.geometry.y == pytest.approx(incident.location.y, abs=1e-7)
        assert feature["drone_count"] == incident.drone_count
        assert feature["first_seen_utc"] == utc(incident.first_seen)
        assert feature["first_seen_local"] == local(incident, incident.first_seen).isoformat()
    zones = _features(path, "zones")
    assert sorted(zones["radius_m"]) == [500, 1000, 5000]


def test_kml_placemarks_match_the_database(dataset, tmp_path):
    _, path = export(tmp_path, "kml")
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    tree = etree.parse(str(path))
    folders = tree.findall(".//k:Folder", ns)
    placemarks = folders[0].findall("k:Placemark", ns)
    db = expected([i.reference for i in dataset])
    assert sorted(p.findtext("k:name", namespaces=ns) for p in placemarks) == sorted(db)
    for placemark in placemarks:
        incident = db[placemark.findtext("k:name", namespaces=ns)]
        lon, lat = map(float, placemark.findtext("k:Point/k:coordinates", namespaces=ns).split(","))
        assert lon == pytest.approx(incident.location.x, abs=1e-7)
        assert lat == pytest.approx(incident.location.y, abs=1e-7)
        assert placemark.findtext("k:styleUrl", namespaces=ns) == f"#severity-{incident.severity}"
        assert placemark.findtext("k:TimeStamp/k:when", namespaces=ns) == utc(
            incident.first_seen
        ).strftime("%Y-%m-%dT%H:%M:%SZ")
        if incident.narrative:
            assert TRICKY in placemark.findtext("k:description", namespaces=ns)
    areas = [p.findtext("k:name", namespaces=ns) for p in folders[1].findall("k:Placemark", ns)]
    assert areas == [
        "CGK perimeter",
        "CGK alert ring 500 m",
        "CGK alert ring 1000 m",
        "CGK alert ring 5000 m",
    ]


def test_faa_style_csv_has_the_faa_columns(dataset, tmp_path):
    _, path = export(tmp_path, "faa_csv")
    header = Path(path).read_text(encoding="utf-8-sig").splitlines()[0]
    # The column headers of the FAA's 2023-2025 UAS sightings workbooks, in their order.
    assert header == "Date,State,City,Summary"
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    db = expected([i.reference for i in dataset])
    assert len(rows) == 2
    for row in rows:
        reference = row["Summary"].split(":")[0].removeprefix("SKYLEDGER ")
        incident = db[reference]
        assert row["Date"] == local(incident, incident.first_seen).date().isoformat()
        assert row["State"] == "INDONESIA"
        assert row["City"]
        assert f"{utc(incident.first_seen):%H%M}Z" in row["Summary"]
        assert f"{incident.drone_count} UAS" in row["Summary"]


@pytest.mark.parametrize("format", ["csv", "xlsx", "geojson", "gpkg", "kml", "faa_csv", "e5x"])
def test_manifest_beside_every_export_matches_the_file(dataset, tmp_path, format, staff_a):
    job, path = export(tmp_path, format)
    document = json.loads(Path(f"{path}.manifest.json").read_text())
    assert document == job.manifest
    assert document["files"][0]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert document["files"][0]["bytes"] == path.stat().st_size
    assert document["record_count"] == 2
    assert document["filter"] == {"site": ["CGK"], "status": ["submitted"]}
    assert document["generated_by"] == "manage.py"
    assert document["generated_at"].endswith("Z")


def test_command_writes_file_and_manifest_and_logs_it(dataset, tmp_path):
    output = tmp_path / "submitted.csv"
    out = io.StringIO()
    call_command(
        "export_incidents",
        "--format",
        "csv",
        "--output",
        str(output),
        "site=CGK",
        "status=submitted",
        stdout=out,
    )
    assert "Wrote 2 incidents" in out.getvalue()
    with open(output, encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 2
    assert Path(f"{output}.manifest.json").exists()


def test_every_export_is_logged_and_its_manifest_holds_the_audit_chain_head(dataset, tmp_path):
    import json

    from incidents import audit
    from incidents.models import AuditEntry

    head = audit.chain_head()
    output = tmp_path / "all.csv"
    call_command("export_incidents", "--format", "csv", "--output", str(output), "site=CGK")
    document = json.loads(Path(f"{output}.manifest.json").read_text())
    assert document["audit_chain_head"]["seq"] >= head["seq"]
    logged = AuditEntry.objects.filter(action="export").order_by("-seq").first()
    details = json.loads(logged.new_values)
    assert details["format"] == "csv" and details["filter"] == "site=CGK"
    assert details["sha256"] == document["files"][0]["sha256"]
    assert logged.seq > document["audit_chain_head"]["seq"]


def test_command_refuses_bad_filters_with_a_message(dataset, tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="site"):
        call_command(
            "export_incidents", "--format", "csv", "--output", str(tmp_path / "x"), "site=NOPE"
        )
    with pytest.raises(CommandError, match="name=value"):
        call_command("export_incidents", "--format", "csv", "--output", str(tmp_path / "x"), "CGK")


def test_command_as_a_user_exports_only_what_they_see(dataset, tmp_path, regulator):
    output = tmp_path / "reg.csv"
    call_command(
        "export_incidents", "--format", "csv", "--output", str(output), "--user", "regulator"
    )
    with open(output, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # Granted CGK only, and never drafts: the two submitted ones and the one under review.
    assert sorted(r["status"] for r in rows) == ["submitted", "submitted", "under_review"]
    assert {r["site_code"] for r in rows} == {"CGK"}


def test_unknown_format_is_refused_with_the_known_ones(dataset, staff_a):
    from incidents.services import ServiceError

    with pytest.raises(ServiceError, match="Use one of: csv"):
        start_export(staff_a, "pdf", FILTER)
