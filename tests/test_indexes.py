"""The indexes the list, map and exports rely on exist and are the ones the database uses."""

import pytest
from django.db import connection, transaction

from incidents.models import Incident

from .conftest import postgis_only


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SpatiaLite's R*Tree only")
def test_spatialite_spatial_index_finds_a_recorded_incident(site_a, record):
    """Migrations rebuild tables; the R*Tree must still be maintained afterwards (0010)."""
    incident = record(site_a)
    x, y = incident.location.x, incident.location.y
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ROWID FROM SpatialIndex WHERE f_table_name = 'incidents_incident' "
            "AND f_geometry_column = 'location' AND search_frame = BuildMbr(%s, %s, %s, %s)",
            [x - 0.01, y - 0.01, x + 0.01, y + 0.01],
        )
        assert [row[0] for row in cursor.fetchall()] == [incident.pk]


@postgis_only
@pytest.mark.parametrize(
    "narrow",
    [
        {},
        {"status": "submitted"},
        {"zone": "inside"},
        {"source": "sensor"},
    ],
)
def test_list_default_query_can_use_an_index(site_a, staff_a, record, narrow):
    """The list's query (visible incidents, newest first, one page) is served by an index.

    With a handful of rows PostgreSQL rightly prefers a sequential scan, so it is switched
    off: what is asserted is that an index able to serve the query exists.
    """
    record(site_a)
    queryset = Incident.objects.visible_to(staff_a).filter(**narrow).order_by("-first_seen")
    sql, params = queryset[:25].query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index" in plan and "Seq Scan on incidents_incident " not in plan, plan
