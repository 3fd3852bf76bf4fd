"""API filters: the shared IncidentFilter (same parameters as the web list) and a checked
bounding box."""

import math

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework_gis.filters import InBBoxFilter

from .. import spatialindex
from ..filters import IncidentFilter
from ..models import Site
from .auth import sites_for


def _api_sites(request):
    return Site.objects.none() if request is None else sites_for(request)


class ApiIncidentFilter(IncidentFilter):
    """IncidentFilter whose site choices follow the caller's scope, key or person."""

    site = django_filters.ModelMultipleChoiceFilter(
        label=_("Site"), field_name="site", to_field_name="code", queryset=_api_sites
    )

    class Meta(IncidentFilter.Meta):
        pass


class CheckedBBoxFilter(InBBoxFilter):
    """`in_bbox=minlon,minlat,maxlon,maxlat`, refused with a clear message when malformed.

    A box whose min longitude is greater than its max crosses the antimeridian, e.g.
    `in_bbox=179,-20,-179,-10`, and matches both sides.
    """

    def get_filter_bbox(self, request):
        raw = request.query_params.get(self.bbox_param)
        if not raw:
            return None
        example = "in_bbox=106.5,-6.3,106.8,-6.0 (min lon, min lat, max lon, max lat)"
        try:
            values = [float(n) for n in raw.split(",")]
        except ValueError:
            values = []
        if len(values) != 4 or not all(math.isfinite(v) for v in values):
            raise serializers.ValidationError({self.bbox_param: [f"Give four numbers: {example}."]})
        minlon, minlat, maxlon, maxlat = values
        if not (-180 <= minlon <= 180 and -180 <= maxlon <= 180):
            raise serializers.ValidationError(
                {self.bbox_param: ["Longitudes must be between -180 and 180."]}
            )
        if not (-90 <= minlat <= maxlat <= 90):
            raise serializers.ValidationError(
                {self.bbox_param: ["Latitudes must be between -90 and 90, min before max."]}
            )
        return spatialindex.boxes(minlon, minlat, maxlon, maxlat)

    def filter_queryset(self, request, queryset, view):
        field = getattr(view, "bbox_filter_field", None)
        polygons = self.get_filter_bbox(request) if field else None
        if polygons is None:
            return queryset
        return spatialindex.in_bbox(queryset, field, polygons)
