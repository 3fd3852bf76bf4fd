from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("evidence/files/<path:name>", views.evidence_file, name="evidence_file"),
]
