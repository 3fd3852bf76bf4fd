"""Sites, the people who work at them, and the regulators granted access to them."""

import functools
import itertools
import zoneinfo

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from shapely import wkb

from .. import geo
from ..choices import (
    Role,
    SiteKind,
)

# A location this far from its site is almost certainly a typo or the wrong site.
MAX_DISTANCE_FROM_SITE_M = 100_000
DEFAULT_ZONE_RADII_M = (500, 1000, 5000)
MAX_ZONE_RINGS = 6
MAX_ZONE_RADIUS_M = 100_000


def shape_of(geometry):
    """A GEOS geometry as a shapely one, for the pure helpers in geo.py."""
    return wkb.loads(bytes(geometry.wkb))


def geos_of(shape, srid=4326):
    return GEOSGeometry(memoryview(shape.wkb), srid=srid)


@functools.cache
def known_timezones():
    return frozenset(zoneinfo.available_timezones())  # reads the tz database from disk


def default_zone_radii():
    return list(DEFAULT_ZONE_RADII_M)


# --- Sites and who may see them -------------------------------------------------------


def _member_site_ids(user):
    return SiteMembership.objects.filter(user=user).values("site_id")


def _granted_site_ids(user):
    return RegulatorGrant.sites.through.objects.filter(regulatorgrant__user=user).values("site_id")


def _sees_everything(user):
    return user.is_active and user.is_superuser


def _sees_nothing(user):
    return user is None or not user.is_authenticated or not user.is_active


class SiteQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Sites the user may see: members see theirs, regulators their grants, admins all."""
        if _sees_nothing(user):
            return self.none()
        if _sees_everything(user):
            return self.all()
        return self.filter(Q(pk__in=_member_site_ids(user)) | Q(pk__in=_granted_site_ids(user)))


class Site(models.Model):
    code = models.CharField(
        max_length=8,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Z0-9]{2,8}$",
                "Use 2 to 8 capital letters or digits, for example CGK.",
                code="invalid_code",
            )
        ],
        help_text="Short code used in incident references, e.g. CGK.",
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=SiteKind.choices, default=SiteKind.OTHER)
    perimeter = models.MultiPolygonField(srid=4326)
    zone_radii_m = models.JSONField(
        "alert ring distances (m)",
        default=default_zone_radii,
        blank=True,  # an empty list gets zone_radii_problem's message, not a generic one
        help_text="Distances in metres outward from the perimeter, smallest first, "
        "e.g. [500, 1000, 5000].",
    )
    timezone = models.CharField(
        max_length=64, default="UTC", help_text="IANA time zone name, e.g. Asia/Jakarta."
    )
    address = models.TextField(blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_phone = models.CharField(max_length=50, blank=True)
    contact_email = models.EmailField(blank=True)
    active = models.BooleanField(default=True)
    personal_data_retention_days = models.PositiveIntegerField(
        _("personal data retention (days)"),
        null=True,
        blank=True,
        help_text=_(
            "Days after an incident's first sighting that its operator data (operator ID, "
            "operator and take-off points, operator description) is kept; "
            "`manage.py apply_retention` clears it after that. Empty: keep it."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SiteQuerySet.as_manager()

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.code}: {self.name}"

    @property
    def tzinfo(self):
        return zoneinfo.ZoneInfo(self.timezone)

    def perimeter_shape(self):
        return shape_of(self.perimeter)

    def alert_rings(self):
        """The alert rings as shapes (`geo.AlertRing`s, innermost first), computed once per
        perimeter and ring distances and kept for the life of the process."""
        return _alert_rings(bytes(self.perimeter.wkb), tuple(self.zone_radii_m))

    def locate(self, point):
        """Zone and distance of a GEOS point relative to this site."""
        return geo.locate(point.x, point.y, self.perimeter_shape(), self.zone_radii_m)

    def clean(self):
        errors = {}
        if self.perimeter is not None:
            if self.perimeter.srid and self.perimeter.srid != 4326:
                self.perimeter = self.perimeter.transform(4326, clone=True)
            shape = shape_of(self.perimeter)
            problem = geo.perimeter_problem(shape)
            if problem:
                errors["perimeter"] = problem
            else:
                self.perimeter = geos_of(geo.normalise_perimeter(shape))
        radii_problem = zone_radii_problem(self.zone_radii_m)
        if radii_problem:
            errors["zone_radii_m"] = radii_problem
        if self.timezone not in known_timezones():
            errors["timezone"] = (
                f"“{self.timezone}” is not a known IANA time zone. Use a name such as "
                "Asia/Jakarta, Europe/London or Pacific/Fiji."
            )
        if errors:
            raise ValidationError(errors)


@functools.lru_cache(maxsize=512)
def _alert_rings(perimeter_wkb, radii):
    return tuple(geo.alert_rings(wkb.loads(perimeter_wkb), radii))


def zone_radii_problem(radii):
    """A sentence saying what is wrong with a list of alert-ring distances, or None."""
    example = "for example [500, 1000, 5000]"
    if not isinstance(radii, list | tuple) or not radii:
        return f"Give the alert ring distances in metres as a list, {example}."
    if len(radii) > MAX_ZONE_RINGS:
        return f"Give at most {MAX_ZONE_RINGS} alert rings."
    if not all(isinstance(r, int | float) and not isinstance(r, bool) for r in radii):
        return f"Alert ring distances must be numbers of metres, {example}."
    if any(r <= 0 or r > MAX_ZONE_RADIUS_M for r in radii):
        return f"Each alert ring distance must be between 1 and {MAX_ZONE_RADIUS_M} metres."
    if any(b <= a for a, b in itertools.pairwise(radii)):
        return f"Alert ring distances must increase outward, {example}."
    return None


class SiteMembership(models.Model):
    """A user working at a site, as staff or as a supervisor."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "site"], name="one_membership_per_site")
        ]

    def __str__(self):
        return f"{self.user}, {self.get_role_display().lower()} at {self.site.code}"


class RegulatorGrant(models.Model):
    """A regulator's read access to the submitted incidents of a set of sites."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="regulator_grants"
    )
    authority = models.CharField(
        max_length=200, help_text="e.g. Directorate General of Civil Aviation"
    )
    sites = models.ManyToManyField(Site, related_name="regulator_grants")
    sees_personal_data = models.BooleanField(
        _("sees operator personal data"),
        default=False,
        help_text=_(
            "Operator IDs, operator and take-off points and operator descriptions of these "
            "sites' incidents. Grant it to authorities that pursue operators (police), "
            "not to those that only need statistics."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.user} ({self.authority})"
