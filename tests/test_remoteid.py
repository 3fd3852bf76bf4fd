"""The Remote ID decoder against published vectors, real captures and broken input.

Expected values come from outside incidents.remoteid: the two published test vectors, the
reference decode of 1,524 captured messages (tests/data/remoteid/SOURCES.md), the field notes
on each capture, and the encoding in ASTM F3411 for the hand-made edge cases. The reference
names fields its own way; REFERENCE_FIELDS maps them here, in the test, not in the module.
"""

import ast
import base64
import csv
import gzip
import json
import struct
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents import remoteid
from incidents.choices import UasIdType
from incidents.remoteid import DecodeError

DATA = Path(__file__).parent / "data" / "remoteid"
VECTORS = json.loads((DATA / "test_vectors.json").read_text())
with gzip.open(DATA / "odid_messages_from_pcaps.csv.gz", "rt", newline="") as reference_file:
    ROWS = list(csv.DictReader(reference_file))

# Half a step of each encoding: 1e-7 degrees, 0.5 m, 0.25 m/s, 0.1 s.
COORDINATE_TOLERANCE = 0.5e-7
ALTITUDE_TOLERANCE = 0.25
SPEED_TOLERANCE = 0.125
TIME_TOLERANCE = 0.05


def row_key(row):
    return f"{row['source_file']}@{row['pack_byte_offset']}#{row['msg_index_in_pack']}"


# Ten captured messages that the reference decodes without complaint but that carry values the
# standard reserves or forbids: all come from the Bluetooth 5 long-range capture, and look like
# reception errors (random bytes in place of the expected text, impossible coordinates).
# Accepting them would invent aircraft, so the decoder refuses each, naming the first bad field
# in byte order.
CORRUPTED = {
    # Operator ID type 88 (1-200 are reserved); the rest of the message is noise.
    "odid_bt5_lr_sample.pcapng@27748#2": "operator_id_type",
    # Status 10 (only 0-4 are defined); also vertical accuracy code 8, latitude 85.7 on a
    # flight otherwise at 0/0.
    "odid_bt5_lr_sample.pcapng@37780#1": "status",
    # Direction 204 + 180 = 384 degrees; the reference shows it as unknown. Latitude -164 too.
    "odid_bt5_lr_sample.pcapng@37780#2": "direction_deg",
    # "FIN87astrdge12kx" then the bytes ED 2D 3F: not ASCII.
    "odid_bt5_lr_sample.pcapng@38996#4": "operator_id",
    # ID type 5 is reserved (and the serial reads SSEVPFo… instead of SSEVTFG…).
    "odid_bt5_lr_sample.pcapng@60276#0": "id_type",
    # "Drone ID demo", NUL padding, then a stray 0x04 as the last byte.
    "odid_bt5_lr_sample.pcapng@60276#2": "description",
    # EU class 12 (only 0-7 are defined); area count 57345 and a 2059 timestamp beside it.
    "odid_bt5_lr_sample.pcapng@60276#3": "class_eu",
    # ID type 0 followed by "FIN87astrdge1rp" and non-ASCII bytes.
    "odid_bt5_lr_sample.pcapng@60276#4": "uas_id",
    # A serial number "SSEVTF" followed by non-ASCII bytes.
    "odid_bt5_lr_sample.pcapng@82164#0": "uas_id",
    # Status 9, longitude -214.6.
    "odid_bt5_lr_sample.pcapng@82164#1": "status",
}

REFERENCE_TYPES = {
    "BasicID": "basic_id",
    "Location": "location",
    "Auth": "authentication",
    "SelfID": "self_id",
    "System": "system",
    "OperatorID": "operator_id",
}


def same(value):
    return value


def tenths_to_seconds(value):
    return None if value == 0xFFFF else value / 10


def accuracy_tenths(value):
    return value / 10 if value else None


def vertical_speed(value):
    # The reference leaves the "unknown" code as the number 63.0; the standard calls it
    # unknown, so the decoder gives None.
    return None if value == 63.0 else value


def unix_from_2019(value):
    # 0 means "not given" (protocol version 0 Systems leave these bytes empty); the reference
    # agrees: its timestamp_utc is null exactly then.
    return None if value == 0 else value + 1_546_300_800


def utc_text(value):
    return None if value is None else datetime.fromisoformat(value)


