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
    AIRPORT = "airport", _("Airport")
    POWER_PLANT = "power_plant", _("Power plant")
    PRISON = "prison", _("Prison")
    PORT = "port", _("Port")
    STADIUM = "stadium", _("Stadium")
    GOVERNMENT = "government", _("Government building")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    STAFF = "staff", _("Staff")
    SUPERVISOR = "supervisor", _("Supervisor")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    REPORTED = "reported", _("Reported to authority")
    CLOSED = "closed", _("Closed")


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
    STAFF = "staff", _("Staff report")
    SENSOR = "sensor", _("Sensor")
    IMPORT = "import", _("Import")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


SEVERITY_ORDER = [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
SWARM_SIZE = 3


class Category(models.TextChoices):
    MULTIROTOR = "multirotor", _("Multirotor")
    FIXED_WING = "fixed_wing", _("Fixed wing")
    VTOL = "vtol", _("VTOL")
    HELICOPTER = "helicopter", _("Helicopter")
    UNKNOWN = "unknown", _("Unknown")


class AltitudeMethod(models.TextChoices):
    VISUAL = "visual", _("Visual estimate")
    REFERENCE = "reference", _("Compared with a known height")
    RANGEFINDER = "rangefinder", _("Rangefinder")
    RADAR = "radar", _("Radar")
    REMOTE_ID = "remote_id", _("Remote ID")
    OTHER = "other", _("Other")


class Behaviour(models.TextChoices):
    HOVERING = "hovering", _("Hovering")
    TRANSITING = "transiting", _("Transiting")
    LOITERING = "loitering", _("Loitering")
    CIRCLING = "circling", _("Circling")
    FILMING = "filming", _("Filming")
    PAYLOAD_DROP = "payload_drop", _("Payload drop")
    ERRATIC = "erratic", _("Erratic")


class DetectionMethod(models.TextChoices):
    VISUAL = "visual", _("Visual")
    ACOUSTIC = "acoustic", _("Acoustic")
    RADAR = "radar", _("Radar")
    RF = "rf", _("RF detector")
    REMOTE_ID = "remote_id", _("Remote ID")
    CAMERA = "camera", _("Camera")
    OTHER = "other", _("Other")


class UasIdType(models.TextChoices):
    """ASTM F3411 UAS ID types."""

    SERIAL = "serial", _("Serial number (ANSI/CTA-2063-A)")
    CAA_REGISTRATION = "caa_registration", _("CAA registration")
    UTM_UUID = "utm_uuid", _("UTM assigned UUID")
    SESSION_ID = "session_id", _("Specific session ID")


class ActionKind(models.TextChoices):
    """Non-kinetic responses only: SkyLedger records, it never acts against a drone."""

    NOTIFIED_POLICE = "notified_police", _("Notified police")
    NOTIFIED_ATC = "notified_atc", _("Notified air traffic control")
    NOTIFIED_AVIATION_AUTHORITY = "notified_authority", _("Notified aviation authority")
    SHELTERED_STAFF = "sheltered_staff", _("Sheltered staff")
    PAUSED_OPERATIONS = "paused_operations", _("Paused operations")
    RECORDED_EVIDENCE = "recorded_evidence", _("Recorded evidence")
    OTHER = "other", _("Other")


class TimelineKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATUS = "status", _("Status changed")
    SEVERITY = "severity", _("Severity overridden")
    COMMENT = "comment", _("Comment")
    EDIT = "edit", _("Edited")
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
