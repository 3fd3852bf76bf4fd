"""API keys: how integrations (sensors, dashboards) authenticate without a person's session.

A key belongs to a set of sites and has one purpose: `ingest` keys may only post detections
for their sites, `read` keys may only read their sites' incidents once submitted (never
drafts). The secret is shown once when the key is made; only its SHA-256 is stored. The
token has 256 bits of entropy, so a fast hash is safe (nothing to brute-force), and the
12-character prefix finds the row without scanning.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import Status
from .incidents import Incident
from .sites import Site

TOKEN_PREFIX = "skl"


class ApiKeyPurpose(models.TextChoices):
    INGEST = "ingest", _("Ingest: post sensor detections")
    READ = "read", _("Read: read submitted incidents")


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def split_token(token):
    """The lookup prefix of a token `skl_<prefix>_<secret>`, or None if it is not one."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != 12 or not parts[2]:
        return None
    return parts[1]


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def find(self, token):
        """The active key a token belongs to, or None. Compares hashes in constant time."""
        prefix = split_token(token or "")
        if prefix is None:
            return None
        key = self.active().filter(prefix=prefix).first()
        if key is None or not hmac.compare_digest(key.token_hash, hash_token(token)):
            return None
        return key


class ApiKey(models.Model):
    """A revocable credential for an integration, scoped to sites and a purpose."""

    name = models.CharField(
        _("name"), max_length=100, help_text=_("Who uses it, e.g. “North fence RF sensor”.")
    )
    purpose = models.CharField(_("purpose"), max_length=10, choices=ApiKeyPurpose.choices)
    sites = models.ManyToManyField(Site, related_name="api_keys", verbose_name=_("sites"))
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    token_hash = models.CharField("SHA-256 of the token", max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="api_keys_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")

    def __str__(self):
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self):
        return self.revoked_at is None

    def clean(self):
        if not self.name.strip():
            raise ValidationError({"name": _("Name the key after who will use it.")})

    def issue_token(self):
        """Give the key a fresh token and return it: the only time it is ever visible."""
        self.prefix = secrets.token_hex(6)
        token = f"{TOKEN_PREFIX}_{self.prefix}_{secrets.token_urlsafe(32)}"
        self.token_hash = hash_token(token)
        return token

    def touch(self):
        """Record use, at most once a minute so busy sensors don't write on every request."""
        now = timezone.now()
        if self.last_used_at is None or (now - self.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now

    def site_ids(self):
        if not hasattr(self, "_site_ids"):
            self._site_ids = frozenset(self.sites.values_list("pk", flat=True))
        return self._site_ids

    def visible_incidents(self):
        """What a key may read: its sites' incidents once submitted, for read keys only."""
        if self.purpose != ApiKeyPurpose.READ or not self.is_active:
            return Incident.objects.none()
        return Incident.objects.filter(site_id__in=self.site_ids()).exclude(status=Status.DRAFT)

    def visible_sites(self):
        if self.purpose != ApiKeyPurpose.READ or not self.is_active:
            return Site.objects.none()
        return Site.objects.filter(pk__in=self.site_ids())

    def visible_sites_for_ingest(self):
        """The sites an ingest key may post detections for."""
        if self.purpose != ApiKeyPurpose.INGEST or not self.is_active:
            return Site.objects.none()
        return Site.objects.filter(pk__in=self.site_ids())
