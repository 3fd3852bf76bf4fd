"""URLs under /api/v1/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.include_root_view = False
router.register("sites", views.SiteViewSet, basename="api-site")
router.register("incidents", views.IncidentViewSet, basename="api-incident")
router.register("keys", views.ApiKeyViewSet, basename="api-key")

urlpatterns = [
    path("detections/", views.DetectionView.as_view(), name="api-detections"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
