"""The landing page."""

import logging
from datetime import timedelta

from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone

from ..choices import Severity
from ..models import Incident, Site

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
