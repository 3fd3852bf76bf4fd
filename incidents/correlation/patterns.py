"""Coordinated activity across sites: bursts at several nearby sites, swarms at several sites
the same day, and one UAS ID or operator ID at several sites.

The detector works on plain tables (pandas) so it can run over a year of history in seconds:
`find_*()` take frames and return `Finding`s, with no ORM; `detect()` loads the frames from
the database, runs every finder and stores the findings as `Pattern` records, updating the
record a previous run made rather than adding a twin.

Space: a scikit-learn haversine BallTree on radians proposes nearby sites, pyproj measures
them on the ellipsoid and keeps pairs within the radius; sites active in the same time
bucket are then chained through those pairs (DBSCAN with min_samples=1, computed as the
connected components of the sparse graph, which is the same result far faster). Time is
bucketed: window w covers [w*T, (w+2)*T), so every burst of at most T falls wholly inside
one window; a cluster spanning more than T is then narrowed to its busiest T-long stretch.
"""

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.neighbors import BallTree

from .. import geo
from ..choices import PatternKind
from ..models import Drone, Incident, Pattern, Site

# Mean Earth radius: only to turn metres into the haversine tree's radians for a first cut;
# the slack covers the sphere-versus-ellipsoid difference and pyproj gives the real distance.
EARTH_RADIUS_M = 6_371_008.8
_SPHERE_SLACK = 1.01


@dataclass
class Finding:
    """One pattern found: its kind, a stable key, its incidents and why it was raised."""

    kind: str
    key: str
    incident_ids: list
    explanation: str = ""
    site_ids: list = field(default_factory=list)


@dataclass(frozen=True)
class Thresholds:
    min_sites: int
    radius_m: float
    window_s: int
    swarm_drones: int
    swarm_min_sites: int
    repeat_min_sites: int

    @classmethod
    def from_settings(cls):
        return cls(
            min_sites=settings.PATTERN_MIN_SITES,
            radius_m=settings.PATTERN_RADIUS_KM * 1000,
            window_s=settings.PATTERN_WINDOW_MINUTES * 60,
            swarm_drones=settings.PATTERN_SWARM_DRONES,
            swarm_min_sites=settings.PATTERN_SWARM_MIN_SITES,
            repeat_min_sites=settings.PATTERN_REPEAT_MIN_SITES,
        )


# --- Pure finders: frames in, findings out ----------------------------------------------


def site_neighbours(sites, radius_m):
    """Pairs of distinct sites within radius_m of each other (geodesic), as a frame with
    columns a, b (positions in `sites`) and metres; each pair appears both ways."""
    coords = np.radians(sites[["lat", "lon"]].to_numpy())
    tree = BallTree(coords, metric="haversine")
    near = tree.query_radius(coords, r=radius_m * _SPHERE_SLACK / EARTH_RADIUS_M)
    a = np.repeat(np.arange(len(sites)), [len(n) for n in near])
    b = np.concatenate(near) if len(near) else np.array([], dtype=int)
    keep = a != b
    a, b = a[keep], b[keep]
    lon, lat = sites["lon"].to_numpy(), sites["lat"].to_numpy()
    _, _, metres = geo.WGS84.inv(lon[a], lat[a], lon[b], lat[b])
    close = metres <= radius_m
    return pd.DataFrame({"a": a[close], "b": b[close], "metres": metres[close]})


def _busiest_stretch(times, site_ids, window_s):
    """The slice [i, j) of time-sorted incidents holding the most distinct sites within
    window_s seconds (two pointers, one pass)."""
    counts = Counter()
    best, best_slice, start = 0, (0, 0), 0
    for end, site in enumerate(site_ids):
        counts[site] += 1
        while times[end] - times[start] > window_s:
            counts[site_ids[start]] -= 1
            if not counts[site_ids[start]]:
                del counts[site_ids[start]]
            start += 1
        if len(counts) > best:
            best, best_slice = len(counts), (start, end + 1)
    return best_slice


