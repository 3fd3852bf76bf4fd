"""Incidents: what was seen, where and when, its derived zone and severity, its history."""

from datetime import timedelta

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import geo
from ..choices import (
    SEVERITY_ORDER,
    SWARM_SIZE,
    TRANSITIONS,
    ActionKind,
    AltitudeMethod,
    Behaviour,
    Category,
    DetectionMethod,
    Severity,
    Source,
    Status,
    TimelineKind,
)
from ..fields import ChoiceListField
from .sites import (
    MAX_DISTANCE_FROM_SITE_M,
    Site,
    _granted_site_ids,
    _member_site_ids,
    _sees_everything,
    _sees_nothing,
)

# A sighting may be logged a little ahead of the server clock (phones drift), never more.
FUTURE_TOLERANCE = timedelta(minutes=5)


def clean_points(instance, names, errors):
    """Bring the named point fields to WGS84 and note each one that is off the globe."""
    for name in names:
        point = getattr(instance, name)
        if point is not None and point.srid and point.srid != 4326:
            point = point.transform(4326, clone=True)
            setattr(instance, name, point)
        if point is not None:
            problem = geo.point_problem(point.x, point.y)
            if problem:
                errors[name] = problem


# --- Incidents ------------------------------------------------------------------------


def default_detection_methods():
    return [DetectionMethod.VISUAL.value]


def compute_severity(zone, ring_index, drone_count, payload_seen, behaviours):
    """The severity rule, documented in the README.

    Start from where the drone was: inside the perimeter is high, the innermost alert ring
    medium, anywhere further out low. Then raise one level for a swarm (3 or more drones)
    and one level for a payload (seen, or a payload drop), up to critical.
    """
    if zone == geo.Zone.INSIDE:
        level = 2
    elif zone == geo.Zone.RING and ring_index == 0:
        level = 1
    else:
        level = 0
    if drone_count and drone_count >= SWARM_SIZE:
        level += 1
    if payload_seen or Behaviour.PAYLOAD_DROP in (behaviours or []):
        level += 1
    return SEVERITY_ORDER[min(level, len(SEVERITY_ORDER) - 1)]


def severity_rank():
    """0 (low) .. 3 (critical), so severity sorts by meaning, not by name. The incident table
    has an index on this very expression (incident_severity_rank), which PostgreSQL uses for
    the list's severity sort."""
    return Case(
        *[When(severity=level, then=Value(rank)) for rank, level in enumerate(SEVERITY_ORDER)],
        output_field=IntegerField(),
    )


class IncidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Incidents the user may see; every page, API endpoint and export scopes through this.

        Site members (staff and supervisors) see all their sites' incidents, drafts included.
        Regulators see the incidents of the sites granted to them once submitted, never drafts.
        Admins see everything; anonymous and inactive users see nothing.
        """
        if _sees_nothing(user):
            return self.none()
        if _sees_everything(user):
            return self.all()
        return self.filter(
            Q(site_id__in=_member_site_ids(user))
            | (Q(site_id__in=_granted_site_ids(user)) & ~Q(status=Status.DRAFT))
        )


class ReferenceCounter(models.Model):
    """The last incident number issued per site and year."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "year"], name="one_counter_per_site_year")
        ]


def next_reference(site, year):
    """Issue the next reference for a site and year, e.g. CGK-2026-00042.

    Must run inside the transaction that saves the incident: the counter row stays locked
    until that commits, so concurrent reports queue for it and numbers never repeat, and a
    failed save rolls the number back, leaving no gap.
    """
    counters = ReferenceCounter.objects.filter(site=site, year=year)
    if not counters.update(last_number=F("last_number") + 1):
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(site=site, year=year, last_number=1)
        except IntegrityError:  # another transaction created it first: take the next number
            if not counters.update(last_number=F("last_number") + 1):
                raise
    number = counters.values_list("last_number", flat=True).get()
    return f"{site.code}-{year}-{number:05d}"


