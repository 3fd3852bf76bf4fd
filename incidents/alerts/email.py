"""Email alerts to the supervisors of a site, through Django's email backend."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _

from ..choices import Role
from ..models import AlertPreference


def preference_of(user):
    """The user's alert preference, or the defaults (unsaved) if they never chose."""
    try:
        return user.alert_preference
    except AlertPreference.DoesNotExist:
        return AlertPreference(user=user)


def supervisors_of(site_ids):
    """Active supervisors of any of these sites who have an email address."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__site_id__in=site_ids,
            memberships__role=Role.SUPERVISOR,
        )
        .exclude(email="")
        .select_related("alert_preference")
        .distinct()
    )


def incident_recipients(incident):
    """Supervisors of the incident's site whose preferences ask for this incident by email."""
    return [
        user
        for user in supervisors_of([incident.site_id])
        if preference_of(user).email and preference_of(user).wants(incident)
    ]


def pattern_recipients(pattern):
    """Supervisors of any site involved in the pattern who want pattern alerts by email."""
    site_ids = pattern.incidents.values_list("site_id", flat=True).distinct()
    return [
        user
        for user in supervisors_of(list(site_ids))
        if preference_of(user).email and preference_of(user).patterns
    ]


def send_incident_email(incident, users):
    """One email per recipient (nobody sees the others' addresses). Returns how many."""
    subject = _("[SkyLedger] %(severity)s incident %(reference)s at %(site)s") % {
        "severity": incident.get_severity_display().upper(),
        "reference": incident.reference,
        "site": incident.site.code,
    }
    body = _(
        "%(reference)s at %(site)s (%(name)s)\n"
        "First seen: %(first_seen)s UTC\n"
        "Severity: %(severity)s\nZone: %(zone)s, %(distance).0f m from the perimeter\n"
        "Drones: %(drones)s\n\n%(narrative)s\n\nSee the incident: %(url)s\n"
    ) % {
        "reference": incident.reference,
        "site": incident.site.code,
        "name": incident.site.name,
        "first_seen": f"{incident.first_seen:%Y-%m-%d %H:%M}",
        "severity": incident.get_severity_display(),
        "zone": incident.get_zone_display(),
        "distance": incident.distance_m,
        "drones": incident.drone_count,
        "narrative": incident.narrative,
        "url": settings.SITE_URL + reverse("incident_detail", args=[incident.reference]),
    }
    return sum(
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]) for user in users
    )


def send_pattern_email(pattern, users):
    """One email per recipient about a pattern. Returns how many were sent."""
    subject = _("[SkyLedger] Pattern: %(kind)s") % {"kind": pattern.get_kind_display()}
    body = _("%(explanation)s\n\nSee the pattern: %(url)s\n") % {
        "explanation": pattern.explanation,
        "url": settings.SITE_URL + reverse("pattern_detail", args=[pattern.pk]),
    }
    return sum(
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]) for user in users
    )
