from django.urls import path

from .views import evidence, home, maps

urlpatterns = [
    path("", home.home, name="home"),
    path("dashboard/incidents.geojson", home.dashboard_incidents, name="dashboard_incidents"),
    path("evidence/files/<path:name>", evidence.evidence_file, name="evidence_file"),
    path("sites/<str:code>/map/", maps.site_map, name="site_map"),
    path(
        "sites/<str:code>/map/incidents.geojson",
        maps.site_map_incidents,
        name="site_map_incidents",
    ),
]
