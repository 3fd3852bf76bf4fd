"""Export incidents to a file: the same formats, filter and manifest as the export page.

python manage.py export_incidents --format csv --output incidents.csv site=CGK status=submitted
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from incidents.exports import choices
from incidents.exports.jobs import export_to_file
from incidents.services import ServiceError


class Command(BaseCommand):
    help = (
        "Export incidents with the list's filter parameters (site=CGK status=submitted "
        "first_seen_after=2026-01-01 ...). Writes FILE and FILE.manifest.json."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=[c for c, _ in choices()])
        parser.add_argument("--output", required=True, help="File to write.")
        parser.add_argument(
            "--user",
            help="Export only what this user may see (default: every incident, as the operator).",
        )
        parser.add_argument("filters", nargs="*", help="Filter parameters as name=value.")

    def handle(self, *args, **options):
        query = QueryDict(mutable=True)
        for item in options["filters"]:
            name, sep, value = item.partition("=")
            if not sep or not name:
                raise CommandError(f"“{item}” is not a filter: write name=value, e.g. site=CGK.")
            query.appendlist(name, value)
        user = None
        if options["user"]:
            try:
                user = get_user_model().objects.get_by_natural_key(options["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"There is no user “{options['user']}”.") from None
        try:
            job = export_to_file(options["format"], options["output"], query.urlencode(), user)
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"Wrote {job.record_count} incidents to {options['output']} "
            f"(SHA-256 {job.sha256}) and {options['output']}.manifest.json"
        )
