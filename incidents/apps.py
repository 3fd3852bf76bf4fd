from django.apps import AppConfig
from django.core import checks


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Drone incidents"

    def ready(self):
        from . import checks as project_checks

        checks.register(project_checks.check_gdal)
        checks.register(project_checks.check_spatialite)
