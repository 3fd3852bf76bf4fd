"""Error pages: API clients get JSON, people get the site's pages."""

from django.http import JsonResponse
from django.views import defaults


def not_found(request, exception=None):
    """A 404 in the API's JSON shape for /api/ paths (even ones no route matches)."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "code": "not_found",
                "detail": "Nothing here: check the address and the id.",
                "errors": {},
            },
            status=404,
        )
    return defaults.page_not_found(request, exception)
