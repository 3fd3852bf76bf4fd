"""The verbs of SkyLedger, one module per family: views, the API and commands call these.

Each function validates through the models' `full_clean()` and raises `ValidationError`
for bad data, or `ServiceError` (with a `code`) when the request itself is not allowed.
"""

from .errors import ServiceError
from .incidents import (
    add_comment,
    change_status,
    override_severity,
    recompute_site,
    record_incident,
    role_at,
)

__all__ = [
    "ServiceError",
    "add_comment",
    "change_status",
    "override_severity",
    "recompute_site",
    "record_incident",
    "role_at",
]
