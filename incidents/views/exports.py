"""The export page, the export job page with its progress, and file delivery: files go only
to the person who asked for them, through these views, never from MEDIA_ROOT directly."""

import base64
import logging
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ..exports import all_exporters
from ..exports.jobs import clean_query, start_export
from ..filters import IncidentFilter
from ..models import ExportJob, Incident
from ..services import ServiceError

logger = logging.getLogger(__name__)


@login_required
@require_http_methods(["GET", "POST"])
def export_page(request):
    """Choose a format for the incidents the list's filter selects, and start the export."""
    data = request.POST if request.method == "POST" else request.GET
    query = clean_query(data)
    filterset = IncidentFilter(data, Incident.objects.visible_to(request.user), request=request)
    error = ""
    chosen = data.get("format", "csv")
    if request.method == "POST":
        try:
            job = start_export(request.user, chosen, query)
        except ServiceError as exc:
            error = exc.message
        else:
            return redirect("export_job", pk=job.pk)
    count = filterset.qs.count() if filterset.is_valid() else None
    context = {
        "filter": filterset,
        "query": query,
        "count": count,
        "exporters": all_exporters(),
        "chosen": chosen,
        "error": error,
        "sync_max": settings.EXPORT_SYNC_MAX_ROWS,
        "jobs": ExportJob.objects.filter(requested_by=request.user)[:20],
    }
    return render(request, "incidents/exports.html", context, status=400 if error else 200)


def _own_job(request, pk):
    return get_object_or_404(ExportJob, pk=pk, requested_by=request.user)


@login_required
def export_job(request, pk):
    """One export: its progress while it runs, then the file and its manifest."""
    return render(request, "incidents/exports_job.html", {"job": _own_job(request, pk)})


def job_status_data(job):
    """The JSON the job page polls (and the API returns)."""
    done = job.status == "done"
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "format": job.format,
        "total": job.total,
        "progress": job.progress,
        "record_count": job.record_count,
        "filename": job.filename,
        "sha256": job.sha256,
        "error": job.error,
        "download_url": reverse("export_download", args=[job.pk]) if done else None,
        "manifest_url": reverse("export_manifest", args=[job.pk]) if done else None,
    }


@login_required
def export_status(request, pk):
    return JsonResponse(job_status_data(_own_job(request, pk)))


def deliver(job, manifest=False):
    """A FileResponse of an export's file (or its manifest), with its SHA-256."""
    if job.status != "done" or not job.stored_file:
        raise Http404("This export has no file yet.")
    path = Path(settings.MEDIA_ROOT) / job.stored_file
    name, media_type = job.filename, job.media_type
    if manifest:
        path = path.with_name(job.manifest_filename)
        name, media_type = job.manifest_filename, "application/json"
    try:
        handle = open(path, "rb")  # noqa: SIM115  (FileResponse closes it)
    except FileNotFoundError:
        logger.error("Export %s is missing from storage at %s", job.pk, path)
        raise Http404("This export's file is missing from storage. Export again.") from None
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=media_type)
    if not manifest:
        digest = base64.b64encode(bytes.fromhex(job.sha256)).decode()
        response["Repr-Digest"] = f"sha-256=:{digest}:"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def export_download(request, pk):
    return deliver(_own_job(request, pk))


@login_required
def export_manifest(request, pk):
    return deliver(_own_job(request, pk), manifest=True)
