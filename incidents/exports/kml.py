"""KML for Google Earth: incidents as placemarks coloured by severity (with their time, so
Earth's time slider works), and each site's perimeter and alert rings. Written element by
element with lxml's incremental writer, which escapes all text."""

from django.utils.translation import gettext_lazy as _
from lxml import etree
from shapely.geometry import MultiPolygon, Polygon

from .layers import shape
from .registry import Exporter, register
from .source import local_text, utc_text

KML_NS = "http://www.opengis.net/kml/2.2"
# KML colours are aabbggrr.
SEVERITY_COLOURS = {
    "low": "ff3d7a2b",
    "medium": "ff006a9a",
    "high": "ff2b39c0",
    "critical": "ff1b1b8e",
}
ICON = "https://maps.google.com/mapfiles/kml/shapes/placemark_circle.png"
EXTENDED_FIELDS = (
    "site_code",
    "status",
    "severity",
    "zone",
    "distance_m",
    "drone_count",
    "category",
    "make_model",
    "altitude_m",
)


def _text(parent, tag, text):
    element = etree.SubElement(parent, tag)
    element.text = text
    return element


def _ring_text(coords):
    return " ".join(f"{x:.7f},{y:.7f}" for x, y, *_ in coords)


def _polygons(geometry):
    if isinstance(geometry, Polygon):
        return [geometry]
    if isinstance(geometry, MultiPolygon):
        return list(geometry.geoms)
    return [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon)]


def _area_placemark(name, style, geometry, description=""):
    placemark = etree.Element("Placemark")
    _text(placemark, "name", name)
    if description:
        _text(placemark, "description", description)
    _text(placemark, "styleUrl", f"#{style}")
    multi = etree.SubElement(placemark, "MultiGeometry")
    for polygon in _polygons(geometry):
        element = etree.SubElement(multi, "Polygon")
        _text(element, "tessellate", "1")
        outer = etree.SubElement(etree.SubElement(element, "outerBoundaryIs"), "LinearRing")
        _text(outer, "coordinates", _ring_text(polygon.exterior.coords))
        for hole in polygon.interiors:
            inner = etree.SubElement(etree.SubElement(element, "innerBoundaryIs"), "LinearRing")
            _text(inner, "coordinates", _ring_text(hole.coords))
    return placemark


def _incident_placemark(row):
    # KML ids are XML IDs, which may not start with a digit (site codes may).
    placemark = etree.Element("Placemark", id=f"incident-{row['reference']}")
    _text(placemark, "name", row["reference"])
    local = local_text(row["first_seen"], row["site_timezone"])
    summary = (
        f"{row['severity']} severity, {row['drone_count']} drone(s), first seen {local} "
        f"({row['site_timezone']})"
    )
    _text(placemark, "description", f"{summary}\n\n{row['narrative']}".strip())
    stamp = etree.SubElement(placemark, "TimeStamp")
    _text(stamp, "when", utc_text(row["first_seen"]))
    _text(placemark, "styleUrl", f"#severity-{row['severity']}")
    data = etree.SubElement(placemark, "ExtendedData")
    for name in EXTENDED_FIELDS:
        value = row[name]
        item = etree.SubElement(data, "Data", name=name)
        _text(item, "value", "" if value is None else str(value))
    item = etree.SubElement(data, "Data", name="first_seen_utc")
    _text(item, "value", utc_text(row["first_seen"]))
    point = etree.SubElement(placemark, "Point")
    _text(point, "coordinates", f"{row['lon']:.7f},{row['lat']:.7f}")
    return placemark


def _styles():
    for severity, colour in SEVERITY_COLOURS.items():
        style = etree.Element("Style", id=f"severity-{severity}")
        icon_style = etree.SubElement(style, "IconStyle")
        _text(icon_style, "color", colour)
        _text(etree.SubElement(icon_style, "Icon"), "href", ICON)
        yield style
    for name, line, fill in (
        ("perimeter", "ff2b39c0", "332b39c0"),
        ("ring", "ff00a5ff", "1a00a5ff"),
    ):
        style = etree.Element("Style", id=name)
        line_style = etree.SubElement(style, "LineStyle")
        _text(line_style, "color", line)
        _text(line_style, "width", "2")
        _text(etree.SubElement(style, "PolyStyle"), "color", fill)
        yield style


@register
class KmlExporter(Exporter):
    identifier = "kml"
    verbose_name = _("KML (Google Earth)")
    description = _("Incidents coloured by severity, with site perimeters and alert rings.")
    extension = "kml"
    media_type = "application/vnd.google-earth.kml+xml"

    def write(self, source, path):
        with etree.xmlfile(str(path), encoding="utf-8") as out:
            out.write_declaration()
            with out.element("kml", nsmap={None: KML_NS}), out.element("Document"):
                out.write(_element("name", "SkyLedger incidents"))
                for style in _styles():
                    out.write(style)
                with out.element("Folder"):
                    out.write(_element("name", "Incidents"))
                    for row in source.incidents():
                        out.write(_incident_placemark(row))
                        out.flush()
                with out.element("Folder"):
                    out.write(_element("name", "Sites and alert rings"))
                    for site in source.sites():
                        out.write(
                            _area_placemark(
                                f"{site.code} perimeter",
                                "perimeter",
                                shape(site.perimeter),
                                site.name,
                            )
                        )
                        for ring in site.alert_rings():
                            out.write(
                                _area_placemark(
                                    f"{site.code} alert ring {ring.radius_m} m", "ring", ring.band
                                )
                            )


def _element(tag, text):
    element = etree.Element(tag)
    element.text = text
    return element
