from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from incidents.models import Incident
from incidents.reports import render_incident_report


class Command(BaseCommand):
    help = "Write an incident's PDF report, e.g. incident_report CGK-2026-00042 --output r.pdf"

    def add_arguments(self, parser):
        parser.add_argument("reference", help="The incident reference, e.g. CGK-2026-00042.")
        parser.add_argument(
            "--output", help="File to write (default: <reference>.pdf in this folder)."
        )

    def handle(self, *args, reference, output=None, **options):
        incident = (
            Incident.objects.select_related("site", "reported_by")
            .filter(reference=reference.strip().upper())
            .first()
        )
        if incident is None:
            raise CommandError(f"No incident has the reference {reference!r}. Check it.")
        path = Path(output or f"{incident.reference}.pdf")
        try:
            path.write_bytes(render_incident_report(incident))
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.") from None
        self.stdout.write(f"Wrote {path} ({path.stat().st_size:,} bytes).")
