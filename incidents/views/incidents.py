"""The incident pages: log a sighting, the list, the detail page with its supervisor actions,
and the edit page. Each looks incidents up through `visible_to`, so another site's incident
is a 404, and changes go through the services."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import services
from ..choices import STAFF_TRANSITIONS, Behaviour, DetectionMethod, Role, Status
from ..correlation import events, repeats
from ..filters import IncidentFilter
from ..forms import (
    ActionFormSet,
    CommentForm,
    IncidentEditForm,
    SeverityForm,
    SightingForm,
    StatusForm,
    reporting_sites,
)
from ..mapdata import site_layers
from ..models import Incident
from ..privacy import may_see_personal_data, redact_in_memory

PAGE_SIZE = 50

# The button each status move gets on the detail page, by (from, to).
MOVE_LABELS = {
    (Status.DRAFT, Status.SUBMITTED): gettext_lazy("Submit for review"),
    (Status.SUBMITTED, Status.UNDER_REVIEW): gettext_lazy("Start review"),
    (Status.SUBMITTED, Status.DRAFT): gettext_lazy("Send back to draft"),
    (Status.UNDER_REVIEW, Status.REPORTED): gettext_lazy("Report to authority"),
    (Status.UNDER_REVIEW, Status.CLOSED): gettext_lazy("Close"),
    (Status.UNDER_REVIEW, Status.DRAFT): gettext_lazy("Send back to draft"),
    (Status.REPORTED, Status.CLOSED): gettext_lazy("Close"),
    (Status.CLOSED, Status.UNDER_REVIEW): gettext_lazy("Reopen"),
}


def _visible_incident(request, reference):
    return get_object_or_404(
        Incident.objects.visible_to(request.user).select_related("site", "reported_by"),
        reference=reference,
    )


def _site_options(sites):
    """What the page's script needs to switch between the user's sites."""
    return [
        {
            "code": site.code,
            "name": site.name,
            "timezone": site.timezone,
            "centre": _centre(site),
        }
        for site in sites
    ]


def _centre(site):
    centre = site.perimeter_shape().centroid
    return [centre.y, centre.x]


@login_required
def incident_new(request):
    """Log a sighting: one page for a phone on a patrol and a desk in a control room."""
    site_queryset = reporting_sites(request.user)
    sites = list(site_queryset)
    if not sites:
        return render(request, "incidents/incident_no_site.html", status=403)
    if request.method == "POST":
        token = request.POST.get("submission_token", "")
        repeat = _already_stored(request.user, token)
        if repeat is not None:
            return redirect("incident_detail", reference=repeat.reference)
        form = SightingForm(request.POST, request.FILES, sites=site_queryset)
        actions = ActionFormSet(request.POST, prefix="actions")
        with _in_site_timezone(form):
            valid = form.is_valid() and actions.is_valid()
        if valid:
            incident = _record(request, form, actions)
            if incident is not None:
                return redirect("incident_detail", reference=incident.reference)
    else:
        initial = {"site_choice": request.GET.get("site")} if request.GET.get("site") else {}
        form = SightingForm(initial=initial, sites=site_queryset)
        actions = ActionFormSet(prefix="actions")
    return render(
        request,
        "incidents/incident_form.html",
        {
            "form": form,
            "actions": actions,
            "site": form.site,
            "site_options": _site_options(sites),
            "map_sites": _map_sites(sites),
            "files_were_chosen": request.method == "POST" and bool(request.FILES),
        },
    )


def _in_site_timezone(form):
    return timezone.override(form.site_timezone)


def _already_stored(user, token):
    """The incident a previous POST of this same form stored, if the user may see it."""
    try:
        return Incident.objects.visible_to(user).filter(submission_token=token).first()
    except ValidationError:  # not a UUID: the form will say so
        return None


def _record(request, form, actions):
    data = form.cleaned_data
    fields = {name: data[name] for name in form._meta.fields}
    fields["location"] = form.instance.location
    fields["observer_location"] = form.instance.observer_location
    # Most sightings go straight to the supervisors; a draft is for a report to finish later.
    fields["status"] = Status.DRAFT if request.POST.get("save_as") == "draft" else Status.SUBMITTED
    action_rows = [
        {key: row[key] for key in ("kind", "taken_at", "note")}
        for row in actions.cleaned_data
        if row and not row.get("DELETE")
    ]
    try:
        incident, created = services.record_sighting(
            site=data["site_choice"],
            reported_by=request.user,
            submission_token=data["submission_token"],
            files=data["evidence"],
            actions=action_rows,
            **fields,
        )
    except services.ServiceError as error:
        form.add_error(None, error.message)
        return None
    except ValidationError as error:
        # A rule only the full record can check (an action or a file): show it, keep the rest.
        for message in error.messages:
            form.add_error(None, message)
        return None
    if created:
        messages.success(request, _("Sighting saved as %(ref)s.") % {"ref": incident.reference})
    return incident


def _map_sites(sites):
    """GeoJSON perimeter and alert rings of each site, for SkyMap.addSite()."""
    return {site.code: site_layers(site) for site in sites}


@login_required
def incident_list(request):
    """All incidents the user may see, filtered, sorted and paginated through the URL."""
    queryset = Incident.objects.visible_to(request.user).select_related("site")
    incident_filter = IncidentFilter(request.GET or None, queryset=queryset, request=request)
    rows = incident_filter.qs if incident_filter.is_bound else incident_filter.queryset
    if incident_filter.is_bound and not incident_filter.is_valid():
        rows = incident_filter.queryset.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # Exports and the summary PDF read the same filter parameters; the page number is ours.
    selection = request.GET.copy()
    selection.pop("page", None)
    return render(
        request,
        "incidents/incident_list.html",
        {
            "filter": incident_filter,
            "page": page,
            "incidents": page.object_list,
            "selection_query": selection.urlencode(),
        },
    )


def _permissions(incident, user):
    role = services.role_at(user, incident.site)
    moves = []
    for target in incident.allowed_next_statuses():
        if role == Role.SUPERVISOR or (
            role == Role.STAFF and (Status(incident.status), target) in STAFF_TRANSITIONS
        ):
            moves.append(
                {
                    "status": target.value,
                    "label": MOVE_LABELS.get((Status(incident.status), target), target.label),
                    "needs_note": target == Status.DRAFT,
                    "asks_reference": target == Status.REPORTED,
                }
            )
    try:
        services.check_may_edit(incident, user)
        may_edit = True
    except services.ServiceError:
        may_edit = False
    return {
        "role": role,
        "moves": moves,
        "may_override": role == Role.SUPERVISOR,
        "may_comment": role is not None,
        "may_edit": may_edit,
    }


def incident_features(incident, drones):
    """The incident's own map features as GeoJSON: drone, observer, the line between them,
    and each of `drones`' operator, take-off point and track."""
    features = []

    def add(kind, geometry, label):
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(geometry.geojson),
                "properties": {"kind": kind, "label": str(label)},
            }
        )

    add("drone", incident.location, _("Drone"))
    if incident.observer_location is not None:
        add("observer", incident.observer_location, _("Observer"))
        line = {
            "type": "LineString",
            "coordinates": [
                list(incident.observer_location.coords),
                list(incident.location.coords),
            ],
        }
        features.append(
            {
                "type": "Feature",
                "geometry": line,
                "properties": {"kind": "sightline", "label": _("Observer to drone")},
            }
        )
    for number, drone in enumerate(drones, start=1):
        name = f"{_('Drone')} {number}"
        if drone.operator_location is not None:
            add("operator", drone.operator_location, f"{name}: {_('operator')}")
        if drone.takeoff_location is not None:
            add("takeoff", drone.takeoff_location, f"{name}: {_('take-off')}")
        if drone.track is not None:
            add("track", drone.track, f"{name}: {_('track')}")
    return {"type": "FeatureCollection", "features": features}