# reference field -> (decoder field, conversion, tolerance or None for exact)
REFERENCE_FIELDS = {
    "msg_type": ("message_type_code", same, None),
    "proto_version": ("protocol_version", same, None),
    # Basic ID
    "ua_type": ("ua_type", same, None),
    "id_type": ("id_type", same, None),
    "uas_id": ("uas_id", same, None),
    # Location
    "status": ("status", same, None),
    "height_type": ("height_type", same, None),
    "direction_deg": ("direction_deg", same, None),
    "speed_h_mps": ("speed_ms", same, SPEED_TOLERANCE),
    "speed_v_mps": ("vertical_speed_ms", vertical_speed, SPEED_TOLERANCE),
    "lat": ("latitude", same, COORDINATE_TOLERANCE),
    "lon": ("longitude", same, COORDINATE_TOLERANCE),
    "alt_baro_m": ("pressure_altitude_m", same, ALTITUDE_TOLERANCE),
    "alt_geo_m": ("geodetic_altitude_m", same, ALTITUDE_TOLERANCE),
    "height_m": ("height_m", same, ALTITUDE_TOLERANCE),
    "horiz_acc": ("horizontal_accuracy", same, None),
    "vert_acc": ("vertical_accuracy", same, None),
    "speed_acc": ("speed_accuracy", same, None),
    "baro_acc": ("baro_accuracy", same, None),
    "ts_tenths_after_hour": ("timestamp_s", tenths_to_seconds, TIME_TOLERANCE),
    "ts_acc": ("timestamp_accuracy_s", accuracy_tenths, TIME_TOLERANCE),
    # System
    "op_loc_type": ("operator_location_type", same, None),
    "classification_type": ("classification_type", same, None),
    "op_lat": ("operator_latitude", same, COORDINATE_TOLERANCE),
    "op_lon": ("operator_longitude", same, COORDINATE_TOLERANCE),
    "area_count": ("area_count", same, None),
    "area_radius_m": ("area_radius_m", same, None),
    "area_ceiling_m": ("area_ceiling_m", same, ALTITUDE_TOLERANCE),
    "area_floor_m": ("area_floor_m", same, ALTITUDE_TOLERANCE),
    "class_eu": ("class_eu", same, None),
    "category_eu": ("category_eu", same, None),
    "op_alt_geo_m": ("operator_altitude_m", same, ALTITUDE_TOLERANCE),
    "timestamp_2019": ("timestamp_unix", unix_from_2019, None),
    "timestamp_utc": ("timestamp_utc", utc_text, None),
    # Self-ID
    "desc_type": ("description_type", same, None),
    "desc": ("description", same, None),
    # Operator ID
    "operator_id_type": ("operator_id_type", same, None),
    "operator_id": ("operator_id", same, None),
    # Authentication
    "page": ("page", same, None),
    "auth_type": ("auth_type", same, None),
    "last_page": ("last_page_index", same, None),
    "length": ("auth_data_length", same, None),
    "data_hex": ("auth_data", same, None),
}


def expected_from_reference(reference):
    """The reference decode in the decoder's names and conventions: {field: (value, tol)}."""
    expected = {}
    for name, value in reference.items():
        field, convert, tolerance = REFERENCE_FIELDS[name]
        expected[field] = (convert(value), tolerance)
    # Position 0/0 is the standard's "unknown"; the reference prints it as 0.0.
    for lat, lon in (("latitude", "longitude"), ("operator_latitude", "operator_longitude")):
        if lat in expected and expected[lat][0] == 0 and expected[lon][0] == 0:
            expected[lat] = expected[lon] = (None, None)
    return expected


def mismatches(decoded, expected, where):
    """Each field where the decoder and the reference disagree, as a line of text."""
    found = []
    for field, (value, tolerance) in expected.items():
        got = decoded[field]
        if field == "timestamp_utc" and got is not None:
            got = datetime.fromisoformat(got)
        if value is None or tolerance is None:
            agree = got == value
        else:
            agree = got is not None and abs(got - value) <= tolerance
        if not agree:
            found.append(f"{where}: {field} is {got!r}, the reference says {value!r}")
    return found


def check_row(row):
    """Mismatches between decode_message() and the reference for one captured message.

    Every message decodes as the reference says (leniently: strict=False). A corrupted one
    must also name its invalid field among its problems, and strict decoding refuses it.
    """
    where = row_key(row)
    data = bytes.fromhex(row["message_hex_25B"])
    try:
        decoded = remoteid.decode_message(data, strict=False)
    except DecodeError as error:
        return [f"{where}: refused ({error})"]
    named = {problem["field"] for problem in decoded["problems"]}
    if where in CORRUPTED:
        if CORRUPTED[where] not in named:
            return [f"{where}: its {CORRUPTED[where]} is not named among {sorted(named)}"]
        try:
            remoteid.decode_message(data)
        except DecodeError:
            pass
        else:
            return [f"{where}: strict decoding should refuse it"]
    elif named:
        return [f"{where}: problems {sorted(named)} in a message the reference finds sound"]
    if decoded["message_type"] != REFERENCE_TYPES[row["msg_type"]]:
        return [f"{where}: decoded as {decoded['message_type']}, not {row['msg_type']}"]
    expected = expected_from_reference(json.loads(row["decoded_json"]))
    return mismatches(decoded, expected, where)


# ---------------------------------------------------------------------------------------------
# The captures

CAPTURES = sorted({row["source_file"] for row in ROWS})


@pytest.mark.parametrize("capture", CAPTURES)
def test_captured_messages_decode_as_the_reference_says(capture):
    rows = [row for row in ROWS if row["source_file"] == capture]
    problems = [problem for row in rows for problem in check_row(row)]
    assert not problems, f"{len(problems)} mismatches:\n" + "\n".join(problems[:30])


def test_a_wrong_reference_value_would_be_reported():
    row = next(row for row in ROWS if row["msg_type"] == "Location" and "dji" in row["source_file"])
    altered = dict(row, decoded_json=row["decoded_json"].replace('"lat": 33.6', '"lat": 33.7'))
    assert check_row(row) == []
    (problem,) = check_row(altered)
    assert "latitude is 33.6652717, the reference says 33.7652717" in problem


