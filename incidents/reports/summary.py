"""The periodic summary of a set of sites: totals and trends, charts, maps, top incidents.

Every figure is counted in the database (GROUP BY and filtered COUNTs), so the cost grows
with the number of groups, not of incidents; only the map reads one row per incident, and
only three columns of it.
"""

import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from io import BytesIO
from xml.sax.saxutils import escape

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, Spacer, Table, TableStyle

from .. import geo
from ..choices import SEVERITY_ORDER, DetectionMethod, Severity, Source, Status
from ..filters import ZONE_CHOICES, with_severity_rank
from . import charts, maps
from .document import (
    BAND,
    FRAME_WIDTH,
    MUTED,
    RULE,
    build_pdf,
    heading,
    keep,
    local_text,
    para,
    styles,
    table,
    utc_text,
)
from .periods import previous_period

TOP_INCIDENTS = 25
MAX_SITE_MAPS = 6
# Up to this many days the trend is drawn per day, beyond it per week.
DAILY_TREND_DAYS = 62


@dataclass
class Summary:
    """The figures of one period, all counted in the database."""

    total: int
    drones: int
    by_severity: dict
    by_zone: dict
    by_status: dict
    by_source: dict
    by_method: dict
    by_site: list
    by_hour: list
    by_weekday: list
    trend: dict = field(default_factory=dict)
    trend_buckets: list = field(default_factory=list)
    trend_zone: str = "UTC"
    trend_weekly: bool = False


def _grouped(incidents, name):
    return {row[name]: row["n"] for row in incidents.values(name).annotate(n=Count("id"))}


def summarise(incidents, sites, start=None, end=None):
    """Count the incidents (a queryset, already scoped and filtered) every way the report
    shows them. Hours and weekdays are in each site's local time."""
    incidents = incidents.order_by()
    totals = incidents.aggregate(
        total=Count("id"),
        drones=Sum("drone_count"),
        **{
            f"method_{m}": Count("id", filter=Q(detection_methods__icontains=f'"{m}"'))
            for m in DetectionMethod.values
        },
    )
    by_site = list(
        incidents.values("site__code", "site__name")
        .annotate(
            n=Count("id"),
            drones=Sum("drone_count"),
            **{level: Count("id", filter=Q(severity=level)) for level in Severity.values},
        )
        .order_by("-n", "site__code")
    )
    by_hour = [0] * 24
    by_weekday = [0] * 7
    zones = sorted({site.timezone for site in sites})
    for name in zones:
        tz = zoneinfo.ZoneInfo(name)
        local = incidents.filter(site__timezone=name)
        for row in (
            local.annotate(h=ExtractHour("first_seen", tzinfo=tz))
            .values("h")
            .annotate(n=Count("id"))
        ):
            by_hour[row["h"]] += row["n"]
        for row in (
            local.annotate(d=ExtractIsoWeekDay("first_seen", tzinfo=tz))
            .values("d")
            .annotate(n=Count("id"))
        ):
            by_weekday[row["d"] - 1] += row["n"]
    summary = Summary(
        total=totals["total"],
        drones=totals["drones"] or 0,
        by_severity=_grouped(incidents, "severity"),
        by_zone=_grouped(incidents, "zone"),
        by_status=_grouped(incidents, "status"),
        by_source=_grouped(incidents, "source"),
        by_method={m: totals[f"method_{m}"] for m in DetectionMethod.values},
        by_site=by_site,
        by_hour=by_hour,
        by_weekday=by_weekday,
    )
    _trend(summary, incidents, zones, start, end)
    return summary


