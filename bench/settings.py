"""Settings for the gunicorn part of bench.ingest: the product's settings, plus one URL.

bench/urls.py adds a DRF endpoint that touches no database, the ceiling the single-detection
POST is compared with; the product's own URLs are unchanged.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