def test_reference_covers_every_captured_message():
    assert len(ROWS) == 1524
    counts = Counter(row["msg_type"] for row in ROWS)
    assert counts == {
        "BasicID": 317,
        "Location": 324,
        "System": 280,
        "SelfID": 279,
        "OperatorID": 261,
        "Auth": 63,
    }
    assert set(CORRUPTED) <= {row_key(row) for row in ROWS}


def packs_by_capture():
    """Each pack cut from its capture file as received, with its reference rows."""
    rows = defaultdict(list)
    for row in ROWS:
        rows[(row["source_file"], int(row["pack_byte_offset"]))].append(row)
    captures = {}
    for (name, offset), pack_rows in sorted(rows.items()):
        capture = captures.setdefault(name, [])
        raw = (DATA / "pcaps" / name).read_bytes()
        count = raw[offset + 2]
        capture.append((raw[offset : offset + 3 + 25 * count], pack_rows))
    return captures


PACKS = packs_by_capture()


@pytest.mark.parametrize("capture", sorted(PACKS))
def test_packs_cut_from_the_captures_decode_message_by_message(capture):
    for pack, rows in PACKS[capture]:
        bad = [CORRUPTED[row_key(row)] for row in rows if row_key(row) in CORRUPTED]
        if bad:
            with pytest.raises(DecodeError) as caught:
                remoteid.decode(pack)
            assert caught.value.field == bad[0]
            assert "in the pack" in caught.value.message
            continue
        messages = remoteid.decode(pack)
        assert [message["raw_hex"] for message in messages] == [
            row["message_hex_25B"] for row in rows
        ]


def summaries(capture):
    """summarise() of every pack of a capture that decodes."""
    result = []
    for pack, rows in PACKS[capture]:
        if not any(row_key(row) in CORRUPTED for row in rows):
            result.append(remoteid.summarise(remoteid.decode(pack)))
    return result


def test_dji_air3_capture_summarises_to_its_serial_position_and_live_operator():
    for summary in summaries("dji_air3.pcapng"):
        assert summary["uas_id"] == "1581F6N8A23B2ML3Y3KR"
        assert summary["uas_id_type"] == UasIdType.SERIAL
        assert summary["lat"] == pytest.approx(33.665, abs=0.001)
        assert summary["lon"] == pytest.approx(-82.192, abs=0.001)
        assert summary["operator_location_type_name"] == "live_gnss"
        assert summary["operator_lat"] == pytest.approx(33.663, abs=0.001)
        assert summary["system_timestamp_utc"].startswith("2024-10-07T13:2")
        # The Location's seconds-after-hour placed in the System message's hour.
        assert summary["timestamp_utc"].startswith("2024-10-07T13:2")


def test_bt5_long_range_capture_names_its_serial_operator_and_self_id():
    found = summaries("odid_bt5_lr_sample.pcapng")
    serials = Counter(summary["uas_id"] for summary in found if summary["uas_id"])
    operators = Counter(summary["operator_id"] for summary in found if summary["operator_id"])
    texts = Counter(summary["self_id_text"] for summary in found if summary["self_id_text"])
    assert set(serials) == {"SSEVTFG93700070"}
    assert operators.most_common(1)[0][0] == "FIN87astrdge12kxyz8"
    assert texts.most_common(1)[0][0] == "Drone ID demo"
    # This transmitter sends lat/lon 0/0: unknown, not a point in the Gulf of Guinea. One pack
    # (offset 35652) has a longitude byte garbled into -80.53: every field stays in range, and
    # the messages carry no checksum of their own, so no decoder can tell.
    positions = Counter((s["lat"], s["lon"]) for s in found if s["status_name"])
    assert set(positions) == {(None, None), (0.0, -80.5306368)}
    assert positions[(0.0, -80.5306368)] == 1


def test_wifi_beacon_capture_names_its_id_operator_and_eu_class():
    found = summaries("odid_wifi_bcn_sample.pcap")
    assert found
    for summary in found:
        assert summary["uas_id"] == "MFG1A0123456789"
        # The broadcast declares ID type 0 ("none"), so there is no SkyLedger type for it.
        assert summary["uas_id_type"] is None
        assert summary["operator_id"] == "GBR-OP-123ABCD"
        assert summary["self_id_text"] == "Recreational"
        assert summary["category_eu_name"] == "open"
        assert summary["class_eu_name"] == "c4"
        assert summary["lat"] == pytest.approx(45.545, abs=0.01)
        assert summary["lon"] == pytest.approx(-122.97, abs=0.01)


def test_linux_transmitter_packs_hold_nine_messages_with_a_three_page_authentication():
    for pack, _rows in PACKS["wireless_RID_test_linux_transmitter.pcapng"]:
        messages = remoteid.decode(pack)
        assert len(messages) == 9
        pages = [m for m in messages if m["message_type"] == "authentication"]
        assert [page["page"] for page in pages] == [0, 1, 2]
        assert pages[0]["last_page_index"] == 2
        assert pages[0]["auth_data_length"] == 17 + 23 + 23
        summary = remoteid.summarise(messages)
        # A serial number and a session ID: the serial names the aircraft.
        assert summary["uas_id"] == "112624150A90E3AE1EC0"
        assert summary["uas_id_type"] == UasIdType.SERIAL
        assert {(i["uas_id"], i["uas_id_type"]) for i in summary["uas_ids"]} == {
            ("112624150A90E3AE1EC0", UasIdType.SERIAL),
            ("FD3454B778E565C24B70", UasIdType.SESSION_ID),
        }
        assert (summary["lat"], summary["lon"]) == (51.4791, -0.0013)


