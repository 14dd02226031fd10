from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tickets.models import Ticket
from tickets.sla import (
    business_add,
    business_seconds,
    duration_text,
    sla_dues,
    ticket_sla_apply,
    ticket_sla_breaches,
    ticket_time_left,
)

OSLO = ZoneInfo("Europe/Oslo")
HOUR = 3600


def oslo(*args) -> datetime:
    return datetime(*args, tzinfo=OSLO)


def test_an_hour_within_a_working_day_is_an_hour_later():
    assert business_add(oslo(2026, 12, 2, 9, 0), HOUR) == oslo(2026, 12, 2, 10, 0)


def test_time_runs_on_across_the_night_from_closing_to_opening():
    # Wednesday 15:00 + 2 h: one hour on Wednesday, one on Thursday from 08:00.
    assert business_add(oslo(2026, 12, 2, 15, 0), 2 * HOUR) == oslo(2026, 12, 3, 9, 0)


def test_a_target_met_exactly_at_closing_time_is_due_at_closing_time():
    assert business_add(oslo(2026, 12, 2, 15, 0), HOUR) == oslo(2026, 12, 2, 16, 0)


def test_a_ticket_written_at_night_starts_counting_at_opening():
    assert business_add(oslo(2026, 12, 2, 23, 30), HOUR) == oslo(2026, 12, 3, 9, 0)


def test_the_weekend_is_skipped():
    # Friday 4 December 2026, 15:00 + 2 h: Friday's last hour, then Monday 08:00-09:00.
    assert business_add(oslo(2026, 12, 4, 15, 0), 2 * HOUR) == oslo(2026, 12, 7, 9, 0)


def test_a_ticket_written_on_saturday_is_due_from_monday_morning():
    assert business_add(oslo(2026, 12, 5, 11, 0), 8 * HOUR) == oslo(2026, 12, 7, 16, 0)


def test_17_may_is_closed():
    # Friday 14 May 2027 15:00 + 2 h: Monday 17 May is Constitution Day (and Whit Monday).
    assert business_add(oslo(2027, 5, 14, 15, 0), 2 * HOUR) == oslo(2027, 5, 18, 9, 0)


def test_easter_2027_is_closed_from_maundy_thursday_to_easter_monday():
    # Wednesday 24 March 2027 15:00 + 2 h: Thursday 25 to Monday 29 March are holidays.
    assert business_add(oslo(2027, 3, 24, 15, 0), 2 * HOUR) == oslo(2027, 3, 30, 9, 0)


def test_business_seconds_across_easter_2027_count_only_the_working_days():
    # Monday 22 to Wednesday 31 March 2027: Mon-Wed and Tue-Wed after Easter, 8 h each.
    start, end = oslo(2027, 3, 22, 0, 0), oslo(2027, 4, 1, 0, 0)

    assert business_seconds(start, end) == 5 * 8 * HOUR


def test_business_seconds_backwards_are_negative():
    start, end = oslo(2026, 12, 2, 9, 0), oslo(2026, 12, 2, 11, 30)

    assert business_seconds(end, start) == -2.5 * HOUR


def test_business_seconds_and_business_add_agree():
    start = oslo(2027, 5, 12, 13, 17)

    due = business_add(start, 40 * HOUR)

    assert business_seconds(start, due) == 40 * HOUR


@pytest.mark.parametrize(
    ("day", "hours"),
    # 29 March 2026 the clocks skip 02:00-03:00; 25 October 2026 they go through it twice.
    [((2026, 3, 29), 3), ((2026, 10, 25), 5), ((2026, 10, 18), 4)],
    ids=["spring-forward", "fall-back", "ordinary-sunday"],
)
def test_opening_hours_over_a_dst_change_count_real_time(settings, day, hours):
    settings.SUPPORT_WEEKDAYS = [1, 2, 3, 4, 5, 6, 7]
    settings.SUPPORT_OPENS, settings.SUPPORT_CLOSES = time(1), time(5)
    start = oslo(*day, 0, 0)

    assert business_seconds(start, start + timedelta(days=1)) == hours * HOUR


def test_a_due_time_across_the_autumn_dst_change_is_right_in_utc():
    # Friday 23 October 2026 15:00 CEST (13:00 UTC) + 2 h: Monday 26 October 09:00 CET.
    due = business_add(oslo(2026, 10, 23, 15, 0), 2 * HOUR)

    assert due == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)


def test_opening_hours_follow_the_settings(settings):
    settings.SUPPORT_WEEKDAYS = [1, 2, 3, 4, 5, 6]
    settings.SUPPORT_OPENS, settings.SUPPORT_CLOSES = time(9), time(15)

    # Friday 15:00 is closing time now; Saturday opens at 09:00.
    assert business_add(oslo(2026, 12, 4, 14, 0), 2 * HOUR) == oslo(2026, 12, 5, 10, 0)


