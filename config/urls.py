from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "SkyLedger administration"
admin.site.site_title = "SkyLedger admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("incidents.urls")),
]
