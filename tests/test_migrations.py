"""Data migrations keep every stored value."""

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from incidents.audit import triggers

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("incidents", "0001_initial")]
AFTER = [("incidents", "0002_drones")]


def migrate_to(target):
    """Migrate as `manage.py migrate` does: audit triggers off meanwhile, back on after."""
    triggers.uninstall(connection)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def test_remote_id_fields_move_to_one_drone_record_and_back():
    apps = migrate_to(BEFORE)
    Site = apps.get_model("incidents", "Site")
    Incident = apps.get_model("incidents", "Incident")
    from incidents import geo
    from incidents.models import geos_of
    from tests.conftest import square

    site = Site.objects.create(
        code="CGK",
        name="Soekarno-Hatta",
        perimeter=geos_of(geo.normalise_perimeter(square(106.656, -6.12557, 1000))),
        timezone="Asia/Jakarta",
    )
    common = {
        "site": site,
        "first_seen": timezone.now(),
        "location": Point(106.656, -6.12557, srid=4326),
        "zone": "inside",
        "distance_m": 0,
        "computed_severity": "high",
        "severity": "high",
        "category": "multirotor",
        "make_model": "DJI Mavic 3",
    }
    operator = Point(106.66, -6.13, srid=4326)
    with_rid = Incident.objects.create(
        reference="CGK-2026-00001",
        rid_uas_id="1581F6N8A23B2ML3Y3KR",
        rid_uas_id_type="serial",
        rid_operator_id="OP-000042",
        rid_operator_location=operator,
        rid_takeoff_location=operator,
        **common,
    )
    Incident.objects.create(reference="CGK-2026-00002", **common)

    apps = migrate_to(AFTER)
    Drone = apps.get_model("incidents", "Drone")
    drone = Drone.objects.get()
    assert drone.incident_id == with_rid.pk
    assert (drone.uas_id, drone.uas_id_type, drone.operator_id) == (
        "1581F6N8A23B2ML3Y3KR",
        "serial",
        "OP-000042",
    )
    assert drone.operator_location.coords == operator.coords
    assert drone.takeoff_location.coords == operator.coords
    assert (drone.category, drone.make_model) == ("multirotor", "DJI Mavic 3")

    apps = migrate_to(BEFORE)
    restored = apps.get_model("incidents", "Incident").objects.get(pk=with_rid.pk)
    assert restored.rid_uas_id == "1581F6N8A23B2ML3Y3KR"
    assert restored.rid_operator_location.coords == operator.coords
    migrate_to(executor_leaves())
    triggers.install(connection)


def executor_leaves():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
