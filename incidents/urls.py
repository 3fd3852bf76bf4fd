from django.urls import path

from .views import evidence, home, incidents, maps

urlpatterns = [
    path("", home.home, name="home"),
    path("incidents/", incidents.incident_list, name="incident_list"),
    path("incidents/new/", incidents.incident_new, name="incident_new"),
    path("incidents/<str:reference>/", incidents.incident_detail, name="incident_detail"),
    path("incidents/<str:reference>/edit/", incidents.incident_edit, name="incident_edit"),
    path(
        "incidents/<str:reference>/status/<str:status>/",
        incidents.incident_status,
        name="incident_status",
    ),
    path(
        "incidents/<str:reference>/severity/",
        incidents.incident_severity,
        name="incident_severity",
    ),
    path("incidents/<str:reference>/comment/", incidents.incident_comment, name="incident_comment"),
    path("dashboard/incidents.geojson", home.dashboard_incidents, name="dashboard_incidents"),
    path("evidence/files/<path:name>", evidence.evidence_file, name="evidence_file"),
    path("sites/<str:code>/map/", maps.site_map, name="site_map"),
    path(
        "sites/<str:code>/map/incidents.geojson",
        maps.site_map_incidents,
        name="site_map_incidents",
    ),
]
