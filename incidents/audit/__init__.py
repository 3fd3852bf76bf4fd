"""The tamper-evident audit log: who changed what, and proof that nothing was altered since.

Row changes are logged by database triggers (see `triggers`); this module names the person
acting, so each trigger entry carries them, and logs the events that are not row changes
(sign-ins, failed sign-ins, exports). `verify` walks the chain and the current records.
"""

import contextlib
import contextvars
import hashlib
import json

from django.db import connection as default_connection

_actor = contextvars.ContextVar("skyledger_audit_actor", default=None)


def _actor_text(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return str(user.pk)


def _tell_postgres(connection, value):
    """Put the actor in the PostgreSQL session the triggers read, only when it changes: an
    anonymous request on a fresh session costs no query."""
    raw = connection.connection
    if raw is None and not value:
        return  # a new session starts with no actor
    if raw is not None and getattr(connection, "_skyledger_actor", None) == (id(raw), value):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('skyledger.actor', %s, false)", [value])
    connection._skyledger_actor = (id(connection.connection), value)


def set_actor(user, connection=default_connection):
    """Name the person whose changes follow (None: the system). Returns a reset token."""
    value = _actor_text(user)
    token = _actor.set(value)
    if connection.vendor == "postgresql":
        _tell_postgres(connection, value or "")
    return token


def reset_actor(token, connection=default_connection):
    _actor.reset(token)
    if connection.vendor == "postgresql" and connection.connection is not None:
        _tell_postgres(connection, _actor.get() or "")


@contextlib.contextmanager
def acting_as(user):
    """Attribute the changes made inside the block to `user` (commands, tasks, tests)."""
    token = set_actor(user)
    try:
        yield
    finally:
        reset_actor(token)


def current_actor():
    return _actor.get()


def record_event(action, user=None, details=None):
    """Append an event that is not a row change (login, login_failed, export, ...)."""
    from ..models import AuditEntry

    return AuditEntry.objects.create(
        at="",
        action=action,
        new_values=json.dumps(details or {}, sort_keys=True, default=str),
        actor=_actor_text(user) if user is not None else _actor.get(),
    )


def chain_head():
    """The newest entry's number and hash: keep it elsewhere to prove the log unchanged."""
    from ..models import AuditEntry

    head = AuditEntry.objects.filter(seq__isnull=False).order_by("-seq").first()
    if head is None:
        return {"seq": 0, "hash": ""}
    return {"seq": head.seq, "hash": head.hash}


def register_sqlite_functions(sender, connection, **kwargs):
    """SQLite has no SHA-256 and no session variables: give the triggers both."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function(
        "skyledger_sha256",
        1,
        lambda text: None if text is None else hashlib.sha256(text.encode()).hexdigest(),
        deterministic=True,
    )
    raw.create_function("skyledger_actor", 0, _actor.get)
