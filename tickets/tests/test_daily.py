import math
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from tickets.daily import (
    BUCKET_EDGES,
    bucket_of,
    percentile,
    ticket_days_rebuild,
    ticket_days_update,
)
from tickets.models import (
    FIGURE_COLUMNS,
    Message,
    Rating,
    Ticket,
    TicketDay,
    TicketDaysMark,
    TicketDayTotal,
    TicketMonth,
)
from tickets.services import ticket_change, ticket_reply

DAY_ONE = datetime(2026, 11, 2, 10, 0)  # a Monday, local time


def at(days: float = 0, hours: float = 0) -> datetime:
    return timezone.make_aware(DAY_ONE + timedelta(days=days, hours=hours))


@pytest.fixture
def ticket_at(make_ticket_row):
    """A ticket created, first answered and resolved at the given moments, by `channel`."""

    def make(*, created, responded=None, resolved=None, channel="form", **values) -> Ticket:
        ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei", **values)
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=created,
            first_response_at=responded,
            resolved_at=resolved,
            status=Ticket.Status.RESOLVED if resolved else Ticket.Status.OPEN,
            first_response_due=created + timedelta(hours=8),
            resolution_due=created + timedelta(days=2),
        )
        ticket.messages.update(channel=channel)
        ticket.refresh_from_db()
        return ticket

    return make


def day_row(day_offset: int, **filters) -> TicketDay:
    return TicketDay.objects.get(day=(DAY_ONE + timedelta(days=day_offset)).date(), **filters)


def test_percentile_of_buckets_is_within_one_bucket_of_the_exact_one():
    durations = [60 * m for m in (3, 7, 12, 20, 40, 50, 70, 100, 200, 300, 500, 1000, 2000)]
    buckets = [0] * len(BUCKET_EDGES)
    for seconds in durations:
        buckets[bucket_of(seconds)] += 1

    for fraction in (0.5, 0.9):
        # The nearest-rank percentile: the value that many of them are at or below.
        exact = sorted(durations)[math.ceil(fraction * len(durations)) - 1]
        estimate = percentile(buckets, fraction)
        index = bucket_of(exact)
        assert BUCKET_EDGES[index] <= estimate <= BUCKET_EDGES[index + 1]


def test_percentile_of_nothing_is_none():
    assert percentile([0] * len(BUCKET_EDGES), 0.5) is None


def test_each_figure_counts_on_its_own_day(db, ticket_at):
    ticket_at(created=at(0), responded=at(0, hours=2), resolved=at(1, hours=3))

    ticket_days_rebuild()

    first, second = day_row(0), day_row(1)
    assert (first.received, first.first_responses, first.solved) == (1, 1, 0)
    assert (second.received, second.first_responses, second.solved) == (0, 0, 1)
    assert getattr(first, f"first_response_b{bucket_of(2 * 3600)}") == 1
    assert getattr(second, f"resolution_b{bucket_of(27 * 3600)}") == 1


def test_targets_met_and_missed_are_counted(db, ticket_at):
    ticket_at(created=at(0), responded=at(0, hours=1), resolved=at(0, hours=5))
    ticket_at(created=at(0), responded=at(0, hours=9), resolved=at(3))

    ticket_days_rebuild()

    first = day_row(0)
    assert (first.first_responses, first.first_responses_in_time) == (2, 1)
    assert (first.solved, first.solved_in_time) == (1, 1)
    assert (day_row(3).solved, day_row(3).solved_in_time) == (1, 0)


def test_figures_are_split_by_channel_and_agent(db, ticket_at, agent):
    ticket_at(created=at(0), channel="email", assignee=agent)
    ticket_at(created=at(0), channel="email", assignee=agent)
    ticket_at(created=at(0), channel="form")

    ticket_days_rebuild()

    assert day_row(0, channel="email", agent=agent).received == 2
    assert day_row(0, channel="form", agent=None).received == 1


def test_ratings_count_on_the_day_they_were_given(db, ticket_at):
    ticket = ticket_at(created=at(0), resolved=at(0, hours=4))
    for score in ("good", "good", "bad"):
        Rating.objects.create(
            ticket=ticket, expires_at=at(14), score=score, rated_at=at(2, hours=1)
        )

    ticket_days_rebuild()

    assert (day_row(2).rated_good, day_row(2).rated_bad) == (2, 1)


