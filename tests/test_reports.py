"""PDF reports: what the incident report and the periodic summary show, who may get them,
and the maps drawn without any network."""

import hashlib
import io
import re
import socket
import zoneinfo
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.gis.geos import LineString, Point
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from incidents import geo, services
from incidents.choices import ActionKind, DetectionMethod, Severity, Status, UasIdType
from incidents.models import Evidence, Incident
from incidents.reports import maps, summarise
from incidents.reports.periods import day_bounds
from tests import samples

from .conftest import make_site

FIRST_SEEN = datetime(2026, 10, 5, 14, 3, 12, tzinfo=UTC)
PHOTO = samples.jpeg(colour=(40, 60, 90))
LOG = samples.pdf()


def pdf_pages(content):
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def offset(site, metres, bearing=45):
    centre = geo.continuous(site.perimeter_shape()).centroid
    x, y, _ = geo.WGS84.fwd(centre.x, centre.y, bearing, metres)
    return Point((x + 180) % 360 - 180, y, srid=4326)


@pytest.fixture
def full_incident(record, site_a, staff_a, supervisor_a):
    """An incident with every part filled: drones with track, actions, timeline, evidence."""
    location = offset(site_a, 1600)
    incident = record(
        site_a,
        first_seen=FIRST_SEEN,
        last_seen=FIRST_SEEN + timedelta(minutes=7),
        location=location,
        observer_location=offset(site_a, 1300, 60),
        drone_count=2,
        narrative="Two quadcopters crossing the approach, lights off.",
        colour="grey",
        detection_methods=[DetectionMethod.VISUAL, DetectionMethod.REMOTE_ID],
        actions=[{"kind": ActionKind.NOTIFIED_ATC, "taken_at": FIRST_SEEN + timedelta(minutes=2)}],
        drones=[
            {
                "uas_id": "1581F4XZ00000TEST1",
                "uas_id_type": UasIdType.SERIAL,
                "operator_id": "IDN-OP-77",
                "operator_location": offset(site_a, 3500, 100),
                "takeoff_location": offset(site_a, 3400, 95),
                "track": LineString(
                    [offset(site_a, 3400, 95), offset(site_a, 2400, 70), location], srid=4326
                ),
            },
            {"make_model": "DJI Mini 4 Pro"},
        ],
    )
    services.change_status(incident, staff_a, Status.SUBMITTED)
    for name, content in [("fence camera.jpg", PHOTO), ("rid-log.pdf", LOG)]:
        item = Evidence(incident=incident, uploaded_by=staff_a)
        item.file.save(name, ContentFile(content), save=False)
        item.full_clean()
        item.save()
    return incident


def get_report(client, user, incident):
    if user is not None:
        client.force_login(user)
    return client.get(reverse("incident_report_pdf", args=[incident.reference]))


# --- The incident report ----------------------------------------------------------------


def test_incident_report_shows_reference_times_hashes_and_page_numbers(
    client, staff_a, full_incident
):
    response = get_report(client, staff_a, full_incident)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages = pdf_pages(response.content)
    text = "\n".join(pages)
    assert "2026-10-05 14:03:12 UTC" in text
    assert "2026-10-05 21:03:12 WIB (Asia/Jakarta, UTC+07:00)" in text
    for content in (PHOTO, LOG):
        assert hashlib.sha256(content).hexdigest() in text
    for item in full_incident.evidence.all():
        assert item.original_name in text
    assert "1581F4XZ00000TEST1" in text and "IDN-OP-77" in text
    assert "Notified air traffic control" in text
    assert "Two quadcopters crossing the approach" in text
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert full_incident.reference in page
        assert re.search(r"generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", page)


@pytest.mark.parametrize(
    ("persona", "status", "expected"),
    [
        ("staff_a", Status.DRAFT, 200),
        ("supervisor_a", Status.DRAFT, 200),
        ("staff_b", Status.SUBMITTED, 404),
        ("regulator", Status.SUBMITTED, 200),
        ("regulator", Status.DRAFT, 404),
        ("admin", Status.DRAFT, 200),
    ],
)
def test_incident_report_only_for_those_who_see_the_incident(
    client, personas, record, site_a, persona, status, expected
):
    incident = record(site_a, status=status)
    response = get_report(client, personas[persona], incident)
    assert response.status_code == expected
    if expected == 200:
        assert incident.reference in pdf_pages(response.content)[0]


