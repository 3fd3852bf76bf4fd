"""The export API: POST /api/v1/exports/ starts an export ({"format": "csv", "filter":
"site=CGK&status=submitted"} or the filter as query parameters); GET lists your exports;
GET /api/v1/exports/<id>/ polls one; its download_url and manifest_url deliver the files."""

from django.http import QueryDict
from django.shortcuts import get_object_or_404
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import ExportChannel, ExportJob
from ..services import ServiceError
from ..views.exports import deliver, job_status_data
from .jobs import start_export


class ExportListView(APIView):
    """Your exports (GET) and a new export (POST)."""

    permission_classes = [permissions.IsAuthenticated]

    def get(self, request):
        jobs = ExportJob.objects.filter(requested_by=request.user)[:100]
        return Response([job_status_data(job) for job in jobs])

    def post(self, request):
        query = request.data.get("filter", "")
        if isinstance(query, dict):
            params = QueryDict(mutable=True)
            for key, value in query.items():
                params.setlist(key, value if isinstance(value, list) else [value])
            query = params.urlencode()
        if not query:
            query = request.query_params.urlencode()
        try:
            job = start_export(
                request.user, request.data.get("format", ""), query, ExportChannel.API
            )
        except ServiceError as exc:
            return Response(
                {"code": exc.code, "detail": exc.message}, status=status.HTTP_400_BAD_REQUEST
            )
        code = status.HTTP_201_CREATED if job.finished else status.HTTP_202_ACCEPTED
        return Response(job_status_data(job), status=code)


class ExportDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def get(self, request, pk):
        job = get_object_or_404(ExportJob, pk=pk, requested_by=request.user)
        return Response(job_status_data(job))


class ExportFileView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def get(self, request, pk):
        job = get_object_or_404(ExportJob, pk=pk, requested_by=request.user)
        return deliver(job, manifest=request.query_params.get("manifest") == "1")
