"""The alert preferences page."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ..alerts.email import preference_of
from ..choices import Role
from ..models import AlertPreference


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = AlertPreference
        fields = ["email", "min_severity", "zones", "patterns"]


@login_required
def preferences(request):
    """A user's choice of alerts; alerts go to supervisors, so others are told so."""
    preference = preference_of(request.user)
    form = PreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your alert preferences are saved."))
        return redirect("alert_preferences")
    is_supervisor = (
        request.user.is_superuser or request.user.memberships.filter(role=Role.SUPERVISOR).exists()
    )
    context = {"form": form, "is_supervisor": is_supervisor}
    return render(request, "incidents/alerts/preferences.html", context)
