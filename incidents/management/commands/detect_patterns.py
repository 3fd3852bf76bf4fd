"""Run the coordinated-activity detector over history: `manage.py detect_patterns --since`."""

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from ...alerts.tasks import send_pattern_alert
from ...correlation import patterns


def _date(value):
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"“{value}” is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC unless an "
            "offset is given)."
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Find coordinated activity across sites in stored incidents and record patterns."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="Only incidents first seen from this date (UTC).")
        parser.add_argument("--until", help="Only incidents first seen before this date (UTC).")
        parser.add_argument(
            "--alert",
            action="store_true",
            help="Also alert about new patterns (off by default: history is rarely news).",
        )

    def handle(self, *args, since=None, until=None, alert=False, **options):
        since = _date(since) if since else None
        until = _date(until) if until else None
        if since and until and until <= since:
            raise CommandError("--until must be after --since.")
        created, found = patterns.detect(since, until)
        if alert:
            for pattern in created:
                send_pattern_alert.enqueue(pattern.pk)
        self.stdout.write(f"{found} patterns found, {len(created)} new.")
