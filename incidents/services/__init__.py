"""The verbs of SkyLedger, one module per family: views, the API and commands call these.

Each function validates through the models' `full_clean()` and raises `ValidationError`
for bad data, or `ServiceError` (with a `code`) when the request itself is not allowed.
"""

from .access import create_api_key, manageable_keys, revoke_api_key
from .errors import ServiceError
from .incidents import (
    add_comment,
    change_status,
    check_may_edit,
    check_severity_override,
    check_status_change,
    may_edit,
    override_severity,
    recompute_site,
    record_incident,
    record_sighting,
    role_at,
    update_incident,
)
from .ingest import DetectionInput, ItemResult, ingest_detections
from .privacy import RetentionResult, apply_retention

__all__ = [
    "DetectionInput",
    "ItemResult",
    "RetentionResult",
    "ServiceError",
    "add_comment",
    "apply_retention",
    "change_status",
    "check_may_edit",
    "check_severity_override",
    "check_status_change",
    "create_api_key",
    "ingest_detections",
    "manageable_keys",
    "may_edit",
    "override_severity",
    "recompute_site",
    "record_incident",
    "record_sighting",
    "revoke_api_key",
    "role_at",
    "update_incident",
]
