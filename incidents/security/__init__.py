"""Sign-in hardening: two-factor for the roles that need it, session time limits."""

from django.conf import settings

from ..models import RegulatorGrant, SiteMembership


def needs_two_factor(user):
    """Supervisors, regulators and administrators must prove a second factor."""
    if not settings.TWO_FACTOR_REQUIRED or not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return (
        SiteMembership.objects.filter(user=user, role="supervisor").exists()
        or RegulatorGrant.objects.filter(user=user).exists()
    )
