"""Sign-ins and failed sign-ins go into the audit log; triggers follow every migrate."""

from . import record_event


def _client(request):
    if request is None:
        return {}
    return {
        "ip": request.META.get("REMOTE_ADDR", ""),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
    }


def logged_in(sender, request, user, **kwargs):
    record_event("login", user=user, details={"username": user.get_username(), **_client(request)})


def login_failed(sender, credentials, request=None, **kwargs):
    # Only the name tried, never the password.
    username = credentials.get("username", "")
    record_event("login_failed", details={"username": username, **_client(request)})


def logged_out(sender, request, user, **kwargs):
    if user is not None:
        record_event("logout", user=user, details={"username": user.get_username()})


def install_triggers(sender, using="default", **kwargs):
    from django.db import connections

    from .triggers import install

    install(connections[using])


def uninstall_triggers(sender, using="default", **kwargs):
    from django.db import connections

    from .triggers import uninstall

    uninstall(connections[using])
