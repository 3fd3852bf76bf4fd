from django.urls import path

from .views import evidence, home

urlpatterns = [
    path("", home.home, name="home"),
    path("evidence/files/<path:name>", evidence.evidence_file, name="evidence_file"),
    path("evidence/preview/<int:pk>/", evidence.evidence_preview, name="evidence_preview"),
]
