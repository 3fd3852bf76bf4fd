"""`make bench SIZE=small|medium|large`: each SkyLedger path beside its raw baseline, in one run.

    python -m bench.run --backend spatialite --size small
    DATABASE_URL=postgis://... python -m bench.run --backend postgis --size small

Generates the seeded data set (bench.data) in a separate database once per size (a later run
of the same size reuses it; --fresh makes it again), then runs every case REPEATS times and
prints the median of each side and their ratio. Each case must leave the data as it found it.
Results go to var/bench-<backend>-<size>.json as well (bench.common).
"""

import argparse
import importlib
import os
import sys
from pathlib import Path

SIZES = {"small": 20_000, "medium": 200_000, "large": 1_000_000}
VAR = Path(__file__).resolve().parent.parent / "var"
# Each module has run(ctx); --only picks some by these names.
CASES = ["map", "exports", "zones", "importing", "ingest", "map_render"]


def sqlite_path(size):
    return VAR / f"bench-{size}.sqlite3"


def run(backend, size, repeats, only, fresh):
    import django

    django.setup()
    from django.db import connection

    from incidents.models import Incident

    from . import data
    from .common import Context

    postgres = connection.vendor == "postgresql"
    assert postgres == (backend == "postgis"), "DATABASE_URL does not match --backend"
    data.ensure(SIZES[size], fresh=fresh)
    total = Incident.objects.count()
    ctx = Context(backend=backend, size=size, count=total, repeats=repeats)
    print(f"\n{backend}: {total:,} incidents, {repeats} runs each, times in ms (median)")
    print(f"{'benchmark':<52} {'SkyLedger':>10} {'raw':>10} {'ratio':>8}")
    for name in only or CASES:
        ctx.case = name
        importlib.import_module(f"bench.{name}").run(ctx)
    ctx.save()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["spatialite", "postgis"], required=True)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", action="append", choices=CASES, help="run only these cases")
    parser.add_argument("--fresh", action="store_true", help="generate the data set again")
    args = parser.parse_args(argv)
    if args.backend == "spatialite":
        VAR.mkdir(exist_ok=True)
        os.environ["DATABASE_URL"] = f"spatialite:///{sqlite_path(args.size)}"
    elif not os.environ.get("DATABASE_URL", "").startswith("postgis"):
        sys.exit("Set DATABASE_URL to the PostGIS bench database (see the Makefile).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    run(args.backend, args.size, args.repeats, args.only, args.fresh)


if __name__ == "__main__":
    main()
