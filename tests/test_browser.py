"""In a real browser: Debian's Chromium driven by Playwright (run with `make test-browser`).

Playwright is told to use /usr/bin/chromium; it never downloads a browser.
"""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    # Map tiles come from the internet, which this machine cannot reach; answer them locally.
    context.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, username, password):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_staff_member_signs_in_and_sees_their_site_and_incidents(page, staff_a, record, site_a):
    incident = record(site_a, drone_count=5)
    sign_in(page, "staff_a", "pw-staff_a")
    page.wait_for_selector("text=Your sites")
    assert page.locator("table.grid").first.inner_text().count("CGK") == 1
    assert incident.reference in page.content()
    assert page.locator("td.sev-critical", has_text="Critical").count() >= 1


def test_wrong_password_is_explained(page, staff_a):
    sign_in(page, "staff_a", "not-the-password")
    assert page.locator("p.error").inner_text().startswith("Your username and password didn't")


def test_admin_site_page_draws_the_perimeter_on_a_leaflet_map(page, admin_user, site_a):
    sign_in(page, "admin", "pw-admin")
    page.goto(f"/admin/incidents/site/{site_a.pk}/change/")
    page.wait_for_selector(".leaflet-container")
    # The perimeter is drawn as an SVG path on the map.
    page.wait_for_selector(".leaflet-overlay-pane path")
    assert page.locator(".leaflet-overlay-pane path").count() >= 1
    assert page.input_value("#id_code") == "CGK"


def test_site_across_the_antimeridian_is_drawn_as_one_visible_shape(page, admin_user):
    from tests.conftest import make_site

    site = make_site("WYV", 179.9995, -16.788, 1000, timezone="Pacific/Fiji")
    sign_in(page, "admin", "pw-admin")
    page.goto(f"/admin/incidents/site/{site.pk}/change/")
    path = page.locator(".leaflet-overlay-pane path").first
    path.wait_for()
    box = path.bounding_box()
    # Split into slivers at opposite ends of the world it would be a few pixels wide.
    assert box["width"] > 100 and box["height"] > 100
    assert page.locator(".leaflet-overlay-pane path").count() == 1
