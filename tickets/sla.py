"""Response targets (SLA): time counted in business hours, and the due times kept on a ticket.

Business hours are SUPPORT_WEEKDAYS from SUPPORT_OPENS to SUPPORT_CLOSES in SUPPORT_TIME_ZONE,
except Norwegian public holidays. A ticket's clock runs while it waits on us (new or open) and is
paused otherwise; the paused business time moves its due times on.
"""

import functools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.db.models import Case, F, When
from django.utils.translation import gettext as _

from tickets.models import Ticket

# The clock runs while the ticket waits on us.
RUNNING = frozenset({Ticket.Status.NEW, Ticket.Status.OPEN})
# No opening hours for ten years means the settings allow none: stop, do not loop for ever.
DAYS_SEARCHED = 3660

# The due time that counts now: the first response's until there is one, then the resolution's.
next_due = Case(
    When(first_response_at__isnull=True, then=F("first_response_due")),
    default=F("resolution_due"),
)


@functools.cache
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("NO", years=year)


def _window(day: date) -> tuple[datetime, datetime] | None:
    """The day's opening hours in UTC, or None when closed.

    Made from local wall-clock times and compared in UTC only: Python subtracts two times of the
    same zoneinfo by their wall clocks, which is an hour wrong across a DST change.
    """
    if day.isoweekday() not in settings.SUPPORT_WEEKDAYS or day in _holidays(day.year):
        return None
    zone = ZoneInfo(settings.SUPPORT_TIME_ZONE)
    opens = datetime.combine(day, settings.SUPPORT_OPENS, tzinfo=zone).astimezone(UTC)
    closes = datetime.combine(day, settings.SUPPORT_CLOSES, tzinfo=zone).astimezone(UTC)
    return (opens, closes) if opens < closes else None


def _windows(start: datetime):
    """Opening windows (UTC) from the day of `start` on, in order."""
    day = start.astimezone(ZoneInfo(settings.SUPPORT_TIME_ZONE)).date()
    for offset in range(DAYS_SEARCHED):
        if window := _window(day + timedelta(days=offset)):
            yield window
    raise ValueError("No opening hours in ten years: check SUPPORT_WEEKDAYS and SUPPORT_OPENS.")


def business_add(start: datetime, seconds: float) -> datetime:
    """The moment `seconds` of business time after `start` (a target met at closing time is due
    at closing time, not at the next opening)."""
    if seconds <= 0:
        return start
    for opens, closes in _windows(start):
        begin = max(opens, start)
        if begin >= closes:
            continue
        available = (closes - begin).total_seconds()
        if seconds <= available:
            return begin + timedelta(seconds=seconds)
        seconds -= available
    raise AssertionError("unreachable")  # pragma: no cover


def business_seconds(start: datetime, end: datetime) -> float:
    """Business time between two moments, in seconds; negative when `end` is before `start`."""
    if end < start:
        return -business_seconds(end, start)
    total = 0.0
    for opens, closes in _windows(start):
        if opens >= end:
            break
        begin, finish = max(opens, start), min(closes, end)
        if begin < finish:
            total += (finish - begin).total_seconds()
    return total


def targets(priority: str) -> tuple[float, float]:
    """(first response, resolution) targets of a priority, in business seconds."""
    return (
        settings.SLA_FIRST_RESPONSE_HOURS[priority] * 3600,
        settings.SLA_RESOLUTION_HOURS[priority] * 3600,
    )


def sla_dues(*, created_at: datetime, priority: str, paused_seconds: float = 0):
    """(first_response_due, resolution_due) of a ticket created at `created_at`."""
    first, resolution = targets(priority)
    return (
        business_add(created_at, first + paused_seconds),
        business_add(created_at, resolution + paused_seconds),
    )


# The fields ticket_sla_apply() may change, for save(update_fields=...).
SLA_FIELDS = ["first_response_due", "resolution_due", "sla_paused_at", "sla_paused_seconds"]


def ticket_sla_apply(ticket: Ticket, *, now: datetime) -> None:
    """Set the ticket's due times and pause for its status and priority now (unsaved)."""
    running = ticket.status in RUNNING
    if running and ticket.sla_paused_at is not None:
        ticket.sla_paused_seconds += round(business_seconds(ticket.sla_paused_at, now))
        ticket.sla_paused_at = None
    elif not running and ticket.sla_paused_at is None:
        ticket.sla_paused_at = now
    ticket.first_response_due, ticket.resolution_due = sla_dues(
        created_at=ticket.created_at,
        priority=ticket.priority,
        paused_seconds=ticket.sla_paused_seconds,
    )


def ticket_sla_breaches(ticket: Ticket, *, now: datetime) -> dict[str, datetime]:
    """The targets this ticket has broken and no one has recorded yet: {field: when it broke}.

    Only while its clock runs: a paused ticket's due times are moved on when it runs again.
    """
    if ticket.status not in RUNNING:
        return {}
    breaches = {}
    first_due = ticket.first_response_due
    if ticket.first_response_breached_at is None and first_due is not None:
        if first_due < (ticket.first_response_at or now):
            breaches["first_response_breached_at"] = first_due
    due = ticket.resolution_due
    if ticket.resolution_breached_at is None and due is not None and due < now:
        breaches["resolution_breached_at"] = due
    return breaches


def ticket_time_left(ticket: Ticket, *, now: datetime) -> float | None:
    """Business seconds left to the target that counts now (negative: breached), or None when
    nothing is due (resolved, closed, no targets). A paused ticket's time left stands still."""
    due = ticket.resolution_due if ticket.first_response_at else ticket.first_response_due
    if due is None or ticket.status in {Ticket.Status.RESOLVED, Ticket.Status.CLOSED}:
        return None
    reference = ticket.sla_paused_at or now
    if due <= reference:
        # Broken at Friday's closing time, it is still broken on Saturday, with no business
        # time gone by: below zero however little.
        return min(-business_seconds(due, reference), -1.0)
    return business_seconds(reference, due)


def duration_text(seconds: float) -> str:
    """Business time as agents read it: "2 t 5 min", "45 min"."""
    minutes = int(abs(seconds) // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def time_left_text(ticket: Ticket, *, now: datetime) -> str:
    left = ticket_time_left(ticket, now=now)
    if left is None:
        return "–"
    if -60 < left < 0:
        text = _("Breached")
    elif left < 0:
        text = _("Breached %(time)s ago") % {"time": duration_text(left)}
    else:
        text = _("%(time)s left") % {"time": duration_text(left)}
    if ticket.sla_paused_at is not None:
        return _("Paused: %(text)s") % {"text": text}
    return text
