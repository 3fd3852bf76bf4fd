"""The landing page: an introduction for visitors, the dashboard for signed-in people.

Every figure is counted by the database over `visible_to()`, a fixed number of queries
whatever the number of incidents: counts per site for 7/30/90 days in one query, the
breakdowns by zone, detection method, hour and weekday in one query each. Hours and weekdays
are in each site's own time zone (a 02:00 sighting in Jakarta is 02:00, not 19:00 UTC).
"""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Case, Count, IntegerField, Q, When
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import mapdata
from ..choices import DetectionMethod, Severity
from ..filters import ZONE_CHOICES, IncidentFilter
from ..models import Incident, Site

COUNT_PERIODS_DAYS = (7, 30, 90)
DEFAULT_PERIOD_DAYS = 30
NEWEST_SERIOUS = 10


def home(request):
    """Landing page: the introduction for visitors, the dashboard for signed-in users."""
    if not request.user.is_authenticated:
        return render(request, "incidents/home.html", {})
    return _dashboard(request)


def _period(request):
    try:
        days = int(request.GET.get("days", DEFAULT_PERIOD_DAYS))
    except ValueError:
        days = DEFAULT_PERIOD_DAYS
    return days if days in COUNT_PERIODS_DAYS else DEFAULT_PERIOD_DAYS


def _sites_with_counts(user, now):
    """Visible sites with recent_<days> counts and 30-day counts per severity; one query."""
    visible = Incident.objects.visible_to(user)
    counts = {}
    for days in COUNT_PERIODS_DAYS:
        recent = Q(incidents__in=visible, incidents__first_seen__gte=now - timedelta(days=days))
        counts[f"recent_{days}"] = Count("incidents", filter=recent)
        if days == 30:
            for level in Severity.values:
                counts[f"recent_{level}"] = Count(
                    "incidents", filter=recent & Q(incidents__severity=level)
                )
    return list(Site.objects.visible_to(user).annotate(**counts).order_by("code"))


def _local(extract, timezones):
    """`extract` of first_seen in the incident's site's time zone, as one SQL expression."""
    if len(timezones) == 1:
        return extract("first_seen", tzinfo=next(iter(timezones.values())))
    return Case(
        *[
            When(site__timezone=name, then=extract("first_seen", tzinfo=tz))
            for name, tz in timezones.items()
        ],
        output_field=IntegerField(),
    )


def _breakdowns(incidents, timezones):
    """Counts by zone, detection method, local hour and local weekday (4 queries)."""
    by_zone = dict(incidents.values_list("zone").annotate(n=Count("pk")).order_by())
    # The methods are a JSON list per incident; the quoted value matches whole items only
    # (the same test IncidentFilter uses), on SQLite and PostgreSQL alike.
    by_method = incidents.aggregate(
        **{
            value: Count("pk", filter=Q(detection_methods__icontains=f'"{value}"'))
            for value in DetectionMethod.values
        }
    )
    hours = [0] * 24
    weekdays = [0] * 7
    if timezones:
        for hour, n in (
            incidents.annotate(local_hour=_local(ExtractHour, timezones))
            .values_list("local_hour")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            hours[hour] = n
        for day, n in (
            incidents.annotate(local_day=_local(ExtractIsoWeekDay, timezones))
            .values_list("local_day")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            weekdays[day - 1] = n  # ISO: 1 is Monday
    return {
        "zone": [
            {"key": value, "label": str(label), "count": by_zone.get(value, 0)}
            for value, label in ZONE_CHOICES
        ],
        "method": [
            {"key": value, "label": str(label), "count": by_method[value]}
            for value, label in DetectionMethod.choices
        ],
        "hour": [{"key": h, "label": f"{h:02d}", "count": n} for h, n in enumerate(hours)],
        "weekday": [
            {"key": d + 1, "label": str(WEEKDAYS[d]), "count": n} for d, n in enumerate(weekdays)
        ],
    }


def _dashboard(request):
    user = request.user
    now = timezone.now()
    days = _period(request)
    sites = _sites_with_counts(user, now)
    timezones = {site.timezone: site.tzinfo for site in sites}
    in_period = Incident.objects.visible_to(user).filter(first_seen__gte=now - timedelta(days=days))
    breakdowns = _breakdowns(in_period, timezones)
    serious = list(
        Incident.objects.visible_to(user)
        .filter(severity__in=[Severity.HIGH, Severity.CRITICAL])
        .select_related("site")
        .order_by("-first_seen")[:NEWEST_SERIOUS]
    )
    prefix = mapdata.incident_url_prefix()
    for incident in serious:
        incident.page_url = f"{prefix}{incident.reference}/"
    site_rows = [
        {
            "site": site,
            "map_url": reverse("site_map", args=[site.code]),
            "counts": [getattr(site, f"recent_{d}") for d in COUNT_PERIODS_DAYS],
            "severities": [(level, getattr(site, f"recent_{level}")) for level in Severity.values],
        }
        for site in sites
    ]
    chart_data = {
        "days": days,
        "breakdowns": breakdowns,
        "sites": [
            {
                "code": site.code,
                "counts": {level: getattr(site, f"recent_{level}") for level in Severity.values},
            }
            for site in sites
        ],
        "severityLabels": {value: str(label) for value, label in Severity.choices},
        "labels": {
            "incidents": _("Incidents"),
            "byZone": _("Incidents by zone"),
            "byMethod": _("Incidents by detection method"),
            "byHour": _("Incidents by hour of day (site time)"),
            "byWeekday": _("Incidents by day of week (site time)"),
            "bySite": _("Incidents per site in the last 30 days, by severity"),
        },
    }
    map_data = {
        "sites": [mapdata.site_layers(site) for site in sites],
        "dataUrl": reverse("dashboard_incidents") + f"?days={days}",
        "periodDays": days,
    }
    return render(
        request,
        "incidents/home.html",
        {
            "site_rows": site_rows,
            "count_periods": COUNT_PERIODS_DAYS,
            "days": days,
            "period_links": [
                {"days": d, "current": d == days, "query": f"?days={d}"} for d in COUNT_PERIODS_DAYS
            ],
            "breakdowns": breakdowns,
            "total_in_period": sum(row["count"] for row in breakdowns["zone"]),
            "serious": serious,
            "has_incidents": bool(serious) or Incident.objects.visible_to(user).exists(),
            "severities": Severity.choices,
            "chart_data": chart_data,
            "map_data": map_data,
        },
    )


@login_required
@require_GET
def dashboard_incidents(request):
    """The dashboard map's incidents as GeoJSON: the last `days` days (7, 30 or 90) of every
    visible site, narrowed further by the incident list's parameters."""
    since = timezone.now() - timedelta(days=_period(request))
    data = request.GET.copy()
    data.pop("days", None)
    queryset = Incident.objects.visible_to(request.user).filter(first_seen__gte=since)
    filterset = IncidentFilter(data, queryset, request=request)
    if not filterset.is_valid():
        errors = {name: [str(e) for e in errs] for name, errs in filterset.errors.items()}
        message = " ".join(" ".join(errs) for errs in errors.values())
        return JsonResponse({"message": message, "errors": errors}, status=400)
    text = mapdata.incident_features_geojson(
        filterset.qs, fields=[*mapdata.DEFAULT_INCIDENT_FIELDS, ("site", "site__code")]
    )
    response = HttpResponse(text, content_type="application/geo+json")
    response["Cache-Control"] = "private, no-store"
    return response