# ---------------------------------------------------------------------------------------------
# The published vectors

BLE = VECTORS[0]
LIBRID = VECTORS[1]

# The names the bkerler self-test prints, in the decoder's terms.
BLE_LABELS = {
    "Serial Number (ANSI/CTA-2063-A)": "serial_number",
    "CAA Assigned Registration ID": "caa_registration",
    "Helicopter or Multirotor": "helicopter_or_multirotor",
    "Airborne": "airborne",
    "Above Takeoff": "above_takeoff",
    "Message Set Signature": "message_set_signature",
    "Text Description": "text",
    "Takeoff": "takeoff",
    "EU": "eu",
    "Open": "open",
    "Class 1": "c1",
    "Operator ID": "operator_id",
}
BLE_FIELDS = {
    "type": "message_type",
    "proto": "protocol_version",
    "id_type": "id_type_name",
    "ua_type": "ua_type_name",
    "uas_id": "uas_id",
    "status": "status_name",
    "height_type": "height_type_name",
    "direction_deg": "direction_deg",
    "speed_mps": "speed_ms",
    "vert_speed_mps": "vertical_speed_ms",
    "lat": "latitude",
    "lon": "longitude",
    "pressure_alt": "pressure_altitude_m",
    "geodetic_alt_m": "geodetic_altitude_m",
    "height_m": "height_m",
    "horizontal_accuracy": "horizontal_accuracy_m",
    "vertical_accuracy": "vertical_accuracy_m",
    "baro_accuracy": "baro_accuracy_m",
    "speed_accuracy": "speed_accuracy_ms",
    "timestamp_tenths_s_after_hour": "timestamp_s",
    "timestamp_accuracy_s": "timestamp_accuracy_s",
    "auth_type": "auth_type_name",
    "page": "page",
    "last_page_index": "last_page_index",
    "timestamp_s_since_2019": "timestamp_unix",
    "auth_data_hex": "auth_data",
    "desc_type": "description_type_name",
    "text": "description",
    "operator_location_type": "operator_location_type_name",
    "classification_type": "classification_type_name",
    "operator_lat": "operator_latitude",
    "operator_lon": "operator_longitude",
    "area_count": "area_count",
    "area_radius_m": "area_radius_m",
    "area_ceiling_m": "area_ceiling_m",
    "area_floor_m": "area_floor_m",
    "eu_category": "category_eu_name",
    "eu_class": "class_eu_name",
    "operator_geodetic_alt_m": "operator_altitude_m",
    "timestamp_utc": "timestamp_utc",
    "operator_id_type": "operator_id_type_name",
    "operator_id": "operator_id",
}


def ble_value(name, value):
    """One value of the self-test's printout in the decoder's units."""
    if name == "type":
        return REFERENCE_TYPES[value]
    if name == "pressure_alt" and value == "undefined (-1000)":
        return None
    if name == "timestamp_tenths_s_after_hour":
        return value / 10
    if name == "timestamp_s_since_2019":
        return value + 1_546_300_800
    if name == "timestamp_utc":
        # Printed to the minute only.
        return datetime.strptime(value, "%Y-%m-%d %H:%M UTC").replace(tzinfo=UTC)
    if isinstance(value, str) and value.startswith("<"):
        return float(value[1:].split()[0])  # "<10 m", "<0.3 m/s": the class's upper bound
    return BLE_LABELS.get(value, value) if isinstance(value, str) else value


def test_published_ble_vector_decodes_as_published():
    raw = bytes.fromhex(BLE["hex"])
    # BLE advertising data: length, AD type 0x16 (service data), UUID 0xFFFA, app code 0x0D,
    # a message counter; the message pack follows.
    assert raw[1:5] == bytes.fromhex("16faff0d")
    messages = remoteid.decode(raw[6:])
    assert len(messages) == len(BLE["expected"]) == 7
    for index, (message, expected) in enumerate(zip(messages, BLE["expected"], strict=True)):
        for name, value in expected.items():
            want, got = ble_value(name, value), message[BLE_FIELDS[name]]
            if name == "timestamp_utc":
                got = datetime.fromisoformat(got).replace(second=0)
            if isinstance(want, float):
                assert got == pytest.approx(want, abs=COORDINATE_TOLERANCE), (index, name)
            else:
                assert got == want, (index, name)


LIBRID_FIELDS = {
    "protocol_version": "protocol_version",
    "message_type": "message_type_code",
    "latitude": "latitude",
    "longitude": "longitude",
    "geodetic_altitude": "geodetic_altitude_m",
    "pressure_altitude": "pressure_altitude_m",
    "height": "height_m",
    "height_type": "height_type",
    "speed": "speed_ms",
    "vertical_speed": "vertical_speed_ms",
    "track_direction": "direction_deg",
    "operational_status": "status",
    "horizontal_accuracy": "horizontal_accuracy",
    "vertical_accuracy": "vertical_accuracy",
    "speed_accuracy": "speed_accuracy",
    "baro_altitude_accuracy": "baro_accuracy",
    "timestamp": "timestamp_s",
    "timestamp_accuracy": "timestamp_accuracy_s",
}


