"""Sensor ingest: a batch POST of 1,000 detections against raw multi-row INSERTs of the rows
it writes, and single-detection POSTs per second under gunicorn against a no-database view.

Batch (in process, Django's test Client, DEBUG off): the whole API path (API key, JSON
parsing, validation, exactly-once check, grouping into incidents, drones and tracks, the
response). Each repeat sends the same 1,000 detections (10 drone tracks of 100 points, half
with a UAS ID, half grouped by distance) under fresh detection ids, inside a transaction that
is rolled back. The baseline then inserts exactly the rows that request wrote to the
detection, incident and drone tables, one multi-row `INSERT ... VALUES (...), (...)` per
table, also rolled back. It leaves out what else the product writes for the same request
(the timeline entries, the correlation event and the background tasks of each new incident,
the key's last use), so that work counts against SkyLedger.

Single POSTs (gunicorn, 2 sync workers, DEBUG off, persistent database connections): wrk
posts one detection per request (fresh ids from a Lua script; one drone at each of 20 sites,
so nearly every detection joins an open incident, the steady state of a sensor) to
/api/v1/detections/, then the same bodies to /bench/no-db/ (bench/urls.py: a DRF view
that parses the body and answers without authentication or any query). The server runs on a
copy of the bench database, removed afterwards, so the data set stays as it was.
"""

import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
URL = "/api/v1/detections/"
NO_DB_URL = "/bench/no-db/"
BATCH = 1000
TRACKS = 10
WRK_SECONDS = 5
WRK_CONNECTIONS = 4
SENSOR_SITES = 20


def run(ctx):
    batch_post(ctx)
    single_post_throughput(ctx)


# --- Batch POST vs multi-row INSERT ---------------------------------------------------------


def batch_bodies(site):
    """1,000 detections without ids: 10 tracks of 100 points, 2 s apart, 15 minutes between
    tracks (so each is its own incident); even tracks carry a UAS ID, odd ones do not."""
    from django.utils import timezone

    from incidents import geo

    centre = site.perimeter_shape().centroid
    start = timezone.now() - timedelta(hours=4)
    per_track = BATCH // TRACKS
    bodies = []
    for track in range(TRACKS):
        # Each track crosses the site, 3 km from side to side, at 15 m/s.
        heading = 360 * track / TRACKS
        x0, y0, _ = geo.WGS84.fwd(centre.x, centre.y, heading + 180, 1500)
        for step in range(per_track):
            lon, lat, _ = geo.WGS84.fwd(x0, y0, heading, 30.0 * step)
            body = {
                "site": site.code,
                "sensor_id": f"bench-rf-{track % 3}",
                "time": (start + timedelta(minutes=15 * track, seconds=2 * step)).isoformat(),
                "position": {"lat": float(lat), "lon": float(lon), "altitude_m": 60 + step % 40},
                "signal": {"rssi_dbm": -60 - step % 30, "frequency_mhz": 2437},
            }
            if track % 2 == 0:
                body.update(uas_id=f"BENCH{track:02d}", uas_id_type="serial")
            bodies.append(body)
    return bodies


def batch_post(ctx):
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import override_settings

    from incidents import services
    from incidents.models import Detection, Site

    site = Site.objects.order_by("code").first()
    template = batch_bodies(site)
    written = {}

    def ours():
        bodies = [{"detection_id": str(uuid.uuid4()), **body} for body in template]
        payload = json.dumps(bodies)
        with transaction.atomic():
            _key, token = services.create_api_key(
                created_by=None, name="bench ingest", purpose="ingest", sites=[site]
            )
            client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Api-Key {token}")
            start = time.perf_counter()
            response = client.post(URL, payload, content_type="application/json")
            elapsed = time.perf_counter() - start
            assert response.status_code == 200, response.content[:500]
            outcome = response.json()
            assert outcome["stored"] == BATCH, {k: outcome[k] for k in ("stored", "refused")}
            ids = [body["detection_id"] for body in bodies]
            detections = Detection.objects.filter(detection_id__in=ids)
            incident_ids = sorted(set(detections.values_list("incident_id", flat=True)))
            written["rows"] = [
                table_rows("incidents_incident", "id", incident_ids),
                table_rows("incidents_drone", "incident_id", incident_ids),
                table_rows("incidents_detection", "incident_id", incident_ids),
            ]
            transaction.set_rollback(True)
        return elapsed

    def raw():
        statements = [multi_row_insert(*rows) for rows in written["rows"]]
        with transaction.atomic():
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    # psycopg binds on the client: compose the SQL text before the clock
                    # starts, so only the database's work is timed (sqlite3 binds in C).
                    statements = [(cursor.mogrify(sql, params), None) for sql, params in statements]
                start = time.perf_counter()
                for sql, params in statements:
                    cursor.execute(sql, params)
                elapsed = time.perf_counter() - start
                cursor.execute(
                    "SELECT count(*) FROM incidents_detection WHERE incident_id IN "
                    f"({', '.join(str(i) for i in incident_ids_of(written['rows']))})"
                )
                assert cursor.fetchone()[0] == BATCH
            transaction.set_rollback(True)
        return elapsed

    with override_settings(DEBUG=False):
        ours_t = statistics.median(ours() for _ in range(ctx.repeats))
        raw_t = statistics.median(raw() for _ in range(ctx.repeats))
    incidents, drones, detections = (len(rows[2]) for rows in written["rows"])
    assert detections == BATCH
    ctx.ratio(
        f"ingest: batch POST of {BATCH:,} detections",
        ours_t,
        raw_t,
        5,
        baseline=f"multi-row INSERT of the same {detections:,} detection, {incidents} incident "
        f"and {drones} drone rows",
        note=f"{incidents} incidents, {drones} drones; timeline, correlation, tasks not in raw",
    )