def test_no_opening_day_at_all_is_an_error_not_a_hang(settings):
    settings.SUPPORT_WEEKDAYS = []

    with pytest.raises(ValueError, match="SUPPORT_WEEKDAYS"):
        business_add(oslo(2026, 12, 2, 9, 0), HOUR)


@pytest.mark.parametrize(
    ("priority", "first_hours", "resolution_hours"),
    [("urgent", 1, 8), ("high", 4, 16), ("normal", 8, 40), ("low", 16, 80)],
)
def test_default_targets_per_priority(priority, first_hours, resolution_hours):
    created = oslo(2026, 12, 7, 8, 0)  # a Monday morning

    first, resolution = sla_dues(created_at=created, priority=priority)

    assert business_seconds(created, first) == first_hours * HOUR
    assert business_seconds(created, resolution) == resolution_hours * HOUR


def test_targets_come_from_the_settings(settings):
    settings.SLA_FIRST_RESPONSE_HOURS = settings.SLA_FIRST_RESPONSE_HOURS | {"normal": 2.5}

    first, _ = sla_dues(created_at=oslo(2026, 12, 7, 8, 0), priority="normal")

    assert first == oslo(2026, 12, 7, 10, 30)


def ticket(**fields) -> Ticket:
    values = {"status": Ticket.Status.NEW, "priority": Ticket.Priority.NORMAL}
    values["created_at"] = oslo(2026, 12, 7, 8, 0)
    return Ticket(**values | fields)


def test_waiting_for_the_customer_pauses_the_clock_and_moves_the_due_times_on():
    t = ticket()
    ticket_sla_apply(t, now=t.created_at)
    first_due = t.first_response_due

    t.status = Ticket.Status.WAITING
    ticket_sla_apply(t, now=oslo(2026, 12, 7, 9, 0))
    paused_left = ticket_time_left(t, now=oslo(2026, 12, 8, 12, 0))
    t.status = Ticket.Status.OPEN
    ticket_sla_apply(t, now=oslo(2026, 12, 8, 9, 0))

    # Paused Monday 09:00 to Tuesday 09:00: eight business hours.
    assert paused_left == 7 * HOUR
    assert t.sla_paused_at is None
    assert t.sla_paused_seconds == 8 * HOUR
    assert t.first_response_due == business_add(first_due, 8 * HOUR) == oslo(2026, 12, 8, 16, 0)


def test_a_priority_change_recomputes_from_creation_keeping_the_pauses():
    t = ticket(sla_paused_seconds=2 * HOUR)

    t.priority = Ticket.Priority.URGENT
    ticket_sla_apply(t, now=oslo(2026, 12, 7, 8, 30))

    assert t.first_response_due == oslo(2026, 12, 7, 11, 0)
    assert t.resolution_due == oslo(2026, 12, 8, 10, 0)


def test_a_late_first_response_is_a_breach_when_it_was_due():
    t = ticket(first_response_due=oslo(2026, 12, 7, 9, 0), resolution_due=oslo(2026, 12, 9, 9, 0))
    t.first_response_at = oslo(2026, 12, 7, 9, 30)

    breaches = ticket_sla_breaches(t, now=oslo(2026, 12, 7, 9, 30))

    assert breaches == {"first_response_breached_at": oslo(2026, 12, 7, 9, 0)}


def test_a_paused_ticket_breaches_nothing():
    t = ticket(status=Ticket.Status.WAITING, first_response_due=oslo(2026, 12, 7, 9, 0))

    assert ticket_sla_breaches(t, now=oslo(2026, 12, 9, 9, 0)) == {}


def test_a_recorded_breach_is_not_reported_again():
    t = ticket(
        first_response_due=oslo(2026, 12, 7, 9, 0),
        first_response_breached_at=oslo(2026, 12, 7, 9, 0),
    )

    assert ticket_sla_breaches(t, now=oslo(2026, 12, 7, 10, 0)) == {}


def test_time_left_counts_to_the_resolution_once_answered():
    t = ticket(
        first_response_at=oslo(2026, 12, 7, 8, 30),
        first_response_due=oslo(2026, 12, 7, 16, 0),
        resolution_due=oslo(2026, 12, 8, 12, 0),
    )

    assert ticket_time_left(t, now=oslo(2026, 12, 7, 15, 0)) == 5 * HOUR


def test_time_left_is_none_once_resolved():
    t = ticket(status=Ticket.Status.RESOLVED, first_response_due=oslo(2026, 12, 7, 16, 0))

    assert ticket_time_left(t, now=oslo(2026, 12, 7, 9, 0)) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45 * 60, "45 min"), (2 * HOUR + 5 * 60, "2 t 5 min"), (-(HOUR + 59), "1 t 0 min")],
)
def test_durations_read_in_norwegian(seconds, text):
    assert duration_text(seconds) == text
