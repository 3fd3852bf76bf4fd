from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "SkyLedger administration"
admin.site.site_title = "SkyLedger admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/exports/", include("incidents.exports.urls_api")),
    path("", include("incidents.urls")),
]