def table_rows(table, column, values):
    """(table, columns, rows) of the rows whose `column` is in `values`, as stored (on
    PostGIS as text, which the INSERT parses back: hex EWKB, JSON, timestamps)."""
    from django.db import connection

    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
        select = ", ".join(
            f"{quote(c)}::text" if connection.vendor == "postgresql" else quote(c) for c in columns
        )
        marks = ", ".join(["%s"] * len(values))
        cursor.execute(
            f"SELECT {select} FROM {table} WHERE {quote(column)} IN ({marks})",
            [str(v) if connection.vendor == "postgresql" else v for v in values],
        )
        return table, columns, cursor.fetchall()


def incident_ids_of(written_rows):
    _table, columns, rows = written_rows[0]
    position = columns.index("id")
    return [row[position] for row in rows]


def multi_row_insert(table, columns, rows):
    """One `INSERT INTO table (...) VALUES (...), (...), ...` and its parameters."""
    from django.db import connection

    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) VALUES " + ", ".join(
        [row] * len(rows)
    )
    return sql, [value for values in rows for value in values]


# --- Single POSTs under gunicorn ------------------------------------------------------------


def single_post_throughput(ctx):
    from incidents.models import Site

    wrk = ensure_wrk()
    if wrk is None:
        ctx.info("ingest: single POSTs skipped: wrk is not installed and could not be.")
        return
    sites = list(Site.objects.order_by("code")[:SENSOR_SITES])
    bodies = single_bodies(sites)
    with database_copy() as database_url:
        token = make_key(database_url, [site.code for site in sites])
        port = free_port()
        with gunicorn(database_url, port):
            ingest = {"path": URL, "bodies": bodies, "token": token}
            no_db = {"path": NO_DB_URL, "bodies": bodies, "token": ""}
            load(wrk, port, ingest, seconds=1)  # warm both workers' caches
            load(wrk, port, no_db, seconds=1)
            ingest_runs, no_db_runs = [], []
            for _ in range(ctx.repeats):
                ingest_runs.append(load(wrk, port, ingest))
                no_db_runs.append(load(wrk, port, no_db))
        stored = count_detections(database_url)
    ingest_rps = statistics.median(r["rps"] for r in ingest_runs)
    no_db_rps = statistics.median(r["rps"] for r in no_db_runs)
    answered = sum(r["requests"] for r in ingest_runs)
    assert stored >= answered, f"{stored} detections stored for {answered} answered POSTs"
    ctx.info(
        f"  single POSTs/s, gunicorn 2 workers: ingest {ingest_rps:,.0f}, no-db view "
        f"{no_db_rps:,.0f}; throughput ratio {ingest_rps / no_db_rps:.2f} (goal >= 0.25); "
        f"{stored:,} detections stored"
    )
    ctx.ratio(
        "ingest: single POST, s per request (gunicorn)",
        1 / ingest_rps,
        1 / no_db_rps,
        4,
        baseline="no-database DRF view on the same gunicorn (2 sync workers)",
        note=f"{ingest_rps:,.0f} vs {no_db_rps:,.0f} requests/s; throughput ratio "
        f"{ingest_rps / no_db_rps:.2f}, goal >= 0.25 (= time ratio <= 4)",
    )


def ensure_wrk():
    """Debian's wrk, installed through the set-up script's package step when missing."""
    if shutil.which("wrk") is None:
        subprocess.run(
            [str(ROOT / "scripts" / "setup.sh"), "wrk"],
            env={**os.environ, "SKYLEDGER_SETUP_ONLY_APT": "1"},
            check=False,
        )
    return shutil.which("wrk")


@contextmanager
def database_copy():
    """A copy of the bench database for the server to write into; dropped afterwards."""
    from django.db import connection

    url = os.environ["DATABASE_URL"]
    parts = urlsplit(url)
    connection.close()
    if connection.vendor == "postgresql":
        import psycopg

        original = connection.settings_dict["NAME"]
        name = f"{original}_ingest_copy"
        admin = {
            "host": connection.settings_dict["HOST"] or None,
            "port": connection.settings_dict["PORT"] or None,
            "user": connection.settings_dict["USER"] or None,
            "password": connection.settings_dict["PASSWORD"] or None,
            "dbname": "postgres",
            "autocommit": True,
        }
        with psycopg.connect(**admin) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            pg.execute(f'CREATE DATABASE "{name}" TEMPLATE "{original}"')
        try:
            yield urlunsplit(parts._replace(path=f"/{name}"))
        finally:
            with psycopg.connect(**admin) as pg:
                pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        source = Path(connection.settings_dict["NAME"])
        folder = Path(tempfile.mkdtemp(prefix="bench-ingest-", dir=source.parent))
        target = folder / source.name
        shutil.copyfile(source, target)
        try:
            yield f"spatialite:///{target}"
        finally:
            shutil.rmtree(folder)