def find_site_clusters(incidents, sites, thresholds):
    """Bursts: at least min_sites sites, chained within radius_m of each other, with
    incidents within window_s seconds.

    `incidents` has columns id, site_id, t (seconds since the epoch, UTC); `sites` is
    indexed by site id with columns lon, lat (degrees). Overlapping findings from
    neighbouring windows are reduced to the largest one.
    """
    if incidents.empty:
        return []
    window_s, min_sites = thresholds.window_s, thresholds.min_sites
    sites = sites.loc[sites.index.isin(incidents["site_id"].unique())]
    site_pos = pd.Series(np.arange(len(sites)), index=sites.index)
    pairs = site_neighbours(sites, thresholds.radius_m)
    if pairs.empty:
        return []

    bucket = incidents["t"].to_numpy() // window_s
    pos = site_pos.loc[incidents["site_id"]].to_numpy()
    rows = pd.DataFrame(
        {
            "row": np.tile(np.arange(len(incidents)), 2),
            "w": np.concatenate([bucket, bucket - 1]),
            "s": np.tile(pos, 2),
        }
    )
    n_sites = len(sites)
    rows["node"] = rows["w"] * n_sites + rows["s"]
    nodes = rows.drop_duplicates("node")[["node", "w", "s"]]
    busy = nodes.groupby("w")["s"].transform("size") >= min_sites
    nodes = nodes[busy.to_numpy()].sort_values("node")
    if nodes.empty:
        return []
    keys = nodes["node"].to_numpy()

    # Edges between active nodes of the same window whose sites are neighbours.
    edges = nodes[["node", "w", "s"]].merge(pairs, left_on="s", right_on="a")
    other = edges["w"].to_numpy() * n_sites + edges["b"].to_numpy()
    found = np.searchsorted(keys, other)
    found_ok = (found < len(keys)) & (keys[np.minimum(found, len(keys) - 1)] == other)
    src = np.searchsorted(keys, edges["node"].to_numpy()[found_ok])
    dst = found[found_ok]

    # Chaining sites within radius_m of each other is DBSCAN with min_samples=1 (every
    # site a core point), which is exactly the connected components of this graph; scipy
    # finds those directly, where DBSCAN would first rebuild per-row neighbour lists.
    graph = sparse.csr_matrix(
        (np.ones(len(dst), dtype=np.int8), (src, dst)), shape=(len(keys), len(keys))
    )
    _, labels = connected_components(graph, directed=False)
    nodes["cluster"] = labels
    sizes = nodes.groupby("cluster")["s"].transform("size")
    nodes = nodes[(sizes >= min_sites).to_numpy()]
    if nodes.empty:
        return []

    members = rows.merge(nodes[["node", "cluster"]], on="node")
    picked = members["row"].to_numpy()
    cluster = members["cluster"].to_numpy()
    times = incidents["t"].to_numpy()[picked]
    ids = incidents["id"].to_numpy()[picked]
    site_ids = incidents["site_id"].to_numpy()[picked]
    order = np.lexsort((ids, times, cluster))
    cluster, times, ids, site_ids = cluster[order], times[order], ids[order], site_ids[order]
    bounds = np.flatnonzero(np.diff(cluster)) + 1

    candidates = []
    for lo, hi in itertools.pairwise([0, *bounds.tolist(), len(cluster)]):
        t, sid, iid = times[lo:hi], site_ids[lo:hi], ids[lo:hi]
        if t[-1] - t[0] > window_s:
            i, j = _busiest_stretch(t.tolist(), sid.tolist(), window_s)
            t, sid, iid = t[i:j], sid[i:j], iid[i:j]
        distinct = set(sid.tolist())
        if len(distinct) >= min_sites:
            candidates.append((len(distinct), len(iid), iid.tolist(), sorted(distinct)))

    # Neighbouring windows see the same burst: keep the largest, drop what overlaps it.
    candidates.sort(key=lambda c: (-c[0], -c[1], c[2][0]))
    taken, findings = set(), []
    for _, _, ids, site_ids in candidates:
        if taken.intersection(ids):
            continue
        taken.update(ids)
        findings.append(
            Finding(PatternKind.SITES, f"sites:{ids[0]}", sorted(ids), site_ids=site_ids)
        )
    return findings


def find_swarm_days(incidents, thresholds):
    """Swarms (swarm_drones or more) at swarm_min_sites sites or more on one UTC day."""
    swarms = incidents[incidents["drone_count"] >= thresholds.swarm_drones]
    if swarms.empty:
        return []
    day = swarms["t"] // 86_400
    findings = []
    for value, group in swarms.groupby(day):
        site_ids = sorted(group["site_id"].unique().tolist())
        if len(site_ids) >= thresholds.swarm_min_sites:
            date = datetime.fromtimestamp(int(value) * 86_400, UTC).date()
            findings.append(
                Finding(
                    PatternKind.SWARMS,
                    f"swarms:{date.isoformat()}",
                    sorted(group["id"].tolist()),
                    site_ids=site_ids,
                )
            )
    return findings


def find_repeats(incidents, drones, thresholds):
    """One UAS ID, or one operator ID, at repeat_min_sites sites or more.

    `drones` has columns incident_id, uas_id, operator_id ("" when unknown).
    """
    if drones.empty:
        return []
    joined = drones.merge(incidents[["id", "site_id"]], left_on="incident_id", right_on="id")
    findings = []
    for column, kind, prefix in (
        ("uas_id", PatternKind.REPEAT_UAS, "uas"),
        ("operator_id", PatternKind.REPEAT_OPERATOR, "operator"),
    ):
        known = joined[joined[column] != ""]
        counts = known.groupby(column)["site_id"].nunique()
        repeated = known[known[column].isin(counts[counts >= thresholds.repeat_min_sites].index)]
        for value, group in repeated.groupby(column):
            findings.append(
                Finding(
                    kind,
                    f"{prefix}:{value}"[:120],
                    sorted(set(group["incident_id"].tolist())),
                    site_ids=sorted(group["site_id"].unique().tolist()),
                )
            )
    return findings


