"""Indexes for the incident list's remaining sort orders (distance, drones, severity by
meaning) on both backends, and trigram indexes for its text filters on PostGIS.

`q` and `detection_method` are `icontains` lookups, which Django writes on PostgreSQL as
`UPPER(column::text) LIKE UPPER('%value%')`; a B-tree cannot serve a pattern with a leading
`%`, a trigram GIN index on the same expression can (pg_trgm ships with PostgreSQL and is a
trusted extension, so the database owner may create it). SQLite has no such index: there
these filters scan, which stays usable at 100k incidents.
"""

from django.conf import settings
from django.db import migrations, models

# Columns the list's text filters search (incidents.filters.IncidentFilter).
TRIGRAM_COLUMNS = ("reference", "narrative", "make_model", "detection_methods")


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in TRIGRAM_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS incident_{column}_trgm ON incidents_incident "
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in TRIGRAM_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS incident_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0011_perf"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["distance_m"], name="incident_distance"),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["drone_count"], name="incident_drone_count"),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                models.Case(
                    models.When(severity="low", then=models.Value(0)),
                    models.When(severity="medium", then=models.Value(1)),
                    models.When(severity="high", then=models.Value(2)),
                    models.When(severity="critical", then=models.Value(3)),
                    output_field=models.IntegerField(),
                ),
                name="incident_severity_rank",
            ),
        ),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes),
    ]
