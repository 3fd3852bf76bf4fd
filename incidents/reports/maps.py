"""Map images for the reports, drawn with matplotlib alone: no tiles, no network.

Everything is drawn in a local azimuthal equidistant projection centred on the site, where
a metre is a metre in every direction near the centre, so a site at 78 N is not stretched
and the scale bar is true. A site across 180° is drawn as one shape (`geo.continuous`).
Figures are drawn on the Agg canvas directly, never through pyplot, whose global state is
not safe across the threads of a web server.
"""

import math
from io import BytesIO

import numpy as np
import shapely
from django.utils.translation import gettext as _
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, PathPatch, Rectangle
from matplotlib.path import Path
from pyproj import CRS, Transformer
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.polygon import orient

from .. import geo
from .document import SEVERITY_COLOURS

PERIMETER_COLOUR = "#1f3a5f"
RING_COLOURS = ["#d9534f", "#f0ad4e", "#f7d774", "#b8d98a", "#9ecae1", "#c6b3e0"]
DRONE_COLOUR = "#c0392b"
OBSERVER_COLOUR = "#2c7fb8"
OPERATOR_COLOUR = "#6a3d9a"
TAKEOFF_COLOUR = "#238b45"


class LocalPlane:
    """An azimuthal equidistant projection centred on a point, in metres."""

    def __init__(self, lon, lat):
        lon = ((lon + 180) % 360) - 180
        crs = CRS.from_dict(
            {"proj": "aeqd", "lat_0": lat, "lon_0": lon, "datum": "WGS84", "units": "m"}
        )
        self._forward = Transformer.from_crs("EPSG:4326", crs, always_xy=True)

    @classmethod
    def for_site(cls, site):
        centre = geo.continuous(site.perimeter_shape()).centroid
        return cls(centre.x, centre.y)

    def points(self, lons, lats):
        """Projected x and y arrays (metres east and north of the centre)."""
        x, y = self._forward.transform(np.asarray(lons, float), np.asarray(lats, float))
        return np.asarray(x), np.asarray(y)

    def shape(self, geometry):
        """A shapely geometry in the plane."""
        return shapely.transform(
            geometry, lambda xy: np.column_stack(self.points(xy[:, 0], xy[:, 1]))
        )


def _polygon_path(geometry):
    polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    vertices, codes = [], []
    for polygon in polygons:
        if not isinstance(polygon, Polygon) or polygon.is_empty:
            continue
        # Holes wound against the exterior, so the non-zero fill rule leaves them empty.
        polygon = orient(polygon, 1.0)
        for ring in [polygon.exterior, *polygon.interiors]:
            coords = np.asarray(ring.coords)[:, :2]
            vertices.append(coords)
            codes += [Path.MOVETO] + [Path.LINETO] * (len(coords) - 2) + [Path.CLOSEPOLY]
    if not vertices:
        return None
    return Path(np.concatenate(vertices), codes)


def _add_shape(ax, geometry, **style):
    path = _polygon_path(geometry)
    if path is not None:
        ax.add_patch(PathPatch(path, **style))


def _nice_length(span_m):
    """A round scale-bar length (1, 2 or 5 times a power of ten) near a fifth of the span."""
    target = max(span_m / 5, 1)
    power = 10 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * power <= target:
            return step * power
    return power


def _scale_bar(ax, extent):
    x0, x1, y0, y1 = extent
    length = _nice_length(x1 - x0)
    left = x0 + (x1 - x0) * 0.04
    bottom = y0 + (y1 - y0) * 0.05
    height = (y1 - y0) * 0.012
    ax.add_patch(
        Rectangle(
            (left - (x1 - x0) * 0.015, bottom - height * 1.6),
            length + (x1 - x0) * 0.09,
            height * 5.6,
            facecolor="white",
            edgecolor="#888888",
            linewidth=0.4,
            alpha=0.9,
            zorder=20,
        )
    )
    half = length / 2
    for index, colour in enumerate(("#222222", "white", "#222222", "white")):
        ax.add_patch(
            Rectangle(
                (left + index * half / 2, bottom),
                half / 2,
                height,
                facecolor=colour,
                edgecolor="#222222",
                linewidth=0.5,
                zorder=21,
            )
        )
    for value in (0, length):
        ax.text(
            left + value,
            bottom + height * 1.6,
            f"{value:,.0f}",
            ha="center",
            va="bottom",
            fontsize=6.5,
            zorder=22,
        )
    ax.text(
        left + length + (x1 - x0) * 0.012,
        bottom + height / 2,
        "m",
        ha="left",
        va="center",
        fontsize=7,
        zorder=22,
    )


