"""Importers: bring in existing data instead of retyping it. One module per source:

- sites.py: site perimeters from GeoJSON, KML or GeoPackage;
- zones.py: EU UAS geographical zones (EUROCAE ED-269 JSON, ED-318 GeoJSON);
- faa.py: the FAA's published UAS sighting reports (XLSX or CSV), as external reports.

Each takes open files and `dry_run`, and returns an ImportReport saying what changed (or
would change) and what was wrong with each refused row, naming the row or feature and the
field. Good rows are kept even when others are refused.
"""

from .report import ImportReport, Problem

__all__ = ["ImportReport", "Problem"]
