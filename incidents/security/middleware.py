"""Session limits and the two-factor gate, applied to every request after sign-in."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from . import needs_two_factor

SESSION_STARTED = "skyledger_signed_in_at"
SESSION_ACTIVE = "skyledger_active_at"


class SessionTimeoutMiddleware:
    """Signs a person out after SESSION_IDLE_TIMEOUT seconds without a request, and in any
    case SESSION_ABSOLUTE_TIMEOUT seconds after signing in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            if SESSION_STARTED not in request.session:  # signed in before these clocks existed
                request.session[SESSION_STARTED] = request.session[SESSION_ACTIVE] = now
            started = request.session[SESSION_STARTED]
            active = request.session.get(SESSION_ACTIVE, now)
            if now - active > settings.SESSION_IDLE_TIMEOUT:
                return self._end(request, _("You were signed out after a period of inactivity."))
            if now - started > settings.SESSION_ABSOLUTE_TIMEOUT:
                return self._end(request, _("Your session reached its time limit: sign in again."))
            if now - active >= 60:
                # A minute's precision is enough, and spares a session write per request.
                request.session[SESSION_ACTIVE] = now
        return self.get_response(request)

    def _end(self, request, message):
        logout(request)
        messages.info(request, message)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "code": "session_expired"}, status=401)
        return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")


# Pages a person may open while their second factor is still to be given.
_OPEN_PATHS = ("/accounts/two-factor/", "/accounts/logout/", "/static/", "/i18n/")


class TwoFactorRequiredMiddleware:
    """Sends supervisors, regulators and admins to set up or enter their one-time code
    before any other page; API calls on such a session get 403 instead."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_OPEN_PATHS)
            and not user.is_verified()
            and needs_two_factor(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": _("Enter your one-time code in the web app first."),
                        "code": "two_factor_required",
                    },
                    status=403,
                )
            target = reverse("two_factor_verify")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def start_session_clock(sender, request, user, **kwargs):
    """At sign-in: the session's absolute and idle clocks start now."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SESSION_STARTED] = now
        request.session[SESSION_ACTIVE] = now
