"""Pure decoder of broadcast Remote ID (ASTM F3411 / ASD-STAN EN 4709-002, "Open Drone ID").

Bytes in, plain dicts out; no Django. Each broadcast message is 25 bytes, little-endian, its
first byte holding the message type (high nibble) and protocol version (low nibble). A message
pack (type 0xF) carries up to nine of them. Values are given in physical units (degrees,
metres, m/s, seconds); the encoded "unknown" values become None; codes the standard reserves,
coordinates out of range and malformed framing raise DecodeError naming the field.

SkyLedger only reads broadcasts it has received, for detection and reporting: nothing here
builds, sends or alters a message.
"""

import base64
import binascii
import contextvars
import re
import uuid
from datetime import UTC, datetime, timedelta

MESSAGE_SIZE = 25
MAX_PACK_MESSAGES = 9
# System and Authentication timestamps count seconds from 2019-01-01 00:00:00 UTC.
EPOCH_2019_UNIX = 1_546_300_800
MAX_TENTHS_AFTER_HOUR = 36_000
UNKNOWN_TIMESTAMP = 0xFFFF
NAUTICAL_MILE_M = 1852.0

MESSAGE_TYPES = {
    0x0: "basic_id",
    0x1: "location",
    0x2: "authentication",
    0x3: "self_id",
    0x4: "system",
    0x5: "operator_id",
    0xF: "message_pack",
}

ID_TYPES = {
    0: "none",
    1: "serial_number",
    2: "caa_registration",
    3: "utm_uuid",
    4: "specific_session_id",
}
# SkyLedger's UasIdType values (incidents/choices.py), kept as strings so this module needs no
# Django; tests check the two stay in step.
SKYLEDGER_ID_TYPES = {1: "serial", 2: "caa_registration", 3: "utm_uuid", 4: "session_id"}
# When one aircraft sends two Basic IDs, the serial number identifies the airframe best.
ID_TYPE_PREFERENCE = (1, 2, 3, 4)

UA_TYPES = {
    0: "none",
    1: "aeroplane",
    2: "helicopter_or_multirotor",
    3: "gyroplane",
    4: "hybrid_lift",
    5: "ornithopter",
    6: "glider",
    7: "kite",
    8: "free_balloon",
    9: "captive_balloon",
    10: "airship",
    11: "free_fall_or_parachute",
    12: "rocket",
    13: "tethered_powered_aircraft",
    14: "ground_obstacle",
    15: "other",
}
STATUSES = {
    0: "undeclared",
    1: "ground",
    2: "airborne",
    3: "emergency",
    4: "remote_id_system_failure",
}
HEIGHT_TYPES = {0: "above_takeoff", 1: "above_ground"}
# Upper bounds of the accuracy classes, in metres (or m/s for speed); code 0 is "unknown".
HORIZONTAL_ACCURACY_M = {
    1: 10 * NAUTICAL_MILE_M,
    2: 4 * NAUTICAL_MILE_M,
    3: 2 * NAUTICAL_MILE_M,
    4: 1 * NAUTICAL_MILE_M,
    5: 0.5 * NAUTICAL_MILE_M,
    6: 0.3 * NAUTICAL_MILE_M,
    7: 0.1 * NAUTICAL_MILE_M,
    8: 0.05 * NAUTICAL_MILE_M,
    9: 30.0,
    10: 10.0,
    11: 3.0,
    12: 1.0,
}
VERTICAL_ACCURACY_M = {1: 150.0, 2: 45.0, 3: 25.0, 4: 10.0, 5: 3.0, 6: 1.0}
SPEED_ACCURACY_MS = {1: 10.0, 2: 3.0, 3: 1.0, 4: 0.3}

AUTH_TYPES = {
    0: "none",
    1: "uas_id_signature",
    2: "operator_id_signature",
    3: "message_set_signature",
    4: "network_remote_id",
    5: "specific_method",
}
PRIVATE_AUTH_TYPES = range(0xA, 0x10)
DESCRIPTION_TYPES = {0: "text", 1: "emergency", 2: "extended_status"}
OPERATOR_ID_TYPES = {0: "operator_id"}
# Self-ID description types and operator ID types 201-255 are for private use.
PRIVATE_CODES = range(201, 256)

