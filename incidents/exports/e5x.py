"""E5X: the EU Regulation 376/2014 occurrence report file that ECCAIRS 2 accepts for upload.

An E5X file is a zip of XML files, one occurrence each, valid against the ECCAIRS Aviation
Reduced Interface Taxonomy (RIT) 5.1.0.0 schema (eccairs/schema/Schema.xsd). Every XML is
validated before it goes into the zip: an invalid occurrence stops the export with the
schema's message rather than reaching the authority. Unlike the other zips, an E5X holds
no manifest.json: ECCAIRS reads every file in it as an occurrence or an attachment, so the
manifest is offered only beside the file. docs/e5x.md maps each SkyLedger field
to its RIT attribute and value.
"""

import functools
import re
import zipfile
import zoneinfo
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from lxml import etree

from .places import nearest_place
from .registry import Exporter, register

HERE = Path(__file__).resolve().parent / "eccairs"
NS = "http://eccairsportal.jrc.ec.europa.eu/ECCAIRS5_dataBridge.xsd"
DT_NS = "http://eccairsportal.jrc.ec.europa.eu/ECCAIRS5_dataTypes.xsd"
UTC = zoneinfo.ZoneInfo("UTC")

# RIT value IDs (labels from labels/*.yml of the RIT package, see docs/e5x.md).
CLASS_INCIDENT = "300"  # VL1015 Occurrence class: Incident
CLASS_NO_SAFETY_EFFECT = "400"  # Occurrence without safety effect
CATEGORY_SECURITY = "20"  # VL430 Occurrence category: SEC, security related
CATEGORY_OTHER = "98"  # OTHR: other
EVENT_RPAS_INTERFERENCE = "2270500"  # VL1009 Event type: Interference by RPAS/Model Aircraft
RPAS = "6"  # VL1179 Aircraft category: RPAS
AIRCRAFT_CATEGORY = {
    "multirotor": "62",  # Rotary-wing RPAS
    "helicopter": "62",
    "fixed_wing": "61",  # Fixed-wing RPAS
    "vtol": RPAS,
    "unknown": RPAS,
}
FEET_PER_METRE = 1 / 0.3048
SERIAL_MAX = 20  # Base_Serial_Number: at most 20 characters, no lower case


class E5xInvalid(Exception):
    """An occurrence did not validate against the RIT schema; the message says where."""


@functools.cache
def schema():
    """The RIT schema, parsed once per process (lxml reads it in well under a second)."""
    return etree.XMLSchema(etree.parse(str(HERE / "schema" / "Schema.xsd")))


@functools.cache
def state_area_ids():
    """State/area of occurrence value IDs (VL1090) by lower-case country name."""
    text = (HERE / "state_area_of_occ.yml").read_text(encoding="utf-8")
    values = text.split("\nvalues:\n", 1)[1].split("\nhierarchy:", 1)[0]
    ids = {}
    for number, label in re.findall(r"^  (\d+): (.+)$", values, flags=re.MULTILINE):
        ids.setdefault(label.strip().strip("'\"").lower(), number)
    return ids


def _q(tag):
    return f"{{{NS}}}{tag}"


def _attr(parent, tag, attribute_id, value, **extra):
    element = etree.SubElement(parent, _q(tag), attributeId=str(attribute_id), **extra)
    element.text = str(value)
    return element


def _text_attr(parent, tag, attribute_id, text):
    element = etree.SubElement(parent, _q(tag), attributeId=str(attribute_id))
    etree.SubElement(element, f"{{{DT_NS}}}PlainText").text = text
    return element


def _narrative(parent, text):
    narrative = etree.SubElement(parent, _q("Narrative"))
    attributes = etree.SubElement(narrative, _q("ATTRIBUTES"))
    _attr(attributes, "Narrative_Language", 424, settings.E5X_NARRATIVE_LANGUAGE)
    _text_attr(attributes, "Narrative_Text", 425, text)


def occurrence_class(row):
    """Incident for anything in the perimeter or the alert rings closer in; the authority
    decides the final class."""
    return CLASS_NO_SAFETY_EFFECT if row["severity"] == "low" else CLASS_INCIDENT


def occurrence_categories(row):
    return [CATEGORY_SECURITY, CATEGORY_OTHER] if row["zone"] == "inside" else [CATEGORY_OTHER]


def headline(row):
    where = (
        "inside the perimeter"
        if row["zone"] == "inside"
        else (f"{row['distance_m']:.0f} m from the perimeter")
    )
    text = (
        f"{row['drone_count']} drone(s) seen {where} of {row['site_name']} "
        f"({row['site_code']}), severity {row['severity']}"
    )
    return text[:255]


def aircraft_records(row):
    """One dict per aircraft: each drone record, or drone_count anonymous ones."""
    if row["drones"]:
        return row["drones"]
    return [
        {
            "category": row["category"],
            "make_model": row["make_model"],
            "uas_id": "",
            "uas_id_type": "",
            "operator_id": "",
            "description": "",
        }
        for _ in range(row["drone_count"])
    ]


def serial_number(drone):
    """The drone's serial number for Serial_Number, when its UAS ID is one and fits."""
    if drone["uas_id_type"] == "serial" and drone["uas_id"]:
        serial = drone["uas_id"].upper()
        if len(serial) <= SERIAL_MAX:
            return serial
    return ""


