"""Who may see the personal data of drone operators, and how it is hidden from the rest.

Personal data here is what identifies or locates the person flying: a drone's operator ID,
operator location and take-off location (where the operator stood), and an incident's
operator description. Who needs it:

- admins: everywhere;
- supervisors of the site: they hand cases to the police;
- staff of the site: they record it on the form and may be sent to find the operator, so
  they see it on their own site's incidents (never another site's: they see none of those);
- regulators: only through a grant with `sees_personal_data` (police-type authorities);
  statistical regulators see incidents without it;
- API keys authenticate as no person and never see it.

Every page, API response, export and report asks `may_see_personal_data(user, site)`.
"""

from django.utils.translation import gettext_lazy as _

from .models import RegulatorGrant, SiteMembership

DRONE_FIELDS = ("operator_id", "operator_location", "takeoff_location")
INCIDENT_FIELDS = ("operator_description",)

REDACTED = _("[redacted]")
REDACTED_NOTE = "personal data redacted"


def _site_id(site):
    return getattr(site, "pk", site)


def personal_data_site_ids(user):
    """The ids of the sites whose operator data the user may see; None means every site."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return None
    cache = getattr(user, "_skyledger_personal_sites", None)
    if cache is None:
        cache = set(SiteMembership.objects.filter(user=user).values_list("site_id", flat=True))
        cache |= set(
            RegulatorGrant.sites.through.objects.filter(
                regulatorgrant__user=user, regulatorgrant__sees_personal_data=True
            ).values_list("site_id", flat=True)
        )
        # One request asks once per incident: keep the answer on the user object.
        user._skyledger_personal_sites = cache
    return cache


def may_see_personal_data(user, site):
    """Whether `user` may see the operator personal data of `site`'s incidents."""
    site_ids = personal_data_site_ids(user)
    return site_ids is None or _site_id(site) in site_ids


def redact_in_memory(incident, drones=()):
    """Blank the operator fields of already loaded objects (never saved), so a page or report
    built from them cannot show what the user may not see, whatever its template does."""
    incident.operator_description = ""
    for drone in drones:
        drone.operator_id = ""
        drone.operator_location = None
        drone.takeoff_location = None
