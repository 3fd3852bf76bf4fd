"""Alerts: who wants to hear about what, the webhook endpoints of each site, and the log of
what was sent."""

import secrets

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from .. import geo
from ..choices import SEVERITY_ORDER, DeliveryStatus, Severity
from ..fields import ChoiceListField
from .correlation import Pattern
from .incidents import Incident
from .sites import Site

ZONE_CHOICES = [
    (geo.Zone.INSIDE, _("Inside perimeter")),
    (geo.Zone.RING, _("Alert ring")),
    (geo.Zone.OUTSIDE, _("Outside all rings")),
]


def new_webhook_secret():
    return secrets.token_urlsafe(32)


class AlertRule(models.Model):
    """What deserves an alert: a severity and above, or any of some zones, and patterns."""

    min_severity = models.CharField(
        _("severity at least"),
        max_length=10,
        choices=Severity.choices,
        blank=True,
        default=Severity.CRITICAL,
        help_text=_("Alert for incidents of this severity or higher. Empty: by zone only."),
    )
    zones = ChoiceListField(
        _("or in these zones"),
        item_choices=ZONE_CHOICES,
        blank=True,
        help_text=_("Also alert for any incident in these zones, whatever its severity."),
    )
    patterns = models.BooleanField(
        _("coordinated-activity patterns"),
        default=True,
        help_text=_("Alert when a pattern involving the site is raised."),
    )

    class Meta:
        abstract = True

    def wants(self, incident):
        """Whether an incident matches this rule."""
        if self.min_severity and SEVERITY_ORDER.index(
            Severity(incident.severity)
        ) >= SEVERITY_ORDER.index(Severity(self.min_severity)):
            return True
        return incident.zone in (self.zones or [])


class AlertPreference(AlertRule):
    """A supervisor's own choice of alerts (supervisors without one get the defaults)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_preference"
    )
    email = models.BooleanField(_("send me email alerts"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Alert preferences of {self.user}"


class WebhookEndpoint(AlertRule):
    """An address an administrator set up to receive a site's alerts as signed JSON."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="webhook_endpoints")
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(
        _("signing secret"),
        max_length=100,
        default=new_webhook_secret,
        help_text=_("Shared with the receiver, which checks X-SkyLedger-Signature with it."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site", "name"]

    def __str__(self):
        return f"{self.name} ({self.site.code})"

    def clean(self):
        if self.url:
            try:
                URLValidator(schemes=["http", "https"])(self.url)
            except ValidationError:
                raise ValidationError(
                    {
                        "url": _(
                            "Give an http:// or https:// address, e.g. https://soc.example.org/hook."
                        )
                    }
                ) from None
        if self.secret and len(self.secret) < 16:
            raise ValidationError({"secret": _("Use a secret of at least 16 characters.")})


class Alert(models.Model):
    """One alert about an incident or a pattern: the record that keeps alerts from storming."""

    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    pattern = models.ForeignKey(
        Pattern, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    created_at = models.DateTimeField()
    emails_sent = models.PositiveIntegerField(default=0)
    webhooks_queued = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["incident", "-created_at"], name="alert_incident_at")]

    def __str__(self):
        return f"Alert about {self.incident or self.pattern} at {self.created_at:%Y-%m-%d %H:%M}"


class WebhookDelivery(models.Model):
    """One alert on its way to one endpoint: every attempt, the last status code and error."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    alert = models.ForeignKey(
        Alert, null=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self):
        return f"{self.endpoint} #{self.pk}: {self.get_status_display()}"