OPERATOR_LOCATION_TYPES = {0: "takeoff", 1: "live_gnss", 2: "fixed"}
CLASSIFICATION_TYPES = {0: "undeclared", 1: "eu"}
CATEGORIES_EU = {0: "undeclared", 1: "open", 2: "specific", 3: "certified"}
CLASSES_EU = {0: "undeclared", **{code: f"c{code - 1}" for code in range(1, 8)}}

AUTH_PAGE0_DATA = 17
AUTH_PAGE_DATA = 23
MAX_AUTH_PAGES = 16


class DecodeError(ValueError):
    """A Remote ID input that cannot be decoded.

    `field` names the part at fault (e.g. "message_type", "length", "latitude") and `message`
    says, in a sentence, what is wrong and what is expected.
    """

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self):
        return f"{self.field}: {self.message}"


# Where a decode in lenient mode (strict=False) collects the invalid values it met instead of
# raising: a list of {"field", "message"}; None in strict mode.
_problems = contextvars.ContextVar("remoteid_problems", default=None)


def _invalid(field, message):
    """An encoded value the standard does not allow: refused in strict mode, else noted."""
    found = _problems.get()
    if found is None:
        raise DecodeError(field, message)
    found.append({"field": field, "message": message})


# ---------------------------------------------------------------------------------------------
# Text input


_HEX_SEPARATORS = re.compile(r"[\s:,]+")
_HEX_PREFIX = re.compile(r"(?:^|(?<=[\s:,]))0[xX]")
_HEX_ONLY_MARKS = re.compile(r"[ \t:,]|^0[xX]")
_HEX = re.compile(r"[0-9a-fA-F]*")
_BASE64 = re.compile(r"[A-Za-z0-9+/\-_]*={0,2}")


def parse_text(text):
    """Turn pasted text into bytes: hex or base64.

    Hex may have spaces, colons or commas between bytes and 0x before the whole or each byte
    ("12 20 2d", "12:20:2d", "0x12202d", "0x12, 0x20"); base64 may use either alphabet, with
    or without padding, wrapped over lines.

    Hex is tried first: a base64 text made only of hex digits, of even length, is vanishingly
    unlikely for Remote ID sizes. Anything else raises DecodeError(field="raw").
    """
    if not isinstance(text, str):
        raise DecodeError("raw", "Give the message as text: hex digits or base64.")
    stripped = text.strip()
    # Base64 may be wrapped over lines but never holds spaces, colons, commas or 0x.
    looks_hex = bool(_HEX_ONLY_MARKS.search(stripped))
    compact = _HEX_SEPARATORS.sub("", _HEX_PREFIX.sub("", stripped))
    if not compact:
        raise DecodeError("raw", "The message is empty; paste it as hex digits or base64.")
    if _HEX.fullmatch(compact):
        if len(compact) % 2:
            raise DecodeError(
                "raw",
                f"The hex has an odd number of digits ({len(compact)}); "
                "each byte needs two, so a digit is missing or extra.",
            )
        return bytes.fromhex(compact)
    if looks_hex:
        stray = next(char for char in compact if not _HEX.fullmatch(char))
        raise DecodeError(
            "raw",
            f"The hex holds {stray!r}; use only the digits 0-9 and a-f, "
            "with spaces or colons between bytes if you like.",
        )
    candidate = re.sub(r"\s+", "", text)
    if _BASE64.fullmatch(candidate):
        padded = candidate.rstrip("=")
        padded += "=" * (-len(padded) % 4)
        try:
            data = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except binascii.Error:
            data = b""
        if data:
            return data
    raise DecodeError(
        "raw",
        "This is neither hex nor base64. Paste the received bytes as hex "
        "(e.g. '12 20 2d ...' or '0x12202d...') or as base64.",
    )


