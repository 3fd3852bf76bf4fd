from django.urls import path

from .views import evidence, exports, home

urlpatterns = [
    path("", home.home, name="home"),
    path("evidence/files/<path:name>", evidence.evidence_file, name="evidence_file"),
    path("exports/", exports.export_page, name="exports"),
    path("exports/<int:pk>/", exports.export_job, name="export_job"),
    path("exports/<int:pk>/status/", exports.export_status, name="export_status"),
    path("exports/<int:pk>/file/", exports.export_download, name="export_download"),
    path("exports/<int:pk>/manifest/", exports.export_manifest, name="export_manifest"),
]
