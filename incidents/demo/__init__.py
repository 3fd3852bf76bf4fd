"""Demo data: real sites, a cast of users for every role and about 500 varied incidents.

Idempotent: sites and users are updated in place, and each demo incident carries a stable
external id (demo-00001, ...), so a second run creates nothing and changes nothing.
"""

import csv
import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import airportsdata
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from .. import geo, services
from ..choices import (
    MAKE_MODEL_SUGGESTIONS,
    ActionKind,
    AltitudeMethod,
    Behaviour,
    Category,
    DetectionMethod,
    Role,
    SiteKind,
    Source,
    Status,
    UasIdType,
)
from ..models import Incident, RegulatorGrant, Site, SiteMembership, geos_of

DEMO_PASSWORD = "skyledger-demo"
INCIDENT_COUNT = 500
DAYS = 90
SEED = 20261125

# IATA code, perimeter half-length and half-width in metres, bearing of the long axis.
AIRPORTS = [
    ("CGK", 2200, 1200, 70),
    ("DPS", 1700, 500, 90),
    ("SIN", 2500, 1200, 20),
    ("LHR", 2100, 900, 90),
    ("AMS", 2500, 2000, 0),
    ("FRA", 2000, 1300, 70),
    ("JFK", 2300, 1600, 30),
    ("LAX", 2000, 900, 85),
    ("NRT", 2000, 800, 160),
    ("SYD", 2000, 1400, 160),
    ("LYR", 1200, 300, 100),
    ("NAN", 1600, 500, 20),
]
# Jakarta and Bali see the most traffic in the demo, as in the threat picture.
SITE_WEIGHTS = {"CGK": 8, "DPS": 6, "TPK": 4, "GBK": 3}


@dataclass
class DemoSite:
    code: str
    name: str
    kind: str
    lat: float
    lon: float
    timezone: str
    half_length_m: float
    half_width_m: float
    bearing_deg: float


def demo_sites():
    """The demo sites: airports from `airportsdata`, other kinds from sites.csv."""
    airports = airportsdata.load("IATA")
    sites = []
    for code, length, width, bearing in AIRPORTS:
        a = airports[code]
        sites.append(
            DemoSite(
                code,
                a["name"],
                SiteKind.AIRPORT,
                a["lat"],
                a["lon"],
                a["tz"],
                length,
                width,
                bearing,
            )
        )
    with open(Path(__file__).with_name("sites.csv"), newline="") as handle:
        for row in csv.DictReader(handle):
            sites.append(
                DemoSite(
                    row["code"],
                    row["name"],
                    row["kind"],
                    float(row["lat"]),
                    float(row["lon"]),
                    row["timezone"],
                    float(row["half_length_m"]),
                    float(row["half_width_m"]),
                    float(row["bearing_deg"]),
                )
            )
    return sites


def ensure_sites():
    sites = {}
    for spec in demo_sites():
        shape = geo.rectangle(
            spec.lon, spec.lat, spec.half_length_m, spec.half_width_m, spec.bearing_deg
        )
        perimeter = geos_of(geo.normalise_perimeter(shape))
        wanted = {
            "name": spec.name,
            "kind": spec.kind,
            "timezone": spec.timezone,
            "address": f"Demo site near {spec.lat:.4f}, {spec.lon:.4f}",
        }
        site = Site.objects.filter(code=spec.code).first()
        unchanged = site is not None and (
            all(getattr(site, name) == value for name, value in wanted.items())
            and site.perimeter.equals_exact(perimeter, tolerance=1e-9)
        )
        if not unchanged:
            existed = site is not None
            site = site or Site(code=spec.code)
            for name, value in wanted.items():
                setattr(site, name, value)
            site.perimeter = perimeter
            site.full_clean()
            site.save()
            if existed:
                services.recompute_site(site)
        sites[spec.code] = (site, spec)
    return sites