# ---------------------------------------------------------------------------------------------
# Small decoding helpers


def _u16(data, offset):
    return int.from_bytes(data[offset : offset + 2], "little")


def _u32(data, offset):
    return int.from_bytes(data[offset : offset + 4], "little")


def _i32(data, offset):
    return int.from_bytes(data[offset : offset + 4], "little", signed=True)


def _altitude(raw):
    """Altitudes and heights: 0.5 m steps from -1000 m, where -1000 m itself means unknown."""
    return None if raw == 0 else raw * 0.5 - 1000.0


def _enum(table, code, field, label):
    if code not in table:
        allowed = ", ".join(f"{number} ({name})" for number, name in table.items())
        _invalid(field, f"{label} {code} is reserved by the standard; expected {allowed}.")
        return None
    return table[code]


def _coordinates(data, offset, lat_field, lon_field):
    """Latitude then longitude as int32 x 1e-7 degrees; 0/0 means unknown."""
    lat_raw, lon_raw = _i32(data, offset), _i32(data, offset + 4)
    if lat_raw == 0 and lon_raw == 0:
        return None, None
    lat, lon = lat_raw / 10_000_000, lon_raw / 10_000_000
    if not -90 <= lat <= 90:
        _invalid(lat_field, f"Latitude {lat}° is out of range; expected -90° to 90°.")
    if not -180 <= lon <= 180:
        _invalid(lon_field, f"Longitude {lon}° is out of range; expected -180° to 180°.")
    return lat, lon


def _ascii(raw, field, label):
    """Printable ASCII padded with NULs, as the standard's text fields are.

    Anything else (a stray byte after the padding, a non-ASCII byte) is what a corrupted
    reception looks like; accepting it would invent a new aircraft or operator.
    """
    text, _, padding = bytes(raw).partition(b"\0")
    if not all(0x20 <= byte <= 0x7E for byte in text):
        _invalid(
            field,
            f"The {label} holds bytes that are not printable ASCII ({raw.hex()}); "
            "expected ASCII text padded with NUL bytes.",
        )
    elif any(padding):
        _invalid(
            field,
            f"The {label} has stray bytes after its NUL padding ({raw.hex()}); "
            "expected only NUL bytes after the text.",
        )
    else:
        return text.decode("ascii")
    # Leniently decoded, corrupted text keeps every byte (as Latin-1) but the final padding.
    return bytes(raw).rstrip(b"\0").decode("latin-1")


def _timestamp_2019(raw):
    """Seconds since 2019-01-01 UTC as (UNIX seconds, ISO 8601 text); 0 means not given."""
    if raw == 0:
        return None, None
    unix = raw + EPOCH_2019_UNIX
    return unix, datetime.fromtimestamp(unix, UTC).isoformat()


# ---------------------------------------------------------------------------------------------
# One decoder per message type


def _basic_id(data):
    id_type, ua_type = data[1] >> 4, data[1] & 0x0F
    _enum(ID_TYPES, id_type, "id_type", "ID type")
    raw = data[2:22]
    try:
        uas_id = _ascii(raw, "uas_id", "UAS ID")
    except DecodeError:
        # F3411-22 allows binary identifiers for these two types: an RFC 4122 UUID in the
        # first 16 bytes, or a session ID whose first byte says which kind it is.
        if id_type == 3 and not any(raw[16:]):
            uas_id = str(uuid.UUID(bytes=bytes(raw[:16])))
        elif id_type == 4:
            uas_id = raw.hex().upper()
        else:
            raise
    return {
        "id_type": id_type,
        "id_type_name": ID_TYPES.get(id_type),
        "ua_type": ua_type,
        "ua_type_name": UA_TYPES.get(ua_type),
        "uas_id": uas_id,
    }


def _direction(raw, east_west):
    direction = raw + 180 if east_west else raw
    if direction == 361:
        return None
    if direction > 359:
        _invalid(
            "direction_deg",
            f"Direction {direction}° is not valid; expected 0° to 359°, or 361 for unknown.",
        )
        return None  # leniently: no direction known
    return direction


