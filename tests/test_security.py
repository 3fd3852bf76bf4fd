"""Sign-in hardening and deployment settings: lockout, two-factor, session limits, headers."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from incidents.models import AuditEntry
from incidents.security.middleware import SESSION_ACTIVE, SESSION_STARTED

ROOT = Path(__file__).resolve().parent.parent


def current_code(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


# --- Lockout (django-axes) ---------------------------------------------------------------


def test_repeated_wrong_passwords_lock_the_account_from_that_address(client, settings, staff_a):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        response = client.post(
            "/accounts/login/", {"username": "staff_a", "password": "guess"}, REMOTE_ADDR="10.9.8.7"
        )
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    # Even the right password is refused while locked...
    response = client.post(
        "/accounts/login/",
        {"username": "staff_a", "password": "pw-staff_a"},
        REMOTE_ADDR="10.9.8.7",
    )
    assert response.status_code == 429
    # ...but only for that name from that address: the person can still sign in elsewhere.
    response = client.post(
        "/accounts/login/",
        {"username": "staff_a", "password": "pw-staff_a"},
        REMOTE_ADDR="10.1.1.1",
    )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="login_failed").count() >= 3


# --- Two-factor (django-otp TOTP) ----------------------------------------------------------


@pytest.fixture
def two_factor(settings):
    settings.TWO_FACTOR_REQUIRED = True


def test_supervisor_sets_up_an_authenticator_before_any_page(client, two_factor, supervisor_a):
    client.force_login(supervisor_a)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/?next=%2F"
    response = client.get(response["Location"], follow=True)
    assert "Set up two-factor sign-in" in response.content.decode()
    device = TOTPDevice.objects.get(user=supervisor_a, confirmed=False)
    wrong = client.post("/accounts/two-factor/setup/", {"token": "000000", "next": "/"})
    assert "does not match" in wrong.content.decode()
    too_soon = client.post("/accounts/two-factor/setup/", {"token": current_code(device)})
    assert "Too many wrong codes" in too_soon.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # as the passing of a few seconds would
    done = client.post("/accounts/two-factor/setup/", {"token": current_code(device), "next": "/"})
    assert done.status_code == 302 and done["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_confirmed_device_asks_for_its_code_at_each_sign_in(client, two_factor, regulator):
    device = TOTPDevice.objects.create(user=regulator, name="phone", confirmed=True)
    client.force_login(regulator)
    page = client.get("/accounts/two-factor/?next=/")
    assert "Enter your one-time code" in page.content.decode()
    bad = client.post("/accounts/two-factor/", {"token": "12ab56", "next": "/"})
    assert "six digits" in bad.content.decode()
    good = client.post("/accounts/two-factor/", {"token": current_code(device), "next": "/"})
    assert good["Location"] == "/"


def test_next_never_leads_off_site(client, two_factor, regulator):
    device = TOTPDevice.objects.create(user=regulator, name="phone", confirmed=True)
    client.force_login(regulator)
    response = client.post(
        "/accounts/two-factor/", {"token": current_code(device), "next": "https://evil.example"}
    )
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    ("persona", "asked"),
    [("staff_a", False), ("supervisor_a", True), ("regulator", True), ("admin", True)],
)
def test_who_must_give_a_second_factor(client, two_factor, personas, persona, asked):
    client.force_login(personas[persona])
    response = client.get("/")
    assert (response.status_code == 302) is asked


def test_api_calls_on_an_unverified_session_get_403_json(client, two_factor, supervisor_a):
    client.force_login(supervisor_a)
    response = client.get("/api/v1/anything/")
    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_required"


# --- Sessions --------------------------------------------------------------------------------


def _age_session(client, key, seconds):
    session = client.session
    session[key] = time.time() - seconds
    session.save()


def test_idle_sessions_end_after_the_timeout(client, settings, staff_a):
    settings.SESSION_IDLE_TIMEOUT = 60
    client.force_login(staff_a)
    assert client.get("/").status_code == 200
    _age_session(client, SESSION_ACTIVE, 61)
    response = client.get("/", follow=True)
    assert response.redirect_chain[0][0].startswith("/accounts/login/")
    assert "inactivity" in response.content.decode()
    assert not response.context["user"].is_authenticated


def test_sessions_end_at_the_absolute_limit_even_when_active(client, settings, staff_a):
    settings.SESSION_ABSOLUTE_TIMEOUT = 3600
    client.force_login(staff_a)
    client.get("/")
    _age_session(client, SESSION_STARTED, 3601)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_disabled_account_is_signed_out_at_its_next_request(client, staff_a):
    client.force_login(staff_a)
    staff_a.is_active = False
    staff_a.save()
    response = client.get("/", follow=True)
    assert not response.context["user"].is_authenticated


def test_password_validators_refuse_weak_passwords(staff_a):
    for weak in ("password", "12345678", "staff_a123"):
        with pytest.raises(ValidationError):
            validate_password(weak, user=staff_a)
    validate_password("quadcopter-over-runway-27", user=staff_a)


# --- Headers and deployment --------------------------------------------------------------------


def test_pages_forbid_framing_and_sniffing(client, staff_a):
    client.force_login(staff_a)
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "k" * 20 + "-production-secret-" + "z9" * 20,
        "ALLOWED_HOSTS": "skyledger.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://skyledger.example.org",
        "SECURE_PROXY_SSL_HEADER": "1",
        "DATABASE_URL": f"spatialite:///{tmp_path / 'deploy.sqlite3'}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