def server_env(database_url):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
    }


def make_key(database_url, site_codes):
    sites = [argument for code in site_codes for argument in ("--site", code)]
    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "create_api_key",
            "--name",
            "bench ingest",
            "--purpose",
            "ingest",
            *sites,
        ],
        cwd=ROOT,
        env=server_env(database_url),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(database_url, port):
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "config.wsgi",
        ],
        cwd=ROOT,
        env=server_env(database_url),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                answer.request("GET", NO_DB_URL)
                answer.getresponse().read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def single_bodies(sites, per_site=10):
    """Detections as JSON texts with a DETECTION_ID placeholder: for every site, one drone
    seen `per_site` times within four minutes, up to 300 m from the site's centre. wrk picks
    one at random per request, so after the first request of each site every detection joins
    that site's open incident and drone, which grow as a sensor's would."""
    import random

    from django.utils import timezone

    from incidents import geo

    rng = random.Random(8)
    start = timezone.now() - timedelta(minutes=30)
    bodies = []
    for site in sites:
        centre = site.perimeter_shape().centroid
        for _ in range(per_site):
            lon, lat, _ = geo.WGS84.fwd(
                centre.x, centre.y, rng.uniform(0, 360), rng.uniform(0, 300)
            )
            body = {
                "detection_id": "DETECTION_ID",
                "site": site.code,
                "sensor_id": "bench-rf-1",
                "time": (start + timedelta(seconds=rng.uniform(0, 240))).isoformat(),
                "position": {"lat": float(lat), "lon": float(lon), "altitude_m": 80},
                "uas_id": f"BENCH-{site.code}",
                "uas_id_type": "serial",
                "signal": {"rssi_dbm": -70},
            }
            bodies.append(json.dumps(body))
    return bodies


# Each request posts one of the bodies, picked at random, with a fresh random UUID in place
# of DETECTION_ID; each wrk thread seeds its own generator.
LUA = """
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end
function init(args)
  math.randomseed(os.time() * 1000 + seed + math.floor(os.clock() * 1e6))
end
local bodies = {BODIES}
local token = [==[TOKEN]==]
local path = [==[PATH]==]
local function hex(n) return string.format("%04x", math.random(0, 65535)) end
request = function()
  local id = hex() .. hex() .. "-" .. hex() .. "-4" .. string.sub(hex(), 2) .. "-"
    .. string.format("%04x", 32768 + math.random(0, 16383)) .. "-" .. hex() .. hex() .. hex()
  local headers = {["Content-Type"] = "application/json"}
  if token ~= "" then headers["Authorization"] = "Api-Key " .. token end
  local body = bodies[math.random(#bodies)]
  return wrk.format("POST", path, headers, (string.gsub(body, "DETECTION_ID", id)))
end
"""


def load(wrk, port, target, seconds=WRK_SECONDS):
    """wrk against one endpoint; requests/s and the number of requests answered."""
    bodies = ", ".join(f"[==[{body}]==]" for body in target["bodies"])
    script = LUA.replace("BODIES", bodies)
    script = script.replace("TOKEN", target["token"]).replace("PATH", target["path"])
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as file:
        file.write(script)
        file.flush()
        done = subprocess.run(
            [
                wrk,
                "-t1",
                f"-c{WRK_CONNECTIONS}",
                f"-d{seconds}s",
                "--timeout",
                "30s",
                "-s",
                file.name,
                f"http://127.0.0.1:{port}{target['path']}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    output = done.stdout
    assert "Non-2xx" not in output, output
    errors = re.search(r"Socket errors: (.*)", output)
    assert errors is None or re.fullmatch(r"connect 0, read \d+, write 0, timeout 0", errors[1]), (
        output
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "requests": int(re.search(r"(\d+) requests in", output)[1]),
    }


COUNT = "SELECT count(*) FROM incidents_detection WHERE uas_id LIKE 'BENCH-%'"


def count_detections(database_url):
    """Detections the single POSTs stored (the server's copy of the database)."""
    if database_url.startswith("spatialite"):
        import sqlite3

        with sqlite3.connect(database_url.removeprefix("spatialite://")) as db:
            return db.execute(COUNT).fetchone()[0]
    import psycopg

    parts = urlsplit(database_url)
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port,
        user=parts.username,
        password=parts.password,
        dbname=parts.path.lstrip("/"),
    ) as pg:
        return pg.execute(COUNT).fetchone()[0]