def test_published_librid_location_decodes_as_published():
    message = remoteid.decode_message(bytes.fromhex(LIBRID["hex"]))
    for name, value in LIBRID["expected"].items():
        field = LIBRID_FIELDS[name]
        if name == "pressure_altitude":
            # librid prints the encoded -1000 m; the standard says that value means unknown.
            assert value == -1000.0
            value = None
        elif name == "timestamp":
            value = value / 10  # librid prints tenths of a second after the hour
        elif name == "timestamp_accuracy":
            value = value / 10
        got = message[field]
        if isinstance(value, float):
            assert got == pytest.approx(value, abs=COORDINATE_TOLERANCE), name
        else:
            assert got == value, name
    assert message["status_name"] == "airborne"
    assert message["horizontal_accuracy_m"] == 10.0
    assert message["vertical_accuracy_m"] == 10.0
    assert message["speed_accuracy_ms"] == 1.0
    assert message["baro_accuracy_m"] is None


# ---------------------------------------------------------------------------------------------
# Unknown and invalid values, per message type. Each case starts from a published message and
# changes the bytes of one field.

BLE_MESSAGES = [bytes.fromhex(BLE["hex"])[9 + 25 * i : 9 + 25 * (i + 1)] for i in range(7)]
BASIC_ID, _, _, AUTH, SELF_ID, SYSTEM, OPERATOR_ID = BLE_MESSAGES
LOCATION = bytes.fromhex(LIBRID["hex"])


def patched(message, offset, value):
    data = bytearray(message)
    data[offset : offset + len(value)] = value
    return bytes(data)


def u16(value):
    return struct.pack("<H", value)


def i32(value):
    return struct.pack("<i", value)


def test_location_unknown_values_decode_to_none():
    data = LOCATION
    data = patched(data, 1, bytes([0x20 | 0b11]))  # E/W bit and speed multiplier set
    data = patched(data, 2, bytes([181]))  # 181 + 180 = 361: unknown direction
    data = patched(data, 3, bytes([255]))  # 255 with the multiplier: 255 m/s, unknown
    data = patched(data, 4, struct.pack("b", 126))  # 63 m/s: unknown
    data = patched(data, 5, i32(0) + i32(0))
    data = patched(data, 13, u16(0) + u16(0) + u16(0))
    data = patched(data, 19, bytes([0, 0]))
    data = patched(data, 21, u16(0xFFFF) + bytes([0]))
    message = remoteid.decode_message(data)
    for field in (
        "direction_deg",
        "speed_ms",
        "vertical_speed_ms",
        "latitude",
        "longitude",
        "pressure_altitude_m",
        "geodetic_altitude_m",
        "height_m",
        "horizontal_accuracy_m",
        "vertical_accuracy_m",
        "baro_accuracy_m",
        "speed_accuracy_ms",
        "timestamp_s",
        "timestamp_accuracy_s",
    ):
        assert message[field] is None, field


def test_location_values_next_to_the_unknown_codes_are_real():
    data = patched(LOCATION, 1, bytes([0x20]))  # no E/W bit, no multiplier
    data = patched(data, 2, bytes([181]))
    data = patched(data, 3, bytes([255]))
    data = patched(data, 4, struct.pack("b", -124))
    data = patched(data, 5, i32(0))  # on the equator, but longitude is not 0
    data = patched(data, 13, u16(1))
    data = patched(data, 21, u16(36000))
    message = remoteid.decode_message(data)
    assert message["direction_deg"] == 181
    assert message["speed_ms"] == 63.75
    assert message["vertical_speed_ms"] == -62.0
    assert message["latitude"] == 0.0
    assert message["longitude"] == pytest.approx(21.974944)
    assert message["pressure_altitude_m"] == -999.5
    assert message["timestamp_s"] == 3600.0


def test_location_speed_multiplier_and_east_west_bit_scale_as_the_standard_says():
    data = patched(LOCATION, 1, bytes([0x20 | 0b11]))
    data = patched(data, 2, bytes([90]))
    data = patched(data, 3, bytes([254]))
    message = remoteid.decode_message(data)
    assert message["direction_deg"] == 270
    assert message["speed_ms"] == 254.25


@pytest.mark.parametrize(
    ("offset", "value", "field"),
    [
        (1, bytes([0x50]), "status"),
        (1, bytes([0xF0]), "status"),
        (2, bytes([180]), "direction_deg"),  # with E/W set below: 360
        (4, struct.pack("b", 125), "vertical_speed_ms"),
        (4, struct.pack("b", -125), "vertical_speed_ms"),
        (5, i32(900_000_001), "latitude"),
        (5, i32(-900_000_001), "latitude"),
        (9, i32(1_800_000_001), "longitude"),
        (9, i32(-1_800_000_001), "longitude"),
        (19, bytes([0x4D]), "horizontal_accuracy"),
        (19, bytes([0x7A]), "vertical_accuracy"),
        (20, bytes([0x73]), "baro_accuracy"),
        (20, bytes([0x05]), "speed_accuracy"),
        (21, u16(36001), "timestamp_s"),
    ],
)
def test_location_invalid_values_name_their_field(offset, value, field):
    data = patched(LOCATION, offset, value)
    if field == "direction_deg":
        data = patched(data, 1, bytes([0x22]))
    with pytest.raises(DecodeError) as caught:
        remoteid.decode_message(data)
    assert caught.value.field == field
    assert "expected" in caught.value.message


