from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from incidents.models import Incident, Site
from incidents.reports import render_summary_report
from incidents.reports.forms import MAX_PERIOD_DAYS
from incidents.reports.periods import day_bounds, previous_period


def _day(value, option):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a date like 2026-10-01, not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Write the periodic summary PDF of one or more sites, e.g. summary_report --site CGK "
        "--since 2026-10-01 --until 2026-10-31 --output october.pdf. Days are in UTC and "
        "--until is included."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--site",
            action="append",
            default=[],
            help="Site code; repeat for several sites (default: every site).",
        )
        parser.add_argument("--since", required=True, help="First day (UTC), e.g. 2026-10-01.")
        parser.add_argument("--until", required=True, help="Last day (UTC, included).")
        parser.add_argument("--output", default="summary.pdf", help="File to write.")

    def handle(self, *args, site, since, until, output, **options):
        first, last = _day(since, "--since"), _day(until, "--until")
        if last < first:
            raise CommandError("--until is before --since: swap them.")
        if (last - first).days + 1 > MAX_PERIOD_DAYS:
            raise CommandError(f"Choose a period of at most {MAX_PERIOD_DAYS} days.")
        codes = [code.strip().upper() for code in site]
        sites = Site.objects.order_by("code")
        if codes:
            sites = sites.filter(code__in=codes)
            missing = sorted(set(codes) - set(sites.values_list("code", flat=True)))
            if missing:
                known = ", ".join(Site.objects.order_by("code").values_list("code", flat=True))
                raise CommandError(f"Unknown site code(s): {', '.join(missing)}. Known: {known}.")
        start, end = day_bounds(first, last)
        before_start, before_end = previous_period(start, end)
        incidents = Incident.objects.filter(site__in=sites)
        pdf = render_summary_report(
            incidents.filter(first_seen__gte=start, first_seen__lte=end),
            sites,
            start=start,
            end=end,
            previous=incidents.filter(first_seen__gte=before_start, first_seen__lte=before_end),
        )
        path = Path(output)
        try:
            path.write_bytes(pdf)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.") from None
        self.stdout.write(f"Wrote {path} ({path.stat().st_size:,} bytes).")
