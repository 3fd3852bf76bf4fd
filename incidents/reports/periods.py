"""Report periods: whole days in UTC, the last day included."""

from datetime import UTC, datetime, time, timedelta


def day_bounds(first_day, last_day):
    """The first instant of `first_day` and the last of `last_day`, in UTC.

    The incident filter's range includes both ends, so the period ends a microsecond before
    the next midnight rather than at it.
    """
    start = datetime.combine(first_day, time.min, tzinfo=UTC)
    end = datetime.combine(last_day, time.max, tzinfo=UTC)
    return start, end


def previous_period(start, end):
    """The period of the same length that ends just before `start`."""
    return start - (end - start) - timedelta(microseconds=1), start - timedelta(microseconds=1)


def iso(moment):
    """An ISO 8601 time in UTC for a query string, e.g. 2026-10-31T23:59:59.999999Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
