"""Start-up checks of the machine: GeoDjango's libraries and the SpatiaLite extension.

Run by `manage.py check` and before `runserver` and `migrate`, so a broken machine says
what to install before anyone opens a page.
"""

import sqlite3

from django.conf import settings
from django.core.checks import Error
from django.core.exceptions import ImproperlyConfigured

APT_FIX = "On Debian or Ubuntu: apt-get install gdal-bin libsqlite3-mod-spatialite"


def check_gdal(app_configs, **kwargs):
    try:
        from django.contrib.gis.gdal import gdal_version
        from django.contrib.gis.geos.libgeos import geos_version_tuple

        gdal_version()
        geos_version_tuple()
    except (ImproperlyConfigured, OSError) as exc:
        return [
            Error(
                f"GeoDjango cannot load GDAL/GEOS: {exc}",
                hint=f"{APT_FIX}, or set GDAL_LIBRARY_PATH / GEOS_LIBRARY_PATH.",
                id="incidents.E001",
            )
        ]
    return []


def check_spatialite(app_configs, **kwargs):
    engine = settings.DATABASES["default"]["ENGINE"]
    if not engine.endswith("spatialite"):
        return []
    connection = sqlite3.connect(":memory:")
    try:
        if not hasattr(connection, "enable_load_extension"):
            return [
                Error(
                    "This Python's sqlite3 cannot load extensions, so SpatiaLite is unavailable.",
                    hint="Use a Python built with loadable SQLite extensions (Debian's "
                    "/usr/bin/python3 is); `make setup` picks one and rebuilds .venv.",
                    id="incidents.E002",
                )
            ]
        connection.enable_load_extension(True)
        library = getattr(settings, "SPATIALITE_LIBRARY_PATH", "mod_spatialite")
        try:
            connection.load_extension(library)
        except sqlite3.OperationalError as exc:
            return [
                Error(
                    f"SQLite cannot load SpatiaLite ({library}): {exc}",
                    hint=f"{APT_FIX}, or set SPATIALITE_LIBRARY_PATH.",
                    id="incidents.E003",
                )
            ]
    finally:
        connection.close()
    return []
