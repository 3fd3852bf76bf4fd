from django.urls import path

from .views import evidence, home, reports

urlpatterns = [
    path("", home.home, name="home"),
    path("evidence/files/<path:name>", evidence.evidence_file, name="evidence_file"),
    path(
        "incidents/<str:reference>/report.pdf",
        reports.incident_report_pdf,
        name="incident_report_pdf",
    ),
    path("reports/", reports.reports, name="reports"),
    path("reports/summary.pdf", reports.summary_pdf, name="summary_pdf"),
]
