"""API serializers: GeoJSON features for sites, incidents and drone tracks; plain JSON for
the rest. Input is only shaped here; the rules live in the models and services."""

import hashlib
import json
import math
import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from .. import remoteid
from ..choices import Behaviour, DetectionMethod, Severity, Status, UasIdType
from ..models import (
    ApiKey,
    ApiKeyPurpose,
    Detection,
    Drone,
    Evidence,
    Incident,
    Site,
    TimelineEntry,
)
from ..privacy import DRONE_FIELDS, INCIDENT_FIELDS, may_see_personal_data
from ..services.incidents import EDITABLE_FIELDS
from ..services.ingest import DetectionInput


class RedactPersonalData:
    """Blank the operator personal data of objects whose site the caller may not see it for
    (see incidents.privacy); API keys act as no person and never see it."""

    personal_fields = ()

    def _site_id(self, instance):
        raise NotImplementedError

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if may_see_personal_data(user, self._site_id(instance)):
            return data
        values = data.get("properties", data)
        for name in self.personal_fields:
            if name in values:
                values[name] = "" if isinstance(values[name], str) else None
        return data


class SiteSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = Site
        geo_field = "perimeter"
        id_field = False
        fields = ["code", "name", "kind", "timezone", "zone_radii_m", "active"]


class IncidentSerializer(RedactPersonalData, GeoFeatureModelSerializer):
    """An incident as a GeoJSON Feature at its location; derived fields are read-only."""

    personal_fields = INCIDENT_FIELDS

    def _site_id(self, instance):
        return instance.site_id

    site = serializers.SlugRelatedField(slug_field="code", queryset=Site.objects.none())
    reported_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    behaviours = serializers.ListField(
        child=serializers.ChoiceField(choices=Behaviour.choices), required=False
    )
    detection_methods = serializers.ListField(
        child=serializers.ChoiceField(choices=DetectionMethod.choices), required=False
    )
    severity_override = serializers.ChoiceField(
        choices=[("", _("No override")), *Severity.choices], read_only=True
    )

    class Meta:
        model = Incident
        geo_field = "location"
        id_field = False
        fields = [
            "reference",
            "site",
            "status",
            "source",
            "first_seen",
            "last_seen",
            "reported_at",
            "reported_by",
            "observer_location",
            "altitude_m",
            "altitude_method",
            "drone_count",
            "category",
            "make_model",
            "colour",
            "lights",
            "heading_deg",
            "speed_kmh",
            "behaviours",
            "payload_seen",
            "payload_description",
            "detection_methods",
            "operator_seen",
            "operator_description",
            "authority_reference",
            "narrative",
            "zone",
            "zone_ring_m",
            "distance_m",
            "computed_severity",
            "severity",
            "severity_override",
            "severity_override_reason",
            "location",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "reference",
            "status",
            "source",
            "reported_at",
            "zone",
            "zone_ring_m",
            "distance_m",
            "computed_severity",
            "severity",
            "severity_override",
            "severity_override_reason",
            "created_at",
            "updated_at",
        ]
        # The model's clean() gives the uniqueness and cross-field messages.
        validators = []

    def __init__(self, *args, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        if sites is not None:
            self.fields["site"].queryset = sites
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["site"].read_only = True

    def editable_data(self):
        return {k: v for k, v in self.validated_data.items() if k in EDITABLE_FIELDS}


class DroneSerializer(RedactPersonalData, GeoFeatureModelSerializer):
    """A drone of an incident as a GeoJSON Feature along its track (null without one)."""

    personal_fields = DRONE_FIELDS

    def _site_id(self, instance):
        return instance.incident.site_id

    class Meta:
        model = Drone
        geo_field = "track"
        fields = [
            "id",
            "uas_id",
            "uas_id_type",
            "category",
            "make_model",
            "operator_id",
            "operator_location",
            "takeoff_location",
            "description",
        ]


class TimelineEntrySerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "kind", "at", "author", "from_status", "to_status", "text"]


class CommentSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000, trim_whitespace=True)


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class SeverityOverrideSerializer(serializers.Serializer):
    severity = serializers.ChoiceField(
        choices=[("", _("Clear the override")), *Severity.choices],
        allow_blank=True,
        help_text=_("The new severity, or an empty string to clear the override."),
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class EvidenceSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "original_name",
            "sha256",
            "size_bytes",
            "media_type",
            "description",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]

    def get_download_url(self, evidence) -> str:
        return evidence.file.url


# --- API keys ----------------------------------------------------------------------------


class ApiKeySerializer(serializers.ModelSerializer):
    sites = serializers.SlugRelatedField(slug_field="code", many=True, queryset=Site.objects.none())
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    purpose = serializers.ChoiceField(choices=ApiKeyPurpose.choices)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "purpose",
            "sites",
            "prefix",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]
        read_only_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]

    def __init__(self, *args, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        if sites is not None:
            self.fields["sites"].child_relation.queryset = sites


class NewApiKeySerializer(ApiKeySerializer):
    token = serializers.CharField(
        read_only=True, help_text=_("The secret. Shown only in this response: store it now.")
    )

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "token"]


# --- Detections ----------------------------------------------------------------------------


MAX_SIGNAL_CHARS = 10_000


class PositionSerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    altitude_m = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=-1000,
        max_value=100000,
        help_text=_("Height above ground in metres."),
    )


class OperatorPositionSerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)


