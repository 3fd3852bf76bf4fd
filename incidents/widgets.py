from django import forms
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


class DatalistTextInput(forms.TextInput):
    """A free-text input that offers suggestions (an HTML datalist) without limiting to them."""

    template_name = "incidents/widgets/datalist_text.html"

    def __init__(self, suggestions, attrs=None):
        super().__init__(attrs)
        self.suggestions = list(suggestions)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        list_id = f"{context['widget']['attrs'].get('id', name)}-suggestions"
        context["widget"]["attrs"]["list"] = list_id
        context["widget"]["list_id"] = list_id
        context["widget"]["suggestions"] = self.suggestions
        return context
