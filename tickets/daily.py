"""The statistics' daily figures (TicketDay): per local day, channel and agent, kept current by
the worker (tickets_days_update, each upkeep) and rebuilt by `manage.py rebuild_ticket_stats`.

A ticket counts as received on the day it was created, its first response on the day it was
given (time from creation, wall-clock), its resolution on the day it was resolved (time from
creation), its rating on the day it was answered; all under the ticket's channel (its first
message's), and its agent: the one it has now for received and first response, the one it had
when it was resolved (Ticket.resolved_assignee) for its resolution and rating, as desks such
as Zendesk count a solved ticket for its assignee at solve time. Durations go into fixed
buckets, so a median or 90th percentile over any period is read from the summed buckets, to
within one bucket's width (interpolated inside it).

Two roll-ups of these rows are kept with them, in the same transaction, so that a long period
reads few rows: each day's total over all channels and agents (TicketDayTotal), and each
calendar month's rows per channel and agent (TicketMonth). They are sums of the daily rows, by
the database, so any period gives the same figures from them as from the days.
"""

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from tickets.models import (
    BUCKET_EDGES,
    FIGURE_COLUMNS,
    FIRST_RESPONSE_BUCKETS,
    RESOLUTION_BUCKETS,
    Message,
    Rating,
    Ticket,
    TicketDay,
    TicketDaysMark,
    TicketDayTotal,
    TicketEvent,
    TicketMonth,
)

# A transaction that committed late carries an updated_at from before the last run: looked at
# again, as recomputing a day twice changes nothing.
OVERLAP = timedelta(minutes=10)
STREAM_CHUNK = 5000


@dataclass
class Figures:
    received: int = 0
    solved: int = 0
    first_responses: int = 0
    first_responses_in_time: int = 0
    first_response_buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKET_EDGES))
    solved_in_time: int = 0
    resolution_buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKET_EDGES))
    rated_good: int = 0
    rated_bad: int = 0


def bucket_of(seconds: float) -> int:
    return max(bisect_right(BUCKET_EDGES, seconds) - 1, 0)


def percentile(buckets: list[int], fraction: float) -> float | None:
    """The duration (seconds) below which `fraction` of the counted ones lie, interpolated in
    its bucket; None when nothing was counted. The open last bucket answers its lower edge."""
    total = sum(buckets)
    if not total:
        return None
    rank = fraction * total
    seen = 0
    for index, count in enumerate(buckets):
        if count and seen + count >= rank:
            low = BUCKET_EDGES[index]
            if index + 1 == len(BUCKET_EDGES):
                return float(low)
            high = BUCKET_EDGES[index + 1]
            return low + (high - low) * (rank - seen) / count
        seen += count
    return float(BUCKET_EDGES[-1])


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def month_after(day: date) -> date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _first_channel(ticket_ref: str):
    return Subquery(
        Message.objects.filter(ticket=OuterRef(ticket_ref))
        .order_by("created_at", "pk")
        .values("channel")[:1]
    )


def _tickets(query: Q | None):
    tickets = Ticket.objects.order_by()
    if query is not None:
        tickets = tickets.filter(query)
    return tickets.annotate(first_channel=_first_channel("pk")).values_list(
        "created_at",
        "first_response_at",
        "first_response_due",
        "resolved_at",
        "resolution_due",
        "assignee_id",
        "resolved_assignee_id",
        "first_channel",
        "merged_into_id",
    )


def _ratings(query: Q | None):
    ratings = Rating.objects.order_by().exclude(rated_at=None)
    if query is not None:
        ratings = ratings.filter(query)
    return ratings.annotate(first_channel=_first_channel("ticket_id")).values_list(
        "rated_at", "score", "ticket__assignee_id", "ticket__resolved_assignee_id", "first_channel"
    )


