"""Charts for the periodic summary, drawn with matplotlib on the Agg canvas (no pyplot)."""

from io import BytesIO

from django.utils.translation import gettext as _
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..choices import SEVERITY_ORDER, Severity
from .document import SEVERITY_COLOURS

BAR = "#2f5d8a"


def _figure(size):
    figure = Figure(figsize=size, dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=7)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", color="#e3e8ee", linewidth=0.6)
    ax.set_axisbelow(True)
    return figure, ax


def _png(figure, dpi=170):
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def trend_chart(buckets, counts, bucket_label, size=(7.0, 2.6)):
    """Stacked bars of incidents per day or week, by severity.

    `buckets` are dates in order; `counts` maps (date, severity) to a number.
    """
    figure, ax = _figure(size)
    positions = range(len(buckets))
    bottom = [0] * len(buckets)
    labels = dict(Severity.choices)
    for level in SEVERITY_ORDER:
        heights = [counts.get((bucket, level), 0) for bucket in buckets]
        ax.bar(
            positions,
            heights,
            bottom=bottom,
            color=SEVERITY_COLOURS[level],
            width=0.85,
            label=str(labels[level]),
        )
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    step = max(1, len(buckets) // 12)
    ax.set_xticks(list(positions)[::step])
    ax.set_xticklabels([b.strftime("%d %b") for b in buckets][::step], fontsize=7)
    ax.set_ylabel(_("Incidents"), fontsize=7.5)
    ax.set_xlabel(bucket_label, fontsize=7.5)
    ax.legend(fontsize=7, ncols=4, loc="upper left", frameon=False)
    ax.set_ylim(0, max([*bottom, 1]) * 1.25)
    return _png(figure)


def bar_chart(labels, values, xlabel, size=(3.45, 2.2), tick_every=1):
    """Vertical bars, one per label, e.g. incidents per hour of day."""
    figure, ax = _figure(size)
    ax.bar(range(len(values)), values, color=BAR, width=0.8)
    ax.set_xticks(range(0, len(labels), tick_every))
    ax.set_xticklabels(labels[::tick_every], fontsize=6.5)
    ax.set_xlabel(xlabel, fontsize=7.5)
    ax.set_ylabel(_("Incidents"), fontsize=7.5)
    ax.set_ylim(0, max([*list(values), 1]) * 1.15)
    return _png(figure)
