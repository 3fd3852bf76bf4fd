"""The CSV export's two writers produce the same bytes as the row-by-row reference.

The reference is the straightforward rendering of table.COLUMNS from ExportSource.incidents()
(as XLSX reads them). csvfile.write_python must equal it on every database; on PostGIS the
COPY writer (csvcopy.write_copy) must equal it too, on data chosen to break a formatter:
DST changes in both hemispheres, half- and quarter-hour zones, offsets with seconds, NULLs,
fractions of a second, floats Python and PostgreSQL print differently, unicode, quotes,
commas and line breaks, formula-looking text, and operator data redacted or not.
"""

import csv

from django.db import connection

from incidents.exports import csvfile, get
from incidents.exports.table import BOOLEAN, COLUMNS, HEADERS, LOCAL_TIME, TEXT, UTC_TIME, defuse
from incidents.models import Incident

from .conftest import postgis_only
from .exports_support import source_for, tricky

__all__ = ["tricky"]  # the fixture, imported for pytest


def reference_cell(kind, value):
    if value is None:
        return ""
    if kind == UTC_TIME:
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == LOCAL_TIME:
        return value.isoformat(timespec="seconds")
    if kind == BOOLEAN:
        return "true" if value else "false"
    if kind == TEXT:
        return defuse(str(value))
    return value


def write_reference(source, path):
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for row in source.incidents():
            writer.writerow([reference_cell(kind, read(row)) for _, kind, read in COLUMNS])


def personal_cases(sites):
    return [None, {sites[0].pk, sites[3].pk}, set()]


def test_python_writer_equals_the_reference(tricky, tmp_path):
    for personal in personal_cases(tricky):
        write_reference(source_for(personal), tmp_path / "reference.csv")
        csvfile.write_python(source_for(personal), tmp_path / "python.csv")
        expected = (tmp_path / "reference.csv").read_bytes()
        assert (tmp_path / "python.csv").read_bytes() == expected
    rows = list(csv.reader(expected.decode("utf-8-sig").splitlines(keepends=True)))
    assert len(rows) == 1 + Incident.objects.count()


@postgis_only
def test_copy_writer_equals_the_reference_byte_for_byte(tricky, tmp_path):
    from incidents.exports.csvcopy import write_copy

    for personal in personal_cases(tricky):
        reported = []
        source = source_for(personal)
        source.progress = reported.append
        write_reference(source_for(personal), tmp_path / "reference.csv")
        write_copy(source, tmp_path / "copy.csv")
        expected = (tmp_path / "reference.csv").read_bytes()
        got = (tmp_path / "copy.csv").read_bytes()
        assert got.splitlines() == expected.splitlines()
        assert got == expected
        assert reported[-1] == Incident.objects.count()


def test_redacted_export_blanks_operator_description_only_where_not_allowed(tricky, tmp_path):
    allowed = tricky[0]
    path = tmp_path / "out.csv"
    get("csv").write(source_for({allowed.pk}), path)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_reference = {i.reference: i for i in Incident.objects.select_related("site")}
    assert {r["operator_description"] != "" for r in rows} == {True, False}
    for row in rows:
        incident = by_reference[row["reference"]]
        if incident.site_id == allowed.pk:
            assert row["operator_description"] == defuse(incident.operator_description)
        else:
            assert row["operator_description"] == ""


def test_exporter_uses_copy_on_postgis_only(tricky, tmp_path, monkeypatch):
    called = []
    monkeypatch.setattr(csvfile, "write_python", lambda *args: called.append("python"))
    get("csv").write(source_for(None), tmp_path / "out.csv")
    assert called == ([] if connection.vendor == "postgresql" else ["python"])