def ensure_users(sites):
    """One staff member and one supervisor per site, a regulator and an admin."""
    User = get_user_model()
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing 30 times takes seconds
    logins = []

    def user(username, **extra):
        account, created = User.objects.get_or_create(username=username, defaults=extra)
        if created:
            account.password = password
            account.save(update_fields=["password"])
        return account

    user("admin", is_staff=True, is_superuser=True, first_name="Demo", last_name="Admin")
    logins.append(("admin", "administrator: everything, and the admin"))
    regulator = user("regulator", first_name="Demo", last_name="Regulator")
    grant, _ = RegulatorGrant.objects.get_or_create(
        user=regulator, defaults={"authority": "Demo Civil Aviation Authority"}
    )
    grant.sites.set([site for site, _ in sites.values()])
    logins.append(("regulator", "regulator: submitted incidents of every demo site"))
    cast = {}
    for code, (site, _) in sites.items():
        for role in (Role.STAFF, Role.SUPERVISOR):
            username = f"{role.value}-{code.lower()}"
            account = user(username, first_name=code, last_name=role.label)
            SiteMembership.objects.update_or_create(
                user=account, site=site, defaults={"role": role}
            )
            cast[(code, role)] = account
        if code in {"CGK", "DPS"}:
            for role in (Role.STAFF, Role.SUPERVISOR):
                logins.append((f"{role.value}-{code.lower()}", f"{role.label.lower()} at {code}"))
    logins.append(("staff-<code> / supervisor-<code>", "the same for every other demo site"))
    return cast, logins


def _offset(rng, lon, lat, distance_m):
    x, y, _ = geo.WGS84.fwd(lon, lat, rng.uniform(0, 360), distance_m)
    return Point(x, y, srid=4326)


def incident_plan(rng, index, site, spec, now):
    """The fields of one demo incident, drawn from `rng` (the same every run)."""
    centre = site.perimeter_shape().representative_point()
    radii = site.zone_radii_m
    where = rng.choices(["inside", "ring0", "ring1", "ring2", "outside"], [18, 30, 24, 18, 10])[0]
    reach = min(spec.half_width_m, spec.half_length_m)
    if where == "inside":
        distance = rng.uniform(0, reach * 0.8)
    elif where == "outside":
        distance = spec.half_length_m + rng.uniform(radii[-1] * 1.1, radii[-1] * 3)
    else:
        ring = int(where[-1])
        inner = radii[ring - 1] if ring else 0
        distance = spec.half_length_m + rng.uniform(inner, radii[ring])
    location = _offset(rng, centre.x, centre.y, distance)
    first_seen = now - timedelta(minutes=rng.uniform(30, DAYS * 24 * 60))
    count = rng.choices([1, 2, rng.randint(3, 6), rng.randint(7, 12)], [74, 14, 9, 3])[0]
    behaviours = rng.sample(list(Behaviour.values), rng.choice([1, 1, 2]))
    payload = Behaviour.PAYLOAD_DROP in behaviours or rng.random() < 0.04
    methods = [DetectionMethod.VISUAL.value]
    methods += rng.sample(
        [m for m in DetectionMethod.values if m not in {"visual", "remote_id", "other"}],
        rng.choice([0, 0, 1, 2]),
    )
    fields = {
        "first_seen": first_seen,
        # Never after `now`: the newest demo sightings may still be in progress.
        "last_seen": min(first_seen + timedelta(minutes=rng.uniform(0.5, 40)), now),
        "reported_at": min(first_seen + timedelta(minutes=rng.uniform(1, 20)), now),
        "source": rng.choices([Source.STAFF, Source.SENSOR], [85, 15])[0],
        "external_id": f"demo-{index:05d}",
        "location": location,
        "observer_location": _offset(rng, location.x, location.y, rng.uniform(100, 900)),
        "altitude_m": round(rng.uniform(20, 400)),
        "altitude_method": rng.choice(AltitudeMethod.values),
        "drone_count": count,
        "category": rng.choices(Category.values, [80, 7, 5, 3, 5])[0],
        "make_model": rng.choice(MAKE_MODEL_SUGGESTIONS),
        "colour": rng.choice(["grey", "white", "black", "dark grey", ""]),
        "lights": rng.choice(["", "flashing red", "green and red", "white strobe"]),
        "heading_deg": rng.randrange(360),
        "speed_kmh": rng.randrange(0, 70),
        "behaviours": behaviours,
        "payload_seen": payload,
        "payload_description": "Small box slung under the airframe" if payload else "",
        "narrative": f"Demo report: {count} drone(s) seen near {site.name}.",
    }
    drones = []
    if rng.random() < 0.3:  # Remote ID picked up on about a third
        fields["detection_methods"] = [*methods, DetectionMethod.REMOTE_ID.value]
        operator = _offset(rng, location.x, location.y, rng.uniform(200, 2500))
        operator_id = f"OP-{rng.randrange(10**6):06d}"
        # Remote ID names each drone of a swarm; a coordinated swarm shares its operator.
        for _ in range(min(count, 6)):
            drones.append(
                {
                    "uas_id": "1581F"
                    + "".join(rng.choices("0123456789ABCDEFGHJKLMNPRSTUVWXYZ", k=15)),
                    "uas_id_type": UasIdType.SERIAL,
                    "category": fields["category"],
                    "make_model": fields["make_model"],
                    "operator_id": operator_id,
                    "operator_location": operator,
                    "takeoff_location": operator,
                }
            )
    else:
        fields["detection_methods"] = methods
    if rng.random() < 0.15:
        fields["operator_seen"] = True
        fields["operator_description"] = "Person with a controller near the fence line"
    actions = []
    if rng.random() < 0.6:
        for kind in rng.sample(
            [k for k in ActionKind.values if k != ActionKind.OTHER], rng.randint(1, 3)
        ):
            actions.append(
                {
                    "kind": kind,
                    "taken_at": first_seen + timedelta(minutes=rng.uniform(1, 30)),
                }
            )
    return fields, actions, drones


