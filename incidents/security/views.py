"""Two-factor pages: set up an authenticator app (TOTP), then give its code at sign-in."""

import base64

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Six-digit code from your authenticator app"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}
        ),
    )

    def clean_token(self):
        token = self.cleaned_data["token"].strip().replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError(_("The code is six digits: type only the numbers."))
        return token


THROTTLED = gettext_lazy(
    "Too many wrong codes in a row: wait a few seconds, then type the newest code."
)


def _throttled(device):
    allowed, _data = device.verify_is_allowed()
    return not allowed


def _next_url(request):
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return "/"
    return target


@login_required
def verify(request):
    """Ask for the code; send people without a device to set one up."""
    devices = list(TOTPDevice.objects.filter(user=request.user, confirmed=True))
    if not devices:
        return redirect(f"/accounts/two-factor/setup/?next={_next_url(request)}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        blocked = all(_throttled(device) for device in devices)
        for device in devices:
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                return redirect(_next_url(request))
        if blocked:
            form.add_error("token", THROTTLED)
        else:
            form.add_error(
                "token",
                _("That code is not right. Check the time on your phone and use the newest code."),
            )
    return render(
        request, "registration/two_factor_verify.html", {"form": form, "next": _next_url(request)}
    )


@login_required
def setup(request):
    """Show a QR code for a new authenticator; confirm it with a first code."""
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect(f"/accounts/two-factor/?next={_next_url(request)}")
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "Authenticator app"}
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        blocked = _throttled(device)
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save()
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error(
            "token",
            THROTTLED
            if blocked
            else _("That code does not match the app yet. Scan the QR code again, then retry."),
        )
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "next": _next_url(request),
        "qr_data_uri": "data:image/svg+xml;base64,"
        + base64.b64encode(qr.svg_inline(scale=5).encode()).decode(),
        "secret": base64.b32encode(device.bin_key).decode(),
    }
    return render(request, "registration/two_factor_setup.html", context)
