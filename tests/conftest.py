"""Shared fixtures: the same cast of people and places in every test.

Site A is Jakarta (CGK), site B is Bali (DPS). The personas: a staff member and a supervisor
of site A, a staff member of site B, a regulator granted site A only, an admin, and an
anonymous visitor.
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.db import connection
from django.utils import timezone

from incidents import geo, services
from incidents.choices import Role, SiteKind
from incidents.models import RegulatorGrant, Site, SiteMembership, geos_of


def square(lon, lat, half_side_m):
    """A geodesic square around (lon, lat) whose corners are half_side_m north/south/east/west."""
    return geo.rectangle(lon, lat, half_side_m, half_side_m)


def make_site(code, lon, lat, half_side_m=1000, **fields):
    """Build, validate and save a site with a square perimeter."""
    site = Site(
        code=code,
        name=fields.pop("name", f"Site {code}"),
        kind=fields.pop("kind", SiteKind.AIRPORT),
        perimeter=geos_of(geo.normalise_perimeter(square(lon, lat, half_side_m))),
        timezone=fields.pop("timezone", "UTC"),
        **fields,
    )
    site.full_clean()
    site.save()
    return site


def incident_fields(site, **overrides):
    """Valid fields for an incident at the centre of a site, overridable."""
    centre = site.perimeter_shape().centroid
    fields = {
        "first_seen": timezone.now() - timedelta(hours=1),
        "location": Point(centre.x, centre.y, srid=4326),
        "drone_count": 1,
    }
    fields.update(overrides)
    return fields


@pytest.fixture(autouse=True)
def _sealed_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    # The sign-in gates have tests of their own (test_security.py); elsewhere a persona is
    # simply signed in, as after a successful password and one-time code.
    settings.AXES_ENABLED = False
    settings.TWO_FACTOR_REQUIRED = False


@pytest.fixture
def site_a(db):
    return make_site("CGK", 106.656, -6.12557, timezone="Asia/Jakarta", name="Soekarno-Hatta")


@pytest.fixture
def site_b(db):
    return make_site("DPS", 115.167, -8.74817, timezone="Asia/Makassar", name="Ngurah Rai")


def _user(username, **extra):
    return get_user_model().objects.create_user(username, password="pw-" + username, **extra)


@pytest.fixture
def staff_a(site_a):
    user = _user("staff_a")
    SiteMembership.objects.create(user=user, site=site_a, role=Role.STAFF)
    return user


@pytest.fixture
def supervisor_a(site_a):
    user = _user("supervisor_a")
    SiteMembership.objects.create(user=user, site=site_a, role=Role.SUPERVISOR)
    return user


@pytest.fixture
def staff_b(site_b):
    user = _user("staff_b")
    SiteMembership.objects.create(user=user, site=site_b, role=Role.STAFF)
    return user


@pytest.fixture
def regulator(site_a):
    user = _user("regulator")
    grant = RegulatorGrant.objects.create(user=user, authority="Test CAA")
    grant.sites.set([site_a])
    return user


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("admin", "admin@example.org", "pw-admin")


@pytest.fixture
def anonymous():
    return AnonymousUser()


@pytest.fixture
def personas(staff_a, supervisor_a, staff_b, regulator, admin_user, anonymous):
    return {
        "staff_a": staff_a,
        "supervisor_a": supervisor_a,
        "staff_b": staff_b,
        "regulator": regulator,
        "admin": admin_user,
        "anonymous": anonymous,
    }


@pytest.fixture
def record(staff_a):
    """Record an incident at a site as a member of it (staff_a for site A by default)."""

    def _record(site, reported_by=staff_a, **overrides):
        return services.record_incident(
            site=site, reported_by=reported_by, **incident_fields(site, **overrides)
        )

    return _record


postgis_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostGIS: set DATABASE_URL=postgis://..."
)


# --- Browser tests: Debian's Chromium driven by Playwright, never a downloaded browser -----

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test-browser`, which installs chromium.")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # fixtures are still synchronous, so Django's async guard is lifted for these tests.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
