"""Editing an incident's details (not its status or severity: see incidents.py)."""

from django.db import transaction

from ..choices import Role, Status
from ..models import Incident
from .errors import ServiceError
from .incidents import role_at

# What a person may change after recording; the site, status and derived fields are not.
EDITABLE_FIELDS = frozenset(
    f.name
    for f in Incident._meta.concrete_fields
    if f.editable
    and f.name
    not in {
        "id",
        "site",
        "status",
        "source",
        "external_id",
        "reported_by",
        "reported_at",
        "severity_override",
        "severity_override_reason",
    }
)


def may_edit(user, incident):
    """Staff edit their site's drafts; supervisors edit any incident of theirs until closed."""
    role = role_at(user, incident.site)
    if role == Role.SUPERVISOR:
        return incident.status != Status.CLOSED
    return role == Role.STAFF and incident.status == Status.DRAFT


def update_incident(incident, user, **fields):
    """Change an incident's details, validated by the model like a new report."""
    if role_at(user, incident.site) is None:
        raise ServiceError("not_allowed", f"Only members of {incident.site.code} can edit it.")
    if not may_edit(user, incident):
        raise ServiceError(
            "not_allowed",
            "Staff can edit only drafts and nobody edits a closed incident; ask a supervisor "
            f"of {incident.site.code}.",
        )
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ServiceError("not_editable", f"These cannot be edited: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        for name, value in fields.items():
            setattr(incident, name, value)
        incident.full_clean()
        incident.save()
    return incident
