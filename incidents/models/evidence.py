"""Evidence files attached to incidents, with the SHA-256 that proves them unchanged."""

import hashlib
import mimetypes
import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.utils.translation import gettext_lazy as _

from .incidents import Incident


def evidence_storage():
    """Evidence lives under MEDIA_ROOT but its URLs point at the authenticated file view,
    which checks who is asking; MEDIA_ROOT itself is never served."""
    return FileSystemStorage(base_url="/evidence/files/")


def evidence_path(instance, filename):
    return f"evidence/{instance.incident.site.code}/{uuid.uuid4().hex}/{filename}"


class Evidence(models.Model):
    """A file attached to an incident, with the SHA-256 that proves it unchanged."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(
        _("file"), upload_to=evidence_path, storage=evidence_storage, max_length=300
    )
    original_name = models.CharField(_("file name"), max_length=255, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"), editable=False)
    media_type = models.CharField(_("media type"), max_length=100, editable=False)
    description = models.CharField(_("description"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self):
        return f"{self.original_name} ({self.sha256[:12]})"

    def full_clean(self, exclude=None, validate_unique=True, validate_constraints=True):
        exclude = {*(exclude or ()), "original_name", "sha256", "size_bytes", "media_type"}
        super().full_clean(exclude, validate_unique, validate_constraints)

    def clean(self):
        if not self.file:
            return
        if self.file.size == 0:
            raise ValidationError({"file": "This file is empty: choose the file again."})
        limit = settings.EVIDENCE_MAX_BYTES
        if self.file.size > limit:
            raise ValidationError(
                {"file": f"This file is larger than the {limit // (1024 * 1024)} MB limit."}
            )

    def save(self, *args, **kwargs):
        if self.file and not self.file._committed and not self.original_name:
            # An upload not yet written to storage still has the name the person gave it.
            self.original_name = self.file.name.rsplit("/", 1)[-1]
        if not self.sha256:
            digest = hashlib.sha256()
            self.file.seek(0)
            for chunk in self.file.chunks():
                digest.update(chunk)
            self.file.seek(0)
            self.sha256 = digest.hexdigest()
            self.size_bytes = self.file.size
            self.original_name = self.original_name or self.file.name.rsplit("/", 1)[-1]
            self.media_type = (
                mimetypes.guess_type(self.original_name)[0] or "application/octet-stream"
            )
        super().save(*args, **kwargs)
