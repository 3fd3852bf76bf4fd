"""Exports: one module per format, each a registered `Exporter` (see registry.py); the
export page, the API and `manage.py export_incidents` all read the same registry and run
exports through jobs.py, which also writes the manifest and the export log."""

from . import csvfile, e5x, faa, geojson, gpkg, kml, xlsx  # noqa: F401  (registers them)
from .registry import all_exporters, choices, get

__all__ = ["all_exporters", "choices", "get"]
