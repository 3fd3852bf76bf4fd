"""API authentication and permissions.

People use their browser session (with CSRF). Integrations send
`Authorization: Api-Key <token>`. A key authenticates as no person: `request.user` stays
anonymous (so anything scoped by `visible_to` shows a key nothing) and `request.auth` is the
ApiKey, whose own scope (`ApiKey.visible_incidents`) decides what it may read.
"""

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from ..models import ApiKey, ApiKeyPurpose, Incident, Site

KEYWORD = "Api-Key"


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key skl_<prefix>_<secret>`."""

    def authenticate(self, request):
        header = get_authorization_header(request).decode("latin-1")
        keyword, _space, token = header.partition(" ")
        if keyword.lower() != KEYWORD.lower():
            return None
        key = ApiKey.objects.find(token.strip())
        if key is None:
            raise exceptions.AuthenticationFailed(
                _("This API key is not valid or has been revoked. Ask your administrator.")
            )
        key.touch()
        return AnonymousUser(), key

    def authenticate_header(self, request):
        return KEYWORD


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <token>`; make keys in the admin, at /api/v1/keys/ or "
            "with `manage.py create_api_key`.",
        }


def api_key(request):
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiKey) else None


def incidents_for(request):
    """Incidents the caller may read: by the person's `visible_to`, or the key's scope."""
    key = api_key(request)
    if key is not None:
        return key.visible_incidents()
    return Incident.objects.visible_to(request.user)


def sites_for(request):
    key = api_key(request)
    if key is not None:
        return key.visible_sites()
    return Site.objects.visible_to(request.user)


class SignedInOrReadKey(permissions.BasePermission):
    """A signed-in person, or a read key for reading. Ingest keys only post detections."""

    message = _("Sign in, or send a read API key, to use this endpoint.")

    def has_permission(self, request, view):
        key = api_key(request)
        if key is not None:
            if key.purpose != ApiKeyPurpose.READ:
                self.message = _("This is an ingest key: it can only post detections.")
                return False
            if request.method not in permissions.SAFE_METHODS:
                self.message = _("A read key can only read. Changes need a person's session.")
                return False
            return True
        return bool(request.user and request.user.is_authenticated and request.user.is_active)


class SignedIn(permissions.BasePermission):
    """A signed-in person only (managing keys is never done with a key)."""

    message = _("Sign in as a person to use this endpoint; API keys cannot.")

    def has_permission(self, request, view):
        return api_key(request) is None and request.user.is_authenticated


class IngestKey(permissions.BasePermission):
    message = _("Posting detections needs an ingest API key: Authorization: Api-Key <token>.")

    def has_permission(self, request, view):
        key = api_key(request)
        return key is not None and key.purpose == ApiKeyPurpose.INGEST
