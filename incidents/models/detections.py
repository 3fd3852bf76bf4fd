"""Sensor detections: one stored row per detection a sensor sent, exactly once."""

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from .. import geo
from ..choices import DetectionMethod, UasIdType
from .access import ApiKey
from .drones import Drone
from .incidents import Incident
from .sites import Site


class Detection(models.Model):
    """A drone position reported by a sensor, and the incident it was grouped into.

    `detection_id` is chosen by the sensor, so a retry of the same request is recognised:
    `body_sha256` is the hash of the canonical JSON of what was sent, and a second request
    with the same id and a different body is refused rather than silently overwriting.
    """

    detection_id = models.UUIDField(_("detection ID"), unique=True)
    body_sha256 = models.CharField(max_length=64)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="detections")
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="detections"
    )
    sensor_id = models.CharField(_("sensor ID"), max_length=100)
    time = models.DateTimeField(_("time"))
    location = models.PointField(srid=4326)
    altitude_m = models.FloatField(_("altitude (m above ground)"), null=True, blank=True)
    detection_method = models.CharField(
        max_length=20, choices=DetectionMethod.choices, default=DetectionMethod.OTHER
    )
    uas_id = models.CharField("UAS ID", max_length=40, blank=True)
    uas_id_type = models.CharField(
        "UAS ID type", max_length=20, choices=UasIdType.choices, blank=True
    )
    operator_id = models.CharField("operator ID", max_length=40, blank=True)
    operator_location = models.PointField(srid=4326, null=True, blank=True)
    signal = models.JSONField(_("signal data"), default=dict, blank=True)
    remote_id = models.JSONField(_("decoded Remote ID"), default=dict, blank=True)
    zone = models.CharField(
        max_length=10,
        choices=[
            (geo.Zone.INSIDE, _("Inside perimeter")),
            (geo.Zone.RING, _("Alert ring")),
            (geo.Zone.OUTSIDE, _("Outside all rings")),
        ],
    )
    distance_m = models.FloatField(_("distance to perimeter (m)"))
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="detections")
    drone = models.ForeignKey(
        Drone, null=True, blank=True, on_delete=models.SET_NULL, related_name="detections"
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["time", "pk"]
        indexes = [
            models.Index(fields=["site", "time"], name="detection_site_time"),
            models.Index(fields=["uas_id"], name="detection_uas_id"),
        ]

    def __str__(self):
        return f"{self.sensor_id} at {self.time:%Y-%m-%d %H:%M:%S}"
