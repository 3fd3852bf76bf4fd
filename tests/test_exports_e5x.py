"""E5X: every occurrence validates against the RIT 5.1.0.0 schema (read here with xmlschema
as XSD 1.1, a different validator from the exporter's own lxml check) and its values read
back equal the database's."""

import zoneinfo
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from incidents.exports.jobs import export_to_file

from .exports_support import FILTER, TRICKY, dataset, expected, unzip

__all__ = ["dataset"]

SCHEMA = Path(__file__).parent / "data" / "eccairs_rit" / "schema" / "Schema.xsd"
NS = {
    "e": "http://eccairsportal.jrc.ec.europa.eu/ECCAIRS5_dataBridge.xsd",
    "dt": "http://eccairsportal.jrc.ec.europa.eu/ECCAIRS5_dataTypes.xsd",
}


@pytest.fixture(scope="session")
def rit_schema():
    return xmlschema.XMLSchema11(str(SCHEMA))


@pytest.fixture
def occurrences(dataset, tmp_path, settings):
    settings.E5X_RESPONSIBLE_ENTITY = "2078"  # Indonesia - CAA
    job = export_to_file("e5x", tmp_path / "report.e5x", FILTER)
    return job, unzip((tmp_path / "report.e5x").read_bytes())


def value(tree, path):
    return tree.findtext(path, namespaces=NS)


def test_every_occurrence_is_valid_rit(occurrences, rit_schema, dataset):
    job, files = occurrences
    assert sorted(files) == sorted(f"{i.reference}.xml" for i in dataset)
    for data in files.values():
        rit_schema.validate(data.decode())  # raises with the schema's message if not
    assert job.record_count == 2


def test_occurrence_values_equal_the_database(occurrences, dataset):
    _, files = occurrences
    db = expected([i.reference for i in dataset])
    for name, data in files.items():
        incident = db[name.removesuffix(".xml")]
        tree = etree.fromstring(data)
        attrs = "e:Occurrence/e:ATTRIBUTES/"
        utc = incident.first_seen.astimezone(zoneinfo.ZoneInfo("UTC"))
        local = incident.first_seen.astimezone(zoneinfo.ZoneInfo("Asia/Jakarta"))
        assert value(tree, attrs + "e:UTC_Date") == utc.date().isoformat()
        assert value(tree, attrs + "e:UTC_Time") == utc.strftime("%H:%M:%S")
        assert value(tree, attrs + "e:Local_Date") == local.date().isoformat()
        assert value(tree, attrs + "e:Local_Time") == local.strftime("%H:%M:%S")
        assert float(value(tree, attrs + "e:Latitude_Of_Occ")) == pytest.approx(
            incident.location.y, abs=1e-7
        )
        assert float(value(tree, attrs + "e:Longitude_Of_Occ")) == pytest.approx(
            incident.location.x, abs=1e-7
        )
        assert value(tree, attrs + "e:Location_Name") == "Soekarno-Hatta (CGK)"
        assert value(tree, attrs + "e:File_Number") == incident.reference
        assert value(tree, attrs + "e:Responsible_Entity") == "2078"
        assert value(tree, attrs + "e:State_Area_Of_Occ") == "117"  # Indonesia
        assert "Soekarno-Hatta" in value(tree, attrs + "e:Headline")
        expected_class = "400" if incident.severity == "low" else "300"
        assert value(tree, attrs + "e:Occurrence_Class") == expected_class
        narrative = value(tree, "e:Occurrence/e:ENTITIES/e:Narrative//dt:PlainText")
        assert narrative == (incident.narrative or None)
        aircraft = tree.findall("e:Occurrence/e:ENTITIES/e:Aircraft", NS)
        drones = list(incident.drones.order_by("pk"))
        assert len(aircraft) == (len(drones) or incident.drone_count)
        assert value(tree, "e:Occurrence/e:ENTITIES/e:Events/e:ATTRIBUTES/e:Event_Type") == (
            "2270500"
        )


def test_aircraft_carry_category_serial_and_make(occurrences, dataset):
    _, files = occurrences
    first = etree.fromstring(files[f"{dataset[0].reference}.xml"])
    aircraft = first.findall("e:Occurrence/e:ENTITIES/e:Aircraft", NS)
    categories = [value(a, "e:ATTRIBUTES/e:Aircraft_Category") for a in aircraft]
    assert categories == ["62", "61"]  # rotary-wing RPAS, fixed-wing RPAS
    assert value(aircraft[0], "e:ATTRIBUTES/e:Serial_Number") == "1581F5FJD228400B"
    assert value(aircraft[1], "e:ATTRIBUTES/e:Serial_Number") is None
    assert "DJI Mavic 3" in value(aircraft[0], "e:ENTITIES/e:Narrative//dt:PlainText")
    # 120.5 m above ground is 395 ft.
    assert value(aircraft[0], "e:ATTRIBUTES/e:Aircraft_Altitude") == "395"
    second = etree.fromstring(files[f"{dataset[1].reference}.xml"])
    anonymous = second.findall("e:Occurrence/e:ENTITIES/e:Aircraft", NS)
    assert [value(a, "e:ATTRIBUTES/e:Aircraft_Category") for a in anonymous] == ["62"] * 4


def test_narrative_text_survives_escaping(occurrences, dataset):
    _, files = occurrences
    tree = etree.fromstring(files[f"{dataset[0].reference}.xml"])
    assert value(tree, "e:Occurrence/e:ENTITIES/e:Narrative//dt:PlainText") == TRICKY


def test_e5x_file_name_follows_the_iors_convention(dataset, staff_a):
    from incidents.exports.jobs import start_export

    job = start_export(staff_a, "e5x", FILTER)
    assert job.filename == f"SKYLEDGER-{job.pk:06d}-{job.created_at:%Y%m%d}.e5x"