def aircraft_narrative(drone):
    parts = []
    if drone["make_model"]:
        parts.append(f"Make and model: {drone['make_model']}.")
    if drone["uas_id"]:
        parts.append(f"Remote ID UAS ID ({drone['uas_id_type']}): {drone['uas_id']}.")
    if drone["operator_id"]:
        parts.append(f"Remote ID operator ID: {drone['operator_id']}.")
    if drone["description"]:
        parts.append(drone["description"])
    return " ".join(parts)


def occurrence_xml(row, reported_on):
    """The E5X XML document (an lxml tree) of one incident row with its drones."""
    root = etree.Element(
        _q("SET"),
        nsmap={None: NS, "dt": DT_NS},
        TaxonomyName="ECCAIRS Aviation",
        TaxonomyVersion="5.1.0.0",
        Domain="RIT",
        Version="1.0.0.0",
    )
    occurrence = etree.SubElement(root, _q("Occurrence"))
    attributes = etree.SubElement(occurrence, _q("ATTRIBUTES"))
    utc = row["first_seen"].astimezone(UTC)
    local = row["first_seen"].astimezone(zoneinfo.ZoneInfo(row["site_timezone"]))
    # The RIT sequence fixes the order of these elements.
    for category in occurrence_categories(row):
        _attr(attributes, "Occurrence_Category", 430, category)
    _attr(attributes, "Occurrence_Class", 431, occurrence_class(row))
    _attr(attributes, "Local_Date", 433, local.date().isoformat())
    _attr(attributes, "Latitude_Of_Occ", 439, f"{row['lat']:.7f}")
    _attr(attributes, "Location_Name", 440, f"{row['site_name']} ({row['site_code']})"[:255])
    _attr(attributes, "Longitude_Of_Occ", 444, f"{row['lon']:.7f}")
    _attr(attributes, "File_Number", 452, row["reference"])
    if settings.E5X_RESPONSIBLE_ENTITY:
        _attr(attributes, "Responsible_Entity", 453, settings.E5X_RESPONSIBLE_ENTITY)
    place = nearest_place(round(row["lon"], 2), round(row["lat"], 2))
    state = state_area_ids().get(place.country.lower())
    if state:
        _attr(attributes, "State_Area_Of_Occ", 454, state)
    _attr(attributes, "Local_Time", 457, local.strftime("%H:%M:%S"))
    _attr(attributes, "UTC_Date", 477, utc.date().isoformat())
    _attr(attributes, "UTC_Time", 478, utc.strftime("%H:%M:%S"))
    _attr(attributes, "Headline", 601, headline(row))

    entities = etree.SubElement(occurrence, _q("ENTITIES"))
    for number, drone in enumerate(aircraft_records(row), start=1):
        aircraft = etree.SubElement(entities, _q("Aircraft"), ID=f"AC{number}")
        values = etree.SubElement(aircraft, _q("ATTRIBUTES"))
        if row["altitude_m"] is not None:
            feet = min(max(row["altitude_m"] * FEET_PER_METRE, -3000), 99999)
            _attr(values, "Aircraft_Altitude", 22, f"{feet:.0f}", Unit="ft")
        _attr(values, "Aircraft_Category", 32, AIRCRAFT_CATEGORY.get(drone["category"], RPAS))
        serial = serial_number(drone)
        if serial:
            _attr(values, "Serial_Number", 254, serial)
        text = aircraft_narrative(drone)
        if text:
            _narrative(etree.SubElement(aircraft, _q("ENTITIES")), text)
    events = etree.SubElement(entities, _q("Events"), ID="EV1")
    _attr(etree.SubElement(events, _q("ATTRIBUTES")), "Event_Type", 390, EVENT_RPAS_INTERFERENCE)
    if row["narrative"].strip():
        _narrative(entities, row["narrative"])
    history = etree.SubElement(entities, _q("Reporting_History"))
    report = etree.SubElement(history, _q("ATTRIBUTES"))
    _attr(report, "Report_Identification", 438, row["reference"])
    _attr(report, "Reporting_Date", 801, reported_on.isoformat())
    return etree.ElementTree(root)


def validate(tree, name):
    """Raise E5xInvalid with the schema's first message if `tree` is not valid RIT."""
    checker = schema()
    if not checker.validate(tree):
        error = checker.error_log.last_error
        raise E5xInvalid(f"{name} is not valid against the RIT 5.1.0.0 schema: {error.message}")


@register
class E5xExporter(Exporter):
    identifier = "e5x"
    verbose_name = _("ECCAIRS occurrence reports (E5X)")
    description = _(
        "EU 376/2014 occurrence reports for upload to ECCAIRS 2: one occurrence per incident."
    )
    extension = "e5x"
    media_type = "application/zip"

    def filename(self, source):
        # The IORS naming convention: organisation, file number, creation date.
        organisation = re.sub(r"[^A-Z0-9]", "", settings.E5X_ORGANISATION.upper())[:12]
        return f"{organisation}-{source.sequence:06d}-{source.generated_at:%Y%m%d}.e5x"

    def write(self, source, path):
        count = 0
        reported_on = source.generated_at.date()
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for row in source.incidents(with_drones=True):
                name = f"{row['reference']}.xml"
                tree = occurrence_xml(row, reported_on)
                validate(tree, name)
                data = etree.tostring(tree, xml_declaration=True, encoding="utf-8")
                archive.writestr(name, data)
                count += 1