def _trend(summary, incidents, zones, start, end):
    """Incidents per day (or week, for long periods) by severity, in the sites' zone when
    they share one, else in UTC."""
    tz = zoneinfo.ZoneInfo(zones[0]) if len(zones) == 1 else UTC
    summary.trend_zone = zones[0] if len(zones) == 1 else "UTC"
    rows = list(
        incidents.annotate(day=TruncDate("first_seen", tzinfo=tz))
        .values("day", "severity")
        .annotate(n=Count("id"))
    )
    if not rows:
        return
    days = [row["day"] for row in rows]
    first = start.astimezone(tz).date() if start else min(days)
    last = end.astimezone(tz).date() if end else max(days)
    first, last = min(first, min(days)), max(last, max(days))
    weekly = (last - first).days > DAILY_TREND_DAYS
    if weekly:
        first -= timedelta(days=first.weekday())
    step = 7 if weekly else 1
    buckets = []
    day = first
    while day <= last:
        buckets.append(day)
        day += timedelta(days=step)
    counts = {}
    for row in rows:
        bucket = row["day"] - timedelta(days=row["day"].weekday()) if weekly else row["day"]
        key = (bucket, row["severity"])
        counts[key] = counts.get(key, 0) + row["n"]
    summary.trend, summary.trend_buckets, summary.trend_weekly = counts, buckets, weekly


def map_points(incidents):
    """(site id, longitude, latitude, severity) of every incident, for the maps."""
    return [
        (site_id, point.x, point.y, severity)
        for site_id, point, severity in incidents.order_by().values_list(
            "site_id", "location", "severity"
        )
    ]


def top_incidents(incidents, limit=TOP_INCIDENTS):
    """The most severe incidents, newest first within a severity."""
    if "severity_rank" not in incidents.query.annotations:
        incidents = with_severity_rank(incidents)
    return list(
        incidents.select_related("site").order_by("-severity_rank", "-first_seen", "-pk")[:limit]
    )


# --- The document ----------------------------------------------------------------------


def _change(now, before):
    if before is None:
        return "—"
    if before == 0:
        return "—" if now == 0 else _("new")
    return f"{(now - before) / before:+.0%}"


def _count_table(title, choices, current, previous, widths, total):
    """Counts by value with their share of all incidents and the change on the previous
    period (a share, not a split: an incident detected two ways counts in both rows)."""
    rows = [[title, _("Incidents"), _("Share"), _("Previous period"), _("Change")]]
    total = total or 1
    for value, label in choices:
        now = current.get(value, 0)
        before = None if previous is None else previous.get(value, 0)
        rows.append(
            [
                str(label),
                f"{now:,}",
                f"{now / total:.0%}",
                "—" if before is None else f"{before:,}",
                _change(now, before),
            ]
        )
    return table(rows, widths, numeric_columns=(1, 2, 3, 4))


def _tiles(items):
    """A row of key figures: big number, small label."""
    big = styles()["title"]
    cells = [
        [Paragraph(escape(value), big) for _label, value in items],
        [Paragraph(escape(label), styles()["muted"]) for label, _value in items],
    ]
    tiles = Table(cells, colWidths=[FRAME_WIDTH / len(items)] * len(items), hAlign="LEFT")
    tiles.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                ("LINEBEFORE", (1, 0), (-1, -1), 0.5, RULE),
                ("LINEABOVE", (0, 0), (-1, 0), 2, BAND),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 1), (-1, 1), 6),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return tiles


def _image(png, width, ratio):
    return Image(BytesIO(png), width=width, height=width * ratio)


def period_text(start, end, zone_name=None):
    """The period in UTC and, for sites sharing a zone, in that zone too."""
    first = utc_text(start, seconds=False) if start else _("the first record")
    last = utc_text(end, seconds=False) if end else _("now")
    text = _("From %(start)s to %(end)s") % {"start": first, "end": last}
    if zone_name and (start or end):
        tz = zoneinfo.ZoneInfo(zone_name)
        local = _("local: %(start)s to %(end)s") % {
            "start": local_text(start, tz, seconds=False) if start else "…",
            "end": local_text(end, tz, seconds=False) if end else "…",
        }
        text = f"{text} ({local})"
    return text


def summary_reference(sites, start, end):
    """A short name for the report, shown on every page, e.g. "CGK 2026-10-01 to 2026-10-31"."""
    codes = [site.code for site in sites]
    who = ", ".join(codes) if len(codes) <= 4 else _("%(count)s sites") % {"count": len(codes)}
    first, last = (
        moment.astimezone(UTC).strftime("%Y-%m-%d") if moment else "…" for moment in (start, end)
    )
    when = _("%(start)s to %(end)s") % {"start": first, "end": last}
    return f"{who} {when}"


