"""The dashboard: counts per site and period, breakdowns in site time, serious incidents."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents import geo
from incidents.choices import Status
from tests.test_views_maps import references


def east_of(site, metres):
    from django.contrib.gis.geos import Point

    perimeter = site.perimeter_shape()
    lon, lat, _ = geo.WGS84.fwd(perimeter.bounds[2], perimeter.centroid.y, 90, metres)
    return Point(lon, lat, srid=4326)


def site_counts(response):
    return {row["site"].code: row["counts"] for row in response.context["site_rows"]}


def breakdown(response, name):
    return {row["key"]: row["count"] for row in response.context["chart_data"]["breakdowns"][name]}


@pytest.fixture
def spread(site_a, record):
    """Site A incidents 3, 20, 60 and 120 days old; the 20-day one is still a draft."""
    now = timezone.now()
    return {
        age: record(
            site_a,
            first_seen=now - timedelta(days=age),
            status=Status.DRAFT if age == 20 else Status.SUBMITTED,
        )
        for age in (3, 20, 60, 120)
    }


def test_anonymous_visitor_gets_the_introduction_not_the_dashboard(client, db):
    response = client.get("/")
    html = response.content.decode()
    assert "Drone incident log for critical sites" in html
    assert "Dashboard" not in html
    assert "dashboard-data" not in html


def test_anonymous_visitor_is_sent_to_sign_in_for_dashboard_data(client, db):
    response = client.get(reverse("dashboard_incidents"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("staff_a", {"CGK": [1, 2, 3]}),
        ("supervisor_a", {"CGK": [1, 2, 3]}),
        ("regulator", {"CGK": [1, 1, 2]}),  # the 20-day draft is not theirs to see
        ("staff_b", {"DPS": [0, 0, 0]}),
        ("admin", {"CGK": [1, 2, 3], "DPS": [0, 0, 0]}),
    ],
)
def test_counts_per_site_for_7_30_90_days_as_each_persona(
    client, personas, spread, persona, expected
):
    client.force_login(personas[persona])
    response = client.get("/")
    assert response.status_code == 200
    assert site_counts(response) == expected
    html = response.content.decode()
    for days in (7, 30, 90):
        assert f"Last {days} days" in html
    for code in {"CGK", "DPS"} - set(expected):
        assert f"Map of {code}" not in html


def test_member_of_a_site_gets_a_link_to_its_map(client, staff_a, site_a):
    client.force_login(staff_a)
    html = client.get("/").content.decode()
    assert f'href="{reverse("site_map", args=["CGK"])}"' in html


def test_hours_and_weekdays_are_counted_in_each_sites_time(
    client, admin_user, record, site_a, site_b, staff_b
):
    # 19:30 UTC ten days ago is 02:30 the next day in Jakarta (UTC+7) and 03:30 in Bali (UTC+8).
    moment = (timezone.now() - timedelta(days=10)).replace(
        hour=19, minute=30, second=0, microsecond=0
    )
    record(site_a, first_seen=moment)
    record(site_b, reported_by=staff_b, first_seen=moment)
    client.force_login(admin_user)
    response = client.get("/")
    hours = breakdown(response, "hour")
    assert hours[2] == 1
    assert hours[3] == 1
    assert sum(hours.values()) == 2
    weekdays = breakdown(response, "weekday")
    assert weekdays[(moment + timedelta(hours=7)).isoweekday()] == 2
    assert sum(weekdays.values()) == 2


def test_zones_and_detection_methods_are_counted_for_the_chosen_period(
    client, staff_a, record, site_a
):
    now = timezone.now()
    record(site_a, detection_methods=["visual", "rf"])
    record(site_a, location=east_of(site_a, 700), detection_methods=["remote_id"])
    record(site_a, location=east_of(site_a, 700), first_seen=now - timedelta(days=50))
    client.force_login(staff_a)

    response = client.get("/")
    assert breakdown(response, "zone") == {"inside": 1, "ring": 1, "outside": 0}
    methods = breakdown(response, "method")
    assert (methods["visual"], methods["rf"], methods["remote_id"], methods["radar"]) == (
        1,
        1,
        1,
        0,
    )
    assert breakdown(client.get("/?days=90"), "zone") == {"inside": 1, "ring": 2, "outside": 0}
    # An unknown period falls back to 30 days rather than failing.
    assert breakdown(client.get("/?days=abc"), "zone")["ring"] == 1


def test_newest_high_and_critical_incidents_are_listed_in_site_time(
    client, staff_a, record, site_a
):
    high = record(site_a)  # one drone inside the perimeter
    critical = record(site_a, drone_count=5)
    low = record(site_a, location=east_of(site_a, 3000))
    client.force_login(staff_a)
    response = client.get("/")
    assert [i.reference for i in response.context["serious"]] == [
        critical.reference,
        high.reference,
    ]
    html = response.content.decode()
    assert low.reference not in html
    assert f'href="/incidents/{critical.reference}/"' in html
    local = timezone.localtime(critical.first_seen, site_a.tzinfo)
    assert local.strftime("%Y-%m-%d %H:%M") in html


def test_dashboard_page_passes_data_by_json_script_only(client, staff_a, record, site_a):
    record(site_a)
    client.force_login(staff_a)
    html = client.get("/").content.decode()
    assert "<script>" not in html
    assert 'id="dashboard-data" type="application/json"' in html
    start = html.index('<script id="dashboard-map-data" type="application/json">')
    map_data = json.loads(html[start:].split(">", 1)[1].split("</script>", 1)[0])
    assert [s["features"][0]["properties"]["code"] for s in map_data["sites"]] == ["CGK"]
    assert "incidents/vendor/chart.js/chart.umd.min.js" in html
    assert "incidents/js/dashboard.js" in html


def test_dashboard_map_data_is_the_visible_period(client, personas, spread):
    url = reverse("dashboard_incidents")
    client.force_login(personas["staff_a"])
    assert references(client.get(url)) == sorted([spread[3].reference, spread[20].reference])
    assert len(references(client.get(url + "?days=90"))) == 3
    client.force_login(personas["regulator"])
    assert references(client.get(url)) == [spread[3].reference]
    client.force_login(personas["staff_b"])
    assert references(client.get(url)) == []
    client.force_login(personas["admin"])
    assert references(client.get(url + "?days=7")) == [spread[3].reference]


def test_dashboard_map_data_carries_the_site_code(client, staff_a, record, site_a):
    record(site_a)
    client.force_login(staff_a)
    (feature,) = json.loads(client.get(reverse("dashboard_incidents")).content)["features"]
    assert feature["properties"]["site"] == "CGK"


@pytest.mark.parametrize("url", ["/", "/dashboard/incidents.geojson"])
def test_dashboard_queries_do_not_grow_with_incidents(client, admin_user, record, site_a, url):
    client.force_login(admin_user)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    record(site_a)
    few = count_queries()
    for days in range(20):
        record(site_a, first_seen=timezone.now() - timedelta(days=days, hours=3))
    assert count_queries() == few


def test_without_serious_incidents_the_dashboard_says_so_plainly(client, staff_a, record, site_a):
    client.force_login(staff_a)
    assert "No incidents recorded yet." in client.get("/").content.decode()
    record(site_a, location=east_of(site_a, 3000))  # low
    html = client.get("/").content.decode()
    assert "No high or critical incidents." in html
    assert "No incidents recorded yet." not in html
