"""The one incident filter: the list page, the map, the API and every export read the same
parameters, so a filtered URL shared from the list gives the same rows everywhere.

Query parameters: site (codes, repeatable), first_seen_after / first_seen_before (dates or
ISO 8601 times), status, severity, zone, source, detection_method (each repeatable), q (free
text over reference, narrative and make/model), ordering.
"""

import re
from datetime import timedelta

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import geo
from .choices import DetectionMethod, Severity, Source, Status
from .models import Incident, Site
from .models.incidents import severity_rank

ZONE_CHOICES = [
    (geo.Zone.INSIDE, _("Inside perimeter")),
    (geo.Zone.RING, _("Alert ring")),
    (geo.Zone.OUTSIDE, _("Outside all rings")),
]


def visible_sites(request):
    if request is None:
        return Site.objects.none()
    return Site.objects.visible_to(request.user)


def with_severity_rank(queryset):
    """Annotate severity_rank (0 low .. 3 critical) so severity sorts by meaning, not name;
    the expression is the one the incident_severity_rank index holds."""
    return queryset.annotate(severity_rank=severity_rank())


class SeenBetweenFilter(django_filters.IsoDateTimeFromToRangeFilter):
    """A period of ISO 8601 times; an end given as a bare date (2026-10-31) includes that
    whole day (UTC), as a person choosing dates means it."""

    def filter(self, qs, value):
        raw = ""
        if self.parent is not None and self.parent.data:
            raw = str(self.parent.data.get(f"{self.field_name}_before", "")).strip()
        if value and value.stop is not None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            qs = qs.filter(**{f"{self.field_name}__lt": value.stop + timedelta(days=1)})
            value = slice(value.start, None)
        return super().filter(qs, value)


class IncidentFilter(django_filters.FilterSet):
    site = django_filters.ModelMultipleChoiceFilter(
        label=_("Site"),
        field_name="site__code",
        to_field_name="code",
        queryset=visible_sites,
    )
    first_seen = SeenBetweenFilter(
        label=_("First seen between"),
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=Status.choices)
    severity = django_filters.MultipleChoiceFilter(label=_("Severity"), choices=Severity.choices)
    zone = django_filters.MultipleChoiceFilter(label=_("Zone"), choices=ZONE_CHOICES)
    source = django_filters.MultipleChoiceFilter(label=_("Source"), choices=Source.choices)
    detection_method = django_filters.MultipleChoiceFilter(
        label=_("Detection method"),
        choices=DetectionMethod.choices,
        method="filter_detection_method",
    )
    q = django_filters.CharFilter(label=_("Search"), method="filter_text")
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=[
            ("first_seen", "first_seen"),
            ("severity_rank", "severity"),
            ("reference", "reference"),
            ("site__code", "site"),
            ("status", "status"),
            ("distance_m", "distance"),
            ("drone_count", "drones"),
        ],
        field_labels={
            "first_seen": _("First seen"),
            "severity_rank": _("Severity"),
            "reference": _("Reference"),
            "site__code": _("Site"),
            "status": _("Status"),
            "distance_m": _("Distance"),
            "drone_count": _("Drones"),
        },
    )

    class Meta:
        model = Incident
        fields = []

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if queryset is None:
            queryset = Incident.objects.none()
        super().__init__(data, with_severity_rank(queryset), request=request, prefix=prefix)

    def filter_detection_method(self, queryset, name, value):
        # The methods are a JSON list; matching the quoted value in its text works the same
        # on SpatiaLite and PostGIS (SQLite has no JSON containment lookup) and cannot match
        # part of another value.
        if not value:
            return queryset
        match = Q()
        for method in value:
            match |= Q(detection_methods__icontains=f'"{method}"')
        return queryset.filter(match)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__icontains=value)
            | Q(narrative__icontains=value)
            | Q(make_model__icontains=value)
        )
