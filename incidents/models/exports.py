"""The export log: every file SkyLedger hands out, who asked for it, with what filter, and
the SHA-256 of what was delivered. A row is also the job that a background worker fills in."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ExportChannel(models.TextChoices):
    WEB = "web", _("Web page")
    API = "api", _("API")
    COMMAND = "command", _("Command line")


class ExportJob(models.Model):
    """One export: requested, then written (at once or by the worker), then offered."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="export_jobs",
        help_text=_("Empty for exports made on the server's command line."),
    )
    requested_by_name = models.CharField(
        max_length=150, help_text=_("Kept even if the user is later deleted.")
    )
    channel = models.CharField(max_length=10, choices=ExportChannel.choices)
    format = models.CharField(max_length=30)
    filter_query = models.TextField(
        blank=True, help_text=_("The incident filter as URL parameters, e.g. site=CGK.")
    )
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0, help_text=_("Incidents matched when asked."))
    progress = models.PositiveIntegerField(default=0, help_text=_("Incidents written so far."))
    record_count = models.PositiveIntegerField(null=True, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    media_type = models.CharField(max_length=100, blank=True)
    stored_file = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("Path under MEDIA_ROOT; empty when written elsewhere."),
    )
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    manifest = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="export_by_user")]

    def __str__(self):
        return f"{self.format} export #{self.pk} by {self.requested_by_name}"

    @property
    def finished(self):
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)

    @property
    def manifest_filename(self):
        return f"{self.filename}.manifest.json" if self.filename else ""
