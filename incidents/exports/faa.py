"""An FAA UAS sighting report style CSV: the four columns of the FAA's quarterly "UAS
Sightings Report" workbooks (Date, State, City, Summary, in that order), so the people and
tools used to those files can read SkyLedger's. Outside the USA, State holds the country.

Date is the local date at the site (ISO 8601). City and State come from the nearest city to
the site (GeoNames). Summary follows the FAA's "PRELIM INFO" line: place, UAS SIGHTING or UAS
INCIDENT (inside the perimeter or a payload), the UTC time as hhmmZ, then what was seen.
"""

import csv
import zoneinfo

from django.utils.translation import gettext_lazy as _

from .places import nearest_place
from .registry import Exporter, register
from .table import defuse

HEADERS = ["Date", "State", "City", "Summary"]


def summary(row, place):
    """The FAA-style summary of an incident row."""
    moment = row["first_seen"].astimezone(zoneinfo.ZoneInfo("UTC"))
    kind = "UAS INCIDENT" if row["zone"] == "inside" or row["payload_seen"] else "UAS SIGHTING"
    where = {
        "inside": "INSIDE THE PERIMETER",
        "ring": f"{row['distance_m']:.0f} M OUTSIDE THE PERIMETER",
        "outside": f"{row['distance_m']:.0f} M OUTSIDE THE PERIMETER",
    }[row["zone"]]
    parts = [
        f"SKYLEDGER {row['reference']}: {place.city.upper()}, {place.country_code}/{kind}/"
        f"{moment:%H%M}Z/{row['site_name'].upper()} ({row['site_code']}) REPORTED "
        f"{row['drone_count']} UAS {where}",
    ]
    if row["make_model"]:
        parts.append(f"TYPE {row['make_model'].upper()}")
    if row["altitude_m"] is not None:
        parts.append(f"ALTITUDE {row['altitude_m']:.0f} M ({row['altitude_m'] / 0.3048:.0f} FEET)")
    parts.append(f"SEVERITY {row['severity'].upper()}")
    text = ". ".join(parts) + "."
    if row["narrative"]:
        text += " " + " ".join(row["narrative"].split())
    return text


@register
class FaaSightingExporter(Exporter):
    identifier = "faa_csv"
    verbose_name = _("FAA sighting report style (CSV)")
    description = _("Date, State, City, Summary: the columns of the FAA's UAS sighting reports.")
    extension = "faa.csv"
    media_type = "text/csv"

    def write(self, source, path):
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADERS)
            for row in source.incidents():
                place = nearest_place(round(row["lon"], 2), round(row["lat"], 2))
                local = row["first_seen"].astimezone(zoneinfo.ZoneInfo(row["site_timezone"]))
                writer.writerow(
                    [
                        local.date().isoformat(),
                        place.country.upper(),
                        place.city.upper(),
                        defuse(summary(row, place)),
                    ]
                )
