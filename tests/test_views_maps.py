"""The map infrastructure and the site map page: settings, SkyMap assets, views, query counts."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.choices import Status

ROOT = Path(__file__).resolve().parent.parent


def run_django(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k != "MAP_TILES_URL"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def config_element(html):
    start = html.index('<script id="skymap-config" type="application/json">')
    body = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(body)


# --- settings and assets -----------------------------------------------------------------


def test_empty_map_tiles_url_means_offline_maps_without_tiles():
    code = "from django.conf import settings; print('TILES', settings.LEAFLET_CONFIG['TILES'])"
    result = run_django("shell", "--no-imports", "-c", code, MAP_TILES_URL="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "TILES []"


def test_map_tiles_url_that_is_not_a_template_stops_start_up_with_a_clear_message():
    result = run_django("check", MAP_TILES_URL="tiles.example.org")
    assert result.returncode != 0
    assert "MAP_TILES_URL='tiles.example.org' is not a tile URL template" in result.stderr


def test_skymap_js_tag_gives_scripts_and_config_without_inline_code(settings):
    settings.LEAFLET_CONFIG = {
        **settings.LEAFLET_CONFIG,
        "TILES": [("Map", "https://tiles.example.org/{z}/{x}/{y}.png", {"attribution": "X"})],
    }
    html = Template('{% load skymap %}{% skymap_js "cluster" "heat" %}').render(Context())
    for script in (
        "leaflet/leaflet",
        "vendor/supercluster/supercluster.min.js",
        "vendor/leaflet.heat/leaflet-heat.js",
        "vendor/topojson-client/topojson-client.min.js",
        "incidents/js/skymap.js",
    ):
        assert script in html, script
    # Every <script> either loads a file or carries JSON data: nothing a CSP would block.
    for chunk in html.split("<script")[1:]:
        assert ' src="' in chunk.split(">", 1)[0] or 'type="application/json"' in chunk
    config = config_element(html)
    assert config["tiles"][0]["url"] == "https://tiles.example.org/{z}/{x}/{y}.png"
    assert config["atlasUrl"].endswith("vendor/world-atlas/countries-50m.json")
    assert config["labels"]["severity"]["critical"] == "Critical"


def test_skymap_config_has_no_tiles_when_offline(settings):
    settings.LEAFLET_CONFIG = {**settings.LEAFLET_CONFIG, "TILES": []}
    html = Template("{% load skymap %}{% skymap_js %}").render(Context())
    assert config_element(html)["tiles"] == []
    assert "markercluster" not in html and "supercluster" not in html


def test_vendored_files_named_in_the_tags_exist():
    static = ROOT / "incidents" / "static"
    for path in [
        "incidents/vendor/world-atlas/countries-50m.json",
        "incidents/vendor/topojson-client/topojson-client.min.js",
        "incidents/vendor/supercluster/supercluster.min.js",
        "incidents/vendor/supercluster/LICENSE",
        "incidents/vendor/kdbush/LICENSE",
        "incidents/vendor/leaflet.markercluster/MarkerCluster.Default.css",
        "incidents/vendor/leaflet.heat/leaflet-heat.js",
        "incidents/vendor/chart.js/chart.umd.min.js",
        "incidents/js/skymap.js",
        "incidents/css/maps.css",
    ]:
        assert (static / path).is_file(), path
    atlas = json.loads((static / "incidents/vendor/world-atlas/countries-50m.json").read_text())
    assert {"land", "countries"} <= set(atlas["objects"])


# --- the site map page and its data --------------------------------------------------------


def map_url(site, query=""):
    return reverse("site_map", args=[site.code]) + (f"?{query}" if query else "")


def data_url(site, query=""):
    return reverse("site_map_incidents", args=[site.code]) + (f"?{query}" if query else "")


def page_data(response):
    html = response.content.decode()
    start = html.index('<script id="site-map-data" type="application/json">')
    return json.loads(html[start:].split(">", 1)[1].split("</script>", 1)[0])


def references(response):
    """The references in a map data response, GeoJSON or the pages' compact ?format=rows."""
    body = json.loads(response.content)
    if "format=rows" in response.request["QUERY_STRING"]:
        assert response["Content-Type"] == "application/json"
        column = body["fields"].index("reference")
        return sorted(row[column] for row in body["rows"])
    assert response["Content-Type"] == "application/geo+json"
    return sorted(f["properties"]["reference"] for f in body["features"])


