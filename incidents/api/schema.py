"""OpenAPI documentation of every operation: summaries, parameters, errors and examples.

Kept apart from views.py so the views stay readable; each view class is decorated with the
matching `extend_schema_view` below.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers

from .serializers import (
    ApiKeySerializer,
    BatchOutcomeSerializer,
    CommentSerializer,
    DetectionSerializer,
    DroneSerializer,
    EvidenceSerializer,
    IncidentSerializer,
    ItemOutcomeSerializer,
    NewApiKeySerializer,
    SeverityOverrideSerializer,
    SiteSerializer,
    StatusChangeSerializer,
    TimelineEntrySerializer,
)

Error = inline_serializer(
    "Error",
    {
        "code": serializers.CharField(help_text="Machine-readable reason, e.g. invalid."),
        "detail": serializers.CharField(help_text="What went wrong, for people."),
        "errors": serializers.DictField(
            help_text="Field name -> list of messages (nested for nested fields)."
        ),
    },
)


def _error(description, code, detail, errors=None):
    return OpenApiResponse(
        Error,
        description=description,
        examples=[
            OpenApiExample(code, value={"code": code, "detail": detail, "errors": errors or {}})
        ],
    )


MapLayer = inline_serializer(
    "MapLayer",
    {
        "type": serializers.ChoiceField(choices=["FeatureCollection"]),
        "features": serializers.ListField(child=serializers.DictField()),
    },
)

BAD = _error(
    "Invalid input: `errors` names each field and the problem.",
    "invalid",
    "Some fields need fixing; see errors.",
    {"first_seen": ["First seen is more than 5 minutes in the future."]},
)
UNAUTHENTICATED = _error(
    "No credentials, or an API key that is not valid or revoked.",
    "not_authenticated",
    "Authentication credentials were not provided.",
)
FORBIDDEN = _error(
    "Signed in, but not allowed: wrong role, wrong key purpose or another site.",
    "not_allowed",
    "Only a supervisor of CGK can move an incident from Submitted to Under review.",
)
NOT_FOUND = _error(
    "No such object, or not one you may see.", "not_found", "No Incident matches the query."
)
CONFLICT = _error(
    "The incident's state does not allow this.",
    "transition_not_allowed",
    "An incident cannot go from Draft to Closed. From Draft it can go to: Submitted.",
)
READ_ERRORS = {401: UNAUTHENTICATED, 403: FORBIDDEN}
ONE_ERRORS = {**READ_ERRORS, 404: NOT_FOUND}
WRITE_ERRORS = {400: BAD, **ONE_ERRORS}

FILTER_PARAMETERS = [
    OpenApiParameter(
        "in_bbox",
        OpenApiTypes.STR,
        description="min lon, min lat, max lon, max lat (WGS84). min lon > max lon crosses "
        "the antimeridian.",
        examples=[OpenApiExample("Jakarta", value="106.5,-6.3,106.8,-6.0")],
    ),
]
REFERENCE = OpenApiParameter(
    "reference",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The incident's reference: site code, year of first sighting, number.",
    examples=[OpenApiExample("Reference", value="CGK-2026-00042")],
)
CODE = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The site's code.",
    examples=[OpenApiExample("Code", value="CGK")],
)
KEY_ID = OpenApiParameter(
    "id",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="The key's id (from the list or the creation response).",
    examples=[OpenApiExample("Id", value=3)],
)
PAGE_PARAMETERS = [
    OpenApiParameter("page_size", OpenApiTypes.INT, description="Features per page (at most 500)."),
]

SITE_EXAMPLE = {
    "type": "Feature",
    "geometry": {
        "type": "MultiPolygon",
        "coordinates": [[[[106.64, -6.13], [106.67, -6.13], [106.67, -6.11], [106.64, -6.13]]]],
    },
    "properties": {
        "code": "CGK",
        "name": "Soekarno-Hatta",
        "kind": "airport",
        "timezone": "Asia/Jakarta",
        "zone_radii_m": [500, 1000, 5000],
        "active": True,
    },
}

sites = extend_schema_view(
    list=extend_schema(
        summary="List the sites you may see",
        description="GeoJSON FeatureCollection of site perimeters, paginated.",
        parameters=FILTER_PARAMETERS + PAGE_PARAMETERS,
        responses={200: SiteSerializer(many=True), 400: BAD, 404: NOT_FOUND, **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One site",
        parameters=[CODE],
        responses={200: SiteSerializer, **ONE_ERRORS},
        examples=[OpenApiExample("Site", value=SITE_EXAMPLE, response_only=True)],
    ),
)

INCIDENT_INPUT = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [106.656, -6.1256]},
    "properties": {
        "site": "CGK",
        "first_seen": "2026-11-25T08:15:00+07:00",
        "drone_count": 1,
        "category": "multirotor",
        "detection_methods": ["visual"],
        "narrative": "Hovering over runway 25R threshold for two minutes.",
    },
}

incidents = extend_schema_view(
    list=extend_schema(
        summary="List incidents",
        description="Incidents you may see as a GeoJSON FeatureCollection, filtered with the "
        "same parameters as the web list (site, first_seen_after/before, status, severity, "
        "zone, source, detection_method, q, ordering) and in_bbox.",
        parameters=FILTER_PARAMETERS + PAGE_PARAMETERS,
        responses={200: IncidentSerializer(many=True), 400: BAD, 404: NOT_FOUND, **READ_ERRORS},
    ),
    create=extend_schema(
        summary="Record an incident",
        description="As a member of the site. Rules and messages are the web form's.",
        examples=[OpenApiExample("Sighting", value=INCIDENT_INPUT, request_only=True)],
        responses={201: IncidentSerializer, 400: BAD, **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One incident", responses={200: IncidentSerializer, **ONE_ERRORS}
    ),
    partial_update=extend_schema(
        summary="Edit an incident's details",
        parameters=[REFERENCE],
        description="Staff edit their site's drafts; supervisors edit until closed. Status "
        "and severity have their own operations.",
        examples=[
            OpenApiExample(
                "Narrative",
                value={"properties": {"narrative": "Seen by two guards."}},
                request_only=True,
            )
        ],
        responses={200: IncidentSerializer, **WRITE_ERRORS},
    ),
    update=extend_schema(exclude=True),
    map_layer=extend_schema(
        summary="Map layer: every matching incident, slim",
        description="All incidents you may see that match the filters (no pages) as one "
        "GeoJSON FeatureCollection built by the database; properties: id, reference, "
        "first_seen, severity, zone, status, drone_count, url.",
        parameters=FILTER_PARAMETERS,
        responses={
            (200, "application/geo+json"): OpenApiResponse(
                MapLayer,
                examples=[
                    OpenApiExample(
                        "Layer",
                        value={
                            "type": "FeatureCollection",
                            "features": [
                                {
                                    "type": "Feature",
                                    "id": 7,
                                    "geometry": {"type": "Point", "coordinates": [106.656, -6.12]},
                                    "properties": {
                                        "id": 7,
                                        "reference": "CGK-2026-00042",
                                        "first_seen": "2026-11-25T01:15:02.000Z",
                                        "severity": "high",
                                        "zone": "inside",
                                        "status": "submitted",
                                        "drone_count": 1,
                                        "url": "/incidents/CGK-2026-00042/",
                                    },
                                }
                            ],
                        },
                    )
                ],
            ),
            400: BAD,
            **READ_ERRORS,
        },
    ),
    drones=extend_schema(
        summary="The drones of an incident",
        parameters=[REFERENCE],
        description="GeoJSON FeatureCollection: one Feature per drone along its track.",
        responses={200: DroneSerializer(many=True), **ONE_ERRORS},
    ),
    timeline=extend_schema(
        summary="The timeline of an incident",
        parameters=[REFERENCE],
        responses={200: TimelineEntrySerializer(many=True), **ONE_ERRORS},
    ),
    comments=extend_schema(
        summary="Comment on an incident",
        parameters=[REFERENCE],
        request=CommentSerializer,
        examples=[OpenApiExample("Comment", value={"text": "Police informed."}, request_only=True)],
        responses={201: TimelineEntrySerializer, **WRITE_ERRORS},
    ),
    evidence=extend_schema(
        summary="Evidence files of an incident (metadata)",
        parameters=[REFERENCE],
        description="Download each file at download_url with the same session.",
        responses={200: EvidenceSerializer(many=True), **ONE_ERRORS},
    ),
    change_status=extend_schema(
        summary="Change an incident's status",
        parameters=[REFERENCE],
        request=StatusChangeSerializer,
        examples=[OpenApiExample("Submit", value={"status": "submitted"}, request_only=True)],
        responses={200: IncidentSerializer, 409: CONFLICT, **WRITE_ERRORS},
    ),
    severity=extend_schema(
        summary="Override (or clear) an incident's severity",
        parameters=[REFERENCE],
        description="Supervisors only; a reason is required.",
        request=SeverityOverrideSerializer,
        examples=[
            OpenApiExample(
                "Raise",
                value={"severity": "critical", "reason": "Payload seen."},
                request_only=True,
            )
        ],
        responses={200: IncidentSerializer, **WRITE_ERRORS},
    ),
)

DETECTION_EXAMPLE = {
    "detection_id": "6f1c2c0e-8a4b-4d47-9d51-0c7f3bb1a001",
    "site": "CGK",
    "sensor_id": "rf-north-01",
    "time": "2026-11-25T01:15:02Z",
    "position": {"lat": -6.1201, "lon": 106.6602, "altitude_m": 85},
    "detection_method": "rf",
    "uas_id": "1596F3A9BC1234567890",
    "uas_id_type": "serial",
    "signal": {"rssi_dbm": -71, "frequency_mhz": 2437},
}
STORED_EXAMPLE = {
    "index": 0,
    "detection_id": DETECTION_EXAMPLE["detection_id"],
    "status": "stored",
    "result": {
        "detection_id": DETECTION_EXAMPLE["detection_id"],
        "site": "CGK",
        "sensor_id": "rf-north-01",
        "time": "2026-11-25T01:15:02Z",
        "zone": "inside",
        "distance_m": 0.0,
        "uas_id": "1596F3A9BC1234567890",
        "incident": "CGK-2026-00042",
        "received_at": "2026-11-25T01:15:03Z",
    },
}

detections = extend_schema_view(
    post=extend_schema(
        summary="Post sensor detections",
        description="One detection (an object; 201 stored, 200 already stored) or a batch "
        "(an array of up to 1,000; always 200 with one outcome per item: stored, duplicate "
        "or refused with the reason). Resending a detection_id with the same body is safe; "
        "with a different body it is refused (409 for one detection). Needs an ingest key.",
        request={"application/json": OpenApiTypes.ANY},
        parameters=[],
        examples=[
            OpenApiExample("One detection", value=DETECTION_EXAMPLE, request_only=True),
            OpenApiExample("A batch", value=[DETECTION_EXAMPLE], request_only=True),
            OpenApiExample(
                "Stored", value=STORED_EXAMPLE, response_only=True, status_codes=["201"]
            ),
        ],
        responses={
            201: ItemOutcomeSerializer,
            200: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="DetectionOutcome",
                    serializers=[BatchOutcomeSerializer, ItemOutcomeSerializer],
                    resource_type_field_name=None,
                ),
                description="A batch's outcomes, or a single detection already stored.",
            ),
            400: BAD,
            409: _error(
                "This detection_id was already used with a different body.",
                "conflict",
                "This detection was refused; see errors.",
                {"detection_id": ["This detection_id was already used for a different detection."]},
            ),
            **READ_ERRORS,
        },
    )
)

keys = extend_schema_view(
    list=extend_schema(
        summary="List API keys you manage",
        responses={200: ApiKeySerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One API key", parameters=[KEY_ID], responses={200: ApiKeySerializer, **ONE_ERRORS}
    ),
    create=extend_schema(
        summary="Make an API key",
        description="The token is in this response only; SkyLedger keeps its SHA-256.",
        examples=[
            OpenApiExample(
                "Ingest key",
                value={"name": "North fence RF sensor", "purpose": "ingest", "sites": ["CGK"]},
                request_only=True,
            )
        ],
        responses={201: NewApiKeySerializer, 400: BAD, **READ_ERRORS},
    ),
    revoke=extend_schema(
        summary="Revoke an API key",
        parameters=[KEY_ID],
        request=None,
        responses={200: ApiKeySerializer, **ONE_ERRORS},
    ),
)

__all__ = ["DetectionSerializer", "detections", "incidents", "keys", "sites"]
