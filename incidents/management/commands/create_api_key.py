"""Make an API key from the command line and print its token (shown only this once)."""

from django.core.management.base import BaseCommand, CommandError

from ... import services
from ...models import ApiKeyPurpose, Site


class Command(BaseCommand):
    help = "Make an API key for one or more sites and print its token once."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Who uses it, e.g. 'North RF sensor'.")
        parser.add_argument("--purpose", required=True, choices=ApiKeyPurpose.values)
        parser.add_argument(
            "--site", action="append", required=True, help="Site code; repeat for several."
        )

    def handle(self, *args, name, purpose, site, **options):
        codes = sorted(set(site))
        sites = list(Site.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {s.code for s in sites})
        if missing:
            raise CommandError(f"No site with code {', '.join(missing)}.")
        try:
            key, token = services.create_api_key(
                created_by=None, name=name, purpose=purpose, sites=sites
            )
        except services.ServiceError as error:
            raise CommandError(error.message) from None
        self.stderr.write(f"Made {purpose} key {key.prefix} for {', '.join(codes)}.")
        self.stderr.write("Store this token now; it is not shown again:")
        self.stdout.write(token)
