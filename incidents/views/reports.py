"""PDF reports: one incident in full, and the periodic summary chosen on the reports page."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from ..filters import IncidentFilter
from ..models import Incident, Site
from ..privacy import may_see_personal_data
from ..reports import render_incident_report, render_summary_report
from ..reports.forms import SummaryForm
from ..reports.periods import day_bounds, iso, previous_period


def _pdf(content, filename):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def incident_report_pdf(request, reference):
    """The incident report as a PDF, for anyone who may see the incident (404 otherwise)."""
    incident = get_object_or_404(
        Incident.objects.visible_to(request.user).select_related("site", "reported_by"),
        reference=reference,
    )
    personal_data = may_see_personal_data(request.user, incident.site_id)
    return _pdf(
        render_incident_report(incident, personal_data=personal_data), f"{incident.reference}.pdf"
    )


@login_required
def reports(request):
    """Choose sites and a period; a valid choice goes to the summary PDF's address."""
    form = SummaryForm(request.GET or None, user=request.user)
    if form.is_bound and form.is_valid():
        start, end = day_bounds(form.cleaned_data["start"], form.cleaned_data["end"])
        query = [("site", site.code) for site in form.cleaned_data["site"]]
        query += [("first_seen_after", iso(start)), ("first_seen_before", iso(end))]
        return redirect(f"{reverse('summary_pdf')}?{urlencode(query)}")
    return render(
        request,
        "incidents/reports.html",
        {"form": form, "has_sites": Site.objects.visible_to(request.user).exists()},
        status=400 if form.is_bound else 200,
    )


@login_required
def summary_pdf(request):
    """The periodic summary of the incidents the list's filter parameters select.

    The summary reads the same parameters as the incident list (incidents/filters.py), so a
    filtered list and its summary count the same incidents. With both ends of the period
    given, each figure is compared with the period of equal length just before.
    """
    visible = Incident.objects.visible_to(request.user)
    filterset = IncidentFilter(request.GET, queryset=visible, request=request)
    if not filterset.is_valid():
        return render(
            request,
            "incidents/reports.html",
            {
                "form": SummaryForm(user=request.user),
                "has_sites": Site.objects.visible_to(request.user).exists(),
                "link_errors": _link_errors(filterset.form),
            },
            status=400,
        )
    chosen = filterset.form.cleaned_data.get("site")
    sites = sorted(chosen or Site.objects.visible_to(request.user), key=lambda site: site.code)
    period = filterset.form.cleaned_data.get("first_seen")
    start, end = (period.start, period.stop) if period else (None, None)
    previous = None
    if start and end:
        before_start, before_end = previous_period(start, end)
        data = request.GET.copy()
        data["first_seen_after"], data["first_seen_before"] = iso(before_start), iso(before_end)
        previous = IncidentFilter(data, queryset=visible, request=request).qs
    pdf = render_summary_report(filterset.qs, sites, start=start, end=end, previous=previous)
    return _pdf(pdf, "skyledger-summary.pdf")


def _link_errors(form):
    """Each problem with the summary link's parameters, named by its field's label."""
    errors = []
    for name, messages in form.errors.items():
        label = form.fields[name].label if name in form.fields else name
        errors += [f"{label}: {message}" for message in messages]
    return errors
