"""API views: thin wrappers over the models' scoping and the services.

Who may do what (docs/api.md says the same):
- reading sites and incidents: a signed-in person sees what `visible_to` shows them; a read
  key sees its sites' incidents once submitted (never drafts);
- recording, editing, status, severity, comments: signed-in people only, by the same
  services and rules as the web pages;
- posting detections: ingest keys only, for their own sites;
- managing keys: admins, and supervisors for the sites they supervise.
"""

from django.conf import settings
from django.http import Http404, StreamingHttpResponse
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.pagination import GeoJsonPagination

from .. import mapdata, services
from ..models import Site
from . import schema
from .auth import IngestKey, SignedIn, api_key, incidents_for, sites_for
from .filters import ApiIncidentFilter, CheckedBBoxFilter
from .serializers import (
    ApiKeySerializer,
    CommentSerializer,
    DetectionResultSerializer,
    DetectionSerializer,
    DroneSerializer,
    EvidenceSerializer,
    IncidentSerializer,
    NewApiKeySerializer,
    SeverityOverrideSerializer,
    SiteSerializer,
    StatusChangeSerializer,
    TimelineEntrySerializer,
)

MAP_CHUNK = 64 * 1024


class CappedGeoJsonPagination(GeoJsonPagination):
    """GeoJSON pages of 50 features by default; ?page_size= up to API_MAX_PAGE_SIZE."""

    page_size = 50

    @property
    def max_page_size(self):
        return settings.API_MAX_PAGE_SIZE

    def get_paginated_response_schema(self, schema):
        # rest_framework_gis documents `features` as a whole FeatureCollection and still
        # requires `results`; describe the page as it really is.
        reference = schema.get("$ref", "")
        feature = {"$ref": reference.removesuffix("List")} if reference.endswith("List") else {}
        page_link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["type", "count", "next", "previous", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "count": {"type": "integer", "example": 123},
                "next": page_link,
                "previous": page_link,
                "features": {"type": "array", "items": feature},
            },
        }


@schema.sites
class SiteViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SiteSerializer
    pagination_class = CappedGeoJsonPagination
    filter_backends = [CheckedBBoxFilter]
    bbox_filter_field = "perimeter"
    lookup_field = "code"
    # Any segment reaches the view, so a malformed one gets the API's JSON 404, not a page.
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return sites_for(self.request)


