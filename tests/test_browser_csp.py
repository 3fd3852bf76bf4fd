"""Every page under the Content Security Policy in a real browser (Playwright driving Debian's
Chromium): no script is refused, nothing logs an error, and the maps still draw.

Every request to a host other than the test server is aborted; the only ones a page may try
are map tiles, whose failure is not a policy matter.
"""

from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script; Playwright injects it outside the page's policy.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(
    event.violatedDirective + " blocked " + event.blockedURI + " at " + event.sourceFile +
    ":" + event.lineNumber + " " + event.sample
  );
});
"""
TILE_HOST = urlsplit(django_settings.MAP_TILES_URL).netloc


class Watched:
    """A page whose console errors, uncaught errors and policy violations are collected."""

    def __init__(self, page, blocked):
        self.page = page
        self.blocked = blocked
        self.problems = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))

    def _console(self, message):
        if message.type not in ("error", "warning"):
            return
        # An aborted tile shows as a failed resource; the request itself is checked below.
        if message.text.startswith("Failed to load resource") and (
            urlsplit(message.location.get("url", "")).netloc == TILE_HOST
        ):
            return
        self.problems.append(f"console {message.type}: {message.text} ({message.location})")

    def visit(self, url, *selectors):
        """Open url, wait for each selector, then return what went wrong there."""
        self.page.goto(url)
        for selector in selectors:
            self.page.wait_for_selector(selector, state="attached")
        return self.settle()

    def settle(self):
        # Violation events are queued; give them a moment to arrive.
        self.page.wait_for_timeout(300)
        problems = self.problems + self.page.evaluate("window.__cspViolations")
        self.problems = []
        strays = [url for url in self.blocked if urlsplit(url).netloc != TILE_HOST]
        self.blocked.clear()
        return problems + [f"request to another host: {url}" for url in strays]


@pytest.fixture
def watched(browser, live_server):
    blocked = []
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    ours = urlsplit(live_server.url).netloc

    def only_ours(route):
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_ours)
    context.add_init_script(RECORD_VIOLATIONS)
    yield Watched(context.new_page(), blocked)
    context.close()


def sign_in(watched, username):
    page = watched.page
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    return watched.settle()


MAP_DRAWN = ".leaflet-overlay-pane path"
UAS = "1581F5FJD228400B0001"


@pytest.mark.parametrize("username", ["admin", "staff_a"])
def test_every_page_runs_under_the_policy_without_violations_and_maps_draw(
    watched, username, admin_user, staff_a, site_a, record
):
    incident = record(site_a, drones=[{"uas_id": UAS, "uas_id_type": "serial"}])
    ref = incident.reference
    problems = {"sign in": sign_in(watched, username)}
    pages = {
        "/": ("#dashboard-map", "path.skymap-land"),
        "/incidents/": ("table",),
        f"/incidents/{ref}/": ("#incident-map", MAP_DRAWN),
        f"/incidents/{ref}/edit/": ("#sighting-map", MAP_DRAWN),
        f"/sites/{site_a.code}/map/": (".skymap-dot", "path.skymap-land"),
        "/reports/": ("main form",),
        "/exports/": ("main form",),
        "/patterns/": ("main h1",),
        f"/drones/uas/{UAS}/": ("#correlation-map", MAP_DRAWN),
        "/alerts/preferences/": ("main form",),
        "/api/v1/docs/": (".swagger-ui .opblock",),
    }
    if username == "admin":
        pages |= {
            "/admin/": ("#content-main",),
            f"/admin/incidents/site/{site_a.pk}/change/": (".leaflet-container", MAP_DRAWN),
            f"/admin/incidents/incident/{incident.pk}/change/": (
                ".leaflet-container",
                ".leaflet-marker-pane .leaflet-marker-icon",
            ),
        }
    for url, selectors in pages.items():
        problems[url] = watched.visit(url, *selectors)

    # The sighting form: the map draws the site, and a click on it places the drone.
    page = watched.page
    page.goto("/incidents/new/")
    page.wait_for_selector("#sighting-form[data-map-ready='1']")
    page.wait_for_selector(MAP_DRAWN)
    box = page.locator("#sighting-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".marker-drone")
    assert page.input_value("#id_drone_lat")
    # The language switch (a static script now, not an onchange attribute) still works.
    page.select_option("#language-switch", "id")
    page.wait_for_selector("html[lang='id']")
    problems["/incidents/new/"] = watched.settle()

    assert {url: found for url, found in problems.items() if found} == {}


def test_two_factor_setup_page_runs_under_the_policy(watched, settings, supervisor_a):
    settings.TWO_FACTOR_REQUIRED = True
    problems = sign_in(watched, "supervisor_a")
    watched.page.wait_for_selector("img[alt='QR code for your authenticator app']")
    assert watched.page.locator("img[alt='QR code for your authenticator app']").is_visible()
    assert problems + watched.settle() == []
