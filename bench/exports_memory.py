"""Peak memory of exports on SpatiaLite: does an export of many incidents stay flat?

    python -m bench.exports_memory --size 100000 [--formats csv,xlsx,geojson,kml,gpkg,e5x]

Builds a throw-away SpatiaLite database with SIZE generated incidents at one site (every
tenth with a drone record), then, for each format, exports in a fresh process first the
newest tenth of them and then all of them, and prints each process's peak resident set size
(VmHWM). Flat memory means the two peaks differ by little, whatever SIZE is; the
"baseline" column is the same process's peak before the export (Django, GDAL, pandas loaded).
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent


def peak_mb():
    """This process's peak resident set size. VmHWM, not ru_maxrss: Linux carries ru_maxrss
    over exec, so a child would report the parent's peak (here, the database build's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django(database):
    os.environ["DATABASE_URL"] = f"spatialite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build(database, size):
    setup_django(database)
    from django.contrib.gis.geos import Point
    from django.core.management import call_command
    from django.utils import timezone

    from incidents import geo
    from incidents.models import Drone, Incident, Site, geos_of

    call_command("migrate", verbosity=0)
    site = Site(
        code="BEN",
        name="Bench airport",
        perimeter=geos_of(geo.normalise_perimeter(geo.rectangle(106.656, -6.12557, 1000, 1000))),
        timezone="Asia/Jakarta",
    )
    site.full_clean()
    site.save()
    now = timezone.now()
    batch = 5000
    for start in range(0, size, batch):
        incidents = []
        for n in range(start, min(start + batch, size)):
            # Bulk insert: the derived fields are set here instead of by save().
            incidents.append(
                Incident(
                    reference=f"BEN-2026-{n + 1:06d}",
                    site=site,
                    status="submitted",
                    first_seen=now - timedelta(minutes=size - n),
                    location=Point(106.656 + (n % 100) * 1e-4, -6.12557 + (n % 37) * 1e-4),
                    zone="inside",
                    distance_m=0.0,
                    computed_severity="high",
                    severity="high",
                    narrative=f"Generated incident {n}: a grey quadcopter hovering near the fence.",
                    make_model="DJI Mavic 3",
                )
            )
        created = Incident.objects.bulk_create(incidents)
        Drone.objects.bulk_create(
            Drone(incident=i, uas_id=f"1581F5FJD{i.pk:07d}", uas_id_type="serial")
            for i in created[::10]
        )
    return now


def measure(database, format, query):
    setup_django(database)
    from incidents.exports import get
    from incidents.exports.jobs import export_to_file, filtered_incidents, operator

    count = filtered_incidents(operator(), query).count()
    get(format)  # load the exporter (and its libraries) before the baseline
    if format == "e5x":
        from incidents.exports.e5x import schema

        schema()
    baseline = peak_mb()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        job = export_to_file(format, Path(folder) / f"out.{format}", query)
        seconds = time.perf_counter() - started
    print(f"{format},{count},{job.record_count},{baseline:.0f},{peak_mb():.0f},{seconds:.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--formats", default="csv,xlsx,geojson,kml,gpkg,e5x")
    parser.add_argument("--measure", nargs=3, metavar=("DATABASE", "FORMAT", "QUERY"))
    args = parser.parse_args()
    if args.measure:
        measure(*args.measure)
        return
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.sqlite3"
        started = time.perf_counter()
        now = build(database, args.size)
        print(f"built {args.size} incidents in {time.perf_counter() - started:.0f} s")
        tenth = (now - timedelta(minutes=args.size // 10)).isoformat()
        print("format,matched,written,baseline_mb,peak_mb,seconds")
        for format in args.formats.split(","):
            for query in (urlencode({"first_seen_after": tenth}), ""):
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "bench.exports_memory",
                        "--measure",
                        str(database),
                        format,
                        query,
                    ],
                    cwd=ROOT,
                    check=True,
                )


if __name__ == "__main__":
    main()
