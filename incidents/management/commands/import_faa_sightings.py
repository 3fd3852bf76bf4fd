"""Import FAA UAS sighting report spreadsheets (.xlsx or .csv) as external reports."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...importers.faa import import_faa


class Command(BaseCommand):
    help = (
        "Import FAA UAS sighting reports (the quarterly .xlsx workbooks, or .csv) as external "
        "reports. Rows already imported are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; save nothing."
        )

    def handle(self, *args, files, dry_run, **options):
        missing = [str(p) for p in files if not p.is_file()]
        if missing:
            raise CommandError(f"No such file: {', '.join(missing)}")
        handles = [(p.name, p.open("rb")) for p in files]
        try:
            report = import_faa(handles, dry_run=dry_run)
        finally:
            for _, handle in handles:
                handle.close()
        for line in report.lines():
            self.stdout.write(line)
