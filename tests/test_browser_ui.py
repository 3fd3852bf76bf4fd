"""The staff pages in a real browser: log a sighting on a phone and at a desk, escalate it.

Debian's Chromium driven by Playwright (never a downloaded browser). Every request to a host
other than the test server is aborted and recorded, so the pages are proven to work offline.
Screenshots of the pages at 375 px and 1280 px go to docs/screenshots/.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from incidents.choices import Status
from incidents.models import Incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
WIDTHS = {"phone": (375, 740), "desk": (1280, 900)}


@pytest.fixture
def blocked():
    """URLs a page tried to fetch from anywhere but the test server."""
    return []


@pytest.fixture
def new_page(browser, live_server, blocked):
    contexts = []

    def _new_page(width=1280, height=900):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": height}
        )
        ours = urlsplit(live_server.url).netloc

        def only_ours(route):
            if urlsplit(route.request.url).netloc == ours:
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        context.route("**/*", only_ours)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


def sign_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.click("main button[type=submit]")
    page.wait_for_url("**/")


def shot(page, name, width):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # A full-page capture would paint the sticky save bar over the middle of the form.
    page.add_style_tag(content=".submit-bar { position: static; }")
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)


def fits_width(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("device", ["desk", "phone"])
def test_sighting_walk_from_the_map_to_the_report(
    new_page, blocked, staff_a, supervisor_a, staff_b, site_a, device
):
    width, height = WIDTHS[device]
    page = new_page(width, height)
    sign_in(page, "staff_a")
    page.goto("/incidents/new/")
    page.wait_for_selector("#sighting-form[data-map-ready='1']")
    page.wait_for_selector(".leaflet-overlay-pane path")  # perimeter and rings are drawn
    assert "Asia/Jakarta" in page.inner_text("#site-timezone")
    assert fits_width(page)

    # A tap on the middle of the map (the site's centre) places the drone.
    page.locator("#sighting-map").scroll_into_view_if_needed()
    map_box = page.locator("#sighting-map").bounding_box()
    page.mouse.click(map_box["x"] + map_box["width"] / 2, map_box["y"] + map_box["height"] / 2)
    page.wait_for_selector(".marker-drone")
    lat = float(page.input_value("#id_drone_lat"))
    lon = float(page.input_value("#id_drone_lon"))
    assert abs(lat - -6.12557) < 0.01 and abs(lon - 106.656) < 0.01

    # Typed observer coordinates place the second marker.
    page.fill("#id_observer_lat", f"{lat - 0.004:.6f}")
    page.fill("#id_observer_lon", f"{lon:.6f}")
    page.press("#id_observer_lon", "Tab")
    page.wait_for_selector(".marker-observer")

    page.fill("#id_drone_count", "2")
    page.fill("#id_make_model", "DJI Mavic 3")
    page.fill("#id_colour", "grey")
    page.fill("#id_narrative", "Two drones hovering over the apron.")
    page.click("text=More about the drone and its operator")
    page.fill("#id_heading_deg", "400")  # the mistake
    page.select_option("#id_actions-0-kind", "notified_police")
    page.fill("#id_actions-0-note", "Called the airport police desk")
    shot(page, "form", width)
    page.click("#save-sighting")

    page.wait_for_selector("#error-summary")
    assert "Heading must be between 0 and 359 degrees" in page.inner_text("#field-heading_deg")
    assert page.input_value("#id_drone_lat") == f"{lat:.6f}"
    assert page.input_value("#id_observer_lat") == f"{lat - 0.004:.6f}"
    assert page.input_value("#id_make_model") == "DJI Mavic 3"
    assert page.input_value("#id_narrative") == "Two drones hovering over the apron."
    assert page.input_value("#id_actions-0-note") == "Called the airport police desk"
    page.wait_for_selector(".marker-drone")
    page.wait_for_selector(".marker-observer")
    shot(page, "form-error", width)

    page.fill("#id_heading_deg", "90")
    page.click("#save-sighting")
    page.wait_for_url(re.compile(r".*/incidents/CGK-\d{4}-\d{5}/$"))
    incident = Incident.objects.get()
    assert page.inner_text("#incident-ref") == incident.reference
    summary = page.inner_text("#summary")
    assert "Inside perimeter" in summary and "High" in summary and "Submitted" in summary
    page.wait_for_selector("#incident-map path.leaflet-interactive")
    # The draft kept on the device is cleared once the server has the sighting.
    assert page.evaluate("localStorage.getItem('skyledger-draft-new')") is None
    shot(page, "detail", width)

    page.goto("/incidents/")
    assert incident.reference in page.inner_text("table.incident-list")
    assert fits_width(page)
    page.goto(f"/sites/{site_a.code}/map/")
    page.wait_for_selector(".skymap-dot")
    shot(page, "map", width)
    page.goto("/")
    shot(page, "dashboard", width)

    # A supervisor escalates it: submitted -> under review -> reported.
    boss = new_page(width, height)
    sign_in(boss, "supervisor_a")
    boss.goto(f"/incidents/{incident.reference}/")
    boss.click("form.move-under_review button")
    boss.wait_for_selector("text=Status is now Under review.")
    boss.fill("form.move-reported input[name=authority_reference]", "POLRI-2026-77")
    boss.click("form.move-reported button")
    boss.wait_for_selector("text=Status is now Reported to authority.")
    assert "Reported to authority" in boss.inner_text("#summary")
    incident.refresh_from_db()
    assert incident.status == Status.REPORTED
    assert incident.authority_reference == "POLRI-2026-77"

    # Staff of another site: the same address is a 404.
    other = new_page(width, height)
    sign_in(other, "staff_b")
    response = other.goto(f"/incidents/{incident.reference}/")
    assert response.status == 404
    assert blocked == [] or all(urlsplit(url).netloc for url in blocked)


def test_unsent_sighting_is_restored_from_the_device(new_page, staff_a, site_a):
    page = new_page()
    sign_in(page, "staff_a")
    page.goto("/incidents/new/")
    page.wait_for_selector("#sighting-form[data-map-ready='1']")
    page.fill("#id_make_model", "Autel EVO II")
    page.fill("#id_drone_lat", "-6.125")
    page.fill("#id_drone_lon", "106.656")
    page.press("#id_drone_lon", "Tab")
    token = page.input_value("#id_submission_token")
    page.wait_for_function("localStorage.getItem('skyledger-draft-new') !== null")
    page.goto("/incidents/new/")  # the connection dropped; the page is opened again
    page.wait_for_selector("#draft-notice:not([hidden])")
    assert page.input_value("#id_make_model") == "Autel EVO II"
    assert page.input_value("#id_submission_token") == token
    page.wait_for_selector(".marker-drone")


def test_double_submit_stores_one_incident(new_page, staff_a, site_a):
    page = new_page()
    sign_in(page, "staff_a")
    page.goto("/incidents/new/")
    page.wait_for_selector("#sighting-form[data-map-ready='1']")
    page.fill("#id_drone_lat", "-6.125")
    page.fill("#id_drone_lon", "106.656")
    page.fill("#id_make_model", "DJI Mini 3")
    # A retry after a timeout: the same form sent again once the first was stored. (Sent one
    # after the other: the in-memory test database cannot take two writers at once.)
    kinds = page.evaluate(
        """async () => {
            const form = document.getElementById("sighting-form");
            const send = () => fetch(location.href,
                {method: "POST", body: new FormData(form), redirect: "manual"});
            const first = await send();
            const second = await send();
            return [first.type, second.type];
        }"""
    )
    assert kinds == ["opaqueredirect", "opaqueredirect"]
    assert Incident.objects.count() == 1
