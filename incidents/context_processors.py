"""What the base layout needs on every page."""

from django.utils.functional import SimpleLazyObject

from .models import Site


def navigation(request):
    """The sites the user may see, for the navigation's site map links.

    Lazy, so pages that never show the navigation cost no query.
    """
    user = getattr(request, "user", None)

    def sites():
        if user is None:
            return []
        return list(Site.objects.visible_to(user).order_by("code").only("code", "name"))

    return {"nav_sites": SimpleLazyObject(sites)}