def test_update_recomputes_the_day_of_a_ticket_opened_again(db, ticket_at):
    ticket = ticket_at(created=at(-3), responded=at(-3, hours=1))
    # Resolved now, through the workflow: its history holds the resolution.
    ticket_change(ticket=ticket, actor=None, status=Ticket.Status.RESOLVED)
    ticket_days_update()
    today = timezone.localdate()
    assert TicketDay.objects.get(day=today).solved == 1

    ticket_change(ticket=ticket, actor=None, status=Ticket.Status.OPEN)
    ticket_days_update()

    assert not TicketDay.objects.filter(day=today, solved__gt=0).exists()


def test_update_counts_what_was_added_since_the_last_run(db, ticket_at):
    ticket_days_update()
    mark = TicketDaysMark.objects.get().computed_at

    ticket_at(created=timezone.now())
    ticket_days_update()

    assert TicketDay.objects.get(day=timezone.localdate()).received == 1
    assert TicketDaysMark.objects.get().computed_at > mark


def test_update_counts_a_first_response_to_a_waiting_ticket(db, make_ticket):
    ticket = make_ticket()
    # Waiting before anyone answered: the reply changes no status, only first_response_at.
    ticket_change(ticket=ticket, actor=None, status=Ticket.Status.WAITING)
    ticket_days_update()

    ticket_reply(ticket=ticket, author=None, body="Svar", is_public=True)
    ticket_days_update()

    assert TicketDay.objects.get(day=timezone.localdate()).first_responses == 1


def test_update_twice_changes_nothing(db, ticket_at):
    ticket_at(created=at(0), responded=at(0, hours=2), resolved=at(1))
    ticket_days_update()
    before = list(TicketDay.objects.order_by("day").values(*COMPARED))

    TicketDaysMark.objects.update(computed_at=at(-30))
    ticket_days_update()

    assert list(TicketDay.objects.order_by("day").values(*COMPARED)) == before


COMPARED = [field.attname for field in TicketDay._meta.fields if field.name != "id"]


def test_rebuild_command_writes_the_figures(db, ticket_at):
    ticket_at(created=at(0))
    TicketDay.objects.create(day=at(5).date(), received=99)

    output = StringIO()
    call_command("rebuild_ticket_stats", stdout=output)

    assert list(TicketDay.objects.values_list("day", "received")) == [(at(0).date(), 1)]
    assert "1 daily rows written" in output.getvalue()


@pytest.mark.django_db(transaction=True)
def test_worker_upkeep_brings_the_figures_up_to_date(ticket_at, run_worker_run):
    ticket_at(created=timezone.now(), channel=Message.Channel.EMAIL)

    run_worker_run()

    assert TicketDay.objects.get(day=timezone.localdate(), channel="email").received == 1


def summed_here() -> tuple[dict, dict]:
    """The roll-ups as the daily rows give them, summed in Python: per day, per month,
    channel and agent."""
    days, months = defaultdict(Counter), defaultdict(Counter)
    for row in TicketDay.objects.values("day", "channel", "agent_id", *FIGURE_COLUMNS):
        figures = Counter({name: row[name] for name in FIGURE_COLUMNS})
        days[row["day"]].update(figures)
        months[(row["day"].replace(day=1), row["channel"], row["agent_id"])].update(figures)
    return _plain(days), _plain(months)


def rolled_up() -> tuple[dict, dict]:
    days = {row.pop("day"): row for row in TicketDayTotal.objects.values("day", *FIGURE_COLUMNS)}
    months = {
        (row.pop("month"), row.pop("channel"), row.pop("agent_id")): row
        for row in TicketMonth.objects.values("month", "channel", "agent_id", *FIGURE_COLUMNS)
    }
    return _plain(days), _plain(months)


def _plain(rows: dict) -> dict:
    return {key: {name: figures[name] for name in FIGURE_COLUMNS} for key, figures in rows.items()}


def test_rebuild_rolls_the_days_up_per_day_and_month(db, ticket_at, agent):
    ticket_at(created=at(0), responded=at(0, hours=2), resolved=at(3))
    ticket_at(created=at(1), responded=at(2), channel="email", assignee=agent)
    ticket_at(created=at(27), responded=at(28), resolved=at(33))  # into December

    ticket_days_rebuild()

    assert rolled_up() == summed_here()
    assert len(rolled_up()[1]) == 3  # November form and email, December form
    assert TicketDayTotal.objects.get(day=at(0).date()).received == 1


