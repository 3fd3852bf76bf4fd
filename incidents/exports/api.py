"""The export API: POST /api/v1/exports/ starts an export ({"format": "csv", "filter":
"site=CGK&status=submitted"}, the filter also as an object of lists, or as query
parameters); GET lists your exports; GET /api/v1/exports/<id>/ polls one; its file comes
from GET /api/v1/exports/<id>/file/ (?manifest=1 for the manifest)."""

from django.http import QueryDict
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from ..api.schema import ONE_ERRORS, READ_ERRORS, WRITE_ERRORS
from ..models import ExportChannel, ExportJob
from ..services import ServiceError
from ..views.exports import deliver, job_status_data
from .jobs import start_export
from .registry import choices

FILTER_HELP = (
    "The incident list's filter: URL parameters such as site=CGK&status=submitted, or an "
    'object of lists such as {"site": ["CGK"], "status": ["submitted"]}.'
)


class ExportRequestSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=choices())
    filter = serializers.JSONField(required=False, help_text=FILTER_HELP)

    def validate_filter(self, value):
        if value is None or isinstance(value, str):
            return value or ""
        if isinstance(value, dict):
            params = QueryDict(mutable=True)
            for key, items in value.items():
                items = items if isinstance(items, list) else [items]
                if not all(isinstance(item, str | int | float) for item in items):
                    raise serializers.ValidationError(FILTER_HELP)
                params.setlist(str(key), [str(item) for item in items])
            return params.urlencode()
        raise serializers.ValidationError(FILTER_HELP)


class ExportJobSerializer(serializers.Serializer):
    """An export as the job page and the API show it."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["queued", "running", "done", "failed"])
    status_label = serializers.CharField()
    format = serializers.CharField()
    total = serializers.IntegerField(help_text="Incidents matched when asked.")
    progress = serializers.IntegerField(help_text="Incidents written so far.")
    record_count = serializers.IntegerField(allow_null=True)
    filename = serializers.CharField()
    sha256 = serializers.CharField()
    error = serializers.CharField()
    download_url = serializers.CharField(allow_null=True)
    manifest_url = serializers.CharField(allow_null=True)


class ExportListView(APIView):
    """Your exports (GET) and a new export (POST)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="Your exports, newest first",
        responses={200: ExportJobSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request):
        jobs = ExportJob.objects.filter(requested_by=request.user)[:100]
        return Response([job_status_data(job) for job in jobs])

    @extend_schema(
        summary="Export the incidents a filter selects",
        request=ExportRequestSerializer,
        responses={
            201: OpenApiResponse(ExportJobSerializer, description="Written; files ready."),
            202: OpenApiResponse(ExportJobSerializer, description="Queued for the worker."),
            **WRITE_ERRORS,
        },
    )
    def post(self, request):
        payload = ExportRequestSerializer(
            data=request.data if isinstance(request.data, dict) else {}
        )
        if not payload.is_valid():
            return Response(
                {
                    "code": "invalid",
                    "detail": "Check the fields named in errors.",
                    "errors": payload.errors,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        query = payload.validated_data.get("filter") or request.query_params.urlencode()
        try:
            job = start_export(
                request.user, payload.validated_data["format"], query, ExportChannel.API
            )
        except ServiceError as exc:
            return Response(
                {"code": exc.code, "detail": exc.message}, status=status.HTTP_400_BAD_REQUEST
            )
        code = status.HTTP_201_CREATED if job.finished else status.HTTP_202_ACCEPTED
        return Response(job_status_data(job), status=code)


class ExportDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="One of your exports", responses={200: ExportJobSerializer, **ONE_ERRORS}
    )
    def get(self, request, pk):
        job = get_object_or_404(ExportJob, pk=pk, requested_by=request.user)
        return Response(job_status_data(job))


class ExportFileView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="The file of one of your exports (or its manifest with ?manifest=1)",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **ONE_ERRORS},
    )
    def get(self, request, pk):
        job = get_object_or_404(ExportJob, pk=pk, requested_by=request.user)
        return deliver(job, manifest=request.query_params.get("manifest") == "1")
