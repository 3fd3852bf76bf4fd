"""Time the coordinated-activity detector: `python -m bench.patterns --size N`.

Generates N synthetic incidents over 200 sites (grouped around 40 towns across Indonesia, as
airports, ports and power plants cluster in real life) and one year, 3 % of them swarms and
10 % carrying Remote ID from a pool of 5,000 drones, then times each finder on the frames
(the detector's own work; loading from the database is measured separately by the tests'
scale, not here). Baseline: one sort of the timestamps, the least work any time-window
method must do.
"""

import argparse
import time

import numpy as np
import pandas as pd
from django.conf import settings

YEAR_S = 365 * 86_400


def synthetic(size, seed=9):
    rng = np.random.default_rng(seed)
    towns = np.column_stack([rng.uniform(95, 141, 40), rng.uniform(-10, 5, 40)])
    town = rng.integers(0, 40, 200)
    # Sites within about 30 km of their town.
    lon = towns[town, 0] + rng.normal(0, 0.15, 200)
    lat = towns[town, 1] + rng.normal(0, 0.15, 200)
    sites = pd.DataFrame(
        {"code": [f"S{i:03d}" for i in range(200)], "lon": lon, "lat": lat},
        index=np.arange(1, 201),
    )
    incidents = pd.DataFrame(
        {
            "id": np.arange(1, size + 1),
            "site_id": rng.integers(1, 201, size),
            "t": np.sort(rng.integers(1_767_225_600, 1_767_225_600 + YEAR_S, size)),
            "drone_count": np.where(rng.random(size) < 0.03, rng.integers(3, 12, size), 1),
        }
    )
    with_rid = rng.random(size) < 0.10
    pool = np.array([f"1581F{n:012d}" for n in range(5000)])
    drones = pd.DataFrame(
        {
            "incident_id": incidents["id"][with_rid].to_numpy(),
            "uas_id": pool[rng.integers(0, 5000, with_rid.sum())],
            "operator_id": "",
        }
    )
    return incidents, drones, sites


def main():
    import django

    django.setup()
    from incidents.correlation import patterns

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()

    incidents, drones, sites = synthetic(args.size)
    thresholds = patterns.Thresholds.from_settings()
    start = time.perf_counter()
    np.sort(incidents["t"].to_numpy()[::-1])
    baseline = time.perf_counter() - start

    timings, counts = {}, {}
    for name, run in (
        ("sites", lambda: patterns.find_site_clusters(incidents, sites, thresholds)),
        ("swarms", lambda: patterns.find_swarm_days(incidents, thresholds)),
        ("repeats", lambda: patterns.find_repeats(incidents, drones, thresholds)),
    ):
        start, cpu = time.perf_counter(), time.process_time()
        found = run()
        timings[name] = (time.perf_counter() - start, time.process_time() - cpu)
        counts[name] = len(found)
    start, cpu = time.perf_counter(), time.process_time()
    patterns.find_all(incidents, drones, sites, thresholds)
    total, total_cpu = time.perf_counter() - start, time.process_time() - cpu

    print(
        f"{args.size:,} incidents, 200 sites, one year; thresholds: "
        f"{settings.PATTERN_MIN_SITES} sites within {settings.PATTERN_RADIUS_KM} km and "
        f"{settings.PATTERN_WINDOW_MINUTES} min"
    )
    print(f"baseline (sort of timestamps): {baseline * 1e3:,.1f} ms")
    # CPU time beside wall time: on a shared machine the wall clock mostly measures the queue.
    for name, (wall, cpu) in timings.items():
        print(f"{name:>8}: {wall:7.2f} s wall, {cpu:7.2f} s CPU, {counts[name]:,} findings")
    print(
        f"all finders with explanations: {total:.2f} s wall, {total_cpu:.2f} s CPU "
        f"({total / baseline:,.0f}x baseline)"
    )


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    main()
