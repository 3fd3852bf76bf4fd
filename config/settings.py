"""SkyLedger settings, read from the environment.

Development gets safe defaults; production (DEBUG off) refuses insecure ones.
Every variable is listed in the README's configuration table.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no.")


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name):
    """Read a secret from NAME, or from the file named by NAME_FILE (Docker/systemd style)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from None
    return os.environ.get(name, "")


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set and DEBUG is off. Set SECRET_KEY (or SECRET_KEY_FILE) to a "
            "long random string, e.g. the output of: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "leaflet",
    "rest_framework",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "incidents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "incidents.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# Databases: a SpatiaLite file under var/ unless DATABASE_URL says otherwise
# (postgis://user:password@host:5432/name in production).
DEFAULT_DATABASE_URL = f"spatialite:///{BASE_DIR / 'var' / 'skyledger.sqlite3'}"
DATABASE_URL = env_str("DATABASE_URL", DEFAULT_DATABASE_URL)
try:
    _database = dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0)
    )
except ValueError as exc:
    raise ImproperlyConfigured(
        f"DATABASE_URL is not understood ({exc}). Use spatialite:///path/to/file.sqlite3 "
        "or postgis://user:password@host:5432/dbname."
    ) from None
if _database["ENGINE"] not in {
    "django.contrib.gis.db.backends.spatialite",
    "django.contrib.gis.db.backends.postgis",
}:
    raise ImproperlyConfigured(
        f"DATABASE_URL uses {_database['ENGINE']}, which has no spatial support. "
        "Use a spatialite:/// or postgis:// URL."
    )
if _database["ENGINE"].endswith("spatialite"):
    # Take the write lock at BEGIN so concurrent writers queue instead of failing to upgrade
    # a read lock; wait up to 20 s for it.
    _database.setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DATABASES = {"default": _database}

if env_str("SPATIALITE_LIBRARY_PATH"):
    SPATIALITE_LIBRARY_PATH = env_str("SPATIALITE_LIBRARY_PATH")
if env_str("GDAL_LIBRARY_PATH"):
    GDAL_LIBRARY_PATH = env_str("GDAL_LIBRARY_PATH")
if env_str("GEOS_LIBRARY_PATH"):
    GEOS_LIBRARY_PATH = env_str("GEOS_LIBRARY_PATH")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("id", "Bahasa Indonesia")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))

# Largest evidence file accepted, in bytes.
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 100 * 1024 * 1024)

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Maps: a tile layer over the offline base layer (Natural Earth land and borders, served from
# our own static files, see incidents/static/incidents/js/skymap.js). An empty MAP_TILES_URL
# means offline only, for air-gapped sites: no request leaves the network.
MAP_TILES_URL = env_str("MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png").strip()
MAP_TILES_ATTRIBUTION = env_str("MAP_TILES_ATTRIBUTION", "&copy; OpenStreetMap contributors")
if MAP_TILES_URL and not (
    MAP_TILES_URL.startswith(("https://", "http://", "/"))
    and all(part in MAP_TILES_URL for part in ("{z}", "{x}", "{y}"))
):
    raise ImproperlyConfigured(
        f"MAP_TILES_URL={MAP_TILES_URL!r} is not a tile URL template. Use one with {{z}}, {{x}} "
        "and {y}, e.g. https://tiles.example.org/{z}/{x}/{y}.png, or leave it empty for "
        "offline maps."
    )

LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (0.0, 0.0),
    "DEFAULT_ZOOM": 2,
    "MIN_ZOOM": 1,
    "MAX_ZOOM": 19,
    "RESET_VIEW": False,
    # django-leaflet's maps (admin, form widgets) and SkyMap's read this one list.
    "TILES": (
        [("Map", MAP_TILES_URL, {"attribution": MAP_TILES_ATTRIBUTION, "maxZoom": 19})]
        if MAP_TILES_URL
        else []
    ),
}

# Background work (exports, reports, alerts) through django-tasks with its database backend,
# which needs no extra server on SpatiaLite or PostGIS. `python manage.py db_worker` runs it.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

SILENCED_SYSTEM_CHECKS = [
    # gis.W001: GDAL < 3.9 cannot block file and network access while resolving spatial
    # reference definitions. Debian 12 ships GDAL 3.6. SkyLedger never hands GDAL a
    # user-supplied SRS definition (SRIDs are fixed integers; geometries are parsed by GEOS),
    # so the risk does not apply. Silence this one check until servers run GDAL >= 3.9.
    "gis.W001",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
