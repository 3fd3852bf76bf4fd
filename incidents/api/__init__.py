"""The REST API under /api/v1/: serializers, views, URLs, API-key authentication, errors."""
