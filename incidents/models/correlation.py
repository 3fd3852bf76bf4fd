"""Correlation: incidents that are one event, merges of duplicate reports, and patterns
of coordinated activity across sites."""

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import Corroboration, PatternKind, PatternStatus
from .incidents import Incident
from .sites import Site


class Event(models.Model):
    """Incidents at one site that overlap in time and place: one real-world occurrence.

    Three guards and two sensors reporting one pass make five incidents and one event.
    """

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="events")
    incidents = models.ManyToManyField(Incident, through="EventMembership", related_name="+")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    corroboration = models.CharField(
        _("corroboration"),
        max_length=20,
        choices=Corroboration.choices,
        default=Corroboration.ONE_REPORT,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-first_seen"]
        indexes = [models.Index(fields=["site", "-first_seen"], name="event_site_seen")]

    def __str__(self):
        return f"{self.site.code} event {self.first_seen:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.first_seen and self.last_seen and self.last_seen < self.first_seen:
            raise ValidationError({"last_seen": _("Last seen is before first seen.")})


class EventMembership(models.Model):
    """An incident's place in one event (an incident belongs to at most one event)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="memberships")
    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, related_name="event_membership"
    )
    linked_at = models.DateTimeField(auto_now_add=True)


class IncidentMerge(models.Model):
    """A supervisor's decision that `incident` duplicates `merged_into` (the survivor).

    The merged incident keeps its reference and its data; this record points it at the
    survivor. Splitting fills in split_at rather than deleting, so the history stays.
    """

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="merges")
    merged_into = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="merged_from")
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField()
    reason = models.TextField(blank=True)
    split_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    split_at = models.DateTimeField(null=True, blank=True)
    split_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["merged_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(split_at__isnull=True),
                name="one_active_merge_per_incident",
                violation_error_message="This incident is already merged into another.",
            ),
            models.CheckConstraint(
                condition=~Q(incident=models.F("merged_into")), name="merge_not_into_itself"
            ),
        ]

    def __str__(self):
        return f"{self.incident} → {self.merged_into}"

    @property
    def active(self):
        return self.split_at is None


class Pattern(models.Model):
    """A finding of coordinated activity across sites, with the reason it was raised."""

    kind = models.CharField(_("kind"), max_length=20, choices=PatternKind.choices)
    # What makes re-runs find this record again instead of creating a twin, e.g.
    # "uas:1581F5FKD229400AB" or "swarms:2026-11-20".
    key = models.CharField(max_length=120, unique=True)
    explanation = models.TextField(_("why it was raised"))
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    site_count = models.PositiveIntegerField(default=0)
    incidents = models.ManyToManyField(Incident, related_name="patterns")
    status = models.CharField(
        _("status"), max_length=10, choices=PatternStatus.choices, default=PatternStatus.OPEN
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_seen", "-pk"]
        indexes = [models.Index(fields=["kind", "-last_seen"], name="pattern_kind_seen")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.first_seen:%Y-%m-%d})"

    @classmethod
    def visible_to(cls, user):
        """Patterns with at least one incident the user may see."""
        return cls.objects.filter(incidents__in=Incident.objects.visible_to(user)).distinct()