@pytest.fixture
def site_a_incidents(site_a, record):
    """A draft and a submitted incident at site A, both within the last 30 days."""
    return {
        "draft": record(site_a),
        "submitted": record(site_a, status=Status.SUBMITTED, drone_count=4),
    }


@pytest.mark.parametrize("persona", ["staff_a", "supervisor_a", "regulator", "admin"])
def test_people_who_may_see_site_a_get_its_map(client, personas, persona, site_a):
    client.force_login(personas[persona])
    response = client.get(map_url(site_a))
    assert response.status_code == 200
    html = response.content.decode()
    assert "CGK Soekarno-Hatta: map" in html
    assert 'id="site-map"' in html
    data = page_data(response)
    kinds = [f["properties"]["kind"] for f in data["site"]["features"]]
    assert kinds == ["perimeter", "ring", "ring", "ring"]
    assert data["dataUrl"].startswith(data_url(site_a))
    assert "<script>" not in html  # data through json_script, code in static files


def test_staff_of_another_site_gets_404_for_the_map_and_its_data(client, staff_b, site_a):
    client.force_login(staff_b)
    assert client.get(map_url(site_a)).status_code == 404
    assert client.get(data_url(site_a)).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(client, site_a):
    for url in (map_url(site_a), data_url(site_a)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_map_data_follows_visible_to_for_each_persona(client, personas, site_a_incidents, site_a):
    draft, submitted = site_a_incidents["draft"], site_a_incidents["submitted"]
    expected = {
        "staff_a": [draft.reference, submitted.reference],
        "supervisor_a": [draft.reference, submitted.reference],
        "regulator": [submitted.reference],  # submitted and later only
        "admin": [draft.reference, submitted.reference],
    }
    for name, refs in expected.items():
        client.force_login(personas[name])
        assert references(client.get(data_url(site_a))) == sorted(refs), name


def test_map_data_shows_only_this_site_even_for_an_admin(
    client, admin_user, record, site_a, site_b, staff_b
):
    record(site_b, reported_by=staff_b)
    mine = record(site_a)
    client.force_login(admin_user)
    assert references(client.get(data_url(site_a, "site=DPS"))) == [mine.reference]


def test_period_defaults_to_30_days_and_presets_and_dates_use_the_list_parameters(
    client, staff_a, record, site_a
):
    now = timezone.now()
    recent = record(site_a, first_seen=now - timedelta(days=3))
    older = record(site_a, first_seen=now - timedelta(days=60))
    ancient = record(site_a, first_seen=now - timedelta(days=400))
    client.force_login(staff_a)

    response = client.get(map_url(site_a))
    default_query = page_data(response)["dataUrl"].split("?", 1)[1]
    assert references(client.get(data_url(site_a, default_query))) == [recent.reference]
    html = response.content.decode()
    for days in (7, 30, 90, 365):
        assert f"Last {days} days" in html
    assert 'aria-current="true">Last 30 days' in html

    year_ago = (now - timedelta(days=365)).date().isoformat()
    query = f"first_seen_after={year_ago}"
    assert references(client.get(data_url(site_a, query))) == sorted(
        [recent.reference, older.reference]
    )
    before = (now - timedelta(days=30)).date().isoformat()
    query = f"first_seen_after=2000-01-01&first_seen_before={before}"
    assert references(client.get(data_url(site_a, query))) == sorted(
        [older.reference, ancient.reference]
    )


def test_other_list_filters_apply_and_are_kept_on_the_page(client, staff_a, record, site_a):
    record(site_a)
    critical = record(site_a, drone_count=5, payload_seen=True)
    client.force_login(staff_a)
    assert references(client.get(data_url(site_a, "severity=critical"))) == [critical.reference]
    html = client.get(map_url(site_a, "severity=critical&status=draft")).content.decode()
    assert 'value="critical" checked' in html
    assert '<input type="hidden" name="status" value="draft">' in html


def test_bad_dates_are_explained_on_the_page_and_by_the_data_endpoint(client, staff_a, site_a):
    client.force_login(staff_a)
    response = client.get(map_url(site_a, "first_seen_after=31/02/2026"))
    assert response.status_code == 200
    assert "Please correct the filter" in response.content.decode()
    assert 'value="31/02/2026"' in response.content.decode()  # what was typed is kept
    response = client.get(data_url(site_a, "first_seen_after=31/02/2026"))
    assert response.status_code == 400
    assert "Enter a valid date/time." in response.json()["message"]


@pytest.mark.parametrize("endpoint", [map_url, data_url])
def test_map_queries_do_not_grow_with_incidents(client, staff_a, record, site_a, endpoint):
    client.force_login(staff_a)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(endpoint(site_a)).status_code == 200
        return len(queries)

    record(site_a)
    count_queries()  # warm the process-wide caches (content types, settings) first
    few = count_queries()
    for _ in range(15):
        record(site_a)
    assert count_queries() == few
    # On PostGIS one more query names the signed-in user to the audit triggers.
    assert few <= 7


def test_site_across_180_gets_its_points_drawn_beside_it(client, admin_user, db):
    from tests.conftest import make_site

    site = make_site("SUV", 179.9995, -16.788, half_side_m=1500, timezone="Pacific/Fiji")
    client.force_login(admin_user)
    response = client.get(map_url(site))
    assert response.status_code == 200
    data = page_data(response)
    assert 179.9 < data["nearLng"] < 180.1  # points at -179.99 are moved next to the site
    assert client.get(data_url(site)).status_code == 200


# --- imported layers: external reports and reference zones -------------------------------


def external_report(key, site, day, east_m=0):
    """An external report `east_m` metres east of the site's centroid, on `day`."""
    from django.contrib.gis.geos import Point

    from incidents import geo
    from incidents.models import ExternalReport, LocationSource

    centre = site.perimeter_shape().centroid
    x, y, _ = geo.WGS84.fwd(centre.x, centre.y, 90, east_m)
    return ExternalReport.objects.create(
        source_key=key,
        source_file="sightings.xlsx",
        source_row=2,
        date=day,
        city="TANGERANG",
        state="BANTEN",
        summary=f"PRELIM INFO FROM FAA OPS: <b>{key}</b> reported a UAS.",
        location=Point(float(x), float(y), srid=4326),
        location_source=LocationSource.CITY,
    )


@pytest.mark.parametrize("persona", ["staff_a", "supervisor_a", "regulator", "admin"])
def test_site_map_counts_and_links_external_reports_of_the_period(
    client, personas, persona, site_a
):
    today = timezone.localdate()
    shown = external_report("recent", site_a, today - timedelta(days=3))
    external_report("old", site_a, today - timedelta(days=100))
    external_report("far", site_a, today - timedelta(days=3), east_m=200_000)
    client.force_login(personas[persona])
    response = client.get(map_url(site_a))
    html = response.content.decode()
    assert "1 external report (FAA sightings etc.) near this site in this period." in html
    assert 'id="toggle-external" checked' in html and 'id="toggle-zones" checked' in html
    layer = client.get(page_data(response)["externalUrl"])
    assert layer.status_code == 200
    features = layer.json()["features"]
    assert [f["id"] for f in features] == [shown.pk]
    assert features[0]["properties"]["summary"] == shown.summary  # verbatim; drawn as text

    html = client.get(map_url(site_a, "first_seen_after=2000-01-01")).content.decode()
    assert "2 external reports (FAA sightings etc.) near this site in this period." in html


def test_external_reports_layer_refuses_a_bad_date_saying_how_to_write_it(client, staff_a, site_a):
    client.force_login(staff_a)
    url = reverse("site_external_reports", args=[site_a.code])
    response = client.get(url, {"date_after": "31/02/2026"})
    assert response.status_code == 400
    assert "Give date_after as a date, YYYY-MM-DD." in response.content.decode()


def test_site_map_asks_for_the_reference_zones_around_its_outer_ring(client, staff_a, site_a):
    client.force_login(staff_a)
    data = page_data(client.get(map_url(site_a)))
    url, query = data["zonesUrl"].split("?")
    assert url == reverse("reference_zones")
    west, south, east, north = (float(v) for v in query.removeprefix("in_bbox=").split(","))
    centre = site_a.perimeter_shape().centroid
    assert west < centre.x < east and south < centre.y < north
    # The outermost ring is kilometres wide, so the box is too (about 0.009° per km).
    assert east - west > 0.01
    assert client.get(data["zonesUrl"]).status_code == 200


# --- the map of all sites ------------------------------------------------------------------


def all_map_url(query=""):
    return reverse("all_sites_map") + (f"?{query}" if query else "")


def all_data_url(query=""):
    return reverse("all_sites_map_incidents") + (f"?{query}" if query else "")


def test_map_of_all_sites_shows_each_visible_site_and_its_incidents(
    client, admin_user, staff_a, staff_b, record, site_a, site_b
):
    at_a = record(site_a)
    at_b = record(site_b, reported_by=staff_b)
    client.force_login(admin_user)
    response = client.get(all_map_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Map of all sites" in html
    assert f'href="{all_map_url()}">All sites</a>' in html  # in the site maps menu
    assert 'id="toggle-external"' not in html  # external reports and zones are per site
    data = page_data(response)
    codes = [s["features"][0]["properties"]["code"] for s in data["sites"]]
    assert codes == ["CGK", "DPS"]
    # Perimeters only: hundreds of sites' geodesic rings would make the page slow and large.
    assert all(len(s["features"]) == 1 for s in data["sites"])
    query = data["dataUrl"].split("?", 1)[1]
    assert "format=rows" in query  # the page loads the compact form
    assert references(client.get(all_data_url(query))) == sorted([at_a.reference, at_b.reference])
    features = client.get(all_data_url()).json()["features"]  # GeoJSON unless asked otherwise
    sites = {f["properties"]["reference"]: f["properties"]["site"] for f in features}
    assert sites == {at_a.reference: "CGK", at_b.reference: "DPS"}
    # The list's site filter narrows it to one site.
    assert references(client.get(all_data_url("site=DPS"))) == [at_b.reference]


def test_map_of_all_sites_shows_staff_only_their_own_site(
    client, staff_a, staff_b, record, site_a, site_b
):
    mine = record(site_a)
    record(site_b, reported_by=staff_b)
    client.force_login(staff_a)
    data = page_data(client.get(all_map_url()))
    assert [s["features"][0]["properties"]["code"] for s in data["sites"]] == ["CGK"]
    assert references(client.get(all_data_url())) == [mine.reference]
    # Asking for another site is refused as the list refuses it, with a message.
    response = client.get(all_data_url("site=DPS"))
    assert response.status_code == 400
    assert "DPS" in response.json()["message"]


def test_map_of_all_sites_defaults_to_30_days_and_explains_bad_dates(
    client, admin_user, record, site_a
):
    now = timezone.now()
    recent = record(site_a, first_seen=now - timedelta(days=3))
    record(site_a, first_seen=now - timedelta(days=60))
    client.force_login(admin_user)
    default_query = page_data(client.get(all_map_url()))["dataUrl"].split("?", 1)[1]
    assert references(client.get(all_data_url(default_query))) == [recent.reference]
    response = client.get(all_data_url("first_seen_after=31/02/2026"))
    assert response.status_code == 400
    assert "Enter a valid date/time." in response.json()["message"]
    assert (
        "Please correct the filter"
        in client.get(all_map_url("first_seen_after=31/02/2026")).content.decode()
    )


def test_map_of_all_sites_sends_anonymous_visitors_to_sign_in(client, db):
    for url in (all_map_url(), all_data_url()):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("endpoint", [all_map_url, all_data_url])
def test_map_of_all_sites_queries_do_not_grow_with_incidents_or_sites(
    client, admin_user, record, site_a, endpoint
):
    from tests.conftest import make_site

    client.force_login(admin_user)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(endpoint()).status_code == 200
        return len(queries)

    record(site_a)
    count_queries()  # warm the process-wide caches first
    few = count_queries()
    for index in range(5):
        site = make_site(f"QC{index}", 10 + index, 50, half_side_m=500)
        record(site, reported_by=admin_user)
        record(site_a)
    assert count_queries() == few


def test_map_data_in_rows_form_holds_the_same_features_as_the_geojson(
    client, staff_a, record, site_a
):
    record(site_a, drone_count=4)
    record(site_a)
    client.force_login(staff_a)
    geojson = client.get(data_url(site_a)).json()
    response = client.get(data_url(site_a, "format=rows"))
    assert response["Content-Type"] == "application/json"
    table = response.json()
    names = table["fields"]
    assert names[:3] == ["id", "lon", "lat"]
    rebuilt = [
        {
            "type": "Feature",
            "id": row[0],
            "geometry": {"type": "Point", "coordinates": row[1:3]},
            "properties": dict(zip(names[3:], row[3:], strict=True)),
        }
        for row in table["rows"]
    ]
    assert rebuilt == geojson["features"] and len(rebuilt) == 2
