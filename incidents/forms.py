"""The staff web forms: log a sighting, edit an incident, and the small supervisor forms.

Positions are typed or placed on the map as latitude/longitude pairs (the map only fills the
inputs), so a form that comes back with an error still holds every marker. Times are typed in
the site's local time: the form interprets them in the chosen site's time zone.
"""

import uuid

from django import forms
from django.contrib.gis.geos import Point
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import MAKE_MODEL_SUGGESTIONS, Severity
from .models import Evidence, Incident, IncidentAction, Site, SiteMembership
from .widgets import DatalistTextInput

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def local_datetime_input():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


def reporting_sites(user):
    """Sites where the user may log a sighting: those they are a member of (all for admins)."""
    if user.is_superuser:
        return Site.objects.filter(active=True).order_by("code")
    member_of = SiteMembership.objects.filter(user=user).values("site_id")
    return Site.objects.visible_to(user).filter(pk__in=member_of).order_by("code")


def coordinate(label, low, high):
    return forms.FloatField(
        label=label,
        required=False,
        min_value=low,
        max_value=high,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceFilesField(forms.FileField):
    """Several evidence files at once, each checked against the Evidence rules."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, list | tuple) else [data] if data else []
        cleaned, problems = [], []
        for upload in uploads:
            try:
                upload = super().clean(upload, initial)
                Evidence(file=upload).clean()
            except ValidationError as error:
                messages = (
                    error.message_dict.get("file", error.messages)
                    if hasattr(error, "error_dict")
                    else error.messages
                )
                problems += [f"{upload.name}: {message}" for message in messages]
                continue
            cleaned.append(upload)
        if problems:  # every bad file is named at once, not one per attempt
            raise ValidationError(problems)
        return cleaned


class PositionFieldsMixin:
    """Latitude/longitude inputs for the drone and the observer, mapped onto the points."""

    # Model errors on the points are shown next to the latitude input of the same marker.
    ERROR_FIELD = {"location": "drone_lat", "observer_location": "observer_lat"}

    def _init_positions(self):
        for prefix, point in (
            ("drone", self.instance.location),
            ("observer", self.instance.observer_location),
        ):
            if point is not None:
                self.initial.setdefault(f"{prefix}_lat", round(point.y, 6))
                self.initial.setdefault(f"{prefix}_lon", round(point.x, 6))

    def _clean_positions(self, cleaned):
        drone = self._point(cleaned, "drone")
        if drone is None and not self.has_error("drone_lat") and not self.has_error("drone_lon"):
            self.add_error(
                "drone_lat",
                _("Place the drone: tap the map where it was, or type its latitude and longitude."),
            )
        self.instance.location = drone
        self.instance.observer_location = self._point(cleaned, "observer")

    def _point(self, cleaned, prefix):
        lat, lon = cleaned.get(f"{prefix}_lat"), cleaned.get(f"{prefix}_lon")
        if lat is None and lon is None:
            return None
        if lat is None or lon is None:
            missing = f"{prefix}_lat" if lat is None else f"{prefix}_lon"
            if not self.has_error(missing):
                self.add_error(missing, _("Give both latitude and longitude, or neither."))
            return None
        return Point(lon, lat, srid=4326)

    def _update_errors(self, errors):
        if hasattr(errors, "error_dict"):
            remapped = {}
            for name, messages in errors.error_dict.items():
                target = self.ERROR_FIELD.get(name, name)
                if target not in self.fields:
                    target = NON_FIELD_ERRORS
                remapped.setdefault(target, []).extend(messages)
            errors = ValidationError(remapped)
        super()._update_errors(errors)


INCIDENT_FIELDS = [
    "first_seen",
    "last_seen",
    "drone_count",
    "category",
    "make_model",
    "colour",
    "lights",
    "altitude_m",
    "altitude_method",
    "heading_deg",
    "speed_kmh",
    "behaviours",
    "payload_seen",
    "payload_description",
    "detection_methods",
    "operator_seen",
    "operator_description",
    "narrative",
]

INCIDENT_WIDGETS = {
    "first_seen": local_datetime_input(),
    "last_seen": local_datetime_input(),
    "make_model": DatalistTextInput(MAKE_MODEL_SUGGESTIONS),
    "narrative": forms.Textarea(attrs={"rows": 3}),
    "payload_description": forms.Textarea(attrs={"rows": 2}),
    "operator_description": forms.Textarea(attrs={"rows": 2}),
    "drone_count": forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
}


class IncidentFieldsForm(PositionFieldsMixin, forms.ModelForm):
    """What every incident form shares: the incident's own fields and the two positions."""

    drone_lat = coordinate(_("Drone latitude"), -90, 90)
    drone_lon = coordinate(_("Drone longitude"), -180, 180)
    observer_lat = coordinate(_("Observer latitude"), -90, 90)
    observer_lon = coordinate(_("Observer longitude"), -180, 180)

    class Meta:
        model = Incident
        fields = INCIDENT_FIELDS
        widgets = INCIDENT_WIDGETS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_positions()
        for name in ("first_seen", "last_seen"):
            self.fields[name].help_text = _("In the site's local time.")
            # Times are typed to the minute: an untouched time must not count as changed.
            value = self.initial.get(name)
            if value is not None:
                self.initial[name] = value.replace(second=0, microsecond=0)

    @property
    def site(self):
        return self.instance.site

    @property
    def site_timezone(self):
        return self.site.tzinfo if self.site else timezone.get_current_timezone()

    def full_clean(self):
        # Typed times are the site's local time, whatever the server's zone.
        with timezone.override(self.site_timezone):
            super().full_clean()
            if self.is_bound:
                self.changed_data  # noqa: B018 (cached now, while times parse in the site's zone)

    def clean(self):
        cleaned = super().clean()
        self._clean_positions(cleaned)
        return cleaned


class SightingForm(IncidentFieldsForm):
    """Log a sighting: the incident, the site it happened at, evidence files, and the
    token that makes a repeated submission harmless."""

    site_choice = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.none(), to_field_name="code", empty_label=None
    )
    submission_token = forms.UUIDField(widget=forms.HiddenInput)
    evidence = EvidenceFilesField(
        label=_("Photos, video or other files"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*,video/*,audio/*,.pdf"}),
    )

    def __init__(self, *args, sites, **kwargs):
        """`sites`: the queryset of sites the user may report at (see reporting_sites)."""
        super().__init__(*args, **kwargs)
        self.fields["site_choice"].queryset = sites
        sites = list(sites)
        self.fields["submission_token"].initial = uuid.uuid4()
        self.fields["first_seen"].initial = timezone.now().replace(second=0, microsecond=0)
        if len(sites) == 1:
            self.fields["site_choice"].widget = forms.HiddenInput()
            self.fields["site_choice"].initial = sites[0].code
        self.instance.site = self._chosen_site(sites)

    def _chosen_site(self, sites):
        code = self.data.get("site_choice") if self.is_bound else None
        code = code or self.initial.get("site_choice") or self.fields["site_choice"].initial
        by_code = {site.code: site for site in sites}
        return by_code.get(code) or (sites[0] if sites else None)


class ActionForm(forms.ModelForm):
    """One non-kinetic action taken, with its time."""

    class Meta:
        model = IncidentAction
        fields = ["kind", "taken_at", "note"]
        widgets = {"taken_at": local_datetime_input()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An untouched row must stay empty (so it is skipped); a row with an action but no
        # time means "just now".
        self.fields["taken_at"].required = False
        self.fields["taken_at"].initial = None
        self.fields["taken_at"].help_text = _("Empty means now.")

    def clean_taken_at(self):
        return self.cleaned_data["taken_at"] or timezone.now()


ActionFormSet = forms.formset_factory(ActionForm, extra=1, max_num=20, validate_max=True)


class IncidentEditForm(IncidentFieldsForm):
    """Edit an incident's details (not its status or severity, which have their own verbs)."""

    class Meta(IncidentFieldsForm.Meta):
        fields = [*INCIDENT_FIELDS, "authority_reference"]

    def changes(self):
        """The changed model fields and their new values, for services.update_incident()."""
        names = [name for name in self.changed_data if name in self._meta.fields]
        changes = {name: getattr(self.instance, name) for name in names}
        for prefix, name in (("drone", "location"), ("observer", "observer_location")):
            if {f"{prefix}_lat", f"{prefix}_lon"} & set(self.changed_data):
                changes[name] = getattr(self.instance, name)
        return changes


class StatusForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea({"rows": 2}))
    authority_reference = forms.CharField(
        label=_("Authority reference"), required=False, max_length=100
    )


class SeverityForm(forms.Form):
    severity = forms.ChoiceField(
        label=_("Severity"),
        required=False,
        choices=[("", _("Computed (no override)")), *Severity.choices],
    )
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea({"rows": 2}))


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea({"rows": 3}))
