from django.urls import path

from .views import evidence, home, importers

urlpatterns = [
    path("", home.home, name="home"),
    path("evidence/files/<path:name>", evidence.evidence_file, name="evidence_file"),
    path("zones/reference.geojson", importers.reference_zones, name="reference_zones"),
    path(
        "sites/<str:code>/external-reports.geojson",
        importers.site_external_reports,
        name="site_external_reports",
    ),
]