def test_direction_of_362_degrees_is_invalid():
    data = patched(patched(LOCATION, 1, bytes([0x22])), 2, bytes([182]))
    with pytest.raises(DecodeError) as caught:
        remoteid.decode_message(data)
    assert caught.value.field == "direction_deg"


def test_basic_id_types_and_unknown_id():
    message = remoteid.decode_message(bytes(25))
    assert (message["id_type_name"], message["ua_type_name"], message["uas_id"]) == (
        "none",
        "none",
        "",
    )
    for code, name in ((1, "aeroplane"), (4, "hybrid_lift"), (15, "other")):
        message = remoteid.decode_message(patched(BASIC_ID, 1, bytes([0x10 | code])))
        assert message["ua_type_name"] == name


def test_basic_id_binary_uuid_and_session_id_are_shown_as_text():
    raw_uuid = bytes.fromhex("123e4567e89b12d3a456426614174000")
    message = remoteid.decode_message(patched(BASIC_ID, 1, bytes([0x32]) + raw_uuid + bytes(4)))
    assert message["id_type_name"] == "utm_uuid"
    assert message["uas_id"] == "123e4567-e89b-12d3-a456-426614174000"
    session = bytes([0xE1]) + bytes(range(0x80, 0x93))
    message = remoteid.decode_message(patched(BASIC_ID, 1, bytes([0x42]) + session))
    assert message["uas_id"] == session.hex().upper()


@pytest.mark.parametrize(
    ("offset", "value", "field"),
    [
        (1, bytes([0x52]), "id_type"),
        (1, bytes([0xF2]), "id_type"),
        (2, b"SERIAL\xe9", "uas_id"),
        (2, b"SERIAL\x07", "uas_id"),
        (2, b"SERIAL\x00\x00X", "uas_id"),
    ],
)
def test_basic_id_invalid_values_name_their_field(offset, value, field):
    with pytest.raises(DecodeError) as caught:
        remoteid.decode_message(patched(BASIC_ID, offset, value))
    assert caught.value.field == field


def test_authentication_pages_and_unknown_timestamp():
    page0 = remoteid.decode_message(patched(AUTH, 4, bytes(4)))
    assert page0["timestamp_unix"] is None
    assert page0["timestamp_utc"] is None
    page2 = remoteid.decode_message(patched(AUTH, 1, bytes([0x32])))
    assert page2["page"] == 2
    assert page2["last_page_index"] is None
    assert page2["auth_data"] == AUTH[2:25].hex()
    private = remoteid.decode_message(patched(AUTH, 1, bytes([0xA0])))
    assert private["auth_type_name"] == "private"


@pytest.mark.parametrize(
    ("offset", "value", "field"),
    [
        (1, bytes([0x60]), "auth_type"),
        (1, bytes([0x90]), "auth_type"),
        (2, bytes([16]), "last_page_index"),
        (2, bytes([1, 17 + 23 + 1]), "auth_data_length"),
    ],
)
def test_authentication_invalid_values_name_their_field(offset, value, field):
    with pytest.raises(DecodeError) as caught:
        remoteid.decode_message(patched(AUTH, offset, value))
    assert caught.value.field == field


def test_self_id_types():
    assert remoteid.decode_message(patched(SELF_ID, 1, bytes([1])))["description_type_name"] == (
        "emergency"
    )
    private = remoteid.decode_message(patched(SELF_ID, 1, bytes([201, 0xFF, 0x80])))
    assert (private["description_type_name"], private["description"]) == ("private", None)


@pytest.mark.parametrize(
    ("offset", "value", "field"),
    [
        (1, bytes([3]), "description_type"),
        (1, bytes([200]), "description_type"),
        (2, b"Drone\xff", "description"),
    ],
)
def test_self_id_invalid_values_name_their_field(offset, value, field):
    with pytest.raises(DecodeError) as caught:
        remoteid.decode_message(patched(SELF_ID, offset, value))
    assert caught.value.field == field


def test_system_unknown_values_decode_to_none():
    data = patched(SYSTEM, 2, i32(0) + i32(0))
    data = patched(data, 13, u16(0) + u16(0))
    data = patched(data, 18, u16(0) + bytes(4))
    message = remoteid.decode_message(data)
    for field in (
        "operator_latitude",
        "operator_longitude",
        "area_ceiling_m",
        "area_floor_m",
        "operator_altitude_m",
        "timestamp_unix",
        "timestamp_utc",
    ):
        assert message[field] is None, field


def test_system_scales_area_and_classes():
    data = patched(SYSTEM, 10, u16(3) + bytes([255]) + u16(2400) + u16(2010) + bytes([0x37]))
    message = remoteid.decode_message(data)
    assert message["area_count"] == 3
    assert message["area_radius_m"] == 2550
    assert message["area_ceiling_m"] == 200.0
    assert message["area_floor_m"] == 5.0
    assert (message["category_eu_name"], message["class_eu_name"]) == ("certified", "c6")