@schema.incidents
class IncidentViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = IncidentSerializer
    pagination_class = CappedGeoJsonPagination
    filter_backends = [DjangoFilterBackend, CheckedBBoxFilter]
    filterset_class = ApiIncidentFilter
    bbox_filter_field = "location"
    lookup_field = "reference"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return incidents_for(self.request).select_related("site", "reported_by")

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("sites", Site.objects.visible_to(self.request.user))
        return super().get_serializer(*args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        site = data.pop("site")
        serializer.instance = services.record_incident(
            site=site, reported_by=self.request.user, **data
        )

    def perform_update(self, serializer):
        services.update_incident(serializer.instance, self.request.user, serializer.editable_data())

    @action(detail=False, methods=["get"], pagination_class=None, url_path="map")
    def map_layer(self, request):
        """Every matching incident as one GeoJSON text built by the database (slim
        properties), streamed without a Python object per incident."""
        queryset = self.filter_queryset(incidents_for(request))
        text = mapdata.incident_features_geojson(queryset)
        chunks = (text[i : i + MAP_CHUNK] for i in range(0, len(text), MAP_CHUNK))
        return StreamingHttpResponse(chunks, content_type="application/geo+json")

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def drones(self, request, reference=None):
        incident = self.get_object()
        serializer = DroneSerializer(
            incident.drones.all(), many=True, context=self.get_serializer_context()
        )
        return Response(serializer.data)

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def timeline(self, request, reference=None):
        incident = self.get_object()
        entries = incident.timeline.select_related("author")
        return Response(TimelineEntrySerializer(entries, many=True).data)

    @action(detail=True, methods=["post"], filter_backends=[])
    def comments(self, request, reference=None):
        incident = self.get_object()
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.add_comment(incident, request.user, serializer.validated_data["text"])
        return Response(TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def evidence(self, request, reference=None):
        incident = self.get_object()
        items = incident.evidence.select_related("uploaded_by")
        return Response(EvidenceSerializer(items, many=True).data)

    @action(detail=True, methods=["post"], filter_backends=[], url_path="status")
    def change_status(self, request, reference=None):
        incident = self.get_object()
        serializer = StatusChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.change_status(
            incident,
            request.user,
            serializer.validated_data["status"],
            note=serializer.validated_data["note"],
        )
        return Response(self.get_serializer(incident).data)

    @action(detail=True, methods=["post"], filter_backends=[])
    def severity(self, request, reference=None):
        incident = self.get_object()
        serializer = SeverityOverrideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.override_severity(
            incident,
            request.user,
            serializer.validated_data["severity"],
            serializer.validated_data["reason"],
        )
        return Response(self.get_serializer(incident).data)


@schema.detections
class DetectionView(APIView):
    """POST one detection (an object) or a batch (an array of up to 1,000)."""

    permission_classes = [IngestKey]

    def post(self, request):
        key = api_key(request)
        body = request.data
        single = isinstance(body, dict)
        items = [body] if single else body
        if not isinstance(items, list) or not items:
            raise ValidationError(
                {"non_field_errors": [_("Send one detection (an object) or a non-empty array.")]}
            )
        if len(items) > services.ingest.MAX_BATCH:
            raise ValidationError(
                {
                    "non_field_errors": [
                        _("A batch holds at most %(max)s detections; this one has %(n)s. Split it.")
                        % {"max": services.ingest.MAX_BATCH, "n": len(items)}
                    ]
                }
            )
        outcomes = [None] * len(items)
        inputs, positions = [], []
        parser = DetectionSerializer(**_sites_named(key, items))
        for index, raw in enumerate(items):
            try:
                inputs.append(parser.parse(raw))
                positions.append(index)
            except ValidationError as error:
                detection_id = raw.get("detection_id") if isinstance(raw, dict) else None
                outcomes[index] = _refused(index, detection_id, _as_dict(error.detail))
        if inputs:
            results = services.ingest_detections(inputs, api_key=key)
            kept = [r.detection for r in results if r.status != "refused"]
            shown = iter(DetectionResultSerializer.represent(kept))
            for index, item, result in zip(positions, inputs, results, strict=True):
                outcomes[index] = _outcome(index, item, result, shown)
        if single:
            return _single_response(outcomes[0])
        counts = {name: sum(o["status"] == name for o in outcomes) for name in _STATUSES}
        return Response({**counts, "items": outcomes}, status=status.HTTP_200_OK)


_STATUSES = ("stored", "duplicate", "refused")


def _sites_named(key, items):
    """The key's sites that the items name, and its one site when it serves only one and
    an item names none: a key for 200 sites does not load 200 perimeters per request. (The
    permission has checked that the key is an active ingest key: its sites are its scope.)"""
    codes = {raw.get("site") for raw in items if isinstance(raw, dict)}
    named = [code for code in codes if isinstance(code, str)]
    sites = {site.code: site for site in key.sites.filter(code__in=named)} if named else {}
    only_site = None
    if None in codes:
        first_two = list(key.visible_sites_for_ingest().order_by("pk")[:2])
        only_site = first_two[0] if len(first_two) == 1 else None
    return {"sites": sites, "only_site": only_site}


def _refused(index, detection_id, errors, code="invalid"):
    return {
        "index": index,
        "detection_id": str(detection_id) if detection_id is not None else None,
        "status": "refused",
        "code": code,
        "errors": _plain(errors),
    }


def _plain(errors):
    if isinstance(errors, dict):
        return {key: _plain(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [_plain(item) for item in errors]
    return str(errors)


def _as_dict(detail):
    return detail if isinstance(detail, dict) else {"non_field_errors": detail}


def _outcome(index, item, result, shown):
    if result.status == "refused":
        return _refused(index, item.detection_id, result.errors, result.code)
    return {
        "index": index,
        "detection_id": str(item.detection_id),
        "status": result.status,
        "result": next(shown),
    }


def _single_response(outcome):
    if outcome["status"] == "refused":
        code = outcome["code"]
        return Response(
            {
                "code": code,
                "detail": _("This detection was refused; see errors."),
                "errors": outcome["errors"],
            },
            status=status.HTTP_409_CONFLICT if code == "conflict" else status.HTTP_400_BAD_REQUEST,
        )
    created = outcome["status"] == "stored"
    return Response(outcome, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@schema.keys
class ApiKeyViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """API keys: admins manage all; supervisors those of the sites they supervise."""

    serializer_class = ApiKeySerializer
    permission_classes = [SignedIn]
    lookup_value_regex = "[^/]+"

    def get_object(self):
        pk = self.kwargs["pk"]
        if not (pk.isascii() and pk.isdigit() and len(pk) <= 18):
            raise Http404
        return super().get_object()

    def get_queryset(self):
        return (
            services.manageable_keys(self.request.user)
            .select_related("created_by")
            .prefetch_related("sites")
        )

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("sites", Site.objects.visible_to(self.request.user))
        return super().get_serializer(*args, **kwargs)

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key, token = services.create_api_key(
            created_by=request.user, name=data["name"], purpose=data["purpose"], sites=data["sites"]
        )
        key.token = token
        return Response(NewApiKeySerializer(key).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], filter_backends=[])
    def revoke(self, request, pk=None):
        key = self.get_object()
        services.revoke_api_key(key, request.user)
        return Response(ApiKeySerializer(key).data)