def status_path(rng, age_days):
    """The statuses a demo incident has moved through, older ones further along."""
    if age_days < 2:
        paths = [[], [Status.SUBMITTED], [Status.SUBMITTED, Status.UNDER_REVIEW]]
    else:
        paths = [
            [Status.SUBMITTED, Status.UNDER_REVIEW],
            [Status.SUBMITTED, Status.UNDER_REVIEW, Status.CLOSED],
            [Status.SUBMITTED, Status.UNDER_REVIEW, Status.REPORTED],
            [Status.SUBMITTED, Status.UNDER_REVIEW, Status.REPORTED, Status.CLOSED],
        ]
    return rng.choice(paths)


@transaction.atomic
def seed(now=None, incident_count=INCIDENT_COUNT):
    """Create or update the demo. Returns (created incident count, login rows)."""
    now = now or timezone.now()
    sites = ensure_sites()
    cast, logins = ensure_users(sites)
    existing = set(
        Incident.objects.filter(external_id__startswith="demo-").values_list(
            "external_id", flat=True
        )
    )
    rng = random.Random(SEED)
    codes = list(sites)
    weights = [SITE_WEIGHTS.get(code, 1) for code in codes]
    created = 0
    for index in range(1, incident_count + 1):
        code = rng.choices(codes, weights)[0]
        site, spec = sites[code]
        # Draw every value even for incidents that exist, so the rest stay the same.
        fields, actions, drones = incident_plan(rng, index, site, spec, now)
        path = status_path(rng, (now - fields["first_seen"]).days)
        override = rng.random() < 0.03
        if fields["external_id"] in existing:
            continue
        staff, supervisor = cast[(code, Role.STAFF)], cast[(code, Role.SUPERVISOR)]
        reporter = staff if fields["source"] == Source.STAFF else None
        incident = services.record_incident(
            site=site,
            reported_by=reporter,
            actions=actions,
            drones=drones,
            status=Status.DRAFT,
            **fields,
        )
        at = fields["reported_at"]
        for status in path:
            at += timedelta(hours=rng.uniform(0.2, 12))
            actor = staff if status == Status.SUBMITTED else supervisor
            services.change_status(incident, actor, status, at=min(at, now))
        if override:
            services.override_severity(
                incident,
                supervisor,
                "critical",
                "Matches a pattern of coordinated flights.",
                at=min(at, now),
            )
        created += 1
    return created, logins
