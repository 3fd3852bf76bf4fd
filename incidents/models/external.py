"""Sightings reported by third parties (e.g. the FAA's published UAS sighting reports).

They are kept apart from staff incidents: nobody at a site reviewed them, so they carry no
status or severity, and the summary is kept word for word.
"""

from django.contrib.gis.db import models
from django.contrib.gis.geos import Polygon
from django.utils.translation import gettext_lazy as _

from .. import geo
from .sites import shape_of


class LocationSource(models.TextChoices):
    AIRPORT = "airport", _("Airport named in the report")
    CITY = "city", _("City of the report")
    CITY_AIRPORT = "city_airport", _("Airport of the report's city")
    UNKNOWN = "unknown", _("Location unknown")


def _bboxes_around(perimeter, metres):
    """Longitude/latitude boxes (one, or two across 180°) holding every point within
    `metres` of the perimeter, found geodesically so that they are never too small."""
    shape = geo.continuous(perimeter)
    min_x, min_y, max_x, max_y = shape.bounds
    north = min(90.0, float(geo.WGS84.fwd(min_x, max_y, 0, metres)[1]))
    south = max(-90.0, float(geo.WGS84.fwd(min_x, min_y, 180, metres)[1]))
    if north >= 89.9 or south <= -89.9:
        return [(-180.0, south, 180.0, north)]
    # East-west, a metre is most degrees at the latitude nearest a pole.
    widest = north if abs(north) > abs(south) else south
    east = float(geo.WGS84.fwd(max_x, widest, 90, metres)[0])
    west = float(geo.WGS84.fwd(min_x, widest, -90, metres)[0])
    east = east + 360 if east < max_x else east
    west = west - 360 if west > min_x else west
    if east - west >= 360:
        return [(-180.0, south, 180.0, north)]
    boxes = []
    for shift in (-360, 0, 360):
        lo, hi = max(west + shift, -180.0), min(east + shift, 180.0)
        if lo < hi:
            boxes.append((lo, south, hi, north))
    return boxes


class ExternalReportQuerySet(models.QuerySet):
    def placed(self):
        return self.exclude(location_source=LocationSource.UNKNOWN)

    def near(self, site, metres):
        """Reports placed within `metres` of the site's perimeter, measured on the ellipsoid:
        a bounding box narrows the candidates in the database, then each candidate's exact
        geodesic distance decides."""
        perimeter = shape_of(site.perimeter)
        box_filter = models.Q()
        for box in _bboxes_around(perimeter, metres):
            box_filter |= models.Q(location__intersects=Polygon.from_bbox(box))
        candidates = list(
            self.filter(location__isnull=False).filter(box_filter).values_list("pk", "location")
        )
        distances = geo.distances_to_perimeter_m(
            [point.x for _, point in candidates], [point.y for _, point in candidates], perimeter
        )
        near_ids = [pk for (pk, _), d in zip(candidates, distances, strict=True) if d <= metres]
        return self.filter(pk__in=near_ids)


class ExternalReport(models.Model):
    """One third-party sighting report, as published, with what could be read from it."""

    source = models.CharField(_("source"), max_length=20, default="faa")
    source_key = models.CharField(
        _("source key"),
        max_length=200,
        unique=True,
        help_text=_("File and row number: importing the same file again changes nothing."),
    )
    source_file = models.CharField(_("source file"), max_length=200)
    source_row = models.PositiveIntegerField(_("row in source file"))
    date = models.DateField(_("date"))
    time = models.TimeField(_("time"), null=True, blank=True)
    time_text = models.CharField(
        _("time as reported"),
        max_length=20,
        blank=True,
        help_text=_("The time token of the summary, e.g. 1400C (C = US Central time)."),
    )
    city = models.CharField(_("city"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=100, blank=True)
    summary = models.TextField(_("summary"))
    altitude_ft = models.PositiveIntegerField(_("altitude (ft)"), null=True, blank=True)
    aircraft_type = models.CharField(_("aircraft type"), max_length=60, blank=True)
    airport_code = models.CharField(_("airport named"), max_length=8, blank=True)
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)
    location_source = models.CharField(
        _("placed by"),
        max_length=20,
        choices=LocationSource.choices,
        default=LocationSource.UNKNOWN,
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    objects = ExternalReportQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "source_key"]
        verbose_name = _("external report")
        verbose_name_plural = _("external reports")

    def __str__(self):
        return f"{self.date} {self.city}, {self.state}"

    @property
    def location_unknown(self):
        return self.location_source == LocationSource.UNKNOWN