# --- Explanations -----------------------------------------------------------------------


def _when(seconds):
    return datetime.fromtimestamp(int(seconds), UTC)


class Lookup:
    """Incidents and sites as arrays and dicts, built once per run, so that explaining
    thousands of findings costs no pandas indexing per finding."""

    def __init__(self, incidents, sites):
        self.index = pd.Index(incidents["id"].to_numpy())
        self.t = incidents["t"].to_numpy()
        self.drone_count = incidents["drone_count"].to_numpy()
        self.code = dict(zip(sites.index.tolist(), sites["code"].tolist(), strict=True))
        self.lon = dict(zip(sites.index.tolist(), sites["lon"].tolist(), strict=True))
        self.lat = dict(zip(sites.index.tolist(), sites["lat"].tolist(), strict=True))

    def rows(self, ids):
        positions = self.index.get_indexer(ids)
        return self.t[positions], self.drone_count[positions]

    def max_apart_km(self, site_ids):
        pairs = list(itertools.combinations(site_ids, 2))
        if not pairs:
            return 0
        a, b = zip(*pairs, strict=True)
        _, _, metres = geo.WGS84.inv(
            [self.lon[i] for i in a],
            [self.lat[i] for i in a],
            [self.lon[i] for i in b],
            [self.lat[i] for i in b],
        )
        return float(np.max(metres)) / 1000


def _site_list(codes, limit=8):
    shown = ", ".join(codes[:limit])
    return shown + (f" and {len(codes) - limit} more" if len(codes) > limit else "")


def explain(finding, lookup, thresholds):
    """A plain-language sentence saying why the finding was raised."""
    times, drone_counts = lookup.rows(finding.incident_ids)
    codes = sorted(lookup.code[i] for i in finding.site_ids)
    first, last = _when(times.min()), _when(times.max())
    n_sites, n_incidents = len(codes), len(times)
    if finding.kind == PatternKind.SITES:
        minutes = max(1, round((last - first).total_seconds() / 60))
        span = (
            f"between {first:%H:%M} and {last:%H:%M} UTC on {first:%Y-%m-%d}"
            if first.date() == last.date()
            else f"between {first:%Y-%m-%d %H:%M} and {last:%Y-%m-%d %H:%M} UTC"
        )
        return (
            f"Drones were reported at {n_sites} sites ({_site_list(codes)}) within "
            f"{minutes} minutes, {span}; the sites are at most "
            f"{lookup.max_apart_km(finding.site_ids):,.0f} km apart "
            f"({n_incidents} incidents; thresholds: {thresholds.min_sites} sites, "
            f"{thresholds.radius_m / 1000:,.0f} km, {thresholds.window_s // 60} minutes)."
        )
    if finding.kind == PatternKind.SWARMS:
        return (
            f"Swarms of {thresholds.swarm_drones} or more drones were reported at {n_sites} "
            f"sites ({_site_list(codes)}) on {first:%Y-%m-%d} (UTC), in {n_incidents} "
            f"incidents with up to {int(drone_counts.max())} drones, between "
            f"{first:%H:%M} and {last:%H:%M} UTC."
        )
    label = "UAS ID" if finding.kind == PatternKind.REPEAT_UAS else "Operator ID"
    value = finding.key.split(":", 1)[1]
    return (
        f"{label} {value} was seen at {n_sites} sites ({_site_list(codes)}) in "
        f"{n_incidents} incidents between {first:%Y-%m-%d %H:%M} and "
        f"{last:%Y-%m-%d %H:%M} UTC."
    )


FINDERS = ("sites", "swarms", "repeats")


def find_all(incidents, drones, sites, thresholds, finders=FINDERS):
    """Every finding of the chosen finders, each with its explanation."""
    findings = []
    if "sites" in finders:
        findings += find_site_clusters(incidents, sites, thresholds)
    if "swarms" in finders:
        findings += find_swarm_days(incidents, thresholds)
    if "repeats" in finders:
        findings += find_repeats(incidents, drones, thresholds)
    lookup = Lookup(incidents, sites)
    for finding in findings:
        finding.explanation = explain(finding, lookup, thresholds)
    return findings


# --- Loading and storing ----------------------------------------------------------------


def site_frame():
    """Every site's centre (drawn continuously across 180°), indexed by site id."""
    records = []
    for site in Site.objects.only("pk", "code", "perimeter"):
        centre = geo.continuous(site.perimeter_shape()).centroid
        lon = (centre.x + 180) % 360 - 180
        records.append((site.pk, site.code, lon, centre.y))
    return pd.DataFrame(records, columns=["site_id", "code", "lon", "lat"]).set_index("site_id")


