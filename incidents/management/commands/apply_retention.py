"""`python manage.py apply_retention [--dry-run]`: clear operator personal data older than each
site's retention period (Site.personal_data_retention_days). Run it daily, e.g. from cron or a
systemd timer."""

from django.core.management.base import BaseCommand

from incidents import services


class Command(BaseCommand):
    help = "Clear operator personal data of incidents older than their site's retention period."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say what would be cleared, change nothing.",
        )

    def handle(self, *args, dry_run=False, **options):
        results = services.apply_retention(dry_run=dry_run)
        verb = "Would clear" if dry_run else "Cleared"
        for result in results:
            self.stdout.write(
                f"{verb} operator data of {result.incidents} incident(s) ({result.drones} "
                f"drone record(s)) at {result.site}: first seen before "
                f"{result.cutoff:%Y-%m-%d %H:%M} UTC ({result.retention_days}-day retention)."
            )
        if not results:
            self.stdout.write("No operator data past its site's retention period.")