def _speed(raw, multiplier):
    if multiplier:
        # 255 with the 0.75 multiplier decodes to 255 m/s, the "unknown" value.
        return None if raw == 255 else raw * 0.75 + 63.75
    return raw * 0.25


def _vertical_speed(raw):
    signed = raw - 256 if raw > 127 else raw
    if signed == 126:
        return None
    if not -124 <= signed <= 124:
        _invalid(
            "vertical_speed_ms",
            f"Vertical speed {signed * 0.5} m/s is not valid; "
            "expected -62 to 62 m/s, or 63 for unknown.",
        )
    return signed * 0.5


def _accuracy(table, code, field, label):
    if code == 0:
        return None
    if code not in table:
        _invalid(field, f"{label} code {code} is reserved; expected 0 (unknown) to {max(table)}.")
        return None
    return table[code]


def _location(data):
    flags = data[1]
    status = flags >> 4
    _enum(STATUSES, status, "status", "Operational status")
    height_type = (flags >> 2) & 1
    direction = _direction(data[2], flags & 0b10)
    speed = _speed(data[3], flags & 0b1)
    vertical_speed = _vertical_speed(data[4])
    lat, lon = _coordinates(data, 5, "latitude", "longitude")
    vertical_code, horizontal_code = data[19] >> 4, data[19] & 0x0F
    baro_code, speed_code = data[20] >> 4, data[20] & 0x0F
    vertical = _accuracy(
        VERTICAL_ACCURACY_M, vertical_code, "vertical_accuracy", "Vertical accuracy"
    )
    horizontal = _accuracy(
        HORIZONTAL_ACCURACY_M, horizontal_code, "horizontal_accuracy", "Horizontal accuracy"
    )
    baro = _accuracy(VERTICAL_ACCURACY_M, baro_code, "baro_accuracy", "Barometric accuracy")
    speed_accuracy = _accuracy(SPEED_ACCURACY_MS, speed_code, "speed_accuracy", "Speed accuracy")
    tenths = _u16(data, 21)
    if tenths != UNKNOWN_TIMESTAMP and tenths > MAX_TENTHS_AFTER_HOUR:
        _invalid(
            "timestamp_s",
            f"Timestamp {tenths / 10} s after the hour is not valid; "
            "expected 0 to 3600 s, or 0xFFFF for unknown.",
        )
    timestamp_accuracy = data[23] & 0x0F
    return {
        "status": status,
        "status_name": STATUSES.get(status),
        "height_type": height_type,
        "height_type_name": HEIGHT_TYPES.get(height_type),
        "direction_deg": direction,
        "speed_ms": speed,
        "vertical_speed_ms": vertical_speed,
        "latitude": lat,
        "longitude": lon,
        "pressure_altitude_m": _altitude(_u16(data, 13)),
        "geodetic_altitude_m": _altitude(_u16(data, 15)),
        "height_m": _altitude(_u16(data, 17)),
        "horizontal_accuracy": horizontal_code,
        "horizontal_accuracy_m": horizontal,
        "vertical_accuracy": vertical_code,
        "vertical_accuracy_m": vertical,
        "baro_accuracy": baro_code,
        "baro_accuracy_m": baro,
        "speed_accuracy": speed_code,
        "speed_accuracy_ms": speed_accuracy,
        "timestamp_s": None if tenths == UNKNOWN_TIMESTAMP else tenths / 10,
        "timestamp_accuracy_s": timestamp_accuracy / 10 if timestamp_accuracy else None,
    }


