"""The site map: a site's perimeter, alert rings and incidents over a period; and the map of
all the sites a person may see (a regulator's or an admin's overview, every site at once).

The page draws the site from `mapdata.site_layers`; its incidents come from a separate GeoJSON
endpoint built in the database (`mapdata.incident_features_geojson`), so the page itself is
light and the number of queries does not grow with the number of incidents. Both read the
incident list's URL parameters through `IncidentFilter`, so a filtered list and its map agree.
The browser groups the points with supercluster (skymap.js) and draws only what is in view,
so a map of 100,000 incidents stays interactive; the endpoint sends no more than it is asked.
"""

from datetime import UTC, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import geo, mapdata
from ..choices import Severity
from ..filters import IncidentFilter
from ..models import ExternalReport, Incident, Site

PERIOD_PRESETS_DAYS = (7, 30, 90, 365)
DEFAULT_PERIOD_DAYS = 30
PERIOD_PARAMS = ("first_seen_after", "first_seen_before")
# Above this many points the map starts with nearby points grouped.
CLUSTER_ABOVE = 150


def _period_start(site, days):
    """The site-local date `days` days ago: the presets count whole days where the site is
    (UTC for the map of all sites)."""
    zone = site.tzinfo if site is not None else UTC
    return (timezone.localdate(timezone=zone) - timedelta(days=days)).isoformat()


def _map_filter(request, site):
    """The incident filter for one site's map: the list's parameters, the last 30 days unless
    a period is given, and never another site (the `site` parameter is the list's, not ours)."""
    data = request.GET.copy()
    data.pop("site", None)
    if not any(data.get(name) for name in PERIOD_PARAMS):
        data["first_seen_after"] = _period_start(site, DEFAULT_PERIOD_DAYS)
    queryset = Incident.objects.visible_to(request.user).filter(site=site)
    return data, IncidentFilter(data, queryset, request=request)


def _all_sites_filter(request):
    """The filter of the map of all sites: the list's parameters (its `site` included) and the
    last 30 days unless a period is given."""
    data = request.GET.copy()
    if not any(data.get(name) for name in PERIOD_PARAMS):
        data["first_seen_after"] = _period_start(None, DEFAULT_PERIOD_DAYS)
    queryset = Incident.objects.visible_to(request.user)
    return data, IncidentFilter(data, queryset, request=request)


def _visible_site(request, code):
    return get_object_or_404(Site.objects.visible_to(request.user), code=code)


def _when(value):
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        return None if day is None else timezone.datetime(day.year, day.month, day.day)
    return moment.replace(tzinfo=None)


def _period_days(data):
    """Length of the shown period in days, which sets how far old points fade."""
    start, end = _when(data.get("first_seen_after")), _when(data.get("first_seen_before"))
    if start is None:
        return None
    end = end or timezone.now().replace(tzinfo=None)
    return max(1, (end - start).days)


def _preset_links(site, data):
    current = data.get("first_seen_after"), data.get("first_seen_before")
    links = []
    for days in PERIOD_PRESETS_DAYS:
        params = data.copy()
        params["first_seen_after"] = _period_start(site, days)
        params.pop("first_seen_before", None)
        links.append(
            {
                "days": days,
                "query": params.urlencode(),
                "current": current == (params["first_seen_after"], None),
            }
        )
    return links


def _period_dates(data):
    """The shown period as dates (either may be None), for layers dated by day."""
    start, end = _when(data.get("first_seen_after")), _when(data.get("first_seen_before"))
    return (start and start.date()), (end and end.date())


def _external_layer(site, data):
    """URL and count of the external reports near the site (within its outermost ring)
    reported in the shown period: the map draws them, the page counts them."""
    reports = ExternalReport.objects.near(site, max(site.zone_radii_m or [0]))
    params = {}
    start, end = _period_dates(data)
    if start:
        reports = reports.filter(date__gte=start)
        params["date_after"] = start.isoformat()
    if end:
        reports = reports.filter(date__lte=end)
        params["date_before"] = end.isoformat()
    query = QueryDict(mutable=True)
    query.update(params)
    url = reverse("site_external_reports", args=[site.code]) + "?" + query.urlencode()
    return url, reports.count()


def _zones_url(site):
    """Reference zones meeting the site's outermost ring (or perimeter): the area drawn."""
    rings = site.alert_rings()
    shape = rings[-1].outer if rings else site.perimeter_shape()
    west, south, east, north = shape.bounds
    return reverse("reference_zones") + f"?in_bbox={west:.6f},{south:.6f},{east:.6f},{north:.6f}"