def _figures(tickets, ratings, days: set[date] | None) -> dict[tuple, Figures]:
    """Sum the rows into figures per (day, channel, agent); with `days`, only those days'."""
    figures: dict[tuple, Figures] = defaultdict(Figures)

    def of(moment, channel, agent):
        day = local_day(moment)
        if days is not None and day not in days:
            return None
        return figures[(day, channel or "", agent)]

    for row in tickets:
        created, responded, response_due, resolved, resolution_due, agent, solver, channel = row[:8]
        # A ticket merged into another came in, but was closed as a duplicate, not solved: its
        # question is solved (or not) on the ticket it joined.
        if row[8] is not None:
            resolved = None
        # Solved (and rated) for whoever had it then; unassigned then, or resolved before that
        # was recorded: its agent now.
        solver = solver or agent
        if counted := of(created, channel, agent):
            counted.received += 1
        if responded and (counted := of(responded, channel, agent)):
            counted.first_responses += 1
            counted.first_responses_in_time += response_due is None or responded <= response_due
            counted.first_response_buckets[bucket_of((responded - created).total_seconds())] += 1
        if resolved and (counted := of(resolved, channel, solver)):
            counted.solved += 1
            counted.solved_in_time += resolution_due is None or resolved <= resolution_due
            counted.resolution_buckets[bucket_of((resolved - created).total_seconds())] += 1
    for rated, score, agent, solver, channel in ratings:
        if counted := of(rated, channel, solver or agent):
            if score == Rating.Score.GOOD:
                counted.rated_good += 1
            else:
                counted.rated_bad += 1
    return figures


def _rows(figures: dict[tuple, Figures]) -> list[TicketDay]:
    return [
        TicketDay(day=day, channel=channel, agent_id=agent, **_columns(counted))
        for (day, channel, agent), counted in sorted(
            figures.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or 0)
        )
    ]


def _columns(counted: Figures) -> dict:
    values = vars(counted).copy()
    values.update(zip(FIRST_RESPONSE_BUCKETS, values.pop("first_response_buckets"), strict=True))
    values.update(zip(RESOLUTION_BUCKETS, values.pop("resolution_buckets"), strict=True))
    return values


def ticket_days_compute(days: set[date]) -> int:
    """Compute these days' figures again from the tickets and ratings (idempotent). Returns the
    number of rows written.

    Read outside the transaction, which only writes: on SQLite a transaction holds the write
    lock from its start (IMMEDIATE), and the contact form must not wait for a day's reading. A
    change made meanwhile is after the caller's mark, so the next run counts it.
    """
    if not days:
        return 0
    bounds = [day_bounds(day) for day in sorted(days)]
    tickets_q, ratings_q = Q(), Q()
    for start, end in bounds:
        tickets_q |= (
            Q(created_at__gte=start, created_at__lt=end)
            | Q(first_response_at__gte=start, first_response_at__lt=end)
            | Q(resolved_at__gte=start, resolved_at__lt=end)
        )
        ratings_q |= Q(rated_at__gte=start, rated_at__lt=end)
    rows = _rows(_figures(_tickets(tickets_q), _ratings(ratings_q), days))
    with transaction.atomic():
        TicketDay.objects.filter(day__in=days).delete()
        written = len(TicketDay.objects.bulk_create(rows, batch_size=1000))
        _rollups_compute(days)
    return written


