from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from incidents import demo
from incidents.models import Incident, Site


class Command(BaseCommand):
    help = "Load the demo sites, users and incidents. Safe to run again: it changes nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off. Demo users share a published password.",
        )
        parser.add_argument(
            "--incidents",
            type=int,
            default=demo.INCIDENT_COUNT,
            help=f"How many demo incidents to keep (default {demo.INCIDENT_COUNT}).",
        )

    def handle(self, *args, force=False, incidents=demo.INCIDENT_COUNT, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: refusing to create demo users with a published password. "
                "Use --force if this really is a throw-away installation."
            )
        if incidents < 0:
            raise CommandError("--incidents must be 0 or more.")
        created, logins = demo.seed(incident_count=incidents)
        self.stdout.write(
            f"Demo data: {Site.objects.count()} sites, {Incident.objects.count()} incidents "
            f"({created} created now)."
        )
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for username, what in logins:
            self.stdout.write(f"  {username:<34} {what}")
