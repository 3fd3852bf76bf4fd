"""The form that chooses what a periodic summary covers."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Site

# A year of incidents is still a few thousand rows at the busiest site; far longer periods
# are better asked of the exports.
MAX_PERIOD_DAYS = 366


class SummaryForm(forms.Form):
    """Sites (only those the user may see) and a period of whole days in UTC."""

    site = forms.ModelMultipleChoiceField(
        label=_("Sites"),
        queryset=Site.objects.none(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked for every site you can see."),
    )
    start = forms.DateField(
        label=_("First day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("From 00:00 UTC on this day."),
    )
    end = forms.DateField(
        label=_("Last day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Up to 24:00 UTC on this day (included)."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.visible_to(user)
        self.fields["site"].label_from_instance = lambda site: f"{site.code}: {site.name}"

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The last day is before the first day: swap them."))
            elif (end - start).days + 1 > MAX_PERIOD_DAYS:
                self.add_error(
                    "end",
                    _("Choose a period of at most %(days)s days.") % {"days": MAX_PERIOD_DAYS},
                )
        return data