def test_incident_report_sends_anonymous_visitors_to_sign_in(client, record, site_a):
    response = client.get(reverse("incident_report_pdf", args=[record(site_a).reference]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_unknown_reference_is_404(client, staff_a):
    client.force_login(staff_a)
    assert client.get("/incidents/CGK-2026-99999/report.pdf").status_code == 404


def test_incident_report_command_writes_the_pdf(full_incident, tmp_path):
    target = tmp_path / "report.pdf"
    call_command("incident_report", full_incident.reference.lower(), output=str(target))
    assert full_incident.reference in pdf_pages(target.read_bytes())[0]


def test_incident_report_command_names_an_unknown_reference(db, tmp_path):
    with pytest.raises(CommandError, match="No incident has the reference 'CGK-2026-00404'"):
        call_command("incident_report", "CGK-2026-00404", output=str(tmp_path / "x.pdf"))


# --- Maps -------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a report tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def drawn_colours(png):
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return image.size, len(image.getcolors(maxcolors=1 << 20))


def assert_maps_drawn(incident):
    png = maps.incident_map(incident, list(incident.drones.all()))
    assert png.startswith(b"\x89PNG")
    size, colours = drawn_colours(png)
    assert size == (1400, 1040)
    assert colours > 50  # rings, perimeter, markers and text, not a blank frame
    site = incident.site
    points = [(p.x, p.y, Severity.HIGH) for p in [incident.location, offset(site, 6000, 10)]]
    assert drawn_colours(maps.summary_map(site, points))[1] > 50


def test_incident_map_with_drones_is_drawn_without_network(no_network, full_incident):
    assert_maps_drawn(full_incident)


@pytest.mark.parametrize(
    ("code", "lon", "lat", "zone"),
    [("LYR", 15.465, 78.246, "Arctic/Longyearbyen"), ("WYV", 179.999, -16.788, "Pacific/Fiji")],
)
def test_maps_at_78_north_and_across_180_are_drawn_without_network(
    no_network, record, staff_a, code, lon, lat, zone
):
    site = make_site(code, lon, lat, timezone=zone)
    staff_a.memberships.create(site=site)
    assert_maps_drawn(record(site, location=offset(site, 1700, 200)))


@pytest.mark.parametrize(("lon", "lat"), [(15.465, 78.246), (179.999, -16.788), (106.6, -6.1)])
def test_local_plane_keeps_metres_true(lon, lat):
    """At 78 N a degree of longitude is a fifth of one at the equator; the plane must not
    care, and across 180° the two sides must meet."""
    plane = maps.LocalPlane(lon, lat)
    for bearing in (0, 90, 135):
        x, y, _ = geo.WGS84.fwd(lon, lat, bearing, 3000)
        east, north = plane.points([x], [y])
        assert abs((east[0] ** 2 + north[0] ** 2) ** 0.5 - 3000) < 1


def test_scale_bar_length_is_a_round_number_of_metres():
    assert maps._nice_length(4300) == 500
    assert maps._nice_length(12_000) == 2000
    assert maps._nice_length(60) == 10


# --- The periodic summary ---------------------------------------------------------------

OCTOBER = "first_seen_after=2026-10-01T00:00:00Z&first_seen_before=2026-10-31T23:59:59.999999Z"
JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")


@pytest.fixture
def october(record, site_a, site_b, staff_b):
    """Incidents at site A in October 2026 of every kind, a draft, neighbours just outside
    the month, and one at site B."""
    visual, radar, rf = DetectionMethod.VISUAL, DetectionMethod.RADAR, DetectionMethod.RF
    plan = [
        # first seen (UTC), metres from the centre, drones, methods, status
        (datetime(2026, 10, 1, 1, 0, tzinfo=UTC), 0, 1, [visual], Status.DRAFT),
        (datetime(2026, 10, 4, 20, 30, tzinfo=UTC), 2600, 3, [visual, radar], Status.SUBMITTED),
        (datetime(2026, 10, 11, 12, 0, tzinfo=UTC), 3100, 1, [rf], Status.SUBMITTED),
        (datetime(2026, 10, 20, 23, 0, tzinfo=UTC), 5000, 1, [visual, rf], Status.SUBMITTED),
        (datetime(2026, 10, 31, 18, 0, tzinfo=UTC), 9000, 4, [radar], Status.SUBMITTED),
        (datetime(2026, 10, 31, 22, 0, tzinfo=UTC), 1000, 1, [visual], Status.SUBMITTED),
        (datetime(2026, 9, 30, 23, 0, tzinfo=UTC), 500, 1, [visual], Status.SUBMITTED),
        (datetime(2026, 11, 1, 0, 30, tzinfo=UTC), 500, 1, [visual], Status.SUBMITTED),
    ]
    made = [
        record(
            site_a,
            first_seen=seen,
            location=offset(site_a, metres) if metres else site_a_centre(site_a),
            drone_count=drones,
            detection_methods=methods,
            status=status,
        )
        for seen, metres, drones, methods, status in plan
    ]
    made.append(
        record(
            site_b,
            reported_by=staff_b,
            first_seen=datetime(2026, 10, 15, 3, 0, tzinfo=UTC),
            status=Status.SUBMITTED,
        )
    )
    return made


def site_a_centre(site):
    centre = site.perimeter_shape().centroid
    return Point(centre.x, centre.y, srid=4326)


def expected_figures(incidents):
    """The summary's figures counted the slow way, one Python object at a time."""
    figures = {"total": len(incidents), "drones": sum(i.drone_count for i in incidents)}
    figures["severity"] = Counter(i.severity for i in incidents)
    figures["zone"] = Counter(i.zone for i in incidents)
    figures["method"] = Counter(m for i in incidents for m in i.detection_methods)
    figures["hour"] = Counter(i.first_seen.astimezone(JAKARTA).hour for i in incidents)
    figures["weekday"] = Counter(i.first_seen.astimezone(JAKARTA).isoweekday() for i in incidents)
    return figures


def in_october(incidents, site):
    start, end = day_bounds(date(2026, 10, 1), date(2026, 10, 31))
    return [i for i in incidents if i.site == site and start <= i.first_seen <= end]


def key_figures(text):
    """The row of key figures under the title: incidents, high or critical, drones, sites."""
    match = re.search(r"^([\d,]+)\n([\d,]+)\n([\d,]+)\n([\d,]+)$", text, re.MULTILINE)
    assert match, "no key figures"
    return [int(group.replace(",", "")) for group in match.groups()]


def shown_count(text, label):
    match = re.search(rf"^{re.escape(str(label))}\s+(\d[\d,]*)\s", text, re.MULTILINE)
    assert match, f"no row for {label}"
    return int(match.group(1).replace(",", ""))


def test_summary_totals_match_the_database_for_a_filtered_set(
    client, supervisor_a, site_a, october
):
    client.force_login(supervisor_a)
    response = client.get(f"{reverse('summary_pdf')}?site=CGK&{OCTOBER}&detection_method=visual")
    assert response.status_code == 200
    chosen = [
        i for i in in_october(october, site_a) if DetectionMethod.VISUAL in i.detection_methods
    ]
    expected = expected_figures(chosen)
    assert 0 < expected["total"] < len(october)
    pages = pdf_pages(response.content)
    text = "\n".join(pages)
    severe = expected["severity"]["high"] + expected["severity"]["critical"]
    assert key_figures(text) == [expected["total"], severe, expected["drones"], 1]
    for level, label in Severity.choices:
        assert shown_count(text, label) == expected["severity"][level]
    assert shown_count(text, "Inside perimeter") == expected["zone"]["inside"]
    assert shown_count(text, "Outside all rings") == expected["zone"]["outside"]
    assert shown_count(text, "Radar") == expected["method"]["radar"]
    for incident in chosen:
        assert incident.reference in text
        local = incident.first_seen.astimezone(JAKARTA).strftime("%Y-%m-%d %H:%M WIB")
        assert local in text
    assert "From 2026-10-01 00:00 UTC to 2026-10-31 23:59 UTC" in text
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "CGK 2026-10-01 to 2026-10-31" in page


def test_summary_counts_hours_and_weekdays_in_site_local_time(site_a, october):
    chosen = in_october(october, site_a)
    start, end = day_bounds(date(2026, 10, 1), date(2026, 10, 31))
    incidents = Incident.objects.filter(site=site_a, first_seen__range=(start, end))
    summary = summarise(incidents, [site_a], start, end)
    expected = expected_figures(chosen)
    assert summary.total == expected["total"] and summary.drones == expected["drones"]
    assert summary.by_hour == [expected["hour"][h] for h in range(24)]
    assert summary.by_weekday == [expected["weekday"][d] for d in range(1, 8)]
    assert summary.by_method == {m: expected["method"][m] for m in DetectionMethod.values}
    # 20:30 UTC on Sunday 4 October is 03:30 on Monday in Jakarta.
    assert summary.by_hour[3] >= 1 and summary.by_weekday[0] >= 1


def test_summary_queries_do_not_grow_with_the_incidents(site_a, record):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            summarise(Incident.objects.filter(site=site_a), [site_a])
        return len(captured)

    record(site_a)
    few = queries()
    for hours in range(2, 12):
        record(site_a, first_seen=FIRST_SEEN + timedelta(hours=hours * 7))
    assert queries() == few


def test_regulator_summary_leaves_out_drafts(client, regulator, site_a, october):
    client.force_login(regulator)
    text = "\n".join(pdf_pages(client.get(f"{reverse('summary_pdf')}?{OCTOBER}").content))
    submitted = [i for i in in_october(october, site_a) if i.status != Status.DRAFT]
    assert key_figures(text)[0] == len(submitted)
    draft = next(i for i in october if i.status == Status.DRAFT)
    assert draft.reference not in text
    assert "DPS" not in text


@pytest.mark.parametrize(
    ("persona", "query", "expected"),
    [
        ("staff_a", "site=CGK", 200),
        ("supervisor_a", "site=CGK", 200),
        ("staff_b", "site=CGK", 400),
        ("staff_b", "site=DPS", 200),
        ("regulator", "site=CGK", 200),
        ("regulator", "site=DPS", 400),
        ("admin", "site=CGK&site=DPS", 200),
    ],
)
def test_summary_only_covers_sites_the_user_sees(
    client, personas, october, persona, query, expected
):
    client.force_login(personas[persona])
    response = client.get(f"{reverse('summary_pdf')}?{query}&{OCTOBER}")
    assert response.status_code == expected
    if expected == 400:
        page = response.content.decode()
        assert "This summary link cannot be used as it is" in page
        assert "Select a valid choice" in page
    else:
        assert response["Content-Type"] == "application/pdf"
        codes = re.findall(r"site=(\w+)", query)
        first_page = pdf_pages(response.content)[0]
        for code in codes:
            assert code in first_page


def test_summary_of_everything_visible_without_a_site(client, staff_b, october, site_a):
    client.force_login(staff_b)
    text = "\n".join(pdf_pages(client.get(f"{reverse('summary_pdf')}?{OCTOBER}").content))
    assert key_figures(text)[0] == 1
    assert not any(i.reference in text for i in october if i.site == site_a)


def test_summary_link_with_a_bad_date_says_so(client, staff_a):
    client.force_login(staff_a)
    response = client.get(f"{reverse('summary_pdf')}?first_seen_after=2026-13-45")
    assert response.status_code == 400
    assert "Enter a valid date/time" in response.content.decode()


@pytest.mark.parametrize("url", ["reports", "summary_pdf"])
def test_reports_pages_send_anonymous_visitors_to_sign_in(client, db, url):
    response = client.get(reverse(url))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "offered", "hidden"),
    [
        ("staff_a", ["CGK"], ["DPS"]),
        ("supervisor_a", ["CGK"], ["DPS"]),
        ("staff_b", ["DPS"], ["CGK"]),
        ("regulator", ["CGK"], ["DPS"]),
        ("admin", ["CGK", "DPS"], []),
    ],
)
def test_reports_form_offers_only_visible_sites(client, personas, persona, offered, hidden):
    client.force_login(personas[persona])
    page = client.get(reverse("reports")).content.decode()
    for code in offered:
        assert f'value="{code}"' in page
    for code in hidden:
        assert f'value="{code}"' not in page


