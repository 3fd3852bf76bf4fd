"""Print the results of `make bench` (var/bench-<backend>-<size>.json) as Markdown tables,
for docs/performance.md:

    python -m bench.report --size large > /tmp/results.md
"""

import argparse
import json

from .common import VAR


def table(data):
    lines = [
        f"### {'PostGIS' if data['backend'] == 'postgis' else 'SpatiaLite'}: "
        f"{data['incidents']:,} incidents",
        "",
        f"Last measured {data['measured_at']} on {data['machine']['cpus']} CPUs, "
        f"{data['machine']['platform']}, Python {data['machine']['python']} "
        "(load: the 1-minute load average when each line was measured; 2 means both cores busy).",
        "",
        "| benchmark | SkyLedger ms | baseline | baseline ms | result | goal | status | load |",
        "|---|---:|---|---:|---:|---|---|---:|",
    ]
    notes = []
    for r in data["results"]:
        if r["kind"] == "faster":
            result, goal = f"{r['ratio']:.1f}x faster", f">= {r['goal']:g}x faster"
        else:
            result = f"{r['ratio']:.2f}x"
            goal = f"<= {r['goal']:g}x" if r["goal"] is not None else ""
        status = {True: "met", False: "**not met**", None: ""}[r["met"]]
        lines.append(
            f"| {r['name'].strip()} | {r['ours_ms']:,.1f} | {r['baseline']} | "
            f"{r['raw_ms']:,.1f} | {result} | {goal} | {status} | {r.get('load_average', '')} |"
        )
        if r["note"]:
            notes.append((r["name"].strip(), r["note"]))
    lines.append("")
    for name, note in notes:
        if "\n" in note:  # a query plan
            lines += ["", f"{name}, the plan:", ""]
            lines += [f"    {line.strip()}" for line in note.splitlines()]
            lines.append("")
        else:
            lines.append(f"- {name}: {note}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="large")
    args = parser.parse_args(argv)
    for backend in ("postgis", "spatialite"):
        path = VAR / f"bench-{backend}-{args.size}.json"
        if path.exists():
            print(table(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