class Incident(models.Model):
    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("site")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    # NULL rather than "" when absent, so the uniqueness rule below needs no condition:
    # NULLs never collide, on SQLite and PostgreSQL alike.
    external_id = models.CharField(
        _("external ID"),
        max_length=100,
        null=True,
        blank=True,
        help_text=_("Identifier in the system this came from (sensor track, import row)."),
    )

    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_incidents",
        verbose_name=_("reported by"),
    )
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.STAFF
    )

    location = models.PointField(
        _("drone location"), srid=4326, help_text=_("Best estimate of the drone's position.")
    )
    observer_location = models.PointField(_("observer location"), srid=4326, null=True, blank=True)
    altitude_m = models.FloatField(
        _("altitude (m above ground)"),
        null=True,
        blank=True,
        validators=[
            MinValueValidator(-500, "Altitude must be at least -500 m (below ground level)."),
            MaxValueValidator(20000, "Altitude must be at most 20,000 m above ground."),
        ],
    )
    altitude_method = models.CharField(
        _("altitude estimated by"), max_length=20, choices=AltitudeMethod.choices, blank=True
    )

    drone_count = models.PositiveIntegerField(
        _("number of drones"),
        default=1,
        validators=[MinValueValidator(1, "Drone count must be at least 1.")],
        help_text=_("Swarms are real: count every drone seen together."),
    )
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.UNKNOWN
    )
    make_model = models.CharField(_("make and model"), max_length=100, blank=True)
    colour = models.CharField(_("colour"), max_length=50, blank=True)
    lights = models.CharField(
        _("lights"), max_length=100, blank=True, help_text=_("e.g. flashing red and green")
    )
    heading_deg = models.PositiveSmallIntegerField(
        _("heading (degrees)"),
        null=True,
        blank=True,
        validators=[
            MaxValueValidator(
                359, "Heading must be between 0 and 359 degrees (0 is north, 90 is east)."
            )
        ],
    )
    speed_kmh = models.PositiveIntegerField(
        _("estimated speed (km/h)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(500, "Estimated speed must be at most 500 km/h.")],
    )
    behaviours = ChoiceListField(_("behaviour"), item_choices=Behaviour.choices, blank=True)
    payload_seen = models.BooleanField(_("payload seen"), default=False)
    payload_description = models.TextField(_("payload description"), blank=True)
    detection_methods = ChoiceListField(
        _("detected by"), item_choices=DetectionMethod.choices, default=default_detection_methods
    )

    operator_seen = models.BooleanField(_("operator seen"), default=False)
    operator_description = models.TextField(_("operator description"), blank=True)
    authority_reference = models.CharField(
        _("authority reference"),
        max_length=100,
        blank=True,
        help_text=_("Reference given by police or the aviation authority."),
    )
    narrative = models.TextField(_("what happened"), blank=True)

    # Derived on every save from the location and the site.
    zone = models.CharField(
        _("zone"),
        max_length=10,
        choices=[
            (geo.Zone.INSIDE, _("Inside perimeter")),
            (geo.Zone.RING, _("Alert ring")),
            (geo.Zone.OUTSIDE, _("Outside all rings")),
        ],
        editable=False,
    )
    zone_ring_m = models.PositiveIntegerField(_("alert ring (m)"), null=True, editable=False)
    distance_m = models.FloatField(_("distance to perimeter (m)"), editable=False)
    computed_severity = models.CharField(
        _("computed severity"), max_length=10, choices=Severity.choices, editable=False
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, editable=False
    )
    severity_override = models.CharField(
        _("severity override"), max_length=10, choices=Severity.choices, blank=True
    )
    severity_override_reason = models.TextField(_("reason for the override"), blank=True)
    # The token of the form that created the incident: a repeated POST of the same form
    # (double tap, retry after a timeout) finds this incident instead of storing another.
    submission_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-first_seen"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index(fields=["site", "-first_seen"], name="incident_site_seen"),
            models.Index(fields=["status"], name="incident_status"),
            models.Index(fields=["severity"], name="incident_severity"),
            # The rest back the list, map and export filters and the all-sites ordering.
            models.Index(fields=["-first_seen"], name="incident_seen"),
            models.Index(fields=["site", "status"], name="incident_site_status"),
            models.Index(fields=["zone"], name="incident_zone"),
            models.Index(fields=["source"], name="incident_source"),
            # The list's other sort orders (0012); text search and detection methods have
            # trigram indexes on PostGIS only (see that migration).
            models.Index(fields=["distance_m"], name="incident_distance"),
            models.Index(fields=["drone_count"], name="incident_drone_count"),
            models.Index(severity_rank(), name="incident_severity_rank"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(drone_count__gte=1), name="drone_count_positive"),
            models.CheckConstraint(
                condition=Q(heading_deg__isnull=True) | Q(heading_deg__lte=359),
                name="heading_in_range",
            ),
            models.UniqueConstraint(
                fields=["site", "source", "external_id"],
                name="unique_external_id_per_site_source",
                violation_error_message="This site already has an incident from this source "
                "with the same external id.",
            ),
        ]

    def __str__(self):
        return self.reference or "New incident"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_status = instance.__dict__.get("status")
        return instance

    @property
    def stored_status(self):
        """The status as last read from the database (None for a new incident)."""
        return getattr(self, "_stored_status", None)

    DERIVED_FIELDS = (
        "reference",
        "zone",
        "zone_ring_m",
        "distance_m",
        "computed_severity",
        "severity",
    )

    def full_clean(self, exclude=None, validate_unique=True, validate_constraints=True):
        # Derived fields are filled in by save(); there is nothing for a person to fix in them.
        exclude = {*(exclude or ()), *self.DERIVED_FIELDS}
        super().full_clean(exclude, validate_unique, validate_constraints)

    def get_constraints(self):
        # Each check constraint backs a field validator that has already given a clearer
        # message; evaluating it again in full_clean() would cost a query on every save.
        return [
            (model, [c for c in constraints if not isinstance(c, models.CheckConstraint)])
            for model, constraints in super().get_constraints()
        ]

    def allowed_next_statuses(self):
        return sorted(TRANSITIONS[Status(self.status)], key=list(Status).index)

    def clean(self):
        errors = {}
        clean_points(self, ("location", "observer_location"), errors)
        now = timezone.now()
        if self.first_seen and self.first_seen > now + FUTURE_TOLERANCE:
            errors["first_seen"] = (
                "First seen is more than 5 minutes in the future. Check the date, the time "
                "and the time zone."
            )
        if self.last_seen and self.last_seen > now + FUTURE_TOLERANCE:
            errors["last_seen"] = (
                "Last seen is more than 5 minutes in the future. Leave it empty while the "
                "drone is still in sight."
            )
        elif self.first_seen and self.last_seen and self.last_seen < self.first_seen:
            errors["last_seen"] = "Last seen is before first seen: check both times."
        if self.severity_override and not self.severity_override_reason.strip():
            errors["severity_override_reason"] = "Give a reason for overriding the severity."
        if self.payload_description.strip() and not self.payload_seen:
            errors["payload_seen"] = "A payload is described: tick “payload seen” or clear it."
        if self.operator_description.strip() and not self.operator_seen:
            errors["operator_seen"] = (
                "An operator is described: tick “operator seen” or clear the description."
            )
        self._clean_status(errors)
        if "location" not in errors and self.location is not None and self.site_id:
            distance = self.where().distance_m
            if distance > MAX_DISTANCE_FROM_SITE_M:
                errors["location"] = (
                    f"This location is {distance / 1000:,.0f} km from {self.site.code}'s "
                    f"perimeter (more than {MAX_DISTANCE_FROM_SITE_M // 1000} km). Check the "
                    "coordinates, or choose the right site."
                )
        if errors:
            raise ValidationError(errors)

    def _clean_status(self, errors):
        before = self.stored_status
        if before is None or before == self.status:
            return
        if Status(self.status) not in TRANSITIONS[Status(before)]:
            allowed = ", ".join(str(s.label) for s in TRANSITIONS[Status(before)])
            errors["status"] = (
                f"An incident cannot go from {Status(before).label} to "
                f"{Status(self.status).label}. From {Status(before).label} it can go to: "
                f"{allowed}."
            )

    def where(self):
        """Zone and distance of the location at the site, computed once per change of either."""
        key = (bytes(self.location.ewkb), self.site.perimeter.ewkb, tuple(self.site.zone_radii_m))
        cached = getattr(self, "_where", None)
        if cached is None or cached[0] != key:
            cached = self._where = (key, self.site.locate(self.location))
        return cached[1]

    def refresh_derived(self):
        """Recompute zone, distance and severity from the location and the site."""
        where = self.where()
        self.zone = where.zone
        self.zone_ring_m = where.ring_m
        self.distance_m = round(where.distance_m, 1)
        self.computed_severity = compute_severity(
            where.zone, where.ring_index, self.drone_count, self.payload_seen, self.behaviours
        )
        self.severity = self.severity_override or self.computed_severity

    def save(self, *args, **kwargs):
        self.refresh_derived()
        with transaction.atomic():
            if not self.reference:
                year = self.first_seen.astimezone(self.site.tzinfo).year
                self.reference = next_reference(self.site, year)
            super().save(*args, **kwargs)
        self._stored_status = self.status


class IncidentAction(models.Model):
    """A non-kinetic response taken during an incident, with its time."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("action"), max_length=30, choices=ActionKind.choices)
    taken_at = models.DateTimeField(_("time taken"), default=timezone.now)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["taken_at"]
        verbose_name = _("action taken")
        verbose_name_plural = _("actions taken")

    def __str__(self):
        return f"{self.get_kind_display()} at {self.taken_at:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.taken_at and self.taken_at > timezone.now() + FUTURE_TOLERANCE:
            raise ValidationError(
                {"taken_at": "This action's time is more than 5 minutes in the future."}
            )
        if self.kind == ActionKind.OTHER and not self.note.strip():
            raise ValidationError({"note": "Describe the action taken."})


class TimelineEntry(models.Model):
    """One line of an incident's history: who did what, and when."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=10, choices=TimelineKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    text = models.TextField(blank=True)
    # For edits: which field changed, from what, to what (as shown to people).
    field = models.CharField(max_length=50, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "timeline entries"

    def __str__(self):
        return f"{self.get_kind_display()} by {self.author or 'system'} at {self.at:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.kind == TimelineKind.COMMENT and not self.text.strip():
            raise ValidationError({"text": "Write the comment before saving it."})
