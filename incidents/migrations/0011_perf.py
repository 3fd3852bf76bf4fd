"""Indexes for every incident filter, and SpatiaLite spatial indexes that work again."""

from django.conf import settings
from django.db import migrations, models


def repair_spatialite_indexes(apps, schema_editor):
    """Re-enable and refill SpatiaLite R*Tree indexes that earlier table rebuilds disabled.

    When Django rebuilds an SQLite table (an altered column), SpatiaLite's geometry_columns
    is left with spatial_index_enabled = 0 and the R*Tree stops being maintained, so bbox
    queries through SpatialIndex find nothing. PostGIS GiST indexes are unaffected.
    """
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT f_table_name, f_geometry_column FROM geometry_columns "
            "WHERE spatial_index_enabled = 0"
        )
        for table, column in cursor.fetchall():
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [f"idx_{table}_{column}"])
            if not cursor.fetchone():
                continue  # this column was never meant to have a spatial index
            # Dropping the stale R*Tree first lets CreateSpatialIndex build it quietly.
            cursor.execute(f'DROP TABLE "idx_{table}_{column}"')
            cursor.execute("SELECT CreateSpatialIndex(%s, %s)", [table, column])
            cursor.execute("SELECT RecoverSpatialIndex(%s, %s)", [table, column])


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0010_privacy"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["-first_seen"], name="incident_seen"),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["site", "status"], name="incident_site_status"),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["zone"], name="incident_zone"),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["source"], name="incident_source"),
        ),
        migrations.RunPython(repair_spatialite_indexes, migrations.RunPython.noop),
    ]
