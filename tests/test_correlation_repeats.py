"""Repeat offenders: one UAS ID or operator ID across sites, and "seen before" counts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.choices import Status
from incidents.correlation.repeats import seen_before
from tests.conftest import incident_fields

UAS = "1581F5FKD229400AB"
OPERATOR = "IDN-OP-0042"


def rid(uas=UAS, operator=OPERATOR):
    return [{"uas_id": uas, "uas_id_type": "serial", "operator_id": operator}]


@pytest.fixture
def repeat(site_a, site_b, staff_a, staff_b):
    """The same drone at a power plant... here CGK on Monday and DPS on Wednesday."""
    now = timezone.now()
    monday = services.record_incident(
        site=site_a,
        reported_by=staff_a,
        **incident_fields(site_a, first_seen=now - timedelta(days=3), status=Status.SUBMITTED),
        drones=rid(),
    )
    wednesday = services.record_incident(
        site=site_b,
        reported_by=staff_b,
        **incident_fields(site_b, first_seen=now - timedelta(days=1), status=Status.SUBMITTED),
        drones=rid(),
    )
    other = services.record_incident(
        site=site_a,
        reported_by=staff_a,
        **incident_fields(site_a, first_seen=now - timedelta(hours=5)),
        drones=rid(uas="OTHERDRONE01", operator="OTHER-OP"),
    )
    return monday, wednesday, other


@pytest.mark.parametrize(
    ("persona", "status", "sees"),
    [
        ("staff_a", 200, {"monday"}),
        ("supervisor_a", 200, {"monday"}),
        ("staff_b", 200, {"wednesday"}),
        ("regulator", 200, {"monday"}),
        ("admin", 200, {"monday", "wednesday"}),
        ("anonymous", 302, set()),
    ],
)
@pytest.mark.parametrize(
    ("url_name", "value"), [("repeat_uas", UAS), ("repeat_operator", OPERATOR)]
)
def test_repeat_pages_as_each_persona(
    client, personas, repeat, persona, status, sees, url_name, value
):
    monday, wednesday, other = repeat
    if persona == "regulator" and url_name == "repeat_operator":
        # A regulator without sees_personal_data may not look operator IDs up (test_privacy).
        status = 404
    if persona != "anonymous":
        client.force_login(personas[persona])
    response = client.get(reverse(url_name, args=[value]))
    assert response.status_code == status
    if status != 200:
        return
    page = response.content.decode()
    shown = {
        name for name, i in (("monday", monday), ("wednesday", wednesday)) if i.reference in page
    }
    assert shown == sees
    assert other.reference not in page
    assert value in page
    if persona == "admin":
        assert "Seen in 2 incidents, at 2 sites." in page
        assert 'id="map-features"' in page


def test_unknown_id_says_nothing_is_visible(client, staff_a):
    client.force_login(staff_a)
    page = client.get(reverse("repeat_uas", args=["NOPE"])).content.decode()
    assert "No incident you may see involves this identifier." in page


def test_seen_before_counts_earlier_incidents_the_user_may_see(repeat, admin_user, staff_b):
    monday, wednesday, _ = repeat
    assert seen_before(wednesday, admin_user) == {
        "uas_ids": [
            {
                "id": UAS,
                "incidents": 1,
                "sites": 1,
                "last_seen": monday.first_seen,
                "url": f"/drones/uas/{UAS}/",
            }
        ],
        "operator_ids": [
            {
                "id": OPERATOR,
                "incidents": 1,
                "sites": 1,
                "last_seen": monday.first_seen,
                "url": f"/drones/operator/{OPERATOR}/",
            }
        ],
    }
    # staff_b may not see CGK: for them the drone was never seen before.
    assert seen_before(wednesday, staff_b)["uas_ids"][0]["incidents"] == 0
    assert seen_before(monday, admin_user)["uas_ids"][0]["incidents"] == 0


def test_seen_before_of_an_incident_without_ids_is_empty(record, site_a, staff_a):
    assert seen_before(record(site_a), staff_a) == {"uas_ids": [], "operator_ids": []}
