"""The product's URLs and /bench/no-db/: a DRF view that parses the JSON body and answers
without authentication, permissions or any query (the ceiling for one request)."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import handler404  # noqa: F401
from config.urls import urlpatterns as product_urlpatterns


class NoDatabase(APIView):
    authentication_classes = []
    permission_classes = []

    def post(self, request):
        return Response({"received": len(request.data)}, status=201)


urlpatterns = [path("bench/no-db/", NoDatabase.as_view()), *product_urlpatterns]