def _north_arrow(ax, plane, extent):
    """An arrow to true north, which in this projection is straight up only at the centre."""
    x0, x1, y0, y1 = extent
    x = x1 - (x1 - x0) * 0.07
    y = y1 - (y1 - y0) * 0.2
    inverse = Transformer.from_crs(plane._forward.target_crs, "EPSG:4326", always_xy=True)
    lon, lat = inverse.transform(x, y)
    nx, ny = plane.points([lon], [min(lat + 0.001, 89.999)])
    angle = math.atan2(float(nx[0]) - x, float(ny[0]) - y)
    size = (y1 - y0) * 0.1
    dx, dy = size * math.sin(angle), size * math.cos(angle)
    ax.add_patch(
        FancyArrow(
            x - dx / 2,
            y - dy / 2,
            dx,
            dy,
            width=size * 0.12,
            head_width=size * 0.38,
            head_length=size * 0.38,
            length_includes_head=True,
            color="#222222",
            zorder=22,
        )
    )
    ax.text(
        x + dx * 0.75,
        y + dy * 0.75,
        _("N"),
        ha="center",
        va="bottom",
        fontsize=9,
        fontweight="bold",
        zorder=22,
    )


def _fit(bounds, aspect, pad=0.12, minimum_m=400):
    """Extent (x0, x1, y0, y1) around the bounds, padded, with the figure's aspect ratio."""
    x0, y0, x1, y1 = bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    width = max(x1 - x0, minimum_m) * (1 + 2 * pad)
    height = max(y1 - y0, minimum_m) * (1 + 2 * pad)
    if width / height < aspect:
        width = height * aspect
    else:
        height = width / aspect
    return cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2


def _union_bounds(*bounds):
    boxes = [b for b in bounds if b is not None]
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _figure(size):
    figure = Figure(figsize=size, dpi=100)
    FigureCanvasAgg(figure)
    ax = figure.add_axes((0.005, 0.005, 0.99, 0.99))
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#888888")
        spine.set_linewidth(0.6)
    ax.set_facecolor("#f7f9fb")
    return figure, ax


def _ring_handles(rings):
    """Legend entries naming each ring by its distance, innermost first."""
    return [
        Line2D(
            [],
            [],
            color=RING_COLOURS[ring.index % len(RING_COLOURS)],
            linewidth=0.9,
            linestyle="--",
            label=_("Alert ring %(distance)s m") % {"distance": f"{ring.radius_m:,}"},
        )
        for ring in rings
    ]


def _draw_site(ax, plane, site, ring_count):
    """Alert ring bands (outermost first) with dashed edges, then the perimeter."""
    rings = site.alert_rings()[:ring_count]
    for ring in reversed(rings):
        colour = RING_COLOURS[ring.index % len(RING_COLOURS)]
        band = plane.shape(geo.continuous(ring.band))
        _add_shape(ax, band, facecolor=colour, alpha=0.16, edgecolor="none", zorder=1)
        outer = plane.shape(geo.continuous(ring.outer))
        _add_shape(
            ax, outer, facecolor="none", edgecolor=colour, linewidth=0.9, linestyle="--", zorder=2
        )
    perimeter = plane.shape(geo.continuous(site.perimeter_shape()))
    _add_shape(
        ax,
        perimeter,
        facecolor=PERIMETER_COLOUR,
        alpha=0.18,
        edgecolor="none",
        zorder=4,
    )
    _add_shape(ax, perimeter, facecolor="none", edgecolor=PERIMETER_COLOUR, linewidth=1.6, zorder=5)
    return perimeter, rings


