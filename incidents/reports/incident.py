"""The incident report: every recorded fact of one incident, its map, timeline and evidence."""

from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, Spacer

from ..choices import Behaviour, DetectionMethod
from ..privacy import REDACTED, redact_in_memory
from . import maps
from .document import (
    FRAME_WIDTH,
    SEVERITY_COLOURS,
    both_times,
    build_pdf,
    field_table,
    heading,
    keep,
    local_text,
    para,
    styles,
    table,
    utc_text,
)


def person(user):
    if user is None:
        return _("system")
    return user.get_full_name() or user.get_username()


def coordinates(point):
    """Latitude, longitude in degrees, the order people read them aloud."""
    if point is None:
        return ""
    return f"{point.y:.6f}, {point.x:.6f}"


def yes_no(value):
    return _("Yes") if value else _("No")


def size_text(size):
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return ""


def _badge(text, colour):
    return Paragraph(
        f'<font color="white" backColor="{colour}">&nbsp;{escape(text)}&nbsp;</font>',
        styles()["cell_head"],
    )


def load(incident):
    """The incident with everything the report reads, in a handful of queries."""
    return (
        incident,
        list(incident.drones.all()),
        list(incident.actions.select_related("recorded_by")),
        list(incident.timeline.select_related("author")),
        list(incident.evidence.select_related("uploaded_by")),
    )


