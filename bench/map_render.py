"""The map of all sites in headless Chromium: time to first render and to re-render after a
zoom and a pan, with supercluster (what the page loads) against leaflet.markercluster (the
former way, swapped in by rewriting the page's script tag), in the same run on the same rows.

A live server (`manage.py runserver --noreload` on a free loopback port, this bench database)
serves the real page, signed in as a temporary admin whose session is made here; the user and
its session are deleted afterwards (the audit log keeps its entries for them, as it must). The
period shown holds ~100k incidents, or every incident when the data set is smaller.

First render: navigation start until the incidents layer has drawn and the browser has
painted it (the page's performance mark "skymap-rendered-1", see js/sitemap.js).
"""

import math
import os
import secrets
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from statistics import median
from urllib.parse import urlencode, urlsplit

from .data import SPAN_S, START

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# The flags of tests/conftest.py's `browser` fixture.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_VIEW = 100_000
USERNAME = "bench-map-render"
SUPERCLUSTER = "incidents/vendor/supercluster/supercluster.min.js"
MARKERCLUSTER = "incidents/vendor/leaflet.markercluster/leaflet.markercluster.js"
RENDER_TIMEOUT_S = 600


def run(ctx):
    if not Path(CHROMIUM).exists():
        ctx.info(f"map render: skipped, {CHROMIUM} is missing (make test-browser installs it)")
        return
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs a loop
    from django.urls import reverse

    from incidents.filters import IncidentFilter
    from incidents.models import Incident

    days = min(SPAN_S / 86400, math.ceil(SPAN_S / 86400 * IN_VIEW / max(ctx.count, 1)))
    start = START.date()
    end = start + timedelta(days=int(days))
    period = {"first_seen_after": start.isoformat(), "first_seen_before": end.isoformat()}
    # Counted through the list's filter, as the map endpoint does for an admin.
    in_view = IncidentFilter(period, Incident.objects.all()).qs.count()
    url = reverse("all_sites_map") + "?" + urlencode(period)
    session_key, cleanup = _admin_session()
    server = None
    try:
        server, base = _start_server()
        ctx.info(f"map render: {in_view:,} incidents in view ({start} to {end}), {url}")
        ours = _measure(ctx, base, url, session_key, swap=False)
        theirs = _measure(ctx, base, url, session_key, swap=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        cleanup()
    # Both must have drawn the same incidents, or the comparison means nothing.
    assert ours["count"] == theirs["count"] == in_view, (ours["count"], theirs["count"], in_view)
    name = f"map page first render, {in_view:,} in view"
    ctx.faster(name, ours["first"], theirs["first"], 1, baseline="leaflet.markercluster")
    ctx.info(
        f"    the GeoJSON had arrived at {ours['data'] * 1e3:.0f} ms "
        f"({ours['bytes'] / 1e6:.1f} MB); supercluster after it: "
        f"{(ours['first'] - ours['data']) * 1e3:.0f} ms, markercluster after it: "
        f"{(theirs['first'] - theirs['data']) * 1e3:.0f} ms"
    )
    # Re-renders include Leaflet's 250 ms animation and the redraw of the offline base map,
    # the same on both sides: shown as a plain ratio (ours / markercluster), no goal.
    note = "includes the 250 ms animation and the base map's redraw"
    ctx.ratio("  zoom in, re-render", ours["zoom"], theirs["zoom"], None, "markercluster", note)
    ctx.ratio("  pan, re-render", ours["pan"], theirs["pan"], None, "markercluster", note)


def _admin_session():
    """A temporary superuser with a session made here (no sign-in form, no 2FA step)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    User.objects.filter(username=USERNAME).delete()  # left over by an interrupted run
    user = User.objects.create_superuser(USERNAME, password=secrets.token_urlsafe(24))
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()

    def cleanup():
        SessionStore(session_key=session.session_key).delete()
        user.delete()

    return session.session_key, cleanup


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server():
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "true",  # runserver serves the static files
        "TWO_FACTOR_REQUIRED": "false",
        "AXES_ENABLED": "false",
        "MAP_TILES_URL": "",  # offline base only: nothing is fetched from outside
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"runserver exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("runserver did not start within 60 s")


def _measure(ctx, base, url, session_key, swap):
    """Median first render, zoom and pan re-render (seconds) of `repeats` page loads."""
    from django.conf import settings
    from playwright.sync_api import sync_playwright

    samples = {"first": [], "data": [], "zoom": [], "pan": []}
    result = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            for _ in range(ctx.repeats):
                context = browser.new_context(
                    base_url=base, viewport={"width": 1280, "height": 900}
                )
                host = urlsplit(base).hostname
                context.add_cookies(
                    [
                        {
                            "name": settings.SESSION_COOKIE_NAME,
                            "value": session_key,
                            "domain": host,
                            "path": "/",
                        }
                    ]
                )
                context.route("**/*", _router(base, swap))
                page = context.new_page()
                errors = []
                page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
                sample = _one_load(page, url)
                context.close()
                assert not errors, errors
                for key in samples:
                    samples[key].append(sample[key])
                result.update(count=sample["count"], bytes=sample["bytes"])
        finally:
            browser.close()
    result.update({key: median(values) for key, values in samples.items()})
    return result


def _router(base, swap):
    """Only our server is reachable; with swap, the page loads markercluster instead."""
    netloc = urlsplit(base).netloc

    def route(route):
        request = route.request
        if urlsplit(request.url).netloc != netloc:
            route.abort()
        elif swap and request.resource_type == "document":
            response = route.fetch()
            html = response.text()
            assert SUPERCLUSTER in html, "the page no longer loads supercluster"
            route.fulfill(response=response, body=html.replace(SUPERCLUSTER, MARKERCLUSTER))
        else:
            route.continue_()

    return route


def _one_load(page, url):
    page.goto(url, wait_until="commit")
    _wait_rendered(page, 0)
    first = page.evaluate(
        """() => {
          const mark = performance.getEntriesByName("skymap-rendered-1")[0];
          const data = performance.getEntriesByType("resource")
            .find((entry) => entry.name.includes("incidents.geojson"));
          const count = document.querySelector("#map-status").textContent.match(/[0-9]+/);
          return {first: mark.startTime, data: data.responseEnd,
                  bytes: data.decodedBodySize, count: count ? Number(count[0]) : 0};
        }"""
    )
    zoom = _rerender(page, "document.querySelector('.leaflet-control-zoom-in').click()")
    pan = _rerender(page, "document.querySelector('#site-map').focus()", key="ArrowRight")
    return {
        "first": first["first"] / 1e3,
        "data": first["data"] / 1e3,
        "bytes": first["bytes"],
        "count": first["count"],
        "zoom": zoom,
        "pan": pan,
    }


def _wait_rendered(page, count):
    """Poll until the map has rendered more than `count` times. Not wait_for_function: the
    page's CSP (no 'unsafe-eval') refuses its polling script. Timings come from the page's
    performance marks, so the polling interval does not enter them."""
    deadline = time.monotonic() + RENDER_TIMEOUT_S
    script = "Number(document.querySelector('#site-map')?.dataset.rendered || 0)"
    while page.evaluate(script) <= count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the map did not render within {RENDER_TIMEOUT_S} s")
        time.sleep(0.02)


def _rerender(page, action, key=None):
    """Seconds from an action until the incidents layer has drawn again and been painted."""
    before = int(page.evaluate("document.querySelector('#site-map').dataset.rendered"))
    started = page.evaluate(f"() => {{ const t = performance.now(); {action}; return t; }}")
    if key:
        started = page.evaluate("performance.now()")
        page.keyboard.press(key)
    _wait_rendered(page, before)
    mark = page.evaluate(
        f"performance.getEntriesByName('skymap-rendered-{before + 1}')[0].startTime"
    )
    return (mark - started) / 1e3