def incident_frames(since=None, until=None, incident_ids=None):
    """Incidents (id, site_id, t, drone_count) and their drones' IDs as frames."""
    query = Incident.objects.all()
    if since is not None:
        query = query.filter(first_seen__gte=since)
    if until is not None:
        query = query.filter(first_seen__lt=until)
    if incident_ids is not None:
        query = query.filter(pk__in=incident_ids)
    values = list(query.values_list("pk", "site_id", "first_seen", "drone_count"))
    incidents = pd.DataFrame(values, columns=["id", "site_id", "first_seen", "drone_count"])
    incidents["t"] = (
        (pd.to_datetime(incidents["first_seen"], utc=True) - pd.Timestamp(0, tz="UTC"))
        // pd.Timedelta(seconds=1)
        if values
        else pd.Series(dtype="int64")
    )
    drone_values = list(
        Drone.objects.filter(incident__in=query)
        .filter(~Q(uas_id="") | ~Q(operator_id=""))
        .values_list("incident_id", "uas_id", "operator_id")
    )
    drones = pd.DataFrame(drone_values, columns=["incident_id", "uas_id", "operator_id"])
    return incidents.drop(columns="first_seen"), drones


def store(findings, incidents, drones, sites, thresholds):
    """Create or update one Pattern per finding. Returns the patterns created."""
    created = []
    for finding in findings:
        with transaction.atomic():
            pattern = Pattern.objects.select_for_update().filter(key=finding.key).first()
            if pattern is None and finding.kind == PatternKind.SITES:
                pattern = (
                    Pattern.objects.select_for_update()
                    .filter(kind=finding.kind, incidents__in=finding.incident_ids)
                    .first()
                )
            if pattern is not None:
                known = set(pattern.incidents.values_list("pk", flat=True))
                if known.issuperset(finding.incident_ids):
                    continue
                # Re-explain from every incident the pattern now holds, not just this run's.
                ids = sorted(known | set(finding.incident_ids))
                all_incidents, _ = incident_frames(incident_ids=ids)
                finding = Finding(
                    finding.kind,
                    pattern.key,
                    ids,
                    site_ids=sorted(all_incidents["site_id"].unique().tolist()),
                )
                finding.explanation = explain(finding, Lookup(all_incidents, sites), thresholds)
                rows = all_incidents
            else:
                pattern = Pattern(kind=finding.kind, key=finding.key)
                rows = incidents[incidents["id"].isin(finding.incident_ids)]
            pattern.explanation = finding.explanation
            pattern.first_seen = _when(rows["t"].min())
            pattern.last_seen = _when(rows["t"].max())
            pattern.site_count = len(finding.site_ids)
            is_new = pattern.pk is None
            pattern.save()
            pattern.incidents.add(*finding.incident_ids)
            if is_new:
                created.append(pattern)
    return created


def detect(since=None, until=None, thresholds=None, finders=FINDERS, incident_ids=None):
    """Run the finders over incidents first seen in [since, until) (or over the given
    incident ids) and store the findings. Returns (patterns created, number of findings)."""
    thresholds = thresholds or Thresholds.from_settings()
    incidents, drones = incident_frames(since, until, incident_ids)
    if incidents.empty:
        return [], 0
    sites = site_frame()
    findings = find_all(incidents, drones, sites, thresholds, finders)
    return store(findings, incidents, drones, sites, thresholds), len(findings)


def detect_around(incident):
    """The detector run after a new incident, over only what it could complete a pattern
    with: the UTC days around it for bursts and swarms, and for repeats the incidents that
    share one of its drones' IDs within PATTERN_REPEAT_DAYS."""
    reach = timedelta(minutes=2 * settings.PATTERN_WINDOW_MINUTES)
    start = (incident.first_seen - reach).astimezone(UTC)
    end = (incident.first_seen + reach).astimezone(UTC)
    day_start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    day_end = end.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    created, _ = detect(day_start, day_end, finders=("sites", "swarms"))

    ids = Drone.objects.filter(incident=incident)
    uas_ids = [v for v in ids.values_list("uas_id", flat=True) if v]
    operator_ids = [v for v in ids.values_list("operator_id", flat=True) if v]
    if uas_ids or operator_ids:
        since = incident.first_seen - timedelta(days=settings.PATTERN_REPEAT_DAYS)
        related = Drone.objects.filter(
            Q(uas_id__in=uas_ids) | Q(operator_id__in=operator_ids),
            incident__first_seen__gte=since,
        ).values_list("incident_id", flat=True)
        more, _ = detect(finders=("repeats",), incident_ids=list(related))
        created += more
    return created