def test_update_keeps_the_roll_ups_of_the_changed_days_and_months(db, ticket_at, agent):
    ticket_at(created=at(0), responded=at(0, hours=2), resolved=at(3))
    old = ticket_at(created=at(-40), responded=at(-39))
    ticket_days_update()
    kept_month = TicketMonth.objects.get(month=at(0).date().replace(day=1))
    # Changed long before the mark (its overlap): the next run leaves their days alone.
    Ticket.objects.update(updated_at=at(-60))

    ticket_at(created=timezone.now(), assignee=agent)
    ticket_change(ticket=old, actor=None, status=Ticket.Status.RESOLVED)
    ticket_days_update()

    assert rolled_up() == summed_here()
    assert TicketDayTotal.objects.get(day=timezone.localdate()).received == 1
    # A month no change touched keeps its row.
    assert TicketMonth.objects.filter(pk=kept_month.pk).exists()


def test_solution_and_rating_stay_with_the_agent_who_had_the_ticket_then(
    db, make_ticket, agent, django_user_model
):
    colleague = django_user_model.objects.create_user("ola", "ola@example.no", is_staff=True)
    ticket = make_ticket()
    ticket_change(ticket=ticket, actor=agent, assignee=agent)
    ticket_change(ticket=ticket, actor=agent, status=Ticket.Status.RESOLVED)
    Rating.objects.filter(ticket=ticket).update(score="good", rated_at=timezone.now())

    # Given to a colleague afterwards: in and answered move, solved and satisfied stay.
    ticket_change(ticket=ticket, actor=agent, assignee=colleague)
    ticket_days_update()

    today = timezone.localdate()
    mine, theirs = (TicketDay.objects.get(day=today, agent=user) for user in (agent, colleague))
    assert (mine.received, mine.solved, mine.rated_good) == (0, 1, 1)
    assert (theirs.received, theirs.solved, theirs.rated_good) == (1, 0, 0)

    # Opened again and resolved by the colleague: the solution is theirs now.
    ticket_change(ticket=ticket, actor=colleague, status=Ticket.Status.OPEN)
    ticket_change(ticket=ticket, actor=colleague, status=Ticket.Status.RESOLVED)
    ticket_days_update()

    assert TicketDay.objects.get(day=today, agent=colleague).solved == 1
    assert not TicketDay.objects.filter(day=today, agent=agent, solved__gt=0).exists()


def test_a_ticket_merged_into_another_came_in_but_is_not_counted_as_solved(db, ticket_at):
    kept = ticket_at(created=at(0), responded=at(0, hours=1), resolved=at(1))
    duplicate = ticket_at(created=at(0, hours=2), resolved=at(1, hours=1))
    Ticket.objects.filter(pk=duplicate.pk).update(merged_into=kept)

    ticket_days_rebuild()

    assert sum(row.received for row in TicketDay.objects.filter(day=at(0).date())) == 2
    assert sum(row.solved for row in TicketDay.objects.filter(day=at(1).date())) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_an_upkeep_waits_for_the_one_running_before_it_writes_anything(ticket_at):
    # Each rebuilds its days' month roll-ups by delete and insert: side by side, neither sees
    # the other's new rows, and a month is doubled. A second one waits on the mark's lock.
    ticket_at(created=at(0), resolved=at(1))
    ticket_days_update()
    Ticket.objects.update(updated_at=timezone.now())
    before = set(TicketMonth.objects.values_list("pk", flat=True))
    holding, release = threading.Event(), threading.Event()

    def running_upkeep():
        with transaction.atomic():
            TicketDaysMark.objects.select_for_update().get(pk=1)
            holding.set()
            release.wait(10)
        connection.close()

    def second_upkeep():
        ticket_days_update()
        connection.close()

    threads = [threading.Thread(target=running_upkeep), threading.Thread(target=second_upkeep)]
    threads[0].start()
    assert holding.wait(5)
    threads[1].start()
    time.sleep(0.5)
    meanwhile = set(TicketMonth.objects.values_list("pk", flat=True))
    release.set()
    for thread in threads:
        thread.join(10)

    assert meanwhile == before
    assert set(TicketMonth.objects.values_list("pk", flat=True)) != before