def _authentication(data):
    auth_type, page = data[1] >> 4, data[1] & 0x0F
    if auth_type in PRIVATE_AUTH_TYPES:
        auth_type_name = "private"
    else:
        auth_type_name = _enum(AUTH_TYPES, auth_type, "auth_type", "Authentication type")
    result = {
        "auth_type": auth_type,
        "auth_type_name": auth_type_name,
        "page": page,
        "last_page_index": None,
        "auth_data_length": None,
        "timestamp_unix": None,
        "timestamp_utc": None,
    }
    if page == 0:
        last_page_index, length = data[2], data[3]
        if last_page_index >= MAX_AUTH_PAGES:
            _invalid(
                "last_page_index",
                f"Last page index {last_page_index} is not valid; expected 0 to 15.",
            )
        capacity = AUTH_PAGE0_DATA + AUTH_PAGE_DATA * last_page_index
        if length > capacity:
            _invalid(
                "auth_data_length",
                f"Authentication length {length} bytes does not fit in {last_page_index + 1} "
                f"page(s), which hold at most {capacity} bytes.",
            )
        unix, utc = _timestamp_2019(_u32(data, 4))
        result.update(
            last_page_index=last_page_index,
            auth_data_length=length,
            timestamp_unix=unix,
            timestamp_utc=utc,
            auth_data=data[8:25].hex(),
        )
    else:
        result["auth_data"] = data[2:25].hex()
    return result


def _self_id(data):
    description_type = data[1]
    if description_type in PRIVATE_CODES:
        # Private use: the content is the maker's own, so it is not read as text.
        return {
            "description_type": description_type,
            "description_type_name": "private",
            "description": None,
        }
    name = _enum(DESCRIPTION_TYPES, description_type, "description_type", "Description type")
    return {
        "description_type": description_type,
        "description_type_name": name,
        "description": _ascii(data[2:25], "description", "description"),
    }


def _system(data):
    flags = data[1]
    location_type, classification = flags & 0b11, (flags >> 2) & 0b111
    _enum(
        OPERATOR_LOCATION_TYPES, location_type, "operator_location_type", "Operator location type"
    )
    _enum(CLASSIFICATION_TYPES, classification, "classification_type", "Classification type")
    lat, lon = _coordinates(data, 2, "operator_latitude", "operator_longitude")
    category, ua_class = data[17] >> 4, data[17] & 0x0F
    _enum(CATEGORIES_EU, category, "category_eu", "EU category")
    _enum(CLASSES_EU, ua_class, "class_eu", "EU class")
    unix, utc = _timestamp_2019(_u32(data, 20))
    return {
        "operator_location_type": location_type,
        "operator_location_type_name": OPERATOR_LOCATION_TYPES.get(location_type),
        "classification_type": classification,
        "classification_type_name": CLASSIFICATION_TYPES.get(classification),
        "operator_latitude": lat,
        "operator_longitude": lon,
        "area_count": _u16(data, 10),
        "area_radius_m": data[12] * 10,
        "area_ceiling_m": _altitude(_u16(data, 13)),
        "area_floor_m": _altitude(_u16(data, 15)),
        "category_eu": category,
        "category_eu_name": CATEGORIES_EU.get(category),
        "class_eu": ua_class,
        "class_eu_name": CLASSES_EU.get(ua_class),
        "operator_altitude_m": _altitude(_u16(data, 18)),
        "timestamp_unix": unix,
        "timestamp_utc": utc,
    }


def _operator_id(data):
    id_type = data[1]
    if id_type in PRIVATE_CODES:
        return {
            "operator_id_type": id_type,
            "operator_id_type_name": "private",
            "operator_id": None,
        }
    name = _enum(OPERATOR_ID_TYPES, id_type, "operator_id_type", "Operator ID type")
    return {
        "operator_id_type": id_type,
        "operator_id_type_name": name,
        "operator_id": _ascii(data[2:22], "operator_id", "operator ID"),
    }


_DECODERS = {
    0x0: _basic_id,
    0x1: _location,
    0x2: _authentication,
    0x3: _self_id,
    0x4: _system,
    0x5: _operator_id,
}


def _as_bytes(data):
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise TypeError("Remote ID data must be bytes; use parse_text() for hex or base64 text.")


def _type_name(code):
    return MESSAGE_TYPES.get(code, "unknown")


