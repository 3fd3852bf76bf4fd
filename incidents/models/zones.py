"""Reference geographical zones published by aviation authorities (EUROCAE ED-269/ED-318).

They are shown beside a site for context; they never change an incident's zone or severity,
which come from the site's own perimeter and alert rings.
"""

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class ZoneFormat(models.TextChoices):
    ED269 = "ed269", "ED-269 (JSON)"
    ED318 = "ed318", "ED-318 (GeoJSON)"


class ReferenceZone(models.Model):
    """One UAS geographical zone as published, with all of its volumes merged into one
    footprint; the limits are the lowest lower and highest upper limit of those volumes,
    in metres, and `volumes` keeps each volume as given."""

    dataset = models.CharField(
        _("dataset"),
        max_length=200,
        db_index=True,
        help_text=_("The file the zone came from; importing it again replaces its zones."),
    )
    identifier = models.CharField(_("identifier"), max_length=100)
    name = models.CharField(_("name"), max_length=300, blank=True)
    country = models.CharField(_("country"), max_length=3, blank=True)
    restriction = models.CharField(
        _("type / restriction"),
        max_length=30,
        help_text=_("PROHIBITED, REQ_AUTHORIZATION, CONDITIONAL, NO_RESTRICTION or USPACE."),
    )
    variant = models.CharField(_("variant"), max_length=20, blank=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    lower_limit_m = models.FloatField(_("lower limit (m)"), null=True, blank=True)
    lower_reference = models.CharField(_("lower limit reference"), max_length=10, blank=True)
    upper_limit_m = models.FloatField(_("upper limit (m)"), null=True, blank=True)
    upper_reference = models.CharField(_("upper limit reference"), max_length=10, blank=True)
    volumes = models.JSONField(_("volumes"), default=list, blank=True)
    applicability = models.JSONField(_("applicability and times"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    source_format = models.CharField(_("source format"), max_length=10, choices=ZoneFormat.choices)
    geometry = models.MultiPolygonField(_("geometry"), srid=4326)
    properties = models.JSONField(_("properties as published"), default=dict, blank=True)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        ordering = ["dataset", "identifier", "pk"]
        verbose_name = _("reference zone")
        verbose_name_plural = _("reference zones")

    def __str__(self):
        return f"{self.identifier}: {self.name}" if self.name else self.identifier
