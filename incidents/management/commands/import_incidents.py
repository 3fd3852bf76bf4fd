"""Import incidents from a CSV file: a spreadsheet log, another system's, or SkyLedger's own
CSV export."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...importers.incidents import import_incidents
from ...models import Site


class Command(BaseCommand):
    help = (
        "Import incidents from a CSV file (e.g. SkyLedger's CSV export). Zones, distances, "
        "severities and references are computed. A file with any bad row stores nothing "
        "unless --skip-bad-rows; rows already imported (same external id) are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--site",
            default="",
            help="Code of the site every row is for; the file may then leave out site_code.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row and report; save nothing."
        )
        parser.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help="Import the good rows and list the bad ones, instead of importing nothing.",
        )

    def handle(self, *args, file, site, dry_run, skip_bad_rows, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        chosen = None
        if site:
            chosen = Site.objects.filter(code=site.strip().upper()).first()
            if chosen is None:
                raise CommandError(f"No site has the code {site!r}.")
        with file.open("rb") as handle:
            report = import_incidents(
                handle, file.name, site=chosen, dry_run=dry_run, skip_bad_rows=skip_bad_rows
            )
        for line in report.lines():
            self.stdout.write(line)
        if report.problems and not skip_bad_rows:
            raise CommandError(f"{report.refused} problems: nothing was imported.")