def decode_message(data, *, strict=True):
    """Decode one 25-byte message (not a pack) into a plain dict.

    Every dict has "message_type" (e.g. "location"), "message_type_code", "protocol_version"
    and "raw_hex", then the fields of its type in physical units, None where the message says
    "unknown", and enums both as their code and as a "<field>_name".

    A value the standard does not allow (a reserved code, a latitude of -164°, non-ASCII
    text) raises DecodeError naming the field. With strict=False it is decoded as it stands
    (a reserved code's name is None) and listed in "problems" ({"field", "message"} each),
    for tools that show what a corrupted reception held; ingest stays strict. Malformed
    framing (length, message type) is always refused.
    """
    if not strict:
        found = []
        token = _problems.set(found)
        try:
            decoded = decode_message(data)
        finally:
            _problems.reset(token)
        return {**decoded, "problems": found}
    data = _as_bytes(data)
    if len(data) != MESSAGE_SIZE:
        raise DecodeError(
            "length", f"A Remote ID message is {MESSAGE_SIZE} bytes; this one is {len(data)}."
        )
    code, version = data[0] >> 4, data[0] & 0x0F
    if code == 0xF:
        raise DecodeError(
            "message_type",
            "This is a message pack, not a single message; decode it with decode().",
        )
    if code not in _DECODERS:
        raise DecodeError(
            "message_type",
            f"Message type {code:#x} is not defined; expected 0x0 to 0x5 or 0xF (pack).",
        )
    return {
        "message_type": MESSAGE_TYPES[code],
        "message_type_code": code,
        "protocol_version": version,
        **_DECODERS[code](data),
        "raw_hex": data.hex(),
    }


def decode(data, *, strict=True):
    """Decode a single 25-byte message or a message pack into a list of message dicts
    (with strict=False, invalid values are listed per message: see `decode_message`)."""
    data = _as_bytes(data)
    if not data:
        raise DecodeError("length", "The data is empty; expected a 25-byte message or a pack.")
    if data[0] >> 4 != 0xF:
        if len(data) != MESSAGE_SIZE:
            raise DecodeError(
                "length",
                f"A single message is {MESSAGE_SIZE} bytes and a pack starts with 0xF; this is "
                f"{len(data)} bytes of type {data[0] >> 4:#x} ({_type_name(data[0] >> 4)}).",
            )
        return [decode_message(data, strict=strict)]
    if len(data) < 3:
        raise DecodeError(
            "length", f"A message pack needs at least a 3-byte header; got {len(data)} bytes."
        )
    size, count = data[1], data[2]
    if size != MESSAGE_SIZE:
        raise DecodeError(
            "message_size",
            f"The pack says its messages are {size} bytes; the standard fixes them at 25.",
        )
    if not 1 <= count <= MAX_PACK_MESSAGES:
        raise DecodeError(
            "message_count",
            f"The pack says it holds {count} messages; expected 1 to {MAX_PACK_MESSAGES}.",
        )
    expected = 3 + count * MESSAGE_SIZE
    if len(data) != expected:
        raise DecodeError(
            "length",
            f"A pack of {count} messages is {expected} bytes (3-byte header + {count} x 25); "
            f"got {len(data)}.",
        )
    messages = []
    for index in range(count):
        chunk = data[3 + index * MESSAGE_SIZE : 3 + (index + 1) * MESSAGE_SIZE]
        try:
            messages.append(decode_message(chunk, strict=strict))
        except DecodeError as error:
            raise DecodeError(
                error.field, f"Message {index + 1} of {count} in the pack: {error.message}"
            ) from error
    return messages


# ---------------------------------------------------------------------------------------------
# Merging the messages of one aircraft


def _place_in_hour(seconds_after_hour, clock):
    """The UTC instant `seconds_after_hour` into the hour nearest to `clock`."""
    hour = clock.replace(minute=0, second=0, microsecond=0)
    candidates = [hour + timedelta(hours=shift, seconds=seconds_after_hour) for shift in (-1, 0, 1)]
    return min(candidates, key=lambda moment: abs(moment - clock))


_CONTENT = {"self_id": "description", "operator_id": "operator_id"}


