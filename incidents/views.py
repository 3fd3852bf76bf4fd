import base64
import logging
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from .choices import Severity
from .models import Evidence, Incident, Site

logger = logging.getLogger(__name__)


def home(request):
    """Landing page: for a signed-in user, the sites they can see and their recent incidents."""
    context = {}
    if request.user.is_authenticated:
        since = timezone.now() - timedelta(days=30)
        recent = Q(
            incidents__in=Incident.objects.visible_to(request.user),
            incidents__first_seen__gte=since,
        )
        sites = (
            Site.objects.visible_to(request.user)
            .annotate(
                recent_total=Count("incidents", filter=recent),
                **{
                    f"recent_{level}": Count(
                        "incidents", filter=recent & Q(incidents__severity=level)
                    )
                    for level in Severity.values
                },
            )
            .order_by("code")
        )
        context = {
            "sites": sites,
            "latest": Incident.objects.visible_to(request.user).select_related("site")[:10],
            "severities": Severity.choices,
        }
    return render(request, "incidents/home.html", context)


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
    digest = base64.b64encode(bytes.fromhex(evidence.sha256)).decode()
    response["Repr-Digest"] = f"sha-256=:{digest}:"  # RFC 9530: lets the receiver verify
    response["Cache-Control"] = "private, no-store"
    return response
