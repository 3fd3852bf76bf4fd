"""The maps in a real browser, with every request off the test server blocked.

Debian's Chromium driven by Playwright (never a downloaded browser). Any request to another
host (tile servers, CDNs) is aborted and recorded, so these tests prove the maps work on an
air-gapped network: the offline base layer, the site and its incidents all come from us.
"""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from incidents import geo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def blocked():
    """URLs the page tried to fetch from anywhere but the test server."""
    return []


@pytest.fixture
def page(browser, live_server, blocked):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    ours = urlsplit(live_server.url).netloc

    def only_ours(route):
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_ours)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], errors


def sign_in(page, username, password):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def east_of(site, metres):
    perimeter = site.perimeter_shape()
    lon, lat, _ = geo.WGS84.fwd(perimeter.bounds[2], perimeter.centroid.y, 90, metres)
    return Point(lon, lat, srid=4326)


def test_site_map_draws_offline_base_site_and_points_and_a_point_opens_its_incident(
    page, blocked, staff_a, record, site_a
):
    now = timezone.now()
    inside = record(site_a, drone_count=3, first_seen=now - timedelta(hours=2))
    ring = record(site_a, location=east_of(site_a, 2500), first_seen=now - timedelta(days=20))
    sign_in(page, "staff_a", "pw-staff_a")
    page.goto(f"/sites/{site_a.code}/map/")

    page.wait_for_selector("path.skymap-land", state="attached")
    assert page.locator("path.skymap-perimeter").count() == 1
    assert page.locator("path.skymap-ring").count() == len(site_a.zone_radii_m)
    page.wait_for_selector(".skymap-dot")
    assert page.locator(".skymap-dot").count() == 2
    assert page.locator("#map-status").inner_text() == "Incidents shown: 2."
    assert page.locator(".skymap-legend").inner_text().count("Alert ring") == 3
    # Nothing outside was reachable, and the tiles that were tried did not block anything.
    assert all("tile.openstreetmap.org" in url for url in blocked), blocked

    older = page.locator(f'.skymap-dot[data-reference="{ring.reference}"]')
    assert float(older.evaluate("e => getComputedStyle(e).opacity")) < 1
    page.locator(f'.skymap-dot[data-reference="{inside.reference}"]').click()
    page.wait_for_url(f"**/incidents/{inside.reference}/")


def test_site_map_points_are_reachable_with_the_keyboard(page, staff_a, record, site_a):
    incident = record(site_a)
    sign_in(page, "staff_a", "pw-staff_a")
    page.goto(f"/sites/{site_a.code}/map/")
    dot = page.locator(f'.skymap-dot[data-reference="{incident.reference}"]')
    dot.wait_for()
    assert incident.reference in dot.get_attribute("aria-label")
    dot.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/incidents/{incident.reference}/")


def test_site_map_draws_external_reports_and_reference_zones_as_toggleable_layers(
    page, blocked, staff_a, record, site_a
):
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from incidents.models import ExternalReport, LocationSource, ReferenceZone
    from incidents.models.zones import ZoneFormat

    record(site_a)
    report = ExternalReport.objects.create(
        source_key="sightings.xlsx:2",
        source_file="sightings.xlsx",
        source_row=2,
        date=timezone.localdate() - timedelta(days=2),
        city="TANGERANG",
        state="BANTEN",
        summary="PRELIM INFO FROM FAA OPS: <b>UAS</b> at 500 ft.",
        location=east_of(site_a, 1000),
        location_source=LocationSource.CITY,
    )
    centre = site_a.perimeter_shape().centroid
    ReferenceZone.objects.create(
        dataset="test.json",
        identifier="CGK-CTR",
        name="Jakarta control zone",
        restriction="REQ_AUTHORIZATION",
        source_format=ZoneFormat.choices[0][0],
        geometry=MultiPolygon(
            # East of the site, across the edge of its outer ring.
            Polygon.from_bbox((centre.x + 0.02, centre.y - 0.1, centre.x + 0.2, centre.y + 0.1)),
            srid=4326,
        ),
    )
    sign_in(page, "staff_a", "pw-staff_a")
    page.goto(f"/sites/{site_a.code}/map/")
    page.wait_for_selector(".skymap-dot")
    diamond = page.locator(f'.skymap-external[data-external-report="{report.pk}"]')
    diamond.wait_for()
    page.wait_for_selector("path.skymap-zone", state="attached")
    # The zone lies in its own pane under the site's rings.
    zone_z = page.locator("path.skymap-zone").evaluate(
        "e => Number(getComputedStyle(e.closest('.leaflet-pane')).zIndex)"
    )
    ring_z = page.locator("path.skymap-ring").first.evaluate(
        "e => Number(getComputedStyle(e.closest('.leaflet-pane')).zIndex)"
    )
    assert zone_z < ring_z
    legend = page.locator(".skymap-legend").inner_text()
    assert "External reports" in legend and "Reference zones" in legend
    assert "1 external report" in page.locator("#external-count").inner_text()

    diamond.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert report.date.isoformat() in text and "TANGERANG, BANTEN" in text
    # The summary is shown verbatim, as text: its markup is not interpreted.
    assert "<b>UAS</b> at 500 ft." in text
    assert popup.locator("b").count() == 0

    page.uncheck("#toggle-external")
    assert page.locator(".skymap-external").count() == 0
    page.uncheck("#toggle-zones")
    assert page.locator("path.skymap-zone").count() == 0
    page.check("#toggle-zones")
    page.wait_for_selector("path.skymap-zone", state="attached")
    assert all("tile.openstreetmap.org" in url for url in blocked), blocked