def _rollups_compute(days: set[date] | None) -> None:
    """Sum the daily rows again into the roll-ups: these days' totals and the months they are
    in (every one without `days`). In the transaction that wrote the daily rows."""
    sums = {name: Sum(name) for name in FIGURE_COLUMNS}
    day_rows, month_rows = TicketDay.objects.order_by(), TicketDay.objects.order_by()
    totals, months = TicketDayTotal.objects.all(), TicketMonth.objects.all()
    if days is not None:
        firsts = {day.replace(day=1) for day in days}
        in_months = Q()
        for first in firsts:
            in_months |= Q(day__gte=first, day__lt=month_after(first))
        day_rows, month_rows = day_rows.filter(day__in=days), month_rows.filter(in_months)
        totals, months = totals.filter(day__in=days), months.filter(month__in=firsts)
    totals.delete()
    TicketDayTotal.objects.bulk_create(
        (TicketDayTotal(**row) for row in day_rows.values("day").annotate(**sums)),
        batch_size=1000,
    )
    months.delete()
    month_rows = (
        month_rows.annotate(month=TruncMonth("day"))
        .values("month", "channel", "agent_id")
        .annotate(**sums)
    )
    TicketMonth.objects.bulk_create((TicketMonth(**row) for row in month_rows), batch_size=1000)


def ticket_days_rebuild() -> int:
    """All the figures again, from every ticket, in one pass (read outside the transaction, as
    ticket_days_compute). Returns the rows written."""
    now = timezone.now()
    tickets = _tickets(None).iterator(chunk_size=STREAM_CHUNK)
    ratings = _ratings(None).iterator(chunk_size=STREAM_CHUNK)
    rows = _rows(_figures(tickets, ratings, None))
    with transaction.atomic():
        TicketDay.objects.all().delete()
        written = len(TicketDay.objects.bulk_create(rows, batch_size=1000))
        _rollups_compute(None)
        TicketDaysMark.objects.update_or_create(pk=1, defaults={"computed_at": now})
    return written


def ticket_days_update() -> int:
    """The worker's step: compute again every day a change since the last run touched (a
    ticket's created, first response, resolution and former resolution days, a rating's
    day). The first run builds everything. Returns the days computed.

    One at a time however many workers run: the mark's row stays locked until this run has
    written its days, so two never rebuild one month's roll-ups side by side (each deletes
    and inserts them, and neither would see the other's rows)."""
    with transaction.atomic():
        return _ticket_days_update(TicketDaysMark.objects.select_for_update().filter(pk=1).first())


def _ticket_days_update(mark: TicketDaysMark | None) -> int:
    if mark is None:
        ticket_days_rebuild()
        return TicketDay.objects.dates("day", "day").count()
    now = timezone.now()
    since = mark.computed_at - OVERLAP
    # Every change that moves a figure saves updated_at (a first response too: ticket_reply).
    touched = Ticket.objects.filter(updated_at__gte=since).values("pk")
    days = set()
    # The day of the change itself too: a figure it took away (an undone reply's solution, a
    # merged ticket's) counted on the day it was made, which no moment of the ticket names now.
    for moments in Ticket.objects.filter(pk__in=touched).values_list(
        "created_at", "first_response_at", "resolved_at", "updated_at"
    ):
        days.update(local_day(moment) for moment in moments if moment)
    # A ticket opened again has lost its resolved_at: the day it was resolved counted it.
    earlier = TicketEvent.objects.filter(
        ticket__in=touched,
        field="status",
        new_value__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED],
    )
    days.update(local_day(moment) for moment in earlier.values_list("created_at", flat=True))
    rated = Rating.objects.filter(rated_at__gte=since).values_list("rated_at", flat=True)
    days.update(local_day(moment) for moment in rated)
    ticket_days_compute(days)
    TicketDaysMark.objects.filter(pk=1).update(computed_at=now)
    return len(days)


def tickets_per_week(first: date, last: date) -> dict[date, int]:
    """Tickets received in each week from the Monday `first` to the week of the Monday `last`,
    by Monday: summed from the daily figures (so as current as the worker's last run), for the
    help page's weekly deflection report (registered with faq.suggestions)."""
    received = (
        TicketDay.objects.filter(day__range=(first, last + timedelta(days=6)))
        .values("day")
        .annotate(total=Sum("received"))
    )
    weeks: dict[date, int] = defaultdict(int)
    for row in received:
        weeks[row["day"] - timedelta(days=row["day"].weekday())] += row["total"]
    return dict(weeks)