class DetectionSerializer(serializers.Serializer):
    """One detection as a sensor sends it; see docs/api.md."""

    detection_id = serializers.UUIDField(
        help_text=_("A UUID the sensor chooses; resend it to retry safely.")
    )
    site = serializers.CharField(
        required=False,
        max_length=8,
        help_text=_("Site code; may be left out when the key serves one site."),
    )
    sensor_id = serializers.CharField(max_length=100)
    time = serializers.DateTimeField(help_text=_("ISO 8601 with a UTC offset."))
    position = PositionSerializer(
        required=False, help_text=_("Required unless a Remote ID message gives it.")
    )
    detection_method = serializers.ChoiceField(
        choices=DetectionMethod.choices, required=False, help_text=_("How the sensor saw it.")
    )
    uas_id = serializers.CharField(required=False, allow_blank=True, max_length=40)
    uas_id_type = serializers.ChoiceField(
        choices=UasIdType.choices, required=False, allow_blank=True
    )
    operator_id = serializers.CharField(required=False, allow_blank=True, max_length=40)
    operator_position = OperatorPositionSerializer(required=False, allow_null=True)
    signal = serializers.DictField(
        required=False, help_text=_("Free JSON from the sensor: rssi, frequency, ...")
    )
    remote_id = serializers.ListField(
        child=serializers.CharField(max_length=2000),
        required=False,
        max_length=20,
        help_text=_("Raw ASTM F3411 Remote ID messages (or message packs), hex or base64."),
    )

    def __init__(self, *args, sites=None, only_site=None, **kwargs):
        """`sites`: {code: Site} the key may post for (at least those the batch names), read
        once per request; `only_site`: the key's site when it serves exactly one."""
        super().__init__(*args, **kwargs)
        self.sites = sites or {}
        self.only_site = only_site

    def validate_signal(self, signal):
        text = json.dumps(signal)
        if len(text) > MAX_SIGNAL_CHARS:
            raise serializers.ValidationError(
                _("Keep the signal data under %(n)s characters of JSON.") % {"n": MAX_SIGNAL_CHARS}
            )
        if "\\u0000" in text:  # PostgreSQL cannot store NUL in JSON text
            raise serializers.ValidationError(_("Null characters are not allowed."))
        return signal

    def validate_site(self, code):
        site = self.sites.get(code)
        if site is None:
            raise serializers.ValidationError(
                _("This key cannot post detections for site “%(code)s”.") % {"code": code}
            )
        return site

    def validate(self, data):
        if "site" not in data:
            if self.only_site is None:
                raise serializers.ValidationError(
                    {"site": _("Give the site code: this key serves several sites.")}
                )
            data["site"] = self.only_site
        decoded = decode_remote_id(data.get("remote_id") or [], data["time"])
        position = data.get("position")
        if position is None:
            if decoded.get("lat") is None or decoded.get("lon") is None:
                raise serializers.ValidationError(
                    {"position": _("Give the position (lat, lon), or a Remote ID location.")}
                )
            position = {"lat": decoded["lat"], "lon": decoded["lon"]}
        altitude = position.get("altitude_m")
        if altitude is None:
            altitude = decoded.get("height_m")
        uas_id = data.get("uas_id") or decoded.get("uas_id") or ""
        uas_id_type = data.get("uas_id_type") or decoded.get("uas_id_type") or ""
        if uas_id and not uas_id_type:
            raise serializers.ValidationError(
                {"uas_id_type": _("Say what kind of UAS ID this is, e.g. serial.")}
            )
        operator = data.get("operator_position") or {}
        data["parsed"] = {
            "lon": position["lon"],
            "lat": position["lat"],
            "altitude_m": altitude,
            "uas_id": uas_id[:40],
            "uas_id_type": uas_id_type,
            "operator_id": (data.get("operator_id") or decoded.get("operator_id") or "")[:40],
            "operator_lon": operator.get("lon", decoded.get("operator_lon")),
            "operator_lat": operator.get("lat", decoded.get("operator_lat")),
            "remote_id": decoded,
        }
        return data

    def parse(self, raw):
        """One raw item as the ingest service's DetectionInput; raises ValidationError.

        One serializer parses a whole batch (DRF builds its fields once per instance, which
        would otherwise be most of the cost of a 1,000-item batch). A plainly well-formed
        item takes `parse_plain`; anything else goes through the serializer, whose messages
        every refused item gets."""
        return self.parse_plain(raw) or self.parse_with_serializer(raw)

    def parse_plain(self, raw):
        """The DetectionInput the serializer would give for an item whose every field is
        plainly valid (the commonest kinds of value, checked with plain Python); None when
        any field is missing, unusual or wrong, to be left to the serializer. Tests prove
        both give the same result for every item this accepts."""
        if type(raw) is not dict or "remote_id" in raw:
            return None
        get = raw.get
        detection_id, time, sensor_id = get("detection_id"), get("time"), get("sensor_id")
        if type(detection_id) is not str or type(time) is not str:
            return None
        if not _plain_text(sensor_id, 100):
            return None
        code = get("site")
        if code is None:
            if "site" in raw:
                return None
            site = self.only_site
        else:
            site = self.sites.get(code) if _plain_text(code, 8) else None
        position = _plain_position(get("position"), altitude=True)
        operator_raw = get("operator_position")
        operator = None if operator_raw is None else _plain_position(operator_raw, altitude=False)
        uas_id, uas_id_type = get("uas_id", ""), get("uas_id_type", "")
        operator_id, method = get("operator_id", ""), get("detection_method", "")
        signal = get("signal", {})
        if (
            site is None
            or position is None
            or (operator_raw is not None and operator is None)
            or not _plain_text(uas_id, 40, blank=True)
            or not _plain_text(operator_id, 40, blank=True)
            or type(uas_id_type) is not str
            or uas_id_type not in PLAIN_UAS_ID_TYPES
            or (uas_id and not uas_id_type)
            or type(method) is not str
            or ("detection_method" in raw and method not in PLAIN_METHODS)
            or type(signal) is not dict
        ):
            return None
        try:
            detection_id = PLAIN_UUID.to_internal_value(detection_id)
            time = PLAIN_TIME.to_internal_value(time)
            signal = self.validate_signal(signal)
        except serializers.ValidationError:
            return None
        operator = operator or {}
        return DetectionInput(
            detection_id=detection_id,
            body_sha256=body_hash(raw),
            site=site,
            sensor_id=sensor_id,
            time=time,
            lon=position["lon"],
            lat=position["lat"],
            altitude_m=position.get("altitude_m"),
            detection_method=method
            or (DetectionMethod.REMOTE_ID if uas_id else DetectionMethod.OTHER),
            uas_id=uas_id,
            uas_id_type=uas_id_type,
            operator_id=operator_id,
            operator_lon=operator.get("lon"),
            operator_lat=operator.get("lat"),
            signal=signal or {},
            remote_id={},
        )

    def parse_with_serializer(self, raw):
        """`parse` by the serializer's own validation: any item, with its error messages."""
        data = self.run_validation(raw)
        parsed = data["parsed"]
        method = data.get("detection_method") or (
            DetectionMethod.REMOTE_ID if parsed["uas_id"] else DetectionMethod.OTHER
        )
        return DetectionInput(
            detection_id=data["detection_id"],
            body_sha256=body_hash(raw),
            site=data["site"],
            sensor_id=data["sensor_id"],
            time=data["time"],
            detection_method=method,
            signal=data.get("signal") or {},
            **parsed,
        )