def render_incident_report(incident, *, generated_at=None, personal_data=True):
    """The incident report as PDF bytes. With personal_data=False (see incidents.privacy)
    the operator's ID, positions and description are left out, of the map too."""
    generated_at = generated_at or timezone.now()
    incident, drones, actions, timeline, evidence = load(incident)
    if not personal_data:
        redact_in_memory(incident, drones)
    withheld = "" if personal_data else str(REDACTED)
    site = incident.site
    zone = site.tzinfo
    story = [
        Paragraph(
            escape(_("Incident %(reference)s") % {"reference": incident.reference}),
            styles()["title"],
        ),
        Paragraph(
            escape(
                _("%(code)s · %(name)s · %(status)s · first seen %(utc)s / %(local)s")
                % {
                    "code": site.code,
                    "name": site.name,
                    "status": incident.get_status_display(),
                    "utc": utc_text(incident.first_seen, seconds=False),
                    "local": local_text(incident.first_seen, zone, seconds=False),
                }
            ),
            styles()["subtitle"],
        ),
    ]
    severity = incident.get_severity_display()
    if incident.severity_override:
        severity = _("%(severity)s (overridden; computed: %(computed)s)") % {
            "severity": severity,
            "computed": incident.get_computed_severity_display(),
        }
    zone_text = incident.get_zone_display()
    if incident.zone_ring_m:
        zone_text = _("%(zone)s (within %(ring)s m)") % {
            "zone": zone_text,
            "ring": f"{incident.zone_ring_m:,}",
        }
    story.append(
        table(
            [
                [_("Severity"), _("Status"), _("Zone"), _("Distance to perimeter"), _("Drones")],
                [
                    _badge(incident.get_severity_display(), SEVERITY_COLOURS[incident.severity]),
                    incident.get_status_display(),
                    zone_text,
                    f"{incident.distance_m:,.1f} m",
                    str(incident.drone_count),
                ],
            ],
            [FRAME_WIDTH / 5] * 5,
        )
    )

    story.append(heading(_("Times")))
    rows = [[_("Event"), _("UTC"), _("Local time at %(site)s") % {"site": site.code}]]
    for label, moment in [
        (_("First seen"), incident.first_seen),
        (_("Last seen"), incident.last_seen),
        (_("Reported at"), incident.reported_at),
        (_("Record created"), incident.created_at),
        (_("Record last changed"), incident.updated_at),
    ]:
        rows.append([label, utc_text(moment) or "—", local_text(moment, zone) or "—"])
    story.append(table(rows, [40 * mm, 50 * mm, FRAME_WIDTH - 90 * mm]))
    story.append(
        para(
            _("Site time zone: %(zone)s.") % {"zone": site.timezone},
            "muted",
        )
    )

    map_png = maps.incident_map(incident, drones)
    map_height = FRAME_WIDTH * 5.2 / 7.0
    story.append(
        keep(
            heading(_("Map")),
            Image(_bytes_io(map_png), width=FRAME_WIDTH, height=map_height),
            para(
                _(
                    "Azimuthal equidistant projection centred on the site: distances are true in "
                    "metres. Dashed lines are the alert rings, named in the legend by their "
                    "distance from the perimeter. Drawn without background tiles."
                ),
                "muted",
            ),
        )
    )

    story.append(
        keep(
            heading(_("Location")),
            field_table(
                [
                    (_("Drone position (lat, lon)"), coordinates(incident.location)),
                    (_("Observer position (lat, lon)"), coordinates(incident.observer_location)),
                    (_("Zone"), zone_text),
                    (_("Distance to perimeter"), f"{incident.distance_m:,.1f} m"),
                    (
                        _("Altitude above ground"),
                        f"{incident.altitude_m:,.0f} m" if incident.altitude_m is not None else "",
                    ),
                    (_("Altitude estimated by"), incident.get_altitude_method_display()),
                    (
                        _("Heading"),
                        f"{incident.heading_deg}°" if incident.heading_deg is not None else "",
                    ),
                    (
                        _("Estimated speed"),
                        f"{incident.speed_kmh} km/h" if incident.speed_kmh is not None else "",
                    ),
                ]
            ),
        )
    )

    behaviours = dict(Behaviour.choices)
    methods = dict(DetectionMethod.choices)
    story.append(
        keep(
            heading(_("Observation")),
            field_table(
                [
                    (_("Reference"), incident.reference),
                    (_("Site"), f"{site.code}: {site.name}"),
                    (_("Status"), incident.get_status_display()),
                    (_("Source"), incident.get_source_display()),
                    (_("External ID"), incident.external_id or ""),
                    (_("Reported by"), person(incident.reported_by)),
                    (_("Drone count"), str(incident.drone_count)),
                    (_("Category"), incident.get_category_display()),
                    (_("Make and model"), incident.make_model),
                    (_("Colour"), incident.colour),
                    (_("Lights"), incident.lights),
                    (
                        _("Behaviour"),
                        ", ".join(str(behaviours.get(b, b)) for b in incident.behaviours),
                    ),
                    (
                        _("Detected by"),
                        ", ".join(str(methods.get(m, m)) for m in incident.detection_methods),
                    ),
                    (_("Payload seen"), yes_no(incident.payload_seen)),
                    (_("Payload"), incident.payload_description),
                    (_("Operator seen"), yes_no(incident.operator_seen)),
                    (_("Operator"), incident.operator_description or withheld),
                    (_("Authority reference"), incident.authority_reference),
                    (_("Computed severity"), incident.get_computed_severity_display()),
                    (_("Severity"), severity),
                    (
                        _("Severity override"),
                        incident.get_severity_override_display()
                        if incident.severity_override
                        else "",
                    ),
                    (_("Override reason"), incident.severity_override_reason),
                ]
            ),
        )
    )
    story.append(heading(_("Narrative")))
    story.append(para(incident.narrative or _("No narrative was written.")))

    story.append(heading(_("Drones")))
    if drones:
        rows = [
            [
                "#",
                _("UAS ID"),
                _("Category, make and model"),
                _("Operator ID"),
                _("Operator (lat, lon)"),
                _("Take-off (lat, lon)"),
                _("Track"),
            ]
        ]
        for number, drone in enumerate(drones, start=1):
            uas = drone.uas_id
            if drone.uas_id_type:
                uas = f"{uas}\n({drone.get_uas_id_type_display()})"
            model = ", ".join(t for t in [drone.get_category_display(), drone.make_model] if t)
            if drone.description:
                model = f"{model}\n{drone.description}"
            track = (
                _("%(count)s points") % {"count": len(drone.track.coords)}
                if drone.track is not None
                else ""
            )
            rows.append(
                [
                    str(number),
                    uas or "—",
                    model,
                    drone.operator_id or withheld or "—",
                    coordinates(drone.operator_location) or withheld or "—",
                    coordinates(drone.takeoff_location) or withheld or "—",
                    track or "—",
                ]
            )
        story.append(
            table(
                rows,
                [7 * mm, 38 * mm, 34 * mm, 22 * mm, 26 * mm, 26 * mm, FRAME_WIDTH - 153 * mm],
            )
        )
    else:
        story.append(para(_("No individual drone was identified."), "muted"))

    story.append(heading(_("Actions taken")))
    if actions:
        rows = [[_("Time (UTC and local)"), _("Action"), _("Note"), _("Recorded by")]]
        for action in actions:
            rows.append(
                [
                    both_times(action.taken_at, zone),
                    action.get_kind_display(),
                    action.note,
                    person(action.recorded_by),
                ]
            )
        story.append(table(rows, [62 * mm, 40 * mm, FRAME_WIDTH - 132 * mm, 30 * mm]))
    else:
        story.append(para(_("No action was recorded."), "muted"))

    story.append(heading(_("Timeline")))
    rows = [[_("Time (UTC and local)"), _("Event"), _("By"), _("Details")]]
    for entry in timeline:
        details = entry.text
        if entry.from_status or entry.to_status:
            move = " → ".join(
                t for t in [entry.get_from_status_display(), entry.get_to_status_display()] if t
            )
            details = f"{move}\n{details}" if details else move
        rows.append(
            [both_times(entry.at, zone), entry.get_kind_display(), person(entry.author), details]
        )
    story.append(table(rows, [62 * mm, 30 * mm, 30 * mm, FRAME_WIDTH - 122 * mm]))

    story.append(heading(_("Evidence")))
    if evidence:
        rows = [[_("File"), _("Uploaded (UTC)"), _("SHA-256")]]
        for item in evidence:
            about = f"{item.original_name}\n{item.media_type}, {size_text(item.size_bytes)}"
            if item.description:
                about = f"{about}\n{item.description}"
            rows.append(
                [
                    about,
                    f"{utc_text(item.uploaded_at, seconds=False)}\n{person(item.uploaded_by)}",
                    para(item.sha256, "mono"),
                ]
            )
        story.append(table(rows, [48 * mm, 30 * mm, FRAME_WIDTH - 78 * mm]))
        story.append(
            para(
                _(
                    "Each file's SHA-256 proves it unchanged: compute the hash of the file "
                    "received and compare it with the value above."
                ),
                "muted",
            )
        )
    else:
        story.append(para(_("No evidence file is attached."), "muted"))
    story.append(Spacer(1, 4 * mm))
    return build_pdf(
        story,
        title=_("Incident report"),
        reference=incident.reference,
        generated_at=generated_at,
        subject=f"{site.code}: {site.name}",
    )


def _bytes_io(data):
    from io import BytesIO

    return BytesIO(data)
