"""Import EU UAS geographical zones (ED-269 JSON, ED-318 GeoJSON, or a .zip of one)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...importers.zones import import_zones


class Command(BaseCommand):
    help = (
        "Import UAS geographical zones from ED-269 JSON or ED-318 GeoJSON files (or a .zip "
        "holding one) as reference zones. Importing a file again replaces its zones."
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
        for path in files:
            with path.open("rb") as handle:
                report = import_zones(path.name, handle, dry_run=dry_run)
            self.stdout.write(f"{path.name}:")
            for line in report.lines():
                self.stdout.write(f"  {line}")