def test_heat_map_toggle_replaces_points_with_a_heat_layer(page, staff_a, record, site_a):
    record(site_a)
    sign_in(page, "staff_a", "pw-staff_a")
    page.goto(f"/sites/{site_a.code}/map/")
    page.wait_for_selector(".skymap-dot")
    page.check("#toggle-heat")
    page.wait_for_selector("canvas.leaflet-heatmap-layer")
    assert page.locator(".skymap-dot").count() == 0
    page.uncheck("#toggle-heat")
    page.wait_for_selector(".skymap-dot")


def test_dashboard_draws_charts_and_an_offline_map_whose_points_open_incidents(
    page, blocked, staff_a, record, site_a
):
    incident = record(site_a, drone_count=4)
    sign_in(page, "staff_a", "pw-staff_a")
    page.wait_for_selector("#dashboard-map")
    page.wait_for_selector("path.skymap-land", state="attached")
    assert page.locator("#dashboard-map path.skymap-perimeter").count() == 1
    assert page.locator("#dashboard-map path.skymap-ring").count() == len(site_a.zone_radii_m)
    # Chart.js drew into every chart canvas (a drawn canvas has a non-zero size).
    for chart in ("site", "zone", "method", "hour", "weekday"):
        assert page.locator(f"#chart-{chart}").evaluate("c => c.width > 0 && !!Chart.getChart(c)")
    assert all("tile.openstreetmap.org" in url for url in blocked), blocked
    page.locator(f'#dashboard-map .skymap-dot[data-reference="{incident.reference}"]').click()
    page.wait_for_url(f"**/incidents/{incident.reference}/")


@pytest.mark.parametrize("width", [375, 1280])
def test_dashboard_and_site_map_fit_the_screen_width(
    browser, live_server, staff_a, record, site_a, width
):
    record(site_a)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 800}
    )
    context.route(
        "**/*",
        lambda route: route.continue_() if live_server.url in route.request.url else route.abort(),
    )
    page = context.new_page()
    sign_in(page, "staff_a", "pw-staff_a")
    for url in ("/", f"/sites/{site_a.code}/map/"):
        page.goto(url)
        page.wait_for_selector(".skymap-dot")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (url, overflow)
        # On a phone the legend starts folded, so it does not cover the points.
        assert page.locator(".skymap-legend").evaluate("d => d.open") == (width >= 640)
    context.close()


def test_offline_only_maps_request_no_tiles_at_all(
    page, blocked, settings, staff_a, record, site_a
):
    settings.LEAFLET_CONFIG = {**settings.LEAFLET_CONFIG, "TILES": []}  # MAP_TILES_URL=""
    record(site_a)
    sign_in(page, "staff_a", "pw-staff_a")
    page.goto(f"/sites/{site_a.code}/map/")
    page.wait_for_selector(".skymap-dot")
    page.wait_for_selector("path.skymap-land", state="attached")
    assert page.locator("img.leaflet-tile").count() == 0
    assert blocked == []


def test_many_points_are_grouped_into_clusters(page, staff_a, record, site_a):
    for metres in range(0, 1600, 10):  # 160 incidents, more than the page's threshold
        record(site_a, location=east_of(site_a, 100 + metres))
    sign_in(page, "staff_a", "pw-staff_a")
    page.goto(f"/sites/{site_a.code}/map/")
    page.wait_for_selector(".marker-cluster")
    assert page.is_checked("#toggle-cluster")
    assert page.locator("#map-status").inner_text() == "Incidents shown: 160."
    assert page.locator(".skymap-dot").count() < 160
    page.uncheck("#toggle-cluster")
    page.wait_for_function("document.querySelectorAll('.skymap-dot').length === 160")


def test_map_of_all_sites_groups_points_and_a_cluster_opens_to_its_points(
    page, blocked, admin_user, staff_b, record, site_a, site_b
):
    for metres in range(0, 1600, 10):  # 160 incidents, more than the page's threshold
        record(site_a, location=east_of(site_a, 100 + metres))
    at_b = record(site_b, reported_by=staff_b)
    sign_in(page, "admin", "pw-admin")
    page.goto("/map/")
    page.wait_for_selector("#site-map[data-rendered]")
    assert page.locator("#map-status").inner_text() == "Incidents shown: 161."
    assert page.locator("path.skymap-perimeter").count() == 2
    # Seen from far enough to hold both sites, site A's points are one cluster of 160.
    assert page.is_checked("#toggle-cluster")
    cluster = page.locator(".marker-cluster", has_text="160")
    cluster.wait_for()
    assert page.locator(".skymap-dot").count() == 1  # site B's single incident
    assert page.locator(f'.skymap-dot[data-reference="{at_b.reference}"]').count() == 1
    rendered = int(page.locator("#site-map").get_attribute("data-rendered"))
    cluster.click()
    # Zoomed in to where the cluster comes apart: the layer drew again, now as smaller groups
    # or single points, and clicking on until single points show reaches the incidents.
    page.wait_for_function(
        f"Number(document.querySelector('#site-map').dataset.rendered) > {rendered}"
    )
    assert page.locator(".marker-cluster", has_text="160").count() == 0
    assert page.locator(".marker-cluster, .skymap-dot").count() >= 2
    for _ in range(10):
        if page.locator(".skymap-dot").count():
            break
        page.locator(".marker-cluster").first.click()
        page.wait_for_timeout(400)
    page.locator(".skymap-dot").first.click()
    page.wait_for_url("**/incidents/*/")
    assert all("tile.openstreetmap.org" in url for url in blocked), blocked