def render_summary_report(
    incidents, sites, *, start=None, end=None, previous=None, generated_at=None
):
    """The periodic summary as PDF bytes.

    `incidents` is the scoped, filtered queryset of the period; `previous`, when given, the
    same filter over the period of equal length just before, for the trend columns.
    """
    generated_at = generated_at or timezone.now()
    sites = list(sites)
    summary = summarise(incidents, sites, start, end)
    before = summarise(previous, sites) if previous is not None else None
    zones = sorted({site.timezone for site in sites})
    shared_zone = zones[0] if len(zones) == 1 else None
    reference = summary_reference(sites, start, end)

    story = [
        Paragraph(escape(_("Incident summary")), styles()["title"]),
        Paragraph(
            escape(", ".join(f"{site.code} {site.name}" for site in sites) or _("No site")),
            styles()["subtitle"],
        ),
        para(period_text(start, end, shared_zone)),
        Spacer(1, 3 * mm),
    ]
    severe = summary.by_severity.get(Severity.HIGH, 0) + summary.by_severity.get(
        Severity.CRITICAL, 0
    )
    tiles = [
        (_("Incidents"), f"{summary.total:,}"),
        (_("High or critical"), f"{severe:,}"),
        (_("Drones seen"), f"{summary.drones:,}"),
        (_("Sites"), f"{len(sites):,}"),
    ]
    if before is not None:
        tiles.append((_("Change on previous period"), _change(summary.total, before.total)))
    story += [_tiles(tiles), Spacer(1, 2 * mm)]
    if before is not None:
        story.append(
            para(
                _("Previous period: %(period)s, %(count)s incidents.")
                % {
                    "period": period_text(*previous_period(start, end)),
                    "count": f"{before.total:,}",
                },
                "muted",
            )
        )

    if summary.total:
        label = (
            _("Week beginning (%(zone)s)") if summary.trend_weekly else _("Day (%(zone)s)")
        ) % {"zone": summary.trend_zone}
        story.append(
            keep(
                heading(_("Trend")),
                _image(
                    charts.trend_chart(summary.trend_buckets, summary.trend, label),
                    FRAME_WIDTH,
                    2.6 / 7.0,
                ),
            )
        )
        hours = charts.bar_chart(
            [f"{h:02d}" for h in range(24)],
            summary.by_hour,
            _("Hour of day (site local time)"),
            tick_every=3,
        )
        weekday_names = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
        days = charts.bar_chart(weekday_names, summary.by_weekday, _("Weekday (site local time)"))
        half = FRAME_WIDTH / 2 - 2 * mm
        pair = Table(
            [[_image(hours, half, 2.2 / 3.45), _image(days, half, 2.2 / 3.45)]],
            colWidths=[FRAME_WIDTH / 2] * 2,
            hAlign="LEFT",
        )
        pair.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        story.append(keep(heading(_("Hour of day and weekday")), pair))

    widths = [55 * mm, 25 * mm, 20 * mm, 30 * mm, FRAME_WIDTH - 130 * mm]
    story.append(heading(_("By severity")))
    story.append(
        _count_table(
            _("Severity"),
            [(level, Severity(level).label) for level in reversed(SEVERITY_ORDER)],
            summary.by_severity,
            before and before.by_severity,
            widths,
            summary.total,
        )
    )
    story.append(heading(_("By zone")))
    story.append(
        _count_table(
            _("Zone"),
            ZONE_CHOICES,
            summary.by_zone,
            before and before.by_zone,
            widths,
            summary.total,
        )
    )
    story.append(
        keep(
            heading(_("By detection method")),
            _count_table(
                _("Detection method"),
                DetectionMethod.choices,
                summary.by_method,
                before and before.by_method,
                widths,
                summary.total,
            ),
            para(_("An incident detected several ways counts once for each way."), "muted"),
        )
    )
    story.append(
        keep(
            heading(_("By status and source")),
            _count_table(
                _("Status"),
                Status.choices,
                summary.by_status,
                before and before.by_status,
                widths,
                summary.total,
            ),
            Spacer(1, 2 * mm),
            _count_table(
                _("Source"),
                Source.choices,
                summary.by_source,
                before and before.by_source,
                widths,
                summary.total,
            ),
        )
    )
    if summary.by_site:
        rows = [
            [_("Site"), _("Incidents"), _("Drones")]
            + [str(Severity(level).label) for level in reversed(SEVERITY_ORDER)]
        ]
        for row in summary.by_site:
            rows.append(
                [f"{row['site__code']} {row['site__name']}", f"{row['n']:,}", f"{row['drones']:,}"]
                + [f"{row[level]:,}" for level in reversed(SEVERITY_ORDER)]
            )
        story.append(
            keep(
                heading(_("By site")),
                table(
                    rows,
                    [FRAME_WIDTH - 120 * mm] + [20 * mm] * 6,
                    numeric_columns=(1, 2, 3, 4, 5, 6),
                ),
            )
        )

    story += _site_maps(incidents, sites, summary)
    story += _top_table(incidents)
    return build_pdf(
        story,
        title=_("Incident summary"),
        reference=reference,
        generated_at=generated_at,
        subject=period_text(start, end),
    )


