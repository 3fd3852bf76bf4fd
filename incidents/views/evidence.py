"""Evidence files, delivered only to people who may see their incident."""

import base64
import logging

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from ..models import Evidence, Incident

logger = logging.getLogger(__name__)


@login_required
def evidence_file(request, name):
    """Deliver an evidence file to someone who may see its incident, with its SHA-256."""
    evidence = get_object_or_404(
        Evidence.objects.filter(incident__in=Incident.objects.visible_to(request.user)),
        file=name,
    )
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        logger.error("Evidence %s is missing from storage at %s", evidence.pk, name)
        raise Http404(
            "This evidence file is missing from storage. Tell an administrator."
        ) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.media_type,
    )
    # Never rendered by the browser: a download, typed by its proven content, sandboxed.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    digest = base64.b64encode(bytes.fromhex(evidence.sha256)).decode()
    response["Repr-Digest"] = f"sha-256=:{digest}:"  # RFC 9530: lets the receiver verify
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def evidence_preview(request, pk):
    """The resized, metadata-free copy of a photo, for showing inline on the incident page."""
    evidence = get_object_or_404(
        Evidence.objects.filter(incident__in=Incident.objects.visible_to(request.user)),
        pk=pk,
    )
    if not evidence.preview:
        raise Http404("This evidence has no preview: it is not a photo.")
    try:
        handle = evidence.preview.open("rb")
    except FileNotFoundError:
        raise Http404("This preview is missing from storage.") from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
