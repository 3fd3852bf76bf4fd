"""Map layers for imported data: reference zones and the external reports near a site."""

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..importers.zones import parse_bbox, reference_zones_geojson
from ..models import MAX_ZONE_RADIUS_M, ExternalReport, Site

GEOJSON = "application/geo+json"


@require_GET
@login_required
def reference_zones(request):
    """The reference zones meeting `in_bbox` (min lon,min lat,max lon,max lat) as GeoJSON.
    They are published aviation data, so every signed-in user may see them."""
    try:
        bbox = parse_bbox(request.GET.get("in_bbox"))
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    return JsonResponse(reference_zones_geojson(bbox), content_type=GEOJSON)


@require_GET
@login_required
def site_external_reports(request, code):
    """External reports within `within_m` metres of a site the user may see (by default its
    outermost alert ring), as GeoJSON points; `date_after` and `date_before` (YYYY-MM-DD,
    both included) narrow them to the period a map shows."""
    site = get_object_or_404(Site.objects.visible_to(request.user), code=code)
    default = max(site.zone_radii_m or [0])
    try:
        within = float(request.GET.get("within_m", default))
    except ValueError:
        within = -1
    if not 0 <= within <= MAX_ZONE_RADIUS_M:
        return HttpResponseBadRequest(
            _("Give within_m as a number of metres from 0 to %(max)d.")
            % {"max": MAX_ZONE_RADIUS_M},
            content_type="text/plain; charset=utf-8",
        )
    reports = ExternalReport.objects.near(site, within).order_by("-date", "source_key")
    for name, lookup in (("date_after", "date__gte"), ("date_before", "date__lte")):
        text = request.GET.get(name)
        if not text:
            continue
        try:
            day = parse_date(text)
        except ValueError:
            day = None
        if day is None:
            return HttpResponseBadRequest(
                _("Give %(name)s as a date, YYYY-MM-DD.") % {"name": name},
                content_type="text/plain; charset=utf-8",
            )
        reports = reports.filter(**{lookup: day})
    features = [
        {
            "type": "Feature",
            "id": report.pk,
            "geometry": json.loads(report.location.geojson),
            "properties": {
                "date": report.date.isoformat(),
                "time": report.time.isoformat(timespec="minutes") if report.time else None,
                "time_text": report.time_text,
                "city": report.city,
                "state": report.state,
                "summary": report.summary,
                "altitude_ft": report.altitude_ft,
                "aircraft_type": report.aircraft_type,
                "airport_code": report.airport_code,
                "placed_by": report.location_source,
                "source": report.source,
            },
        }
        for report in reports
    ]
    return JsonResponse(
        {"type": "FeatureCollection", "within_m": within, "features": features},
        content_type=GEOJSON,
    )
