from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin, LeafletGeoAdminMixin

from . import services
from .choices import MAKE_MODEL_SUGGESTIONS, TimelineKind
from .models import (
    Drone,
    Evidence,
    Incident,
    IncidentAction,
    RegulatorGrant,
    Site,
    SiteMembership,
    TimelineEntry,
)
from .widgets import DatalistTextInput, PerimeterWidget


class ScopedAdminMixin:
    """Admin lists go through the same `visible_to` scoping as every other view."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


class MembershipInline(admin.TabularInline):
    model = SiteMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Site)
class SiteAdmin(ScopedAdminMixin, LeafletGeoAdmin):
    list_display = ["code", "name", "kind", "timezone", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name", "address"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "active", "timezone"]}),
        ("Perimeter and alert rings", {"fields": ["perimeter", "zone_radii_m"]}),
        ("Contact", {"fields": ["address", "contact_name", "contact_phone", "contact_email"]}),
    ]

    def formfield_for_dbfield(self, db_field, request=None, **kwargs):
        if db_field.name == "perimeter":
            kwargs["widget"] = PerimeterWidget
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"perimeter", "zone_radii_m"} & set(form.changed_data):
            updated = services.recompute_site(obj)
            self.message_user(request, f"Zones and severities recomputed for {updated} incidents.")


@admin.register(SiteMembership)
class SiteMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "site", "role", "created_at"]
    list_filter = ["role", "site"]
    search_fields = ["user__username", "user__email", "site__code", "site__name"]
    autocomplete_fields = ["user", "site"]


@admin.register(RegulatorGrant)
class RegulatorGrantAdmin(admin.ModelAdmin):
    list_display = ["user", "authority", "created_at"]
    search_fields = ["user__username", "authority", "sites__code"]
    filter_horizontal = ["sites"]
    autocomplete_fields = ["user"]


class ActionInline(admin.TabularInline):
    model = IncidentAction
    extra = 0
    fields = ["kind", "taken_at", "note", "recorded_by"]
    readonly_fields = ["recorded_by"]


class DroneInline(LeafletGeoAdminMixin, admin.StackedInline):
    model = Drone
    extra = 0
    fields = [
        ("uas_id", "uas_id_type"),
        ("category", "make_model"),
        "operator_id",
        "operator_location",
        "takeoff_location",
        "description",
    ]


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    fields = ["file", "description", "media_type", "size_bytes", "sha256", "uploaded_by"]
    readonly_fields = ["media_type", "size_bytes", "sha256", "uploaded_by"]
    can_delete = False

    def has_change_permission(self, request, obj=None):
        # Evidence is never edited or removed once stored: its SHA-256 must keep matching.
        return False


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    can_delete = False
    fields = ["at", "kind", "author", "from_status", "to_status", "text"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class IncidentAdminForm(forms.ModelForm):
    """The admin's incident form: status moves and severity overrides are checked by the
    same service rules as everywhere else, so the staff/supervisor split holds here too."""

    status_note = forms.CharField(
        label=_("Note for the status change"),
        required=False,
        widget=forms.Textarea({"rows": 2}),
        help_text=_("Required when sending an incident back to draft."),
    )

    user = None  # set by IncidentAdmin.get_form for the request

    def clean(self):
        cleaned = super().clean()
        incident = self.instance
        if incident.pk is None or self.user is None:
            return cleaned
        try:
            if "status" in self.changed_data and cleaned.get("status"):
                services.check_status_change(
                    incident, self.user, cleaned["status"], cleaned.get("status_note", "")
                )
        except services.ServiceError as error:
            self.add_error("status", error.message)
        if {"severity_override", "severity_override_reason"} & set(self.changed_data):
            try:
                services.check_severity_override(incident, self.user)
            except services.ServiceError as error:
                self.add_error("severity_override", error.message)
        return cleaned


@admin.register(Incident)
class IncidentAdmin(ScopedAdminMixin, LeafletGeoAdmin):
    form = IncidentAdminForm

    list_display = [
        "reference",
        "site",
        "status",
        "severity",
        "first_seen",
        "drone_count",
        "zone",
        "distance_m",
        "source",
    ]
    list_filter = ["status", "severity", "zone", "source", "category", "site"]
    search_fields = [
        "reference",
        "narrative",
        "make_model",
        "drones__uas_id",
        "drones__operator_id",
        "authority_reference",
    ]
    date_hierarchy = "first_seen"
    list_select_related = ["site"]
    autocomplete_fields = ["site", "reported_by"]
    readonly_fields = [*Incident.DERIVED_FIELDS, "created_at", "updated_at"]

    def formfield_for_dbfield(self, db_field, request=None, **kwargs):
        if db_field.name == "make_model":
            kwargs["widget"] = DatalistTextInput(MAKE_MODEL_SUGGESTIONS)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    inlines = [DroneInline, ActionInline, EvidenceInline, TimelineInline]
    fieldsets = [
        (
            None,
            {"fields": ["reference", "site", "status", "status_note", "source", "external_id"]},
        ),
        ("When", {"fields": ["first_seen", "last_seen", "reported_at", "reported_by"]}),
        ("Where", {"fields": ["location", "observer_location", "altitude_m", "altitude_method"]}),
        (
            "Drone",
            {
                "fields": [
                    "drone_count",
                    "category",
                    "make_model",
                    "colour",
                    "lights",
                    "heading_deg",
                    "speed_kmh",
                    "behaviours",
                    "payload_seen",
                    "payload_description",
                    "detection_methods",
                ]
            },
        ),
        ("Operator", {"fields": ["operator_seen", "operator_description"]}),
        ("Report", {"fields": ["authority_reference", "narrative"]}),
        (
            "Assessment",
            {
                "fields": [
                    "zone",
                    "zone_ring_m",
                    "distance_m",
                    "computed_severity",
                    "severity_override",
                    "severity_override_reason",
                    "severity",
                ]
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            if not change:
                if obj.reported_by is None:
                    obj.reported_by = request.user
                super().save_model(request, obj, form, change)
                TimelineEntry.objects.create(
                    incident=obj,
                    kind=TimelineKind.CREATED,
                    author=request.user,
                    to_status=obj.status,
                    text="Recorded in the admin.",
                )
                return
            # Save the other fields with the stored status and override, then make those
            # two changes through the verbs, which check the role and write the timeline.
            stored = Incident.objects.get(pk=obj.pk)
            status, override = obj.status, obj.severity_override
            reason = obj.severity_override_reason
            obj.status = stored.status
            obj.severity_override = stored.severity_override
            obj.severity_override_reason = stored.severity_override_reason
            super().save_model(request, obj, form, change)
            if status != stored.status:
                services.change_status(
                    obj, request.user, status, form.cleaned_data.get("status_note", "")
                )
            if (override, reason) != (stored.severity_override, stored.severity_override_reason):
                services.override_severity(obj, request.user, override, reason)

    def save_formset(self, request, form, formset, change):
        for item in formset.save(commit=False):
            if isinstance(item, IncidentAction) and item.recorded_by is None:
                item.recorded_by = request.user
            if isinstance(item, Evidence) and item.uploaded_by is None:
                item.uploaded_by = request.user
            item.save()
        for item in formset.deleted_objects:
            item.delete()
        formset.save_m2m()