# The serializer's own conversions for these two, without binding its fields per request.
PLAIN_UUID = serializers.UUIDField()
PLAIN_TIME = serializers.DateTimeField()
PLAIN_METHODS = frozenset(DetectionMethod.values)
PLAIN_UAS_ID_TYPES = frozenset(["", *UasIdType.values])
_UNUSUAL = re.compile("[\x00\ud800-\udfff]")  # what the CharFields' validators refuse


def _plain_text(value, max_length, blank=False):
    """A str the CharField would keep as it is (nothing to trim, nothing it refuses)."""
    return (
        type(value) is str
        and len(value) <= max_length
        and (value != "" or blank)
        and value == value.strip()
        and not _UNUSUAL.search(value)
    )


def _plain_number(value, low, high):
    return type(value) in (int, float) and math.isfinite(value) and low <= value <= high


def _plain_position(value, *, altitude):
    """{lat, lon[, altitude_m]} as floats when each is a plain number in range, else None."""
    if type(value) is not dict:
        return None
    lat, lon = value.get("lat"), value.get("lon")
    if not (_plain_number(lat, -90, 90) and _plain_number(lon, -180, 180)):
        return None
    position = {"lat": float(lat), "lon": float(lon)}
    if altitude:
        height = value.get("altitude_m")
        if height is not None and not _plain_number(height, -1000, 100000):
            return None
        position["altitude_m"] = None if height is None else float(height)
    return position


def body_hash(raw):
    """SHA-256 of the canonical JSON of a detection as sent (keys sorted, no spaces)."""
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def decode_remote_id(texts, received_at):
    """The Remote ID messages (hex or base64 text, single messages or packs) decoded and
    merged by `remoteid.summarise`. Refuses the detection naming the message and the field
    at fault if one cannot be decoded."""
    if not texts:
        return {}
    messages = []
    for index, text in enumerate(texts):
        try:
            messages += remoteid.decode(remoteid.parse_text(text))
        except remoteid.DecodeError as error:
            raise serializers.ValidationError(
                {"remote_id": {index: [f"{error.field}: {error.message}"]}}
            ) from None
    try:
        return remoteid.summarise(messages, received_at)
    except remoteid.DecodeError as error:
        raise serializers.ValidationError(
            {"remote_id": [f"{error.field}: {error.message}"]}
        ) from None


class DetectionResultSerializer(serializers.ModelSerializer):
    """What was stored for one detection, the same every time that detection is sent."""

    incident = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    site = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Detection
        fields = [
            "detection_id",
            "site",
            "sensor_id",
            "time",
            "zone",
            "distance_m",
            "uas_id",
            "incident",
            "received_at",
        ]

    @classmethod
    def represent(cls, detections):
        """The same as `cls(detections, many=True).data`, with the fields bound once rather
        than DRF's per-object work, most of the cost of answering a 1,000-item batch (and
        built once per process: they hold no state of a request)."""
        fields = cls.__dict__.get("_bound_fields")
        if fields is None:
            fields = cls._bound_fields = list(cls()._readable_fields)
        return [
            {
                field.field_name: None if value is None else field.to_representation(value)
                for field, value in ((f, f.get_attribute(d)) for f in fields)
            }
            for d in detections
        ]


class ItemOutcomeSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text=_("Position of the item in the batch, from 0."))
    detection_id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["stored", "duplicate", "refused"])
    code = serializers.CharField(required=False, help_text=_("Why it was refused."))
    errors = serializers.DictField(required=False)
    result = DetectionResultSerializer(required=False)


class BatchOutcomeSerializer(serializers.Serializer):
    stored = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    refused = serializers.IntegerField()
    items = ItemOutcomeSerializer(many=True)
