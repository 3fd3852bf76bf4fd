from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin, LeafletGeoAdminMixin

from . import audit, services
from .choices import MAKE_MODEL_SUGGESTIONS, TimelineKind
from .models import (
    ApiKey,
    AuditEntry,
    Detection,
    Drone,
    Evidence,
    ExportJob,
    Incident,
    IncidentAction,
    Pattern,
    RegulatorGrant,
    Site,
    SiteMembership,
    TimelineEntry,
    WebhookDelivery,
    WebhookEndpoint,
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
        ("Privacy", {"fields": ["personal_data_retention_days"]}),
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
    list_display = ["user", "authority", "sees_personal_data", "created_at"]
    list_filter = ["sees_personal_data"]
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


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, read-only, for administrators; the chain head heads the list so it
    can be copied and kept elsewhere."""

    list_display = ["seq", "at", "action", "table_name", "object_pk", "actor", "short_hash"]
    list_filter = ["action", "table_name"]
    search_fields = ["object_pk", "new_values", "old_values"]
    ordering = ["-seq"]
    change_list_template = "admin/incidents/auditentry/change_list.html"

    @admin.display(description="SHA-256")
    def short_hash(self, entry):
        return (entry.hash or "")[:16] + "…"

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {**(extra_context or {}), "chain_head": audit.chain_head()}
        )


# --- Alerts: webhook endpoints per site, and the delivery log ------------------------------


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "url", "min_severity", "patterns", "active"]
    list_filter = ["active", "site"]
    search_fields = ["name", "url", "site__code"]
    autocomplete_fields = ["site"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["endpoint", "status", "attempts", "status_code", "created_at", "delivered_at"]
    list_filter = ["status", "endpoint__site"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Pattern)
class PatternAdmin(admin.ModelAdmin):
    list_display = ["kind", "first_seen", "site_count", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["key", "explanation"]
    raw_id_fields = ["incidents"]
    readonly_fields = ["key", "created_at", "updated_at"]


# --- Importers: upload a file, tick "dry run", read the report --------------------------

from django import forms  # noqa: E402
from django.core.exceptions import PermissionDenied  # noqa: E402
from django.template.response import TemplateResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402

from .importers.faa import import_faa  # noqa: E402
from .importers.incidents import import_incidents  # noqa: E402
from .importers.sites import import_sites, parse_mapping  # noqa: E402
from .importers.zones import import_zones  # noqa: E402
from .models import ExternalReport, ReferenceZone  # noqa: E402


class ImportFileForm(forms.Form):
    file = forms.FileField(label=_("File"))
    dry_run = forms.BooleanField(
        label=_("Dry run"),
        required=False,
        initial=True,
        help_text=_("Only report what would change; save nothing."),
    )


class SiteImportForm(ImportFileForm):
    mapping = forms.CharField(
        label=_("Field names"),
        required=False,
        help_text=_(
            "Only when the file's fields have other names, e.g. code=ICAO,name=NAME_EN. "
            "Site fields: code, name, kind, timezone, zone_radii_m."
        ),
    )

    def clean_mapping(self):
        try:
            return parse_mapping(self.cleaned_data["mapping"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class ImportPageMixin:
    """Adds an "import/" page to a model's admin that runs one importer on an upload."""

    import_form = ImportFileForm
    change_list_template = "admin/incidents/import_change_list.html"
    import_title = ""
    import_explanation = ""

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="{}_{}_import".format(*info),
            ),
            *super().get_urls(),
        ]

    def may_import(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def run_import(self, upload, form):
        raise NotImplementedError

    def import_view(self, request):
        if not self.may_import(request):
            raise PermissionDenied
        report = None
        if request.method == "POST":
            form = self.import_form(request.POST, request.FILES)
            if form.is_valid():
                report = self.run_import(request.FILES["file"], form.cleaned_data)
        else:
            form = self.import_form()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": self.import_title,
            "explanation": self.import_explanation,
            "form": form,
            "report": report,
        }
        return TemplateResponse(request, "admin/incidents/import_file.html", context)


class SiteImportAdmin(ImportPageMixin, SiteAdmin):
    import_form = SiteImportForm
    import_title = _("Import sites")
    import_explanation = _(
        "A GeoJSON, KML or GeoPackage file of site perimeters (polygons) with code, name, "
        "kind, timezone and zone_radii_m. A feature whose code is an existing site updates "
        "it; the others create sites."
    )

    def may_import(self, request):
        # An import may change any site, so it is for administrators who see them all.
        return request.user.is_superuser

    def run_import(self, upload, data):
        return import_sites(upload.name, upload, mapping=data["mapping"], dry_run=data["dry_run"])