@pytest.mark.parametrize(
    ("offset", "value", "field"),
    [
        (1, bytes([0x07]), "operator_location_type"),
        (1, bytes([0x08]), "classification_type"),
        (2, i32(-900_000_001), "operator_latitude"),
        (6, i32(1_800_000_001), "operator_longitude"),
        (17, bytes([0x42]), "category_eu"),
        (17, bytes([0x18]), "class_eu"),
    ],
)
def test_system_invalid_values_name_their_field(offset, value, field):
    with pytest.raises(DecodeError) as caught:
        remoteid.decode_message(patched(SYSTEM, offset, value))
    assert caught.value.field == field


def test_operator_id_types():
    message = remoteid.decode_message(patched(OPERATOR_ID, 2, b"GBR-OP-123ABCD"))
    assert message["operator_id"] == "GBR-OP-123ABCD"
    private = remoteid.decode_message(patched(OPERATOR_ID, 1, bytes([255, 0x99])))
    assert (private["operator_id_type_name"], private["operator_id"]) == ("private", None)


@pytest.mark.parametrize(
    ("offset", "value", "field"),
    [
        (1, bytes([1]), "operator_id_type"),
        (1, bytes([200]), "operator_id_type"),
        (2, b"GBR\x80", "operator_id"),
    ],
)
def test_operator_id_invalid_values_name_their_field(offset, value, field):
    with pytest.raises(DecodeError) as caught:
        remoteid.decode_message(patched(OPERATOR_ID, offset, value))
    assert caught.value.field == field


def test_newer_protocol_versions_are_still_decoded():
    message = remoteid.decode_message(patched(LOCATION, 0, bytes([0x1F])))
    assert message["protocol_version"] == 15
    assert message["latitude"] == pytest.approx(62.683472)


# ---------------------------------------------------------------------------------------------
# Malformed framing

PACK = bytes.fromhex(BLE["hex"])[6:]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (LOCATION[:24], "length"),
        (LOCATION + b"\0", "length"),
        (b"", "length"),
        (bytes([0x60]) + LOCATION[1:], "message_type"),
        (bytes([0xE2]) + LOCATION[1:], "message_type"),
    ],
)
def test_decode_message_refuses_bad_framing(data, field):
    with pytest.raises(DecodeError) as caught:
        remoteid.decode_message(data)
    assert caught.value.field == field


def test_decode_message_points_a_pack_to_decode():
    with pytest.raises(DecodeError) as caught:
        remoteid.decode_message(PACK[:25])
    assert caught.value.field == "message_type"
    assert "decode()" in caught.value.message


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"", "length"),
        (LOCATION * 2, "length"),
        (LOCATION[:20], "length"),
        (PACK[:2], "length"),
        (patched(PACK, 1, bytes([24])), "message_size"),
        (patched(PACK, 2, bytes([0])), "message_count"),
        (patched(PACK, 2, bytes([10])) + LOCATION * 3, "message_count"),
        (PACK[:-1], "length"),
        (PACK + b"\0", "length"),
        (patched(PACK, 2, bytes([6])), "length"),
        (bytes.fromhex("f01902") + LOCATION + PACK[:25], "message_type"),
        (bytes.fromhex("f01902") + LOCATION + patched(LOCATION, 5, i32(-910_000_000)), "latitude"),
    ],
)
def test_decode_refuses_bad_packs(data, field):
    with pytest.raises(DecodeError) as caught:
        remoteid.decode(data)
    assert caught.value.field == field


def test_error_inside_a_pack_says_which_message():
    data = bytes.fromhex("f01902") + LOCATION + patched(LOCATION, 1, bytes([0x90]))
    with pytest.raises(DecodeError) as caught:
        remoteid.decode(data)
    assert caught.value.message.startswith("Message 2 of 2 in the pack")
    assert str(caught.value).startswith("status: ")
    assert isinstance(caught.value, ValueError)


def test_decode_of_a_single_message_is_a_list_of_one():
    assert remoteid.decode(LOCATION) == [remoteid.decode_message(LOCATION)]
    assert remoteid.decode(bytearray(LOCATION)) == remoteid.decode(memoryview(LOCATION))


def test_decode_refuses_text_with_a_pointer_to_parse_text():
    with pytest.raises(TypeError, match="parse_text"):
        remoteid.decode(LIBRID["hex"])


# ---------------------------------------------------------------------------------------------
# Text input


@pytest.mark.parametrize(
    "text",
    [
        LIBRID["hex"],
        LIBRID["hex"].upper(),
        "0x" + LIBRID["hex"],
        " ".join(LIBRID["hex"][i : i + 2] for i in range(0, 50, 2)),
        ":".join(LIBRID["hex"][i : i + 2] for i in range(0, 50, 2)),
        ", ".join("0x" + LIBRID["hex"][i : i + 2] for i in range(0, 50, 2)),
        "  " + LIBRID["hex"][:20] + "\n" + LIBRID["hex"][20:] + "\n",
        base64.b64encode(LOCATION).decode(),
        base64.b64encode(LOCATION).decode().rstrip("="),
        base64.urlsafe_b64encode(LOCATION).decode(),
    ],
)
def test_parse_text_reads_hex_and_base64(text):
    assert remoteid.parse_text(text) == LOCATION


def test_parse_text_reads_a_base64_pack():
    assert remoteid.parse_text(base64.b64encode(PACK).decode()) == PACK


