"""SkyLedger data model: sites, incidents, their drones, evidence and history, and who may
see what.

Data rules live in `clean()` and raise field-keyed ValidationErrors, so the admin, forms,
the API and importers all give the same messages. Derived values (zone, distance, severity,
reference) are computed in `save()` so they can never disagree with the data.
"""

from .access import ApiKey, ApiKeyPurpose
from .alerts import Alert, AlertPreference, WebhookDelivery, WebhookEndpoint
from .audit import AuditEntry
from .correlation import Event, EventMembership, IncidentMerge, Pattern
from .detections import Detection
from .drones import Drone
from .evidence import Evidence, evidence_path, evidence_storage
from .exports import ExportChannel, ExportJob, ExportStatus
from .external import ExternalReport, ExternalReportQuerySet, LocationSource
from .incidents import (
    FUTURE_TOLERANCE,
    Incident,
    IncidentAction,
    IncidentQuerySet,
    ReferenceCounter,
    TimelineEntry,
    compute_severity,
    default_detection_methods,
    next_reference,
)
from .sites import (
    DEFAULT_ZONE_RADII_M,
    MAX_DISTANCE_FROM_SITE_M,
    MAX_ZONE_RADIUS_M,
    MAX_ZONE_RINGS,
    RegulatorGrant,
    Site,
    SiteMembership,
    SiteQuerySet,
    default_zone_radii,
    geos_of,
    known_timezones,
    shape_of,
    zone_radii_problem,
)
from .zones import ReferenceZone, ZoneFormat

__all__ = [
    "DEFAULT_ZONE_RADII_M",
    "FUTURE_TOLERANCE",
    "MAX_DISTANCE_FROM_SITE_M",
    "MAX_ZONE_RADIUS_M",
    "MAX_ZONE_RINGS",
    "Alert",
    "AlertPreference",
    "ApiKey",
    "ApiKeyPurpose",
    "AuditEntry",
    "Detection",
    "Drone",
    "Event",
    "EventMembership",
    "Evidence",
    "ExportChannel",
    "ExportJob",
    "ExportStatus",
    "ExternalReport",
    "ExternalReportQuerySet",
    "Incident",
    "IncidentAction",
    "IncidentMerge",
    "IncidentQuerySet",
    "LocationSource",
    "Pattern",
    "ReferenceCounter",
    "ReferenceZone",
    "RegulatorGrant",
    "Site",
    "SiteMembership",
    "SiteQuerySet",
    "TimelineEntry",
    "WebhookDelivery",
    "WebhookEndpoint",
    "ZoneFormat",
    "compute_severity",
    "default_detection_methods",
    "default_zone_radii",
    "evidence_path",
    "evidence_storage",
    "geos_of",
    "known_timezones",
    "next_reference",
    "shape_of",
    "zone_radii_problem",
]