def _site_maps(incidents, sites, summary):
    counted = {row["site__code"]: row["n"] for row in summary.by_site}
    shown = sorted(
        (site for site in sites if counted.get(site.code)),
        key=lambda site: (-counted[site.code], site.code),
    )[:MAX_SITE_MAPS]
    if not shown:
        return []
    points = map_points(incidents.filter(site__in=shown))
    story = []
    note = []
    if len(shown) < len([s for s in sites if counted.get(s.code)]):
        note.append(
            para(
                _("Maps of the %(count)s sites with the most incidents.") % {"count": len(shown)},
                "muted",
            )
        )
    for index, site in enumerate(shown):
        mine = [
            (lon, lat, severity) for site_id, lon, lat, severity in points if site_id == site.pk
        ]
        first = [heading(_("Maps")), *note] if index == 0 else []
        story.append(
            keep(
                *first,
                para(
                    _("%(code)s %(name)s: %(count)s incidents")
                    % {"code": site.code, "name": site.name, "count": f"{len(mine):,}"},
                    "cell_head",
                ),
                _image(maps.summary_map(site, mine), FRAME_WIDTH, 4.6 / 7.0),
                Spacer(1, 3 * mm),
            )
        )
    story.append(
        para(
            _(
                "Each map is an azimuthal equidistant projection centred on its site; dashed "
                "lines are the alert rings. Drawn without background tiles."
            ),
            "muted",
        )
    )
    return story


def _top_table(incidents):
    top = top_incidents(incidents)
    story = [heading(_("Top incidents (most severe, then newest)"))]
    if not top:
        return [*story, para(_("No incident in this period."), "muted")]
    rows = [
        [
            _("Reference"),
            _("First seen (UTC / local)"),
            _("Severity"),
            _("Zone"),
            _("Distance"),
            _("Drones"),
            _("Status"),
        ]
    ]
    for incident in top:
        zone = incident.get_zone_display()
        if incident.zone == geo.Zone.RING and incident.zone_ring_m:
            zone = f"{zone} {incident.zone_ring_m:,} m"
        rows.append(
            [
                incident.reference,
                f"{utc_text(incident.first_seen, seconds=False)}\n"
                f"{local_text(incident.first_seen, incident.site.tzinfo, seconds=False)}",
                incident.get_severity_display(),
                zone,
                f"{incident.distance_m:,.0f} m",
                str(incident.drone_count),
                incident.get_status_display(),
            ]
        )
    severity_column = [
        ("TEXTCOLOR", (2, i), (2, i), _severity_colour(incident.severity))
        for i, incident in enumerate(top, start=1)
    ]
    story.append(
        table(
            rows,
            [28 * mm, 50 * mm, 16 * mm, 28 * mm, 16 * mm, 14 * mm, FRAME_WIDTH - 152 * mm],
            numeric_columns=(4, 5),
            style_extra=severity_column,
        )
    )
    return story


def _severity_colour(level):
    from reportlab.lib import colors

    from .document import SEVERITY_COLOURS

    return colors.HexColor(SEVERITY_COLOURS.get(level, "#000000")) if level else MUTED
