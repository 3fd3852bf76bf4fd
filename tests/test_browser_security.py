"""Lockout and two-factor sign-in in a real browser (Playwright driving Debian's Chromium)."""

import pytest
from django_otp.oath import TOTP

from tests.test_browser import page, sign_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_repeated_wrong_passwords_show_the_lockout_page(page, settings, staff_a):  # noqa: F811
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        sign_in(page, "staff_a", "not-the-password")
        assert page.locator("p.error").count() >= 1
    sign_in(page, "staff_a", "not-the-password")
    assert page.locator("h1").inner_text() == "Too many failed sign-ins"
    sign_in(page, "staff_a", "pw-staff_a")
    assert page.locator("h1").inner_text() == "Too many failed sign-ins"


def test_supervisor_sets_up_two_factor_then_reaches_the_home_page(
    page,  # noqa: F811
    settings,
    supervisor_a,
):
    settings.TWO_FACTOR_REQUIRED = True
    sign_in(page, "supervisor_a", "pw-supervisor_a")
    page.wait_for_selector("text=Set up two-factor sign-in")
    assert page.locator("img[alt='QR code for your authenticator app']").is_visible()
    secret = page.locator("#totp-secret").inner_text()
    import base64

    token = TOTP(base64.b32decode(secret)).token()
    page.fill("#id_token", f"{token:06d}")
    page.click("main button[type=submit]")  # the header's sign-out is a submit button too
    page.wait_for_url("**/")
    assert "Set up two-factor" not in page.content()
    assert "supervisor_a" in page.locator("header").inner_text()