@login_required
def incident_detail(request, reference):
    """One incident: the summary box, map, drones, actions, evidence, timeline, and the
    actions the user may take."""
    incident = _visible_incident(request, reference)
    return render(request, "incidents/incident_detail.html", _detail_context(request, incident))


def _detail_context(request, incident, **extra):
    drones = list(incident.drones.all())
    sees_personal_data = may_see_personal_data(request.user, incident.site)
    if not sees_personal_data:
        redact_in_memory(incident, drones)
    context = {
        "sees_personal_data": sees_personal_data,
        "incident": incident,
        "site": incident.site,
        "drones": drones,
        "actions": incident.actions.select_related("recorded_by"),
        "evidence": incident.evidence.select_related("uploaded_by"),
        "timeline": incident.timeline.select_related("author"),
        "features": incident_features(incident, drones),
        "behaviours": [str(Behaviour(value).label) for value in incident.behaviours],
        "detection_methods": [
            str(DetectionMethod(value).label) for value in incident.detection_methods
        ],
        "map_sites": _map_sites([incident.site]),
        "seen_before": repeats.seen_before(incident, request.user),
        "event": events.event_of(incident),
        "status_form": StatusForm(),
        "severity_form": SeverityForm(initial={"severity": incident.severity_override}),
        "comment_form": CommentForm(),
        **_permissions(incident, request.user),
    }
    context.update(extra)
    return context


