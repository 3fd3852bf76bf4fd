"""The verbs of SkyLedger, one module per family: views, the API and commands call these.

Each function validates through the models' `full_clean()` and raises `ValidationError`
for bad data, or `ServiceError` (with a `code`) when the request itself is not allowed.
"""

from .errors import ServiceError
from .incidents import (
    add_comment,
    change_status,
    check_may_edit,
    check_severity_override,
    check_status_change,
    override_severity,
    recompute_site,
    record_incident,
    record_sighting,
    role_at,
    update_incident,
)

__all__ = [
    "ServiceError",
    "add_comment",
    "change_status",
    "check_may_edit",
    "check_severity_override",
    "check_status_change",
    "override_severity",
    "recompute_site",
    "record_incident",
    "record_sighting",
    "role_at",
    "update_incident",
]
