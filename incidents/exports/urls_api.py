from django.urls import path

from . import api

urlpatterns = [
    path("", api.ExportListView.as_view(), name="api_exports"),
    path("<int:pk>/", api.ExportDetailView.as_view(), name="api_export"),
    path("<int:pk>/file/", api.ExportFileView.as_view(), name="api_export_file"),
]