def _refused(request, incident, message, status=400, **forms):
    messages.error(request, message)
    context = _detail_context(request, incident, **forms)
    return render(request, "incidents/incident_detail.html", context, status=status)


@login_required
@require_POST
def incident_status(request, reference, status):
    """Move the incident to a status (submit, review, report, close, reopen, send back)."""
    incident = _visible_incident(request, reference)
    form = StatusForm(request.POST)
    if status not in Status.values:
        return _refused(request, incident, _("Unknown status."), status_form=form)
    if not form.is_valid():
        return _refused(request, incident, _("Check the form below."), status_form=form)
    try:
        with transaction.atomic():
            reference_given = form.cleaned_data["authority_reference"].strip()
            if status == Status.REPORTED and reference_given:
                services.check_status_change(incident, request.user, status)
                services.update_incident(
                    incident, request.user, {"authority_reference": reference_given}
                )
            services.change_status(incident, request.user, status, form.cleaned_data["note"])
    except services.ServiceError as error:
        code = 403 if error.code == "not_allowed" else 400
        return _refused(request, incident, error.message, status=code, status_form=form)
    except ValidationError as error:
        return _refused(request, incident, " ".join(error.messages), status_form=form)
    messages.success(
        request, _("Status is now %(status)s.") % {"status": incident.get_status_display()}
    )
    return redirect("incident_detail", reference=incident.reference)


@login_required
@require_POST
def incident_severity(request, reference):
    """A supervisor sets or clears the severity override, with a reason."""
    incident = _visible_incident(request, reference)
    form = SeverityForm(request.POST)
    if not form.is_valid():
        return _refused(request, incident, _("Choose a severity."), severity_form=form)
    try:
        services.override_severity(
            incident, request.user, form.cleaned_data["severity"], form.cleaned_data["reason"]
        )
    except services.ServiceError as error:
        status = 403 if error.code == "not_allowed" else 400
        return _refused(request, incident, error.message, status=status, severity_form=form)
    messages.success(
        request, _("Severity is now %(severity)s.") % {"severity": incident.get_severity_display()}
    )
    return redirect("incident_detail", reference=incident.reference)


@login_required
@require_POST
def incident_comment(request, reference):
    """Any member of the site adds a comment to the timeline."""
    incident = _visible_incident(request, reference)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _refused(request, incident, _("Write the comment first."), comment_form=form)
    try:
        services.add_comment(incident, request.user, form.cleaned_data["text"])
    except services.ServiceError as error:
        return _refused(request, incident, error.message, status=403, comment_form=form)
    messages.success(request, _("Comment added."))
    return redirect(reverse("incident_detail", args=[incident.reference]) + "#timeline")


@login_required
def incident_edit(request, reference):
    """Edit an incident's details; each changed field goes on the timeline."""
    incident = _visible_incident(request, reference)
    try:
        services.check_may_edit(incident, request.user)
    except services.ServiceError as error:
        return render(
            request,
            "incidents/incident_forbidden.html",
            {"incident": incident, "message": error.message},
            status=403,
        )
    # The form works on its own copy, so the service can compare it with what is stored.
    copy = Incident.objects.select_related("site").get(pk=incident.pk)
    if request.method == "POST":
        form = IncidentEditForm(request.POST, instance=copy)
        with _in_site_timezone(form):
            valid = form.is_valid()
        if valid:
            try:
                entries = services.update_incident(incident, request.user, form.changes())
            except services.ServiceError as error:
                form.add_error(None, error.message)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                if entries:
                    messages.success(
                        request, _("%(count)d change(s) saved.") % {"count": len(entries)}
                    )
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("incident_detail", reference=incident.reference)
    else:
        form = IncidentEditForm(instance=copy)
    return render(
        request,
        "incidents/incident_edit.html",
        {
            "form": form,
            "incident": incident,
            "site": incident.site,
            "site_options": _site_options([incident.site]),
            "map_sites": _map_sites([incident.site]),
        },
    )
