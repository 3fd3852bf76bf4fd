"""FAA UAS sighting spreadsheets become external reports, one per data row."""

import datetime as dt
import io
import shutil
import time
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command

from incidents.importers import faa
from incidents.models import ExternalReport, LocationSource

DATA = Path(__file__).parent / "data" / "faa"
WORKBOOKS = sorted(DATA.glob("*.xlsx"))
SHARED_CSV = Path("/work/shared/data/faa_uas_sightings/faa_uas_sightings_2019Q4_2025Q4.csv")

# Real summaries from the workbooks, as published.
MSP = (
    "PRELIM INFO FROM FAA OPS: MINNEAPOLIS, MN/UAS INCIDENT/1400C/C-ROC ADVISED  MSP - CVG, "
    "REPORTED UAS WHILE ESE BOUND AT 3,300 FEET 2 ESE MSP. NO EVASIVE ACTION TAKEN."
)
BTR = (
    "PRELIM INFO FROM FAA OPS: BATON ROUGE, LA/UAS INCIDENT/1230C/BATON ROUGE ATCT ADVISED , "
    "CESSNA C182, REPORTED UAS WHILE NE BOUND AT 900 FEET 5 SW BATON ROUGE. NO EVASIVE "
    "ACTION TAKEN. BATON ROUGH PD NOTIFIED."
)
MCO = (
    "PRELIM INFO FROM FAA OPS: ORLANDO, FL/UAS SIGHTING/1223E/ORLANDO ATCT ADVISED, A321, "
    "JFK - MCO, REPORTED A QUADCOPTER UAS WHILE S BOUND AT 1,100 FEET ON 3 MILE FINAL "
    "RUNWAY 17L MCO. NO EVASIVE"
)
KINGSVILLE = (
    "PRELIM INFO FROM FAA OPS: KINGSVILLE, TX/UAS INCIDENT/1155C/KINGSVILLE NAS ATCT ADVISED "
    "T45, OBSERVED A WHITE QUADCOPTER UAS APPROXIMATELY 1 METER IN DIAMETER AT 300-400 FEET "
    "WHILE ON 1 MILE FINAL RUNWAY 17R."
)
PALO_VERDE = (
    "PRELIM INFO FROM FAA OPS: TONOPAH, AZ/UAS INCIDENT/2130M/PHOENIX TRACON ADVISED 6 UAS "
    "ORBITING THE PALO VERDE NUCLEAR POWER PLANT. LEO WAS NOT NOTIFIED."
)
IAH = (
    "PRELIM INFO FROM FAA OPS: HOUSTON, TX/UAS INCIDENT/1717C/HOUSTON ARTCC ADVISED B738 "
    "BLACK QUAD COPTER UAS AT THE 1 O'CLOCK POSITION WHILE E BOUND AT 3,000 FEET IAH."
)


@pytest.mark.parametrize(
    ("summary", "feet"),
    [(MSP, 3300), (BTR, 900), (MCO, 1100), (KINGSVILLE, 300), (PALO_VERDE, None)],
)
def test_altitude_is_read_from_real_summaries(summary, feet):
    assert faa.altitude_ft(summary) == feet


@pytest.mark.parametrize(
    ("summary", "aircraft"),
    [
        (BTR, "CESSNA C182"),
        (MCO, "A321"),
        (KINGSVILLE, "T45"),
        (PALO_VERDE, ""),
        ("PRELIM INFO FROM FAA OPS: X, TX/UAS SIGHTING/1200C/X ATCT ADVISED, TYPE UNKN, ", ""),
    ],
)
def test_aircraft_type_is_read_from_real_summaries(summary, aircraft):
    assert faa.aircraft_type(summary) == aircraft


@pytest.mark.parametrize(
    ("summary", "code"),
    [(MSP, "MSP"), (MCO, "MCO"), (IAH, "IAH"), (BTR, ""), (PALO_VERDE, "")],
)
def test_airport_named_in_real_summaries(summary, code):
    assert faa.airport_named(summary) == code


def test_a_code_that_is_the_start_of_a_place_name_in_another_state_is_not_an_airport():
    summary = (
        "PRELIM INFO FROM FAA OPS: SAN ANTONIO, TX/UAS INCIDENT/1405C/ BOMBARDIER CL60, "
        "REPORTED A UAS AT 2,000 FEET 5 W SAN ANTONIO. NO EVASIVE ACTION TAKEN."
    )
    code, point, source = faa.place(summary, "SAN ANTONIO", "TEXAS")
    assert (code, source) == ("", LocationSource.CITY)
    assert point.x == pytest.approx(-98.49, abs=0.05)
    # Across a state line but near the city it is right: Chantilly, VA at Dulles (IAD).
    dulles = "... REPORTED UAS AT 1,500 FEET 3 N IAD. NO EVASIVE ACTION TAKEN."
    assert faa.place(dulles, "CHANTILLY", "VIRGINIA")[::2] == ("IAD", LocationSource.AIRPORT)


