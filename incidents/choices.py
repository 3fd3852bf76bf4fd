"""The vocabulary of incidents: the fixed choices, and which status moves are allowed."""

from django.db import models
from django.utils.translation import gettext_lazy as _

MAKE_MODEL_SUGGESTIONS = [
    "DJI Mavic 2",
    "DJI Mavic 3",
    "DJI Mavic Air 2",
    "DJI Air 3",
    "DJI Mini 3",
    "DJI Mini 4 Pro",
    "DJI Phantom 4",
    "DJI Matrice 300",
    "DJI Inspire 2",
    "Autel EVO II",
    "Parrot Anafi",
    "Skydio 2",
    "Home-built FPV",
    "Unknown",
]


class SiteKind(models.TextChoices):
    AIRPORT = "airport", "Airport"
    POWER_PLANT = "power_plant", "Power plant"
    PRISON = "prison", "Prison"
    PORT = "port", "Port"
    STADIUM = "stadium", "Stadium"
    GOVERNMENT = "government", "Government building"
    OTHER = "other", "Other"


class Role(models.TextChoices):
    STAFF = "staff", "Staff"
    SUPERVISOR = "supervisor", "Supervisor"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under review"
    REPORTED = "reported", "Reported to authority"
    CLOSED = "closed", "Closed"


# Sensible next steps only. Returning to draft lets staff fix a report a supervisor sent
# back; reopening a closed incident goes through review again.
TRANSITIONS = {
    Status.DRAFT: {Status.SUBMITTED},
    Status.SUBMITTED: {Status.UNDER_REVIEW, Status.DRAFT},
    Status.UNDER_REVIEW: {Status.REPORTED, Status.CLOSED, Status.DRAFT},
    Status.REPORTED: {Status.CLOSED},
    Status.CLOSED: {Status.UNDER_REVIEW},
}
# Staff may move their site's incidents along these; every other move is a supervisor's.
STAFF_TRANSITIONS = {(Status.DRAFT, Status.SUBMITTED)}


class Source(models.TextChoices):
    STAFF = "staff", "Staff report"
    SENSOR = "sensor", "Sensor"
    IMPORT = "import", "Import"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


SEVERITY_ORDER = [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
SWARM_SIZE = 3


class Category(models.TextChoices):
    MULTIROTOR = "multirotor", "Multirotor"
    FIXED_WING = "fixed_wing", "Fixed wing"
    VTOL = "vtol", "VTOL"
    HELICOPTER = "helicopter", "Helicopter"
    UNKNOWN = "unknown", "Unknown"


class AltitudeMethod(models.TextChoices):
    VISUAL = "visual", "Visual estimate"
    REFERENCE = "reference", "Compared with a known height"
    RANGEFINDER = "rangefinder", "Rangefinder"
    RADAR = "radar", "Radar"
    REMOTE_ID = "remote_id", "Remote ID"
    OTHER = "other", "Other"


class Behaviour(models.TextChoices):
    HOVERING = "hovering", "Hovering"
    TRANSITING = "transiting", "Transiting"
    LOITERING = "loitering", "Loitering"
    CIRCLING = "circling", "Circling"
    FILMING = "filming", "Filming"
    PAYLOAD_DROP = "payload_drop", "Payload drop"
    ERRATIC = "erratic", "Erratic"


class DetectionMethod(models.TextChoices):
    VISUAL = "visual", "Visual"
    ACOUSTIC = "acoustic", "Acoustic"
    RADAR = "radar", "Radar"
    RF = "rf", "RF detector"
    REMOTE_ID = "remote_id", "Remote ID"
    CAMERA = "camera", "Camera"
    OTHER = "other", "Other"


class UasIdType(models.TextChoices):
    """ASTM F3411 UAS ID types."""

    SERIAL = "serial", "Serial number (ANSI/CTA-2063-A)"
    CAA_REGISTRATION = "caa_registration", "CAA registration"
    UTM_UUID = "utm_uuid", "UTM assigned UUID"
    SESSION_ID = "session_id", "Specific session ID"


class ActionKind(models.TextChoices):
    """Non-kinetic responses only: SkyLedger records, it never acts against a drone."""

    NOTIFIED_POLICE = "notified_police", "Notified police"
    NOTIFIED_ATC = "notified_atc", "Notified air traffic control"
    NOTIFIED_AVIATION_AUTHORITY = "notified_authority", "Notified aviation authority"
    SHELTERED_STAFF = "sheltered_staff", "Sheltered staff"
    PAUSED_OPERATIONS = "paused_operations", "Paused operations"
    RECORDED_EVIDENCE = "recorded_evidence", "Recorded evidence"
    OTHER = "other", "Other"


class TimelineKind(models.TextChoices):
    CREATED = "created", "Created"
    STATUS = "status", "Status changed"
    SEVERITY = "severity", "Severity overridden"
    COMMENT = "comment", "Comment"
    MERGED = "merged", _("Merged")
    SPLIT = "split", _("Split")


class Corroboration(models.TextChoices):
    """How well an event is corroborated, weakest first."""

    ONE_REPORT = "one_report", _("One report")
    SEVERAL_REPORTS = "several", _("Several reports")
    REPORT_AND_SENSOR = "report_sensor", _("Report and sensor")
    SENSOR_REMOTE_ID = "sensor_rid", _("Sensor with Remote ID")


class PatternKind(models.TextChoices):
    SITES = "sites", _("Several sites at once")
    SWARMS = "swarms", _("Swarms at several sites")
    REPEAT_UAS = "repeat_uas", _("One UAS ID at several sites")
    REPEAT_OPERATOR = "repeat_operator", _("One operator ID at several sites")


class PatternStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    RETRYING = "retrying", _("Retrying")
    FAILED = "failed", _("Failed")
