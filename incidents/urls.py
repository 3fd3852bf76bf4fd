from django.urls import path

from .views import alerts, correlation, evidence, exports, home, importers, maps, reports

urlpatterns = [
    path("", home.home, name="home"),
    path("dashboard/incidents.geojson", home.dashboard_incidents, name="dashboard_incidents"),
    path("evidence/files/<path:name>", evidence.evidence_file, name="evidence_file"),
    path("evidence/preview/<int:pk>/", evidence.evidence_preview, name="evidence_preview"),
    path("incidents/<int:pk>/event/", correlation.incident_event, name="incident_event"),
    path("incidents/<int:pk>/merge/", correlation.merge, name="incident_merge"),
    path("incidents/<int:pk>/split/", correlation.split, name="incident_split"),
    path("drones/uas/<str:uas_id>/", correlation.repeat_uas, name="repeat_uas"),
    path(
        "drones/operator/<str:operator_id>/",
        correlation.repeat_operator,
        name="repeat_operator",
    ),
    path("patterns/", correlation.pattern_list, name="pattern_list"),
    path("patterns/<int:pk>/", correlation.pattern_detail, name="pattern_detail"),
    path("alerts/preferences/", alerts.preferences, name="alert_preferences"),
    path(
        "incidents/<str:reference>/report.pdf",
        reports.incident_report_pdf,
        name="incident_report_pdf",
    ),
    path("reports/", reports.reports, name="reports"),
    path("reports/summary.pdf", reports.summary_pdf, name="summary_pdf"),
    path("zones/reference.geojson", importers.reference_zones, name="reference_zones"),
    path(
        "sites/<str:code>/external-reports.geojson",
        importers.site_external_reports,
        name="site_external_reports",
    ),
    path("sites/<str:code>/map/", maps.site_map, name="site_map"),
    path(
        "sites/<str:code>/map/incidents.geojson",
        maps.site_map_incidents,
        name="site_map_incidents",
    ),
    path("exports/", exports.export_page, name="exports"),
    path("exports/<int:pk>/", exports.export_job, name="export_job"),
    path("exports/<int:pk>/status/", exports.export_status, name="export_status"),
    path("exports/<int:pk>/file/", exports.export_download, name="export_download"),
    path("exports/<int:pk>/manifest/", exports.export_manifest, name="export_manifest"),
]
