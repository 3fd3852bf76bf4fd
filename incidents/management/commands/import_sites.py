"""Import sites (perimeter polygons and attributes) from GeoJSON, KML or GeoPackage."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...importers.sites import import_sites, parse_mapping


class Command(BaseCommand):
    help = (
        "Create or update sites from a GeoJSON, KML or GeoPackage file of perimeter polygons. "
        "A feature whose code is an existing site updates it."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--map",
            default="",
            help="Which file field holds each site field, e.g. code=ICAO,name=NAME_EN "
            "(site fields: code, name, kind, timezone, zone_radii_m).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; save nothing."
        )

    def handle(self, *args, file, map, dry_run, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            mapping = parse_mapping(map)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        with file.open("rb") as handle:
            report = import_sites(file.name, handle, mapping=mapping, dry_run=dry_run)
        for line in report.lines():
            self.stdout.write(line)
