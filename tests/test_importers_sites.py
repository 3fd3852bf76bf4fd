"""Sites import from GeoJSON, KML and GeoPackage: created, updated with a diff, or refused
with a message naming the feature and field."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from incidents import geo
from incidents.importers import sites
from incidents.models import Incident, Site

DATA = Path(__file__).parent / "data" / "sites"


def _import(name, **options):
    with (DATA / name).open("rb") as handle:
        return sites.import_sites(name, handle, **options)


@pytest.mark.django_db
def test_geojson_creates_good_sites_and_explains_bad_features():
    report = _import("sites.geojson")
    assert sorted(Site.objects.values_list("code", flat=True)) == ["CGK", "HLP", "TVU"]
    assert report.created == 3
    messages = [str(p) for p in report.problems]
    assert (
        "feature 3 (PLJ), timezone: “Asia/Jakartaa” is not a known IANA time zone. Use a name "
        "such as Asia/Jakarta, Europe/London or Pacific/Fiji." in messages
    )
    assert "feature 4 (X), code: Use 2 to 8 capital letters or digits, for example CGK." in messages
    assert any(
        m.startswith("feature 5 (BOW), perimeter: The perimeter is not a valid") for m in messages
    )
    assert len(messages) == 3
    halim = Site.objects.get(code="HLP")
    assert (halim.name, halim.kind, halim.timezone) == (
        "Halim Perdanakusuma",
        "airport",
        "Asia/Jakarta",
    )
    assert halim.zone_radii_m == [300, 800]


@pytest.mark.django_db
def test_site_across_the_antimeridian_is_stored_in_two_parts():
    _import("sites.geojson")
    taveuni = Site.objects.get(code="TVU")
    assert len(taveuni.perimeter) == 2
    west, _, east, _ = taveuni.perimeter.extent[0], 0, taveuni.perimeter.extent[2], 0
    assert west >= -180 and east <= 180
    assert geo.distance_to_perimeter_m(-179.995, -16.69, taveuni.perimeter_shape()) == 0.0


@pytest.mark.django_db
def test_dry_run_changes_nothing_and_shows_the_diff(site_a):
    before = (site_a.name, site_a.perimeter.wkt, site_a.zone_radii_m)
    report = _import("sites.geojson", dry_run=True)
    assert Site.objects.count() == 1
    site_a.refresh_from_db()
    assert (site_a.name, site_a.perimeter.wkt, site_a.zone_radii_m) == before
    assert report.updated == 1 and report.created == 2
    assert (
        "CGK: name “Soekarno-Hatta” → “Soekarno-Hatta International”; perimeter changed."
        in report.changes
    )
    assert report.summary() == (
        "Dry run, nothing saved: 2 would be created, 1 would be updated, 0 unchanged, 3 refused."
    )


@pytest.mark.django_db
def test_existing_site_is_updated_and_its_incidents_recomputed(site_a, record):
    incident = record(site_a)
    assert incident.zone == "inside"
    # The new perimeter lies west of the old centre, so the incident ends up outside it.
    incident.location = incident.location.__class__(106.70, -6.12557, srid=4326)
    Incident.objects.filter(pk=incident.pk).update(location=incident.location)
    report = _import("sites.geojson")
    assert report.updated == 1
    assert "CGK: zones and severities recomputed for 1 incidents." in report.changes
    incident.refresh_from_db()
    assert incident.zone != "inside" and incident.distance_m > 0
    site_a.refresh_from_db()
    assert site_a.name == "Soekarno-Hatta International"


@pytest.mark.django_db
def test_reimport_leaves_everything_unchanged():
    _import("sites.geojson")
    again = _import("sites.geojson")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


@pytest.mark.django_db
def test_kml_placemarks_become_sites_and_a_point_is_refused():
    report = _import("sites.kml")
    assert sorted(Site.objects.values_list("code", flat=True)) == ["HLP", "PRIOK"]
    assert Site.objects.get(code="PRIOK").kind == "port"
    assert len(Site.objects.get(code="PRIOK").perimeter) == 2
    assert [str(p) for p in report.problems] == [
        "feature 3, perimeter: the site's perimeter must be a polygon; this feature has a Point."
    ]


def test_kml_without_gdal_reads_the_same_placemarks():
    rows = sites.read_kml_with_lxml((DATA / "sites.kml").read_bytes())
    assert [(a["Name"], a["code"], g.geom_type) for a, g in rows] == [
        ("Halim Perdanakusuma", "HLP", "Polygon"),
        ("Tanjung Priok port", "PRIOK", "MultiPolygon"),
        ("A mast, not an area", "MAST", "Point"),
    ]


@pytest.mark.django_db
def test_geopackage_with_other_field_names_imports_through_the_map_option(capsys):
    call_command(
        "import_sites",
        str(DATA / "sites.gpkg"),
        "--map",
        "code=ICAO,name=NAME_EN,kind=TYPE,timezone=TZ,zone_radii_m=RINGS",
    )
    out = capsys.readouterr().out
    assert sorted(Site.objects.values_list("code", flat=True)) == ["CGK", "HLP"]
    assert "2 were created, 0 were updated, 0 unchanged, 1 refused." in out
    assert "feature 3 (PLJ), timezone: “Asia/Jakartaa” is not a known IANA time zone" in out


@pytest.mark.django_db
def test_geopackage_without_the_map_says_where_the_code_is_missing():
    report = _import("sites.gpkg")
    assert not Site.objects.exists()
    assert (
        str(report.problems[0])
        == "feature 1, code: no site code: give each feature a “code” value."
    )


def test_bad_map_option_says_how_to_write_it():
    with pytest.raises(
        CommandError, match="“colour=RED” is not a mapping: write site_field=FILE_FIELD"
    ):
        call_command("import_sites", str(DATA / "sites.gpkg"), "--map", "colour=RED")


@pytest.mark.django_db
def test_unreadable_file_gets_a_message():
    report = sites.import_sites("broken.geojson", io.BytesIO(b"{not json"))
    assert report.problems[0].where == "file"
    assert report.problems[0].message.startswith("broken.geojson could not be read")


@pytest.mark.django_db
def test_kml_is_read_with_lxml_when_gdal_has_no_kml_driver(monkeypatch):
    monkeypatch.setattr(sites, "_gdal_kml_driver", lambda: None)
    report = _import("sites.kml")
    assert sorted(Site.objects.values_list("code", flat=True)) == ["HLP", "PRIOK"]
    assert [str(p) for p in report.problems] == [
        "feature 3, perimeter: the site's perimeter must be a polygon; this feature has a Point."
    ]
