"""Ingest against a real gunicorn server: several client threads, responses dropped at
random and retried with the same ids. Nothing may be lost and nothing stored twice."""

import os
import random
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.utils import timezone

from incidents.models import Detection, Incident
from tests.api_helpers import detection, make_key

CLUSTERS = 4
PER_CLUSTER = 60
THREADS = 4
BATCH = 15


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(tmp_path):
    """A URL at which another process reaches this test's database (committed data)."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        return (
            f"postgis://{quote(s['USER'] or '')}:{quote(s['PASSWORD'] or '')}"
            f"@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"
        )
    # The SpatiaLite test database lives in memory: copy it to a file the server can open.
    path = tmp_path / "live.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    return f"spatialite:///{path}"


def stored(url):
    """(detection ids as hex, number of incidents) as the server's database holds them."""
    if url.startswith("spatialite"):
        with sqlite3.connect(url.removeprefix("spatialite:///")) as db:
            ids = [row[0] for row in db.execute("SELECT detection_id FROM incidents_detection")]
            incidents = db.execute("SELECT COUNT(*) FROM incidents_incident").fetchone()[0]
        return [uuid.UUID(i).hex for i in ids], incidents
    ids = [d.hex for d in Detection.objects.values_list("detection_id", flat=True)]
    return ids, Incident.objects.count()


@pytest.fixture
def server(tmp_path):
    def start(url):
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
        log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed with the server
        command = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
        command += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2"]
        process = subprocess.Popen(
            [*command, "--timeout", "120"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(f"{base}/api/v1/sites/", timeout=20)  # any answer: it is up
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.3)
        else:
            process.terminate()
            pytest.fail((tmp_path / "gunicorn.log").read_text())
        started.append((process, log))
        return base

    started = []
    yield start
    for process, log in started:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.mark.django_db(transaction=True)
def test_dropped_responses_and_retries_lose_and_duplicate_nothing(site_a, tmp_path, server):
    _key, token = make_key([site_a], "ingest")
    start = timezone.now() - timedelta(hours=6)
    rng = random.Random(11)
    bodies = []
    for cluster in range(CLUSTERS):
        for _ in range(PER_CLUSTER):
            bodies.append(
                detection(
                    site_a,
                    at=start + timedelta(minutes=45 * cluster, seconds=rng.uniform(0, 200)),
                    north_m=rng.uniform(-600, 600),
                    east_m=rng.uniform(-600, 600),
                    uas_id=f"LIVE{cluster}",
                )
            )
    rng.shuffle(bodies)
    batches = [bodies[i : i + BATCH] for i in range(0, len(bodies), BATCH)]
    url = database_url(tmp_path)
    base = server(url)
    headers = {"Authorization": f"Api-Key {token}"}
    dropped, errors = [], []

    def send(batch, seed):
        chance = random.Random(seed)
        while True:
            # A third of the time the client gives up before the answer comes back (the
            # server may or may not have stored the batch) and tries again, same ids.
            timeout = 0.02 if chance.random() < 0.33 else 60
            try:
                response = requests.post(
                    f"{base}/api/v1/detections/", json=batch, headers=headers, timeout=timeout
                )
            except requests.Timeout:
                dropped.append(1)
                continue
            if chance.random() < 0.1:  # answer received but thrown away: send again
                dropped.append(1)
                continue
            if response.status_code != 200:
                errors.append(response.text)
                return
            outcome = response.json()
            if outcome["refused"]:
                errors.append(outcome)
            return

    def worker(number):
        for index in range(number, len(batches), THREADS):
            send(batches[index], seed=index)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors
    assert dropped  # the run really did drop answers
    ids, incidents = stored(url)
    assert len(ids) == len(bodies) == len(set(ids))
    assert set(ids) == {uuid.UUID(b["detection_id"]).hex for b in bodies}
    assert incidents == CLUSTERS