def _png(figure, dpi):
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def incident_map(incident, drones, size=(7.0, 5.2), dpi=200):
    """PNG of an incident: perimeter, alert rings out to the drone's, the drone, the
    observer, and each drone's operator, take-off point and track."""
    site = incident.site
    plane = LocalPlane.for_site(site)
    figure, ax = _figure(size)
    # Frame the map on the drone's own ring (all rings when outside them), not the largest.
    radii = list(site.zone_radii_m)
    if incident.zone == geo.Zone.INSIDE:
        ring_count = 1
    elif incident.zone_ring_m in radii:
        ring_count = radii.index(incident.zone_ring_m) + 1
    else:
        ring_count = len(radii)
    perimeter, rings = _draw_site(ax, plane, site, len(site.zone_radii_m))
    shown = [perimeter.bounds]
    if rings:
        shown.append(plane.shape(geo.continuous(rings[ring_count - 1].outer)).bounds)

    handles = [
        Line2D([], [], color=PERIMETER_COLOUR, linewidth=1.6, label=_("Perimeter")),
        *_ring_handles(rings),
    ]

    def mark(point, label, **style):
        x, y = plane.points([point.x], [point.y])
        ax.plot(x, y, linestyle="none", zorder=10, **style)
        shown.append((x[0], y[0], x[0], y[0]))
        if label not in {h.get_label() for h in handles}:
            handles.append(Line2D([], [], linestyle="none", label=label, **style))

    for drone in drones:
        if drone.track is not None and len(drone.track.coords) > 1:
            coords = np.asarray(drone.track.coords)
            x, y = plane.points(coords[:, 0], coords[:, 1])
            ax.plot(x, y, color=DRONE_COLOUR, linewidth=1.1, alpha=0.85, zorder=8)
            ax.annotate(
                "",
                xy=(x[-1], y[-1]),
                xytext=(x[-2], y[-2]),
                arrowprops={"arrowstyle": "-|>", "color": DRONE_COLOUR, "lw": 1.1},
                zorder=8,
            )
            shown.append((x.min(), y.min(), x.max(), y.max()))
            if _("Drone track") not in {h.get_label() for h in handles}:
                handles.append(
                    Line2D([], [], color=DRONE_COLOUR, linewidth=1.1, label=_("Drone track"))
                )
        if drone.takeoff_location is not None:
            mark(
                drone.takeoff_location,
                _("Take-off point"),
                marker="^",
                markersize=8,
                markerfacecolor=TAKEOFF_COLOUR,
                markeredgecolor="white",
                markeredgewidth=0.8,
            )
        if drone.operator_location is not None:
            mark(
                drone.operator_location,
                _("Operator"),
                marker="P",
                markersize=8,
                markerfacecolor=OPERATOR_COLOUR,
                markeredgecolor="white",
                markeredgewidth=0.8,
            )
    if incident.observer_location is not None:
        mark(
            incident.observer_location,
            _("Observer"),
            marker="s",
            markersize=7,
            markerfacecolor=OBSERVER_COLOUR,
            markeredgecolor="white",
            markeredgewidth=0.8,
        )
    mark(
        incident.location,
        _("Drone (reported position)"),
        marker="o",
        markersize=10,
        markerfacecolor=DRONE_COLOUR,
        markeredgecolor="white",
        markeredgewidth=1.2,
    )
    extent = _fit(_union_bounds(*shown), size[0] / size[1])
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    _scale_bar(ax, extent)
    _north_arrow(ax, plane, extent)
    ax.legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.92, edgecolor="#888888")
    return _png(figure, dpi)


def summary_map(site, points, size=(7.0, 4.6), dpi=170):
    """PNG of a site with its incidents as dots coloured by severity.

    `points` is a sequence of (longitude, latitude, severity); the most severe are drawn on
    top so a critical incident is never hidden under low ones.
    """
    from ..choices import SEVERITY_ORDER, Severity

    plane = LocalPlane.for_site(site)
    figure, ax = _figure(size)
    perimeter, rings = _draw_site(ax, plane, site, len(site.zone_radii_m))
    shown = [perimeter.bounds]
    if rings:
        shown.append(plane.shape(geo.continuous(rings[-1].outer)).bounds)
    handles = [
        Line2D([], [], color=PERIMETER_COLOUR, linewidth=1.6, label=_("Perimeter")),
        *_ring_handles(rings),
    ]
    labels = dict(Severity.choices)
    for rank, level in enumerate(SEVERITY_ORDER):
        chosen = [(lon, lat) for lon, lat, severity in points if severity == level]
        style = {
            "marker": "o",
            "markersize": 3.5 + rank * 0.8,
            "markerfacecolor": SEVERITY_COLOURS[level],
            "markeredgecolor": "white",
            "markeredgewidth": 0.4,
        }
        if chosen:
            lons, lats = zip(*chosen, strict=True)
            x, y = plane.points(lons, lats)
            ax.plot(x, y, linestyle="none", alpha=0.9, zorder=10 + rank, **style)
            shown.append((x.min(), y.min(), x.max(), y.max()))
        handles.append(
            Line2D([], [], linestyle="none", label=f"{labels[level]} ({len(chosen)})", **style)
        )
    extent = _fit(_union_bounds(*shown), size[0] / size[1], pad=0.06)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    _scale_bar(ax, extent)
    _north_arrow(ax, plane, extent)
    ax.legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.92, edgecolor="#888888")
    return _png(figure, dpi)
