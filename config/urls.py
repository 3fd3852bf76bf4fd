from django.contrib import admin
from django.urls import include, path

from incidents.security import views as security_views

admin.site.site_header = "SkyLedger administration"
admin.site.site_title = "SkyLedger admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/two-factor/", security_views.verify, name="two_factor_verify"),
    path("accounts/two-factor/setup/", security_views.setup, name="two_factor_setup"),
    path("api/v1/", include("incidents.api.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/exports/", include("incidents.exports.urls_api")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("incidents.urls")),
]

# API clients get JSON errors even for addresses no route matches.
handler404 = "incidents.views.errors.not_found"