def test_report_is_placed_at_named_airport_else_city_else_unknown():
    code, point, source = faa.place(MSP, "MINNEAPOLIS", "MINNESOTA")
    assert (code, source) == ("MSP", LocationSource.AIRPORT)
    assert point.y == pytest.approx(44.88, abs=0.02) and point.x == pytest.approx(-93.22, abs=0.02)
    code, point, source = faa.place(BTR, "BATON ROUGE", "LOUISIANA")
    assert (code, source) == ("", LocationSource.CITY)
    assert point.y == pytest.approx(30.45, abs=0.05) and point.x == pytest.approx(-91.15, abs=0.05)
    # Tonopah, Arizona is too small for the gazetteer; its airport places it.
    code, point, source = faa.place(PALO_VERDE, "TONOPAH", "ARIZONA")
    assert source == LocationSource.CITY_AIRPORT and point.x == pytest.approx(-113.0, abs=0.5)
    assert faa.place("NOTHING HERE", "ATLANTIS", "NOWHERE") == ("", None, LocationSource.UNKNOWN)


def _workbook(rows, header=("Date", "State", "City", "Summary")):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


@pytest.mark.django_db
def test_bad_rows_get_a_message_and_good_rows_are_kept():
    book = _workbook(
        [
            (dt.datetime(2024, 4, 1), "MINNESOTA", "MINNEAPOLIS", MSP),
            ("yesterday", "TEXAS", "HOUSTON", IAH),
            (dt.datetime(2024, 4, 2), "TEXAS", "HOUSTON", None),
            (None, None, None, None),  # an empty row is not a data row
            ("7/1/2020", "TEXAS", "KINGSVILLE", KINGSVILLE),
        ]
    )
    report = faa.import_faa([("FAA_test.xlsx", book)])
    assert report.created == 2
    messages = [str(p) for p in report.problems]
    assert messages == [
        "row 3, Date: “yesterday” is not a date: write it as M/D/YYYY or YYYY-MM-DD.",
        "row 4, Summary: the summary is empty: copy in the report's text.",
    ]
    kingsville = ExternalReport.objects.get(city="KINGSVILLE")
    assert kingsville.date == dt.date(2020, 7, 1)
    assert kingsville.time == dt.time(11, 55) and kingsville.time_text == "1155C"
    assert kingsville.summary == KINGSVILLE
    assert kingsville.source_row == 6


@pytest.mark.django_db
def test_header_without_summary_is_refused_with_what_is_missing():
    book = _workbook(
        [(dt.datetime(2024, 4, 1), "TEXAS", "HOUSTON")], header=("Date", "State", "City")
    )
    report = faa.import_faa([("x.xlsx", book)])
    assert [str(p) for p in report.problems] == [
        "row 1, summary: the header must have Date, State, City and Summary columns; "
        "missing: summary."
    ]
    assert not ExternalReport.objects.exists()


@pytest.mark.django_db
def test_all_nineteen_workbooks_import_one_report_per_row_and_twice_changes_nothing(
    capsys, settings
):
    assert len(WORKBOOKS) == 19
    call_command("import_faa_sightings", *map(str, WORKBOOKS), "--dry-run")
    assert ExternalReport.objects.count() == 0
    dry = capsys.readouterr().out
    assert dry.startswith("Dry run, nothing saved: 8918 would be created, 0 would be updated")

    # The dry run has loaded the gazetteer and airport tables (once per process).
    started = time.perf_counter()
    call_command("import_faa_sightings", *map(str, WORKBOOKS))
    elapsed = time.perf_counter() - started
    out = capsys.readouterr().out
    assert ExternalReport.objects.count() == 8918
    assert "0 refused" in out
    placed = ExternalReport.objects.placed().count()
    assert f"8918 reports read; {placed} ({100 * placed / 8918:.1f}%) placed on the map" in out
    assert placed / 8918 > 0.95
    unknown = ExternalReport.objects.filter(location_source=LocationSource.UNKNOWN)
    assert unknown.exists() and not unknown.filter(location__isnull=False).exists()
    # The Apr-Jun 2020 workbook gives a time of day in its date cells.
    first = ExternalReport.objects.get(source_file="FAA_Apr2020-Jun2020.xlsx", source_row=2)
    assert (first.date, first.time) == (dt.date(2020, 4, 1), dt.time(14, 0))
    assert elapsed < 60, f"{elapsed:.0f} s: the import should take seconds, not minutes"

    call_command("import_faa_sightings", *map(str, WORKBOOKS))
    assert "0 were created, 0 were updated, 8918 unchanged" in capsys.readouterr().out
    assert ExternalReport.objects.count() == 8918


@pytest.mark.django_db
@pytest.mark.skipif(not SHARED_CSV.exists(), reason="the derived CSV is in /work/shared/data")
def test_derived_csv_matches_the_workbooks_it_was_made_from(tmp_path):
    faa.import_faa([(WORKBOOKS[0].name, WORKBOOKS[0].open("rb"))])
    before = ExternalReport.objects.count()
    csv_copy = tmp_path / SHARED_CSV.name
    shutil.copy(SHARED_CSV, csv_copy)
    report = faa.import_faa([(csv_copy.name, csv_copy.open("rb"))])
    assert report.refused == 0
    assert report.unchanged == before
    assert ExternalReport.objects.count() == 8918
