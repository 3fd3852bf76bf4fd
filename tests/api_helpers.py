"""Helpers shared by the API tests: clients for each persona and key, detection builders."""

import uuid
from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from incidents import geo, services


def client_for(user=None, token=None, csrf=False):
    """An API client signed in as `user` (session) or sending the API key `token`."""
    client = APIClient(enforce_csrf_checks=csrf)
    if user is not None and user.is_authenticated:
        client.force_login(user)
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {token}")
    return client


def make_key(sites, purpose, name="test key"):
    _key, token = services.create_api_key(created_by=None, name=name, purpose=purpose, sites=sites)
    return _key, token


def offset(site, north_m=0.0, east_m=0.0):
    """(lon, lat) of a point north_m / east_m from the site's centroid."""
    centre = site.perimeter_shape().centroid
    lon, lat, _ = geo.WGS84.fwd(centre.x, centre.y, 0, north_m)
    lon, lat, _ = geo.WGS84.fwd(lon, lat, 90, east_m)
    return float(lon), float(lat)


def detection(site, *, at=None, north_m=0.0, east_m=0.0, uas_id=None, **extra):
    lon, lat = offset(site, north_m, east_m)
    body = {
        "detection_id": str(uuid.uuid4()),
        "site": site.code,
        "sensor_id": "rf-1",
        "time": (at or timezone.now() - timedelta(minutes=10)).isoformat(),
        "position": {"lat": lat, "lon": lon, "altitude_m": 80},
        "signal": {"rssi_dbm": -70},
    }
    if uas_id:
        body.update(uas_id=uas_id, uas_id_type="serial")
    body.update(extra)
    return body