@login_required
@require_GET
def site_map(request, code):
    """The map page of one site the user may see (404 for any other)."""
    site = _visible_site(request, code)
    data, filterset = _map_filter(request, site)
    form = filterset.form
    form.is_valid()  # errors are shown beside the period fields; the data call says why too
    layers = mapdata.site_layers(site)
    external_url, external_count = _external_layer(site, data if form.is_valid() else {})
    page_data = {
        "site": layers,
        "dataUrl": _data_url(reverse("site_map_incidents", args=[site.code]), data),
        "periodDays": _period_days(data),
        # Incidents are stored in [-180, 180]; drawn beside a site that runs past 180°.
        "nearLng": geo.continuous(site.perimeter_shape()).centroid.x,
        "clusterAbove": CLUSTER_ABOVE,
        "externalUrl": external_url,
        "zonesUrl": _zones_url(site),
        "labels": _labels(),
    }
    return render(
        request,
        "incidents/site_map.html",
        {
            "site": site,
            "form": form,
            "data": data,
            "presets": _preset_links(site, data),
            "severities": Severity.choices,
            "selected_severities": data.getlist("severity"),
            "page_data": page_data,
            "external_count": external_count,
        },
    )


def _labels():
    return {
        "loading": _("Loading incidents…"),
        "count": _("Incidents shown: %(count)s."),
        "none": _("No incidents in this period."),
        "failed": _("The incidents could not be loaded: %(reason)s"),
        "external": _("External reports (FAA sightings etc.)"),
        "zones": _("Reference zones (EU UAS geographical zones)"),
        "layerFailed": _("A map layer could not be loaded: %(reason)s"),
        "reported": _("Reported on %(date)s"),
        "place": _("Place: %(place)s"),
    }


@login_required
@require_GET
def site_map_incidents(request, code):
    """The site's incidents for the map as GeoJSON, scoped and filtered like the list."""
    site = _visible_site(request, code)
    _data, filterset = _map_filter(request, site)
    if not filterset.is_valid():
        return _invalid(filterset)
    return _incidents_response(request, filterset.qs, mapdata.DEFAULT_INCIDENT_FIELDS)


# ?format=rows: the compact form the map pages load (mapdata.incident_rows_json); without
# it, GeoJSON, as for every other caller.
ROWS_FORMAT = "rows"


def _data_url(path, data):
    query = data.copy()
    query["format"] = ROWS_FORMAT
    return path + "?" + query.urlencode()


def _incidents_response(request, queryset, fields):
    if request.GET.get("format") == ROWS_FORMAT:
        text = mapdata.incident_rows_json(queryset, fields=fields)
        response = HttpResponse(text, content_type="application/json")
    else:
        text = mapdata.incident_features_geojson(queryset, fields=fields)
        response = HttpResponse(text, content_type="application/geo+json")
    response["Cache-Control"] = "private, no-store"
    return response


def _invalid(filterset):
    errors = {name: [str(e) for e in errs] for name, errs in filterset.errors.items()}
    message = " ".join(" ".join(errs) for errs in errors.values())
    return JsonResponse({"message": message, "errors": errors}, status=400)


@login_required
@require_GET
def all_sites_map(request):
    """The map of every site the user may see and their incidents (the list's filters, the
    last 30 days by default): a regulator's or an admin's overview."""
    data, filterset = _all_sites_filter(request)
    form = filterset.form
    form.is_valid()
    sites = list(Site.objects.visible_to(request.user).order_by("code"))
    page_data = {
        "sites": [mapdata.site_layers(site, rings=False) for site in sites],
        "dataUrl": _data_url(reverse("all_sites_map_incidents"), data),
        "periodDays": _period_days(data),
        "nearLng": None,
        "clusterAbove": CLUSTER_ABOVE,
        "externalUrl": None,
        "zonesUrl": None,
        "labels": _labels(),
    }
    return render(
        request,
        "incidents/site_map.html",
        {
            "site": None,
            "form": form,
            "data": data,
            "presets": _preset_links(None, data),
            "severities": Severity.choices,
            "selected_severities": data.getlist("severity"),
            "page_data": page_data,
        },
    )


@login_required
@require_GET
def all_sites_map_incidents(request):
    """The incidents of every visible site for the map of all sites, filtered like the list."""
    _data, filterset = _all_sites_filter(request)
    if not filterset.is_valid():
        return _invalid(filterset)
    fields = [*mapdata.DEFAULT_INCIDENT_FIELDS, ("site", "site__code")]
    return _incidents_response(request, filterset.qs, fields)
