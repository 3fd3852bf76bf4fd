"""Reference numbers under concurrent inserts: real parallel transactions on PostGIS."""

import threading

import pytest
from django.db import connection, connections

from incidents import services
from incidents.models import Incident
from tests.conftest import incident_fields, postgis_only

WRITERS = 8
PER_WRITER = 5


@postgis_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_get_unique_gapless_references(site_a, staff_a):
    barrier = threading.Barrier(WRITERS)
    failures = []

    def writer():
        try:
            barrier.wait()
            for _ in range(PER_WRITER):
                services.record_incident(
                    site=site_a, reported_by=staff_a, **incident_fields(site_a)
                )
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    references = list(Incident.objects.values_list("reference", flat=True))
    numbers = sorted(int(reference.rsplit("-", 1)[1]) for reference in references)
    assert len(references) == len(set(references)) == WRITERS * PER_WRITER
    assert numbers == list(range(1, WRITERS * PER_WRITER + 1))
    assert connection.vendor == "postgresql"
