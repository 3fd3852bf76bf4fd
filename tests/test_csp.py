"""The Content Security Policy header, and pages that keep to it (no inline script without
the request's nonce, no inline event handler). The browser proof is test_browser_csp.py."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


def directives(header):
    """The policy as {directive: [sources]}."""
    parts = (part.split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def inline_scripts(html):
    """Attributes of every <script> that runs inline code (no src, not a JSON data block)."""
    found = []
    for match in SCRIPT_TAG.finditer(html):
        attrs = match.group(1)
        if "src=" in attrs or 'type="application/json"' in attrs:
            continue
        found.append(attrs)
    return found


@pytest.fixture
def pages(site_a, record):
    incident = record(site_a, drones=[{"uas_id": "1581F5FJD228400B0001", "uas_id_type": "serial"}])
    return [
        "/",
        "/incidents/",
        "/incidents/new/",
        f"/incidents/{incident.reference}/",
        f"/incidents/{incident.reference}/edit/",
        f"/sites/{site_a.code}/map/",
        "/reports/",
        "/exports/",
        "/patterns/",
        "/drones/uas/1581F5FJD228400B0001/",
        "/accounts/password_change/",
        "/alerts/preferences/",
        "/api/v1/docs/",
        "/admin/",
        f"/admin/incidents/site/{site_a.pk}/change/",
        f"/admin/incidents/incident/{incident.pk}/change/",
    ]


def test_sign_in_page_sends_a_policy_without_unsafe_inline_scripts(client):
    response = client.get("/accounts/login/")
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:", "https://tile.openstreetmap.org"]


@pytest.mark.parametrize("persona", ["admin", "staff_a"])
def test_every_inline_script_carries_the_nonce_of_its_response(persona, personas, pages):
    client = Client()
    client.force_login(personas[persona])
    checked = 0
    for url in pages:
        response = client.get(url)
        if persona == "staff_a" and url.startswith("/admin/"):
            assert response.status_code == 302, url  # staff_a never reaches the admin
            continue
        assert response.status_code == 200, url
        html = response.content.decode()
        policy = directives(response.headers["Content-Security-Policy"])
        assert "'unsafe-inline'" not in policy["script-src"], url
        nonces = {s[len("'nonce-") : -1] for s in policy["script-src"] if s.startswith("'nonce-")}
        for attrs in inline_scripts(html):
            nonce = re.search(r'nonce="([^"]+)"', attrs)
            assert nonce and nonces == {nonce.group(1)}, f"{url}: <script{attrs}> has no nonce"
            checked += 1
        assert not EVENT_HANDLER.search(html), f"{url}: inline event handler"
        assert "javascript:" not in html, url
    # The Leaflet maps (form, detail, edit, admin widgets) and Swagger UI start inline.
    assert checked >= (3 if persona == "staff_a" else 6)


def test_language_switch_has_no_inline_handler_and_loads_its_script(client, staff_a):
    client.force_login(staff_a)
    html = client.get("/").content.decode()
    assert 'id="language-switch" name="language">' in html
    assert "incidents/js/language-switch.js" in html


def _settings_under(**env):
    """config.settings as a fresh interpreter reads it with these environment variables."""
    code = (
        "import json, config.settings as s; print(json.dumps([s.CONTENT_SECURITY_POLICY, "
        "s.CONTENT_SECURITY_POLICY_REPORT_ONLY], default=repr))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return result


def test_report_only_sends_the_same_policy_without_enforcing_it():
    result = _settings_under(CSP_REPORT_ONLY="true", CSP_REPORT_URI="/csp-reports/")
    enforced, report_only = json.loads(result.stdout)
    assert enforced is None
    assert report_only["DIRECTIVES"]["script-src"] == ["'self'", "csp.constants.NONCE"]
    assert report_only["DIRECTIVES"]["report-uri"] == ["/csp-reports/"]


def test_tile_server_with_subdomains_is_allowed_as_a_wildcard_and_offline_maps_allow_none():
    result = _settings_under(MAP_TILES_URL="https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    enforced, _ = json.loads(result.stdout)
    assert enforced["DIRECTIVES"]["img-src"][-1] == "https://*.tiles.example.org"
    result = _settings_under(MAP_TILES_URL="")
    enforced, _ = json.loads(result.stdout)
    assert enforced["DIRECTIVES"]["img-src"] == ["'self'", "data:", "blob:"]


def test_tile_url_with_a_placeholder_in_the_host_stops_start_up_with_a_clear_message():
    result = _settings_under(MAP_TILES_URL="https://{z}.tiles.example.org/{x}/{y}.png")
    assert result.returncode != 0
    assert "cannot allow it. Put {z}, {x} and {y} in the path" in result.stderr
