"""Events, repeat offenders and patterns: the correlation pages."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ..choices import PatternStatus, Role
from ..correlation import events, repeats
from ..models import Incident, Pattern
from ..privacy import personal_data_site_ids
from ..services import ServiceError, role_at


def _visible_incident(request, pk):
    return get_object_or_404(
        Incident.objects.visible_to(request.user).select_related("site"), pk=pk
    )


@login_required
def incident_event(request, pk):
    """The event an incident belongs to: its corroboration, its incidents, merges."""
    incident = _visible_incident(request, pk)
    event = events.event_of(incident)
    members = events.with_merge_state(
        Incident.objects.visible_to(request.user).select_related("site")
    )
    members = (
        members.filter(event_membership__event=event) if event else members.filter(pk=pk)
    ).order_by("first_seen", "pk")
    context = {
        "incident": incident,
        "event": event,
        "members": members,
        "survivor": events.survivor_of(incident),
        "merged_from": incident.merged_from.filter(split_at__isnull=True).select_related(
            "incident"
        ),
        "can_merge": role_at(request.user, incident.site) == Role.SUPERVISOR,
    }
    return render(request, "incidents/correlation/event.html", context)


@login_required
@require_POST
def merge(request, pk):
    """Merge the chosen incidents of the event into this one (supervisors)."""
    survivor = _visible_incident(request, pk)
    ids = request.POST.getlist("merge")
    others = list(Incident.objects.visible_to(request.user).filter(pk__in=ids))
    try:
        events.merge_incidents(survivor, others, request.user, request.POST.get("reason", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Merged %(refs)s into %(survivor)s.")
            % {"refs": ", ".join(o.reference for o in others), "survivor": survivor.reference},
        )
    return redirect("incident_event", pk=pk)


@login_required
@require_POST
def split(request, pk):
    """Split a merged incident off its survivor again (supervisors)."""
    incident = _visible_incident(request, pk)
    try:
        events.split_incident(incident, request.user, request.POST.get("reason", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(ref)s was split off.") % {"ref": incident.reference})
    return redirect("incident_event", pk=pk)


def _repeat_page(request, title, value, incidents):
    incidents = list(incidents)
    context = {
        "title": title,
        "value": value,
        "incidents": incidents,
        "site_count": len({i.site_id for i in incidents}),
        "features": repeats.map_features(incidents),
    }
    return render(request, "incidents/correlation/repeat.html", context)


@login_required
def repeat_uas(request, uas_id):
    """Every incident the user may see in which this UAS ID was seen."""
    return _repeat_page(
        request, _("UAS ID"), uas_id, repeats.incidents_with(request.user, uas_id=uas_id)
    )


@login_required
def repeat_operator(request, operator_id):
    """Every incident the user may see in which this operator ID was seen. Operator IDs are
    personal data: someone who may see no site's operator data gets a 404, not a search."""
    if personal_data_site_ids(request.user) == set():
        raise Http404(_("No such page."))
    return _repeat_page(
        request,
        _("Operator ID"),
        operator_id,
        repeats.incidents_with(request.user, operator_id=operator_id),
    )


@login_required
def pattern_list(request):
    """Patterns with at least one incident the user may see."""
    patterns = Pattern.visible_to(request.user).order_by("-last_seen", "-pk")
    status = request.GET.get("status")
    if status in PatternStatus.values:
        patterns = patterns.filter(status=status)
    context = {"patterns": patterns[:200], "statuses": PatternStatus.choices, "status": status}
    return render(request, "incidents/correlation/pattern_list.html", context)


class ReviewForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            (PatternStatus.CONFIRMED, gettext_lazy("Confirm")),
            (PatternStatus.DISMISSED, gettext_lazy("Dismiss")),
        ],
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _reviewers_sites(user, pattern):
    sites = {i.site for i in pattern.incidents.select_related("site")}
    return [s for s in sites if role_at(user, s) == Role.SUPERVISOR]


@login_required
def pattern_detail(request, pk):
    """A pattern: why it was raised, a map, and the incidents the user may see."""
    pattern = get_object_or_404(Pattern.visible_to(request.user), pk=pk)
    incidents = list(
        pattern.incidents.filter(pk__in=Incident.objects.visible_to(request.user).values("pk"))
        .select_related("site")
        .order_by("first_seen", "pk")
    )
    can_review = bool(_reviewers_sites(request.user, pattern))
    form = ReviewForm(request.POST or None)
    if request.method == "POST":
        if not can_review:
            return HttpResponseForbidden(
                _("Only a supervisor of one of this pattern's sites can confirm or dismiss it.")
            )
        if form.is_valid():
            pattern.status = form.cleaned_data["status"]
            pattern.review_note = form.cleaned_data["note"]
            pattern.reviewed_by = request.user
            pattern.reviewed_at = timezone.now()
            pattern.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at"])
            messages.success(
                request, _("Pattern marked %(status)s.") % {"status": pattern.get_status_display()}
            )
            return redirect("pattern_detail", pk=pk)
    context = {
        "pattern": pattern,
        "incidents": incidents,
        "hidden_count": pattern.incidents.count() - len(incidents),
        "features": repeats.map_features(incidents),
        "can_review": can_review,
        "form": form,
    }
    return render(request, "incidents/correlation/pattern_detail.html", context)
