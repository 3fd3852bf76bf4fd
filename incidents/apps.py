from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate, pre_migrate


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Drone incidents"

    def ready(self):
        from django.contrib.auth import signals as auth_signals
        from django.db.backends.signals import connection_created

        from . import checks as project_checks
        from .audit import register_sqlite_functions
        from .audit import signals as audit_signals
        from .security import middleware as session_clock

        checks.register(project_checks.check_gdal)
        checks.register(project_checks.check_spatialite)

        connection_created.connect(register_sqlite_functions, dispatch_uid="audit_sqlite")
        # Triggers name columns: SQLite refuses to drop or rebuild a column they use, so they
        # are taken off for the length of a migrate and put back, fitted to the new columns.
        pre_migrate.connect(audit_signals.uninstall_triggers, sender=self, dispatch_uid="audit-")
        post_migrate.connect(audit_signals.install_triggers, sender=self, dispatch_uid="audit")
        auth_signals.user_logged_in.connect(audit_signals.logged_in, dispatch_uid="audit_in")
        auth_signals.user_logged_in.connect(
            session_clock.start_session_clock, dispatch_uid="session_clock"
        )
        auth_signals.user_logged_out.connect(audit_signals.logged_out, dispatch_uid="audit_out")
        auth_signals.user_login_failed.connect(
            audit_signals.login_failed, dispatch_uid="audit_failed"
        )