def test_reports_form_goes_to_the_summary_with_the_filter_parameters(client, staff_a):
    client.force_login(staff_a)
    response = client.get(
        reverse("reports"), {"site": "CGK", "start": "2026-10-01", "end": "2026-10-31"}
    )
    assert response.status_code == 302
    assert response["Location"] == (
        "/reports/summary.pdf?site=CGK&first_seen_after=2026-10-01T00%3A00%3A00Z"
        "&first_seen_before=2026-10-31T23%3A59%3A59.999999Z"
    )
    assert client.get(response["Location"]).status_code == 200


def test_reports_form_explains_a_reversed_period_and_keeps_the_input(client, staff_a):
    client.force_login(staff_a)
    response = client.get(
        reverse("reports"), {"site": "CGK", "start": "2026-10-31", "end": "2026-10-01"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The last day is before the first day: swap them." in page
    assert 'value="2026-10-31"' in page and 'value="2026-10-01"' in page
    assert re.search(r'value="CGK"[^>]*checked', page)


def test_summary_report_command_matches_the_database(site_a, october, tmp_path):
    target = tmp_path / "october.pdf"
    call_command(
        "summary_report", site=["cgk"], since="2026-10-01", until="2026-10-31", output=str(target)
    )
    text = "\n".join(pdf_pages(target.read_bytes()))
    expected = expected_figures(in_october(october, site_a))
    assert key_figures(text)[0] == expected["total"]
    assert shown_count(text, "Critical") == expected["severity"]["critical"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"site": ["XXX"]}, "Unknown site code"),
        ({"since": "2026-10-32"}, "--since must be a date like 2026-10-01"),
        ({"until": "2026-09-01"}, "--until is before --since"),
    ],
)
def test_summary_report_command_explains_bad_input(site_a, tmp_path, options, message):
    arguments = {"since": "2026-10-01", "until": "2026-10-31", "output": str(tmp_path / "x.pdf")}
    with pytest.raises(CommandError, match=message):
        call_command("summary_report", **{**arguments, **options})
