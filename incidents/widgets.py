from leaflet.admin import LeafletAdminWidget

from . import geo
from .models import geos_of, shape_of


class PerimeterWidget(LeafletAdminWidget):
    """Map widget for site perimeters that draws a site across 180° as one shape.

    The stored perimeter is split at the antimeridian; the widget shows it joined again, and
    Site.clean() splits whatever comes back, so editing such a site round-trips.
    """

    def serialize(self, value):
        if value:
            value = geos_of(geo.continuous(shape_of(value)))
        return super().serialize(value)
