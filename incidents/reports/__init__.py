"""PDF reports: one incident in full, and the periodic summary of a set of sites.

Both are plain functions returning PDF bytes, so the pages, the management commands and
background tasks share them. Maps and charts are drawn server-side with matplotlib, with no
tiles and no network.
"""

from .incident import render_incident_report
from .summary import Summary, render_summary_report, summarise, top_incidents

__all__ = [
    "Summary",
    "render_incident_report",
    "render_summary_report",
    "summarise",
    "top_incidents",
]