def summarise(messages, received_at=None):
    """Merge the decoded messages of one aircraft into the fields a detection needs.

    The identifier comes from the Basic IDs (a serial number is preferred over a CAA
    registration, UTM UUID or session ID; all are listed in "uas_ids"); position, speed and
    heights from the last Location; operator position, EU class and the absolute time from
    the last System; the operator ID and Self-ID text from the last of those messages. Pass
    the messages in the order received.

    Location time counts only seconds after the hour, so "timestamp_utc" places it in the
    hour nearest to `received_at` (a datetime; UTC if naive), or else to the System's time;
    without either it is None. Raises DecodeError(field="uas_id") when two Basic IDs of the
    same type disagree, because the messages then come from more than one aircraft.
    """
    last = {}
    ids = {}
    for message in messages:
        kind = message["message_type"]
        if kind == "basic_id":
            id_type, uas_id = message["id_type"], message["uas_id"]
            if not uas_id:
                continue
            if id_type in ids and ids[id_type] != uas_id:
                raise DecodeError(
                    "uas_id",
                    f"The messages name two aircraft ({ids[id_type]} and {uas_id}); "
                    "summarise one aircraft at a time.",
                )
            ids.setdefault(id_type, uas_id)
        elif kind in _CONTENT and not message[_CONTENT[kind]]:
            # An empty or private-use Self-ID or operator ID says nothing: keep the last that did.
            continue
        last[kind] = message

    id_type = next((code for code in ID_TYPE_PREFERENCE if code in ids), None)
    if id_type is None and ids:
        id_type = next(iter(ids))
    location = last.get("location", {})
    system = last.get("system", {})
    operator = last.get("operator_id", {})
    self_id = last.get("self_id", {})

    clock = received_at
    if clock is not None and clock.tzinfo is None:
        clock = clock.replace(tzinfo=UTC)  # a receiver clock without a zone is taken as UTC
    if clock is None and system.get("timestamp_unix") is not None:
        clock = datetime.fromtimestamp(system["timestamp_unix"], UTC)
    seconds = location.get("timestamp_s")
    timestamp_utc = None
    if seconds is not None and clock is not None:
        timestamp_utc = _place_in_hour(seconds, clock.astimezone(UTC)).isoformat()

    return {
        "uas_id": ids.get(id_type),
        "uas_id_type": SKYLEDGER_ID_TYPES.get(id_type),
        "uas_ids": [
            {"uas_id": uas_id, "id_type": code, "uas_id_type": SKYLEDGER_ID_TYPES.get(code)}
            for code, uas_id in ids.items()
        ],
        "ua_type_name": last.get("basic_id", {}).get("ua_type_name"),
        "status_name": location.get("status_name"),
        "lat": location.get("latitude"),
        "lon": location.get("longitude"),
        "altitude_m": location.get("geodetic_altitude_m"),
        "pressure_altitude_m": location.get("pressure_altitude_m"),
        "height_m": location.get("height_m"),
        "height_type_name": location.get("height_type_name"),
        "speed_ms": location.get("speed_ms"),
        "vertical_speed_ms": location.get("vertical_speed_ms"),
        "track_deg": location.get("direction_deg"),
        "horizontal_accuracy_m": location.get("horizontal_accuracy_m"),
        "vertical_accuracy_m": location.get("vertical_accuracy_m"),
        "operator_id": operator.get("operator_id") or None,
        "operator_lat": system.get("operator_latitude"),
        "operator_lon": system.get("operator_longitude"),
        "operator_altitude_m": system.get("operator_altitude_m"),
        "operator_location_type_name": system.get("operator_location_type_name"),
        "category_eu_name": system.get("category_eu_name"),
        "class_eu_name": system.get("class_eu_name"),
        "self_id_text": self_id.get("description") or None,
        "location_timestamp_s": seconds,
        "system_timestamp_unix": system.get("timestamp_unix"),
        "system_timestamp_utc": system.get("timestamp_utc"),
        "timestamp_utc": timestamp_utc,
    }
