"""What every benchmark shares: timing, the printed table and the results kept for the docs.

A benchmark is a function `run(ctx)` in a module of this package (see `bench.run.CASES`). It
measures a SkyLedger path and its raw baseline side by side, in the same run, on the same rows,
and records each pair with `ctx.ratio(...)` (SkyLedger / raw must stay at or under a goal) or
`ctx.faster(...)` (SkyLedger must be at least N times faster than the other path).

Results also go to var/bench-<backend>-<size>.json, from which docs/performance.md is written.
"""

import json
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

VAR = Path(__file__).resolve().parent.parent / "var"


@dataclass
class Result:
    name: str
    ours_ms: float
    raw_ms: float
    ratio: float  # ours / raw for "ratio", other / ours for "faster"
    kind: str  # "ratio" or "faster" or "info"
    goal: float | None
    met: bool | None
    baseline: str = ""
    note: str = ""
    case: str = ""
    measured_at: str = ""
    load_average: float = 0.0  # 1-minute load when measured: other work on the machine


@dataclass
class Context:
    backend: str
    size: str
    count: int
    repeats: int
    results: list = field(default_factory=list)
    case: str = ""  # the module being run, set by bench.run

    @property
    def postgres(self):
        return self.backend == "postgis"

    def timed(self, function, repeats=None):
        """Median seconds of `repeats` calls (default: the run's), and the last result."""
        samples, result = [], None
        for _ in range(repeats or self.repeats):
            start = time.perf_counter()
            result = function()
            samples.append(time.perf_counter() - start)
        return statistics.median(samples), result

    def ratio(self, name, ours_s, raw_s, goal=None, baseline="", note=""):
        """Record SkyLedger / raw, which must be <= goal (when there is one)."""
        ratio = ours_s / raw_s if raw_s else float("nan")
        met = None if goal is None else ratio <= goal
        verdict = "" if goal is None else f"  goal <= {goal}x: {'meets' if met else 'MISSES'}"
        self._print(name, ours_s, raw_s, f"{ratio:>7.2f}x{verdict}")
        self._keep(name, ours_s, raw_s, ratio, "ratio", goal, met, baseline, note)

    def faster(self, name, ours_s, other_s, goal, baseline="", note=""):
        """Record how many times faster SkyLedger is than `other`; must be >= goal."""
        speedup = other_s / ours_s if ours_s else float("inf")
        met = speedup >= goal
        verdict = f"  goal >= {goal}x faster: {'meets' if met else 'MISSES'}"
        self._print(name, ours_s, other_s, f"{speedup:>6.1f}x faster{verdict}")
        self._keep(name, ours_s, other_s, speedup, "faster", goal, met, baseline, note)

    def info(self, text):
        print(text, flush=True)

    def _print(self, name, ours_s, raw_s, tail):
        print(f"{name:<52} {ours_s * 1e3:>10.1f} {raw_s * 1e3:>10.1f} {tail}", flush=True)

    def _keep(self, name, ours_s, raw_s, ratio, kind, goal, met, baseline, note):
        self.results.append(
            Result(
                name,
                ours_s * 1e3,
                raw_s * 1e3,
                ratio,
                kind,
                goal,
                met,
                baseline,
                note,
                self.case,
                datetime.now(UTC).isoformat(timespec="seconds"),
                round(os.getloadavg()[0], 1),
            )
        )
        self.save()

    def save(self):
        """Write this run's results, keeping an earlier run's results of the cases this run
        did not measure (so `--only` refreshes some cases and keeps the rest)."""
        VAR.mkdir(exist_ok=True)
        path = VAR / f"bench-{self.backend}-{self.size}.json"
        measured = {r.case for r in self.results} | {self.case}
        kept = []
        if path.exists():
            try:
                earlier = json.loads(path.read_text()).get("results", [])
            except ValueError:
                earlier = []
            names = {r.name for r in self.results}
            kept = [
                r
                for r in earlier
                if r.get("case") and r["case"] not in measured and r["name"] not in names
            ]
        path.write_text(
            json.dumps(
                {
                    "backend": self.backend,
                    "size": self.size,
                    "incidents": self.count,
                    "repeats": self.repeats,
                    "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "machine": machine(),
                    "results": kept + [asdict(r) for r in self.results],
                },
                indent=2,
            )
        )


def machine():
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def fetch_one(sql, params=None):
    """The first column of the first row of a raw query."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def bbox_for_fraction(fraction):
    """A bbox (lon/lat) holding about `fraction` of the incidents: whole sites, by longitude."""
    from incidents.models import Site

    from .data import MAX_OFFSET_M

    lons = sorted(s.perimeter_shape().centroid.x for s in Site.objects.all())
    wanted = max(1, round(len(lons) * fraction))
    margin = MAX_OFFSET_M / 111_000 * 3  # degrees of longitude; covers sites up to 60 degrees
    # Stop half-way to the next site so its incidents stay out.
    east = (lons[wanted - 1] + lons[wanted]) / 2 if wanted < len(lons) else 180
    return (lons[0] - margin, -90.0, min(east, lons[wanted - 1] + margin), 90.0)


def bbox_rows(fraction):
    """The bbox holding about `fraction` of the incidents, and its incidents taken the API's
    ?in_bbox= way (spatialindex.in_bbox: the spatial index on both backends)."""
    from incidents import spatialindex
    from incidents.models import Incident

    bbox = bbox_for_fraction(fraction)
    rows = spatialindex.in_bbox(Incident.objects.all(), "location", spatialindex.boxes(*bbox))
    return bbox, rows


def raw_bbox_where(postgres, bbox, alias="incidents_incident"):
    """A raw SQL condition for the incidents of `bbox` through the same spatial index: GiST
    on PostGIS, the SpatialIndex virtual table (the R*Tree) on SpatiaLite."""
    x0, y0, x1, y1 = bbox
    if postgres:
        return f"{alias}.location @ ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, 4326)"
    frame = f"BuildMbr({x0}, {y0}, {x1}, {y1}, 4326)"
    return (
        f"{alias}.id IN (SELECT ROWID FROM SpatialIndex WHERE f_table_name = "
        f"'incidents_incident' AND f_geometry_column = 'location' AND search_frame = {frame}) "
        f"AND MbrWithin({alias}.location, {frame})"
    )
