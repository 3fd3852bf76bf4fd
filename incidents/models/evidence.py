"""Evidence files attached to incidents, with the SHA-256 that proves them unchanged."""

import hashlib
import uuid
from datetime import datetime

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import uploads
from .incidents import Incident


def evidence_storage():
    """Evidence lives under MEDIA_ROOT but its URLs point at the authenticated file view,
    which checks who is asking; MEDIA_ROOT itself is never served."""
    return FileSystemStorage(base_url="/evidence/files/")


def evidence_path(instance, filename):
    return f"evidence/{instance.incident.site.code}/{uuid.uuid4().hex}/{filename}"


def preview_path(instance, filename):
    folder = instance.file.name.rsplit("/", 1)[0] if instance.file else "evidence/previews"
    return f"{folder}/preview-{uuid.uuid4().hex[:8]}.jpg"


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
    preview = models.FileField(
        upload_to=preview_path,
        storage=evidence_storage,
        max_length=300,
        blank=True,
        editable=False,
        help_text=_("A resized copy of a photo without its metadata."),
    )
    exif_taken_at = models.DateTimeField(
        _("taken at (EXIF)"), null=True, blank=True, editable=False
    )
    exif_location = models.PointField(
        _("position (EXIF GPS)"), srid=4326, null=True, blank=True, editable=False
    )

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
        if self.pk:
            stored = Evidence.objects.filter(pk=self.pk).values_list("file", flat=True).first()
            if stored is not None and stored != self.file.name:
                raise ValidationError(
                    {"file": "Evidence is never replaced: add the new file as new evidence."}
                )
            return
        if self.file.size == 0:
            raise ValidationError({"file": "This file is empty: choose the file again."})
        limit = settings.EVIDENCE_MAX_BYTES
        if self.file.size > limit:
            raise ValidationError(
                {
                    "file": f"This file is {self.file.size / (1024 * 1024):,.1f} MB, larger than "
                    f"the {limit / (1024 * 1024):,.0f} MB limit. Trim the video or send the "
                    "original to an administrator."
                }
            )
        found = self._inspect()
        if found.problem:
            raise ValidationError({"file": found.problem})

    def _inspect(self):
        cached = getattr(self, "_inspection", None)
        if cached is None:
            name = self.original_name or self.file.name.rsplit("/", 1)[-1]
            self.file.open("rb")
            try:
                cached = self._inspection = uploads.inspect(
                    self.file, name, settings.EVIDENCE_MAX_IMAGE_PIXELS
                )
            finally:
                if self.file._committed:  # already in storage: don't hold the handle open
                    self.file.close()
        return cached

    def save(self, *args, **kwargs):
        if self.file and not self.file._committed and not self.original_name:
            # An upload not yet written to storage still has the name the person gave it.
            self.original_name = self.file.name.rsplit("/", 1)[-1]
        if not self.sha256:
            digest = hashlib.sha256()
            self.file.open("rb")
            for chunk in self.file.chunks():
                digest.update(chunk)
            self.file.seek(0)
            self.sha256 = digest.hexdigest()
            self.size_bytes = self.file.size
            self.original_name = self.original_name or self.file.name.rsplit("/", 1)[-1]
            found = self._inspect()
            # Only a type proven by the content is ever sent as the Content-Type.
            self.media_type = (
                found.media_type
                if found.media_type and not found.problem
                else "application/octet-stream"
            )
            self._read_photo(found)
            if self.file._committed:
                self.file.close()
        super().save(*args, **kwargs)

    def _read_photo(self, found):
        if found.problem or not (found.media_type or "").startswith("image/"):
            return
        if isinstance(found.taken_at, datetime):
            taken = found.taken_at
            if timezone.is_naive(taken):  # camera local time: read it in the site's zone
                taken = timezone.make_aware(taken, self.incident.site.tzinfo)
            self.exif_taken_at = taken
        if found.lonlat:
            from django.contrib.gis.geos import Point

            self.exif_location = Point(*found.lonlat, srid=4326)
        try:
            self.file.open("rb")
            data = uploads.preview(self.file)
        except (OSError, ValueError):
            return
        finally:
            if self.file._committed:
                self.file.close()
        self.preview.save("preview.jpg", ContentFile(data), save=False)
