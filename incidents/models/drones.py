"""The drones of an incident: one record per drone observed, so a swarm holds N of them."""

from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..choices import Category, UasIdType
from .incidents import Incident, clean_points


class Drone(models.Model):
    """One drone of an incident, with what identifies it and where its operator was.

    Remote ID (ASTM F3411) gives each drone its own UAS ID, operator ID, operator and
    take-off positions; a staff sighting may know none of it. The track is the drone's
    positions in time order, drawn on the incident map.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="drones")
    uas_id = models.CharField(_("UAS ID"), max_length=40, blank=True)
    uas_id_type = models.CharField(
        _("UAS ID type"), max_length=20, choices=UasIdType.choices, blank=True
    )
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.UNKNOWN
    )
    make_model = models.CharField(_("make and model"), max_length=100, blank=True)
    operator_id = models.CharField(_("operator ID"), max_length=40, blank=True)
    operator_location = models.PointField(_("operator location"), srid=4326, null=True, blank=True)
    takeoff_location = models.PointField(_("take-off location"), srid=4326, null=True, blank=True)
    track = models.LineStringField(
        _("track"), srid=4326, null=True, blank=True, help_text=_("Positions in time order.")
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["incident", "pk"]
        verbose_name = _("drone")
        verbose_name_plural = _("drones")
        indexes = [
            models.Index(fields=["uas_id"], name="drone_uas_id"),
            models.Index(fields=["operator_id"], name="drone_operator_id"),
        ]

    def __str__(self):
        return self.uas_id or self.make_model or f"Drone {self.pk or 'new'}"

    def clean(self):
        errors = {}
        clean_points(self, ("operator_location", "takeoff_location"), errors)
        if self.uas_id_type and not self.uas_id:
            errors["uas_id"] = "Give the Remote ID UAS ID, or clear its type."
        if self.uas_id and not self.uas_id_type:
            errors["uas_id_type"] = "Say what kind of UAS ID this is (e.g. serial number)."
        if errors:
            raise ValidationError(errors)
