"""The shared incident filter: what the list, map, API and exports all read."""

from datetime import timedelta

from django.http import QueryDict
from django.test import RequestFactory
from django.utils import timezone

from incidents.filters import IncidentFilter
from incidents.models import Incident


def filtered(user, query):
    request = RequestFactory().get(f"/incidents/?{query}")
    request.user = user
    data = QueryDict(query)
    return IncidentFilter(data, Incident.objects.visible_to(user), request=request).qs


def refs(queryset):
    return sorted(queryset.values_list("reference", flat=True))


def test_filter_by_detection_method_matches_whole_values_only(staff_a, record, site_a):
    rf = record(site_a, detection_methods=["visual", "rf"])
    record(site_a, detection_methods=["remote_id"])
    assert refs(filtered(staff_a, "detection_method=rf")) == [rf.reference]


def test_filter_by_period_status_and_text(staff_a, record, site_a):
    now = timezone.now()
    old = record(site_a, first_seen=now - timedelta(days=40), narrative="Grey Mavic over fuel farm")
    new = record(site_a, first_seen=now - timedelta(days=2), make_model="DJI Mini 4 Pro")
    since = (now - timedelta(days=7)).date().isoformat()
    assert refs(filtered(staff_a, f"first_seen_after={since}")) == [new.reference]
    assert refs(filtered(staff_a, "q=fuel")) == [old.reference]
    assert refs(filtered(staff_a, "q=mini+4")) == [new.reference]
    assert refs(filtered(staff_a, "status=submitted")) == []
    assert len(refs(filtered(staff_a, "status=draft"))) == 2


def test_site_filter_offers_only_visible_sites(staff_a, record, site_a, site_b, staff_b):
    record(site_b, reported_by=staff_b)
    form = IncidentFilter(QueryDict("site=DPS"), request=_request(staff_a)).form
    assert not form.is_valid()
    assert "site" in form.errors


def test_ordering_by_severity_follows_meaning_not_alphabet(staff_a, record, site_a):
    low = record(site_a, location=_far(site_a, 8000))
    critical = record(site_a, drone_count=5, payload_seen=True)
    ordered = list(filtered(staff_a, "ordering=-severity").values_list("reference", flat=True))
    assert ordered == [critical.reference, low.reference]


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def _far(site, metres):
    from django.contrib.gis.geos import Point

    from incidents import geo

    centre = site.perimeter_shape().centroid
    x, y, _ = geo.WGS84.fwd(centre.x, centre.y, 90, metres)
    return Point(x, y, srid=4326)


def test_filter_by_visible_site_code(staff_a, record, site_a, admin_user, site_b, staff_b):
    a = record(site_a)
    record(site_b, reported_by=staff_b)
    assert refs(filtered(staff_a, "site=CGK")) == [a.reference]
    assert len(refs(filtered(admin_user, "site=CGK&site=DPS"))) == 2


def test_a_date_only_end_includes_that_whole_day(staff_a, record, site_a):
    from datetime import UTC, datetime

    late = record(site_a, first_seen=datetime(2026, 10, 31, 23, 30, tzinfo=UTC))
    record(site_a, first_seen=datetime(2026, 11, 1, 0, 30, tzinfo=UTC))
    query = "first_seen_after=2026-10-31&first_seen_before=2026-10-31"
    assert refs(filtered(staff_a, query)) == [late.reference]
    exact = "first_seen_before=2026-10-31T23:00:00Z"
    assert refs(filtered(staff_a, exact)) == []
