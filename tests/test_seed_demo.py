"""The demo data command: real sites, every role, varied incidents, and idempotent."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict

from incidents.models import (
    Incident,
    IncidentAction,
    RegulatorGrant,
    Site,
    SiteMembership,
    TimelineEntry,
)

pytestmark = pytest.mark.django_db
INCIDENTS = 60


@pytest.fixture(autouse=True)
def _development(settings):
    settings.DEBUG = True  # as under `make run`; pytest-django turns it off


def snapshot():
    """Everything the demo writes, as plain comparable values."""

    def rows(queryset, exclude=()):
        return [
            {k: str(v) for k, v in model_to_dict(obj).items() if k not in exclude}
            for obj in queryset.order_by("pk")
        ]

    users = get_user_model().objects.order_by("pk")
    return {
        "sites": rows(Site.objects.all())
        + [str(s.updated_at) for s in Site.objects.order_by("pk")],
        "users": [(u.username, u.password, u.is_superuser) for u in users],
        "memberships": rows(SiteMembership.objects.all()),
        "grants": rows(RegulatorGrant.objects.all()),
        "incidents": rows(Incident.objects.all())
        + [
            (i.reference, i.zone, i.distance_m, i.severity, str(i.updated_at))
            for i in Incident.objects.order_by("pk")
        ],
        "actions": rows(IncidentAction.objects.all()),
        "timeline": rows(TimelineEntry.objects.all()),
    }


def test_seed_demo_twice_leaves_the_same_data(capsys):
    call_command("seed_demo", incidents=INCIDENTS)
    first = snapshot()
    call_command("seed_demo", incidents=INCIDENTS)
    second = snapshot()

    assert Incident.objects.count() == INCIDENTS
    for key in first:
        assert second[key] == first[key], key
    assert "(0 created now)" in capsys.readouterr().out.splitlines()[-9]


def test_seed_demo_has_real_sites_every_role_and_varied_incidents(capsys):
    call_command("seed_demo", incidents=INCIDENTS)
    codes = set(Site.objects.values_list("code", flat=True))
    assert {"CGK", "DPS", "LHR", "JFK", "LYR", "NAN", "WYV"} <= codes
    assert Site.objects.filter(kind="airport").count() >= 10
    assert Site.objects.exclude(kind="airport").count() >= 3
    assert len(Site.objects.get(code="WYV").perimeter) == 2  # across the antimeridian

    User = get_user_model()
    assert User.objects.get(username="admin").is_superuser
    assert RegulatorGrant.objects.get(user__username="regulator").sites.count() == len(codes)
    for code in codes:
        roles = set(SiteMembership.objects.filter(site__code=code).values_list("role", flat=True))
        assert roles == {"staff", "supervisor"}
    assert User.objects.get(username="staff-cgk").check_password("skyledger-demo")

    incidents = Incident.objects.all()
    assert incidents.filter(drone_count__gte=3).exists()
    assert incidents.filter(zone="inside").exists()
    assert incidents.filter(drones__uas_id__startswith="1581F").exists()
    assert incidents.filter(drone_count__gte=3, drones__isnull=False).exists()
    assert len(set(incidents.values_list("status", flat=True))) >= 3
    assert len(set(incidents.values_list("severity", flat=True))) >= 3
    out = capsys.readouterr().out
    assert "staff-cgk" in out and "supervisor-cgk" in out and "skyledger-demo" in out


def test_seed_demo_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo", incidents=1)
    assert not Site.objects.exists()
    call_command("seed_demo", incidents=1, force=True)
    assert Incident.objects.count() == 1
