"""The verbs of API keys: who may make and revoke them."""

from django.db import transaction
from django.utils import timezone

from ..choices import Role
from ..models import ApiKey, ApiKeyPurpose, Site
from .errors import ServiceError
from .incidents import role_at


def _may_manage(user, sites):
    if user is None:  # a management command: the operator of the server
        return True
    return all(role_at(user, site) == Role.SUPERVISOR for site in sites)


def create_api_key(*, created_by, name, purpose, sites):
    """Make a key for `sites` and return (key, token). The token is never stored or shown
    again. Admins may make keys for any site, supervisors for the sites they supervise;
    created_by=None is the server operator (management command)."""
    sites = list(sites)
    if not sites:
        raise ServiceError("sites_required", "Choose at least one site for the key.")
    if not _may_manage(created_by, sites):
        raise ServiceError(
            "not_allowed", "Only an admin, or a supervisor of every chosen site, can make this key."
        )
    key = ApiKey(name=name.strip(), purpose=ApiKeyPurpose(purpose), created_by=created_by)
    token = key.issue_token()
    key.full_clean()
    with transaction.atomic():
        key.save()
        key.sites.set(sites)
    return key, token


def manageable_keys(user):
    """Keys a user may list and revoke: all for an admin; for a supervisor, keys whose every
    site is one they supervise (a key that also serves another site is not theirs alone)."""
    if user.is_superuser:
        return ApiKey.objects.all()
    supervised = user.memberships.filter(role=Role.SUPERVISOR).values("site_id")
    return (
        ApiKey.objects.filter(sites__in=supervised)
        .exclude(sites__in=Site.objects.exclude(pk__in=supervised))
        .distinct()
    )


def revoke_api_key(key, user):
    """Revoke a key at once; requests made with it are refused from now on."""
    if user is not None and not _may_manage(user, key.sites.all()):
        raise ServiceError("not_allowed", "Only an admin or the sites' supervisor can revoke it.")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key
