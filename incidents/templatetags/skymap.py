"""Template tags that put SkyMap (static/incidents/js/skymap.js) on a page.

`{% skymap_css %}` in the head and `{% skymap_js "cluster" "heat" %}` before the page's own
script: Leaflet (through django-leaflet), the vendored plugins asked for, skymap.js, and its
configuration as a json_script element (no inline code, so a strict CSP holds).
"""

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.translation import gettext as _

from ..choices import Severity

register = template.Library()

ATLAS = "incidents/vendor/world-atlas/countries-50m.json"

PLUGINS = {
    "cluster": {
        "css": [
            "incidents/vendor/leaflet.markercluster/MarkerCluster.css",
            "incidents/vendor/leaflet.markercluster/MarkerCluster.Default.css",
        ],
        # supercluster groups the points; markercluster's stylesheets give the cluster icons.
        "js": ["incidents/vendor/supercluster/supercluster.min.js"],
    },
    "heat": {"css": [], "js": ["incidents/vendor/leaflet.heat/leaflet-heat.js"]},
}


def _plugin_files(names, kind):
    unknown = set(names) - set(PLUGINS)
    if unknown:
        raise template.TemplateSyntaxError(
            f"Unknown SkyMap plugin(s) {sorted(unknown)}; use {sorted(PLUGINS)}."
        )
    return [static(path) for name in names for path in PLUGINS[name][kind]]


def skymap_config():
    """What skymap.js reads from the #skymap-config element: tiles, atlas URL, labels."""
    tiles = [
        {"name": str(name), "url": url, "options": options}
        for name, url, options in settings.LEAFLET_CONFIG.get("TILES", [])
    ]
    return {
        "tiles": tiles,
        "atlasUrl": static(ATLAS),
        "labels": {
            "perimeter": _("Site perimeter"),
            "ring": _("Alert ring %(radius)s m"),
            "legend": _("Legend"),
            "severity": {value: str(label) for value, label in Severity.choices},
            "baseAttribution": _("Offline base: Natural Earth"),
        },
    }


@register.inclusion_tag("incidents/skymap/css.html")
def skymap_css(*plugins):
    """Stylesheets for Leaflet, the named plugins and the SkyMap styles."""
    return {"plugin_css": _plugin_files(plugins, "css")}


@register.inclusion_tag("incidents/skymap/js.html")
def skymap_js(*plugins):
    """Scripts for Leaflet, the named plugins ("cluster", "heat") and skymap.js."""
    return {"plugin_js": _plugin_files(plugins, "js"), "config": skymap_config()}
