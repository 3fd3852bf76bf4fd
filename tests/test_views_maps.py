"""The map infrastructure and the site map page: settings, SkyMap assets, views, query counts."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.template import Context, Template

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
        "vendor/leaflet.markercluster/leaflet.markercluster.js",
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
    assert "markercluster" not in html


def test_vendored_files_named_in_the_tags_exist():
    static = ROOT / "incidents" / "static"
    for path in [
        "incidents/vendor/world-atlas/countries-50m.json",
        "incidents/vendor/topojson-client/topojson-client.min.js",
        "incidents/vendor/leaflet.markercluster/leaflet.markercluster.js",
        "incidents/vendor/leaflet.heat/leaflet-heat.js",
        "incidents/vendor/chart.js/chart.umd.min.js",
        "incidents/js/skymap.js",
        "incidents/css/maps.css",
    ]:
        assert (static / path).is_file(), path
    atlas = json.loads((static / "incidents/vendor/world-atlas/countries-50m.json").read_text())
    assert {"land", "countries"} <= set(atlas["objects"])
