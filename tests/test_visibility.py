"""Who sees what: `visible_to` is the one scoping rule every page, API and export uses."""

import pytest

from incidents.choices import Status
from incidents.models import Incident, Site

SITES_SEEN = {
    "staff_a": {"CGK"},
    "supervisor_a": {"CGK"},
    "staff_b": {"DPS"},
    "regulator": {"CGK"},
    "admin": {"CGK", "DPS"},
    "anonymous": set(),
}


@pytest.fixture
def incidents(record, site_a, site_b, staff_b):
    return {
        "a_draft": record(site_a),
        "a_submitted": record(site_a, status=Status.SUBMITTED),
        "a_closed": record(site_a, status=Status.CLOSED),
        "b_draft": record(site_b, reported_by=staff_b),
        "b_submitted": record(site_b, reported_by=staff_b, status=Status.SUBMITTED),
    }


INCIDENTS_SEEN = {
    "staff_a": {"a_draft", "a_submitted", "a_closed"},
    "supervisor_a": {"a_draft", "a_submitted", "a_closed"},
    "staff_b": {"b_draft", "b_submitted"},
    "regulator": {"a_submitted", "a_closed"},  # granted site A; never drafts
    "admin": {"a_draft", "a_submitted", "a_closed", "b_draft", "b_submitted"},
    "anonymous": set(),
}


@pytest.mark.parametrize("persona", SITES_SEEN)
def test_sites_visible_to_each_persona(personas, persona):
    seen = set(Site.objects.visible_to(personas[persona]).values_list("code", flat=True))
    assert seen == SITES_SEEN[persona]


@pytest.mark.parametrize("persona", INCIDENTS_SEEN)
def test_incidents_visible_to_each_persona(personas, incidents, persona):
    names = {incident.pk: name for name, incident in incidents.items()}
    seen = {
        names[pk]
        for pk in Incident.objects.visible_to(personas[persona]).values_list("pk", flat=True)
    }
    assert seen == INCIDENTS_SEEN[persona]


def test_inactive_member_sees_nothing(staff_a, incidents):
    staff_a.is_active = False
    staff_a.save()
    assert not Incident.objects.visible_to(staff_a).exists()
    assert not Site.objects.visible_to(staff_a).exists()


def test_user_with_two_memberships_and_a_grant_sees_each_site_once(staff_a, site_a, site_b):
    from incidents.models import RegulatorGrant, SiteMembership

    SiteMembership.objects.create(user=staff_a, site=site_b)
    RegulatorGrant.objects.create(user=staff_a, authority="Dual role").sites.set([site_a])
    assert list(Site.objects.visible_to(staff_a).values_list("code", flat=True)) == ["CGK", "DPS"]


def test_visible_to_chains_with_other_filters(staff_a, incidents):
    drafts = Incident.objects.filter(status=Status.DRAFT).visible_to(staff_a)
    assert list(drafts) == [incidents["a_draft"]]