admin.site.unregister(Site)
admin.site.register(Site, SiteImportAdmin)


@admin.register(ReferenceZone)
class ReferenceZoneAdmin(ImportPageMixin, LeafletGeoAdmin):
    list_display = ["identifier", "name", "country", "restriction", "dataset", "source_format"]
    list_filter = ["restriction", "country", "source_format", "dataset"]
    search_fields = ["identifier", "name", "message"]
    readonly_fields = ["imported_at"]
    import_title = _("Import UAS geographical zones")
    import_explanation = _(
        "An ED-269 JSON or ED-318 GeoJSON file, or a .zip holding one. Importing the same "
        "file again replaces the zones it brought before."
    )

    def run_import(self, upload, data):
        return import_zones(upload.name, upload, dry_run=data["dry_run"])


@admin.register(ExternalReport)
class ExternalReportAdmin(ImportPageMixin, LeafletGeoAdmin):
    list_display = ["date", "city", "state", "airport_code", "altitude_ft", "location_source"]
    list_filter = ["location_source", "source", "state"]
    search_fields = ["summary", "city", "airport_code", "aircraft_type"]
    date_hierarchy = "date"
    readonly_fields = ["source_key", "source_file", "source_row", "imported_at"]
    import_title = _("Import FAA UAS sighting reports")
    import_explanation = _(
        "One of the FAA's quarterly UAS sighting workbooks (.xlsx), or a .csv with the same "
        "columns. Rows already imported are left as they are."
    )

    def run_import(self, upload, data):
        return import_faa([(upload.name, upload)], dry_run=data["dry_run"])


class IncidentImportForm(ImportFileForm):
    skip_bad_rows = forms.BooleanField(
        label=_("Skip bad rows"),
        required=False,
        help_text=_("Import the good rows and list the bad ones, instead of importing nothing."),
    )


class IncidentImportAdmin(ImportPageMixin, IncidentAdmin):
    import_form = IncidentImportForm
    import_title = _("Import incidents")
    import_explanation = _(
        "A CSV file of incidents, e.g. SkyLedger's CSV export or a spreadsheet log with "
        "site_code, first_seen, longitude and latitude columns (see docs/importing-incidents.md). "
        "Zones, severities and references are computed; rows already imported are left alone."
    )

    def may_import(self, request):
        # An import may write to any site, so it is for administrators who see them all.
        return request.user.is_superuser

    def run_import(self, upload, data):
        return import_incidents(
            upload, upload.name, dry_run=data["dry_run"], skip_bad_rows=data["skip_bad_rows"]
        )


admin.site.unregister(Incident)
admin.site.register(Incident, IncidentImportAdmin)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made here like any object; the token is shown once, in the success message."""

    list_display = ["name", "purpose", "prefix", "created_by", "created_at", "last_used_at"]
    list_filter = ["purpose", "revoked_at"]
    search_fields = ["name", "prefix", "sites__code"]
    filter_horizontal = ["sites"]
    fields = ["name", "purpose", "sites", "prefix", "created_by", "created_at", "last_used_at"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return [*self.fields, "revoked_at"] if obj else self.fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            token = obj.issue_token()
            self.message_user(
                request,
                f"Key {obj.prefix} made. Copy its token now, it is not shown again: {token}",
                messages.WARNING,
            )
        super().save_model(request, obj, form, change)

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            services.revoke_api_key(key, None)
        self.message_user(request, f"{queryset.count()} key(s) revoked.")


@admin.register(Detection)
class DetectionAdmin(LeafletGeoAdmin):
    """Detections are a sensor's record: readable here, never edited."""

    list_display = ["detection_id", "site", "sensor_id", "time", "uas_id", "zone", "incident"]
    list_filter = ["site", "zone", "detection_method"]
    search_fields = ["detection_id", "sensor_id", "uas_id", "incident__reference"]
    date_hierarchy = "time"
    list_select_related = ["site", "incident"]

    def get_queryset(self, request):
        visible = Incident.objects.visible_to(request.user)
        return super().get_queryset(request).filter(incident__in=visible)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    """The export log: read-only, for admins to see who took which records out, and when."""

    list_display = [
        "pk",
        "created_at",
        "requested_by_name",
        "channel",
        "format",
        "status",
        "record_count",
        "filter_query",
    ]
    list_filter = ["format", "status", "channel"]
    search_fields = ["requested_by_name", "filter_query", "sha256", "filename"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
