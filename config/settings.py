"""SkyLedger settings, read from the environment.

Development gets safe defaults; production (DEBUG off) refuses insecure ones.
Every variable is listed in the README's configuration table.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "incidents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before everything that renders: views and templates read request.csp_nonce.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "incidents.audit.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "incidents.security.middleware.SessionTimeoutMiddleware",
    "incidents.security.middleware.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
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
                "csp.context_processors.nonce",
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
# django-axes first: it refuses a locked-out sign-in before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)
# Lock the name and address together, so one attacker cannot lock a person out everywhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    # Behind the TLS proxy the client address is the first X-Forwarded-For hop.
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# Supervisors, regulators and admins must give a one-time code (TOTP) after their password.
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", True)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "SkyLedger")

# Sessions end after SESSION_IDLE_TIMEOUT seconds without activity and, whatever happens,
# SESSION_ABSOLUTE_TIMEOUT seconds after sign-in (also the cookie's lifetime).
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env_int("SESSION_ABSOLUTE_TIMEOUT", 12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

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
# Photos with more pixels than this are refused as likely decompression bombs.
EVIDENCE_MAX_IMAGE_PIXELS = env_int("EVIDENCE_MAX_IMAGE_PIXELS", 80_000_000)

# Static files are served by the app itself (whitenoise), compressed and, in production,
# with content-hashed names so they can be cached for ever.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Exports matching more incidents than this run in the background (manage.py db_worker).
EXPORT_SYNC_MAX_ROWS = env_int("EXPORT_SYNC_MAX_ROWS", 2000)
# E5X (ECCAIRS) occurrence reports: the reporting organisation's short name for file names,
# the RIT Responsible_Entity value ID (e.g. 2078 = Indonesia - CAA; empty leaves it out), and
# the Narrative_Language value ID of the narratives (16 = English, 30 = Indonesian).
E5X_ORGANISATION = env_str("E5X_ORGANISATION", "SKYLEDGER")
E5X_RESPONSIBLE_ENTITY = env_str("E5X_RESPONSIBLE_ENTITY", "")
E5X_NARRATIVE_LANGUAGE = env_str("E5X_NARRATIVE_LANGUAGE", "16")

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
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


def _tile_source(url):
    """The CSP source that lets maps load tiles from MAP_TILES_URL ('self' for a local path)."""
    if not url or url.startswith("/"):
        return None
    scheme, _, rest = url.partition("://")
    # Leaflet's {s} subdomain placeholder becomes a CSP wildcard: {s}.tile.example.org.
    host = rest.split("/", 1)[0].replace("{s}", "*")
    if "{" in host:
        raise ImproperlyConfigured(
            f"MAP_TILES_URL={url!r} has a placeholder in its host name other than {{s}}; "
            "the Content Security Policy cannot allow it. Put {z}, {x} and {y} in the path."
        )
    return f"{scheme}://{host}"


# Content Security Policy (django-csp): no inline script runs unless it carries this
# request's nonce, so injected markup cannot execute. Styles may be inline because Leaflet
# positions map panes and markers with style attributes.
_CSP_DIRECTIVES = {
    "default-src": [SELF],
    "script-src": [SELF, NONCE],
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [SELF, "data:", "blob:", *filter(None, [_tile_source(MAP_TILES_URL)])],
    "connect-src": [SELF],
    "font-src": [SELF],
    "object-src": [NONE],
    "base-uri": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}
if env_str("CSP_REPORT_URI"):
    _CSP_DIRECTIVES["report-uri"] = [env_str("CSP_REPORT_URI")]
# CSP_REPORT_ONLY=true sends the same policy as Content-Security-Policy-Report-Only: the
# browser reports violations but blocks nothing (for trying a change on a live server).
if env_bool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _CSP_DIRECTIVES}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": _CSP_DIRECTIVES}
    CONTENT_SECURITY_POLICY_REPORT_ONLY = None


# Background work (exports, reports, alerts) through django-tasks with its database backend,
# which needs no extra server on SpatiaLite or PostGIS. `python manage.py db_worker` runs it.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- REST API (/api/v1/) -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The key scheme first: its WWW-Authenticate header makes "not signed in" a 401.
        "incidents.api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["incidents.api.auth.SignedInOrReadKey"],
    "DEFAULT_FILTER_BACKENDS": [],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "incidents.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SkyLedger API",
    "DESCRIPTION": "Drone incidents at critical sites, and sensor detection ingest. "
    "Detection and reporting only. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.choices.Status",
        "OutcomeEnum": ["stored", "duplicate", "refused"],
    },
}
# Largest page of incidents an API client may ask for (?page_size=).
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", 500)
# Sensor detections join an open sensor incident when one of its detections is within this
# many seconds and (same UAS ID, or within SKYLEDGER_INGEST_GROUP_DISTANCE_M metres).
SKYLEDGER_INGEST_GROUP_GAP_S = env_int("SKYLEDGER_INGEST_GROUP_GAP_S", 300)
SKYLEDGER_INGEST_GROUP_DISTANCE_M = env_int("SKYLEDGER_INGEST_GROUP_DISTANCE_M", 2000)

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

# --- Events, patterns and alerts (incidents/correlation, incidents/alerts) ---------------
# Two incidents of one site are one event when their times overlap, give or take the margin,
# and their locations are within the distance (geodesic metres).
CORRELATION_TIME_MARGIN_MINUTES = env_int("CORRELATION_TIME_MARGIN_MINUTES", 10)
CORRELATION_DISTANCE_M = env_int("CORRELATION_DISTANCE_M", 3000)
# Coordinated activity: at least PATTERN_MIN_SITES sites within PATTERN_RADIUS_KM of each
# other (chained) within PATTERN_WINDOW_MINUTES.
PATTERN_MIN_SITES = env_int("PATTERN_MIN_SITES", 3)
PATTERN_RADIUS_KM = env_int("PATTERN_RADIUS_KM", 100)
PATTERN_WINDOW_MINUTES = env_int("PATTERN_WINDOW_MINUTES", 30)
# Swarms (this many drones or more) at PATTERN_SWARM_MIN_SITES sites the same UTC day.
PATTERN_SWARM_DRONES = env_int("PATTERN_SWARM_DRONES", 3)
PATTERN_SWARM_MIN_SITES = env_int("PATTERN_SWARM_MIN_SITES", 2)
# One UAS ID or operator ID at this many sites within PATTERN_REPEAT_DAYS.
PATTERN_REPEAT_MIN_SITES = env_int("PATTERN_REPEAT_MIN_SITES", 2)
PATTERN_REPEAT_DAYS = env_int("PATTERN_REPEAT_DAYS", 90)

# At most one alert per incident within this many minutes, however often it is updated.
ALERT_UPDATE_WINDOW_MINUTES = env_int("ALERT_UPDATE_WINDOW_MINUTES", 15)
ALERT_WEBHOOK_MAX_ATTEMPTS = env_int("ALERT_WEBHOOK_MAX_ATTEMPTS", 6)
# The n-th retry waits ALERT_WEBHOOK_BACKOFF_SECONDS * 2**(n-1): 30 s, 1, 2, 4, 8 min.
ALERT_WEBHOOK_BACKOFF_SECONDS = env_int("ALERT_WEBHOOK_BACKOFF_SECONDS", 30)
ALERT_WEBHOOK_TIMEOUT_SECONDS = env_int("ALERT_WEBHOOK_TIMEOUT_SECONDS", 10)
# Absolute address of this server, for links in alerts.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "SkyLedger <skyledger@localhost>")
