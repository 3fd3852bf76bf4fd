# Remote ID moves from the incident to one record per drone, keeping every stored value.

import django.contrib.gis.db.models.fields
import django.db.models.deletion
from django.db import migrations, models


RID_FIELDS = {
    "rid_uas_id": "uas_id",
    "rid_uas_id_type": "uas_id_type",
    "rid_operator_id": "operator_id",
    "rid_operator_location": "operator_location",
    "rid_takeoff_location": "takeoff_location",
}


def move_remote_id_to_drones(apps, schema_editor):
    """Every incident that held Remote ID values gets one drone record holding them."""
    Incident = apps.get_model("incidents", "Incident")
    Drone = apps.get_model("incidents", "Drone")
    has_rid = models.Q()
    for old in RID_FIELDS:
        if old.endswith("location"):
            has_rid |= models.Q(**{f"{old}__isnull": False})
        else:
            has_rid |= ~models.Q(**{old: ""})
    batch = []
    for incident in Incident.objects.filter(has_rid).iterator(chunk_size=500):
        values = {new: getattr(incident, old) for old, new in RID_FIELDS.items()}
        batch.append(
            Drone(
                incident_id=incident.pk,
                category=incident.category,
                make_model=incident.make_model,
                **values,
            )
        )
        if len(batch) >= 500:
            Drone.objects.bulk_create(batch)
            batch = []
    Drone.objects.bulk_create(batch)


def move_drones_back_to_incidents(apps, schema_editor):
    """Undo: the first drone of each incident gives its values back to the incident."""
    Incident = apps.get_model("incidents", "Incident")
    Drone = apps.get_model("incidents", "Drone")
    seen = set()
    for drone in Drone.objects.order_by("incident_id", "pk").iterator(chunk_size=500):
        if drone.incident_id in seen:
            continue
        seen.add(drone.incident_id)
        Incident.objects.filter(pk=drone.incident_id).update(
            **{old: getattr(drone, new) for old, new in RID_FIELDS.items()}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Drone",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("uas_id", models.CharField(blank=True, max_length=40, verbose_name="UAS ID")),
                (
                    "uas_id_type",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("serial", "Serial number (ANSI/CTA-2063-A)"),
                            ("caa_registration", "CAA registration"),
                            ("utm_uuid", "UTM assigned UUID"),
                            ("session_id", "Specific session ID"),
                        ],
                        max_length=20,
                        verbose_name="UAS ID type",
                    ),
                ),
                (
                    "category",
                    models.CharField(
                        choices=[
                            ("multirotor", "Multirotor"),
                            ("fixed_wing", "Fixed wing"),
                            ("vtol", "VTOL"),
                            ("helicopter", "Helicopter"),
                            ("unknown", "Unknown"),
                        ],
                        default="unknown",
                        max_length=20,
                    ),
                ),
                (
                    "make_model",
                    models.CharField(blank=True, max_length=100, verbose_name="make and model"),
                ),
                (
                    "operator_id",
                    models.CharField(blank=True, max_length=40, verbose_name="operator ID"),
                ),
                (
                    "operator_location",
                    django.contrib.gis.db.models.fields.PointField(
                        blank=True, null=True, srid=4326
                    ),
                ),
                (
                    "takeoff_location",
                    django.contrib.gis.db.models.fields.PointField(
                        blank=True, null=True, srid=4326, verbose_name="take-off location"
                    ),
                ),
                (
                    "track",
                    django.contrib.gis.db.models.fields.LineStringField(
                        blank=True, help_text="Positions in time order.", null=True, srid=4326
                    ),
                ),
                ("description", models.CharField(blank=True, max_length=500)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "incident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="drones",
                        to="incidents.incident",
                    ),
                ),
            ],
            options={
                "ordering": ["incident", "pk"],
                "indexes": [
                    models.Index(fields=["uas_id"], name="drone_uas_id"),
                    models.Index(fields=["operator_id"], name="drone_operator_id"),
                ],
            },
        ),
        migrations.RunPython(move_remote_id_to_drones, move_drones_back_to_incidents),
        migrations.RemoveField(
            model_name="incident",
            name="rid_operator_id",
        ),
        migrations.RemoveField(
            model_name="incident",
            name="rid_operator_location",
        ),
        migrations.RemoveField(
            model_name="incident",
            name="rid_takeoff_location",
        ),
        migrations.RemoveField(
            model_name="incident",
            name="rid_uas_id",
        ),
        migrations.RemoveField(
            model_name="incident",
            name="rid_uas_id_type",
        ),
    ]