@pytest.mark.parametrize(
    "text", ["", "   ", "0x", "12202d3", "not a message!", "12 20 zz", "0x1220zz", "====", "QQ=Q"]
)
def test_parse_text_refuses_anything_else(text):
    with pytest.raises(DecodeError) as caught:
        remoteid.parse_text(text)
    assert caught.value.field == "raw"
    assert "hex" in caught.value.message


# ---------------------------------------------------------------------------------------------
# summarise


def test_summarise_prefers_the_serial_and_merges_location_system_and_operator():
    summary = remoteid.summarise(remoteid.decode(PACK))
    assert (summary["uas_id"], summary["uas_id_type"]) == ("18656A24303", UasIdType.SERIAL)
    assert [entry["uas_id"] for entry in summary["uas_ids"]] == ["18656A24303", "DJI"]
    assert (summary["lat"], summary["lon"]) == (33.6577004, -82.2156164)
    assert (summary["altitude_m"], summary["height_m"]) == (76.0, -9.0)
    assert (summary["speed_ms"], summary["track_deg"]) == (0.25, 94)
    assert (summary["operator_lat"], summary["operator_lon"]) == (33.6631981, -82.2205112)
    assert summary["operator_altitude_m"] == 85.0
    # The pack's Operator ID is empty: no operator rather than "".
    assert summary["operator_id"] is None
    assert summary["self_id_text"] == "Drones ID test flight"
    assert summary["system_timestamp_utc"] == "2024-05-29T21:08:49+00:00"
    # 547.0 s after the hour, in the hour of the System time.
    assert summary["location_timestamp_s"] == 547.0
    assert summary["timestamp_utc"] == "2024-05-29T21:09:07+00:00"


def test_summarise_places_location_time_in_the_hour_nearest_the_receiver_clock():
    late = remoteid.decode_message(patched(LOCATION, 21, u16(35990)))  # 3599.0 s after the hour
    summary = remoteid.summarise([late], received_at=datetime(2026, 3, 1, 10, 0, 1, tzinfo=UTC))
    assert summary["timestamp_utc"] == "2026-03-01T09:59:59+00:00"
    early = remoteid.decode_message(patched(LOCATION, 21, u16(10)))  # 1.0 s after the hour
    summary = remoteid.summarise([early], received_at=datetime(2026, 3, 1, 9, 59, 58, tzinfo=UTC))
    assert summary["timestamp_utc"] == "2026-03-01T10:00:01+00:00"
    assert remoteid.summarise([early])["timestamp_utc"] is None
    naive = remoteid.summarise([early], received_at=datetime(2026, 3, 1, 10, 0, 3))
    assert naive["timestamp_utc"] == "2026-03-01T10:00:01+00:00"


def test_summarise_keeps_the_last_readable_operator_id_and_self_id():
    named = remoteid.decode_message(patched(OPERATOR_ID, 2, b"GBR-OP-123ABCD"))
    private = remoteid.decode_message(patched(OPERATOR_ID, 1, bytes([250])))
    empty = remoteid.decode_message(OPERATOR_ID)
    texts = [
        remoteid.decode_message(patched(SELF_ID, 2, text.ljust(23, b"\0")))
        for text in (b"first", b"second")
    ]
    summary = remoteid.summarise([named, private, empty, *texts])
    assert summary["operator_id"] == "GBR-OP-123ABCD"
    assert summary["self_id_text"] == "second"


def test_summarise_refuses_messages_from_two_aircraft():
    other = patched(BASIC_ID, 2, b"99999999999")
    with pytest.raises(DecodeError) as caught:
        remoteid.summarise([remoteid.decode_message(BASIC_ID), remoteid.decode_message(other)])
    assert caught.value.field == "uas_id"


def test_summarise_of_nothing_knows_nothing():
    summary = remoteid.summarise([])
    assert summary["uas_ids"] == []
    assert all(value is None for key, value in summary.items() if key != "uas_ids")


def test_uas_id_types_are_skyledger_choices():
    assert set(remoteid.SKYLEDGER_ID_TYPES.values()) == set(UasIdType.values)


def test_decoder_imports_nothing_from_django():
    tree = ast.parse(Path(remoteid.__file__).read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module)])
    }
    assert not {name for name in imported if name.split(".")[0] == "django"}
    assert not {name for name in imported if name.split(".")[0] == "incidents"}


# ---------------------------------------------------------------------------------------------
# Whatever arrives, the answer is data or a DecodeError, never another exception.


@settings(max_examples=400, deadline=None, database=None)
@given(st.binary(min_size=25, max_size=25))
def test_any_25_bytes_decode_or_raise_decode_error(data):
    try:
        message = remoteid.decode_message(data)
    except DecodeError as error:
        assert error.field and error.message
    else:
        assert message["raw_hex"] == data.hex()


@settings(max_examples=200, deadline=None, database=None)
@given(st.integers(0, 12), st.binary(max_size=260))
def test_any_pack_decodes_or_raises_decode_error(count, body):
    try:
        messages = remoteid.decode(bytes([0xF2, 25, count]) + body)
    except DecodeError as error:
        assert error.field
    else:
        assert len(messages) == count


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=80))
def test_any_text_parses_or_raises_decode_error(text):
    try:
        assert isinstance(remoteid.parse_text(text), bytes)
    except DecodeError as error:
        assert error.field == "raw"
