"""The status table (tickets.workflow) and the status changes the work makes (tickets.services)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tickets.models import Message, OutboundEmail, Ticket, TicketEvent
from tickets.services import (
    ticket_change,
    ticket_customer_replied,
    ticket_reply,
    ticket_take,
    tickets_autoclose,
    tickets_sla_breaches_record,
)
from tickets.sla import business_add
from tickets.workflow import TRANSITIONS, TransitionRefused, statuses_from

Status = Ticket.Status


@pytest.fixture
def ticket(make_ticket_row):
    return make_ticket_row(name="Kari", email="kari@example.no", message="Fakturaen mangler.")


def statuses(ticket) -> list[tuple[str, str]]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, field="status")
        .order_by("pk")
        .values_list("old_value", "new_value")
    )


def test_every_status_has_a_row_and_none_goes_back_to_new():
    assert set(TRANSITIONS) == set(Status.values)
    assert not any(Status.NEW in targets for targets in TRANSITIONS.values())


def test_the_choices_on_a_closed_ticket_are_itself_and_open():
    assert [value for value, _ in statuses_from(Status.CLOSED)] == ["open", "closed"]


@pytest.mark.parametrize(
    ("old", "new"), [("open", "new"), ("closed", "resolved"), ("resolved", "waiting")]
)
def test_a_change_outside_the_table_is_refused_and_changes_nothing(ticket, old, new):
    Ticket.objects.filter(pk=ticket.pk).update(status=old)
    ticket.refresh_from_db()

    with pytest.raises(TransitionRefused, match="kan ikke gå fra"):
        ticket_change(ticket=ticket, actor=None, status=new)

    ticket.refresh_from_db()
    assert ticket.status == old
    assert not TicketEvent.objects.exists()


def test_taking_a_new_ticket_opens_it(ticket, agent):
    ticket_take(ticket=ticket, agent=agent)

    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (agent, Status.OPEN)
    assert statuses(ticket) == [("new", "open")]


def test_taking_a_waiting_ticket_leaves_it_waiting(ticket, agent):
    ticket_change(ticket=ticket, actor=None, status=Status.WAITING)

    ticket_take(ticket=ticket, agent=agent)

    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (agent, Status.WAITING)


def test_a_public_reply_leaves_a_new_ticket_waiting_for_the_customer(ticket, agent):
    ticket_reply(ticket=ticket, author=agent, body="Vi ser på det.", is_public=True)

    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING
    assert statuses(ticket) == [("new", "waiting")]


def test_an_internal_note_changes_no_status(ticket, agent):
    ticket_reply(ticket=ticket, author=agent, body="Sjekk med regnskap.", is_public=False)

    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert not TicketEvent.objects.exists()


def test_a_public_reply_on_a_resolved_ticket_keeps_it_resolved(ticket, agent):
    ticket_change(ticket=ticket, actor=agent, status=Status.RESOLVED)

    ticket_reply(ticket=ticket, author=agent, body="Takk for praten!", is_public=True)

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_the_customer_answering_reopens_a_waiting_ticket(ticket, agent):
    ticket_reply(ticket=ticket, author=agent, body="Hvilken faktura?", is_public=True)
    answer = Message.objects.create(ticket=ticket, kind=Message.Kind.CUSTOMER, body="Nr. 42")

    ticket_customer_replied(ticket=ticket, message=answer)

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert statuses(ticket) == [("new", "waiting"), ("waiting", "open")]


def test_resolved_tickets_close_after_the_autoclose_days(ticket, make_ticket_row):
    recent = make_ticket_row(name="Ola", email="ola@example.no", message="Hei")
    for t in (ticket, recent):
        ticket_change(ticket=t, actor=None, status=Status.RESOLVED)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=8))

    closed = tickets_autoclose(days=7)

    assert closed == 1
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED
    assert Ticket.objects.get(pk=recent.pk).status == Status.RESOLVED
    assert statuses(ticket) == [("new", "resolved"), ("resolved", "closed")]


def test_the_close_command_takes_the_setting_and_a_dry_run_closes_nothing(ticket, settings):
    settings.TICKET_AUTOCLOSE_DAYS = 3
    ticket_change(ticket=ticket, actor=None, status=Status.RESOLVED)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=4))
    dry, real = StringIO(), StringIO()

    call_command("close_resolved_tickets", "--dry-run", stdout=dry)
    status_after_dry_run = Ticket.objects.get(pk=ticket.pk).status
    call_command("close_resolved_tickets", stdout=real)

    assert dry.getvalue().strip() == "1 tickets would be closed (resolved over 3 days ago)"
    assert status_after_dry_run == Status.RESOLVED
    assert real.getvalue().strip() == "1 tickets closed (resolved over 3 days ago)"
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


def test_a_new_ticket_gets_its_due_times_from_the_normal_targets(make_ticket):
    ticket = make_ticket()

    expected_first = business_add(ticket.created_at, 8 * 3600)
    expected_resolution = business_add(ticket.created_at, 40 * 3600)
    # Computed just before the INSERT set created_at: microseconds apart at most.
    assert abs(ticket.first_response_due - expected_first) < timedelta(seconds=1)
    assert abs(ticket.resolution_due - expected_resolution) < timedelta(seconds=1)


def test_changing_the_priority_moves_the_due_times(make_ticket):
    ticket = make_ticket()

    ticket_change(ticket=ticket, actor=None, priority=Ticket.Priority.URGENT)

    ticket.refresh_from_db()
    assert ticket.first_response_due == business_add(ticket.created_at, 3600)
    assert ticket.resolution_due == business_add(ticket.created_at, 8 * 3600)


def test_waiting_pauses_the_clock_on_the_ticket(make_ticket):
    ticket = make_ticket()

    ticket_change(ticket=ticket, actor=None, status=Status.WAITING)

    ticket.refresh_from_db()
    assert ticket.sla_paused_at is not None


def test_the_worker_records_a_missed_first_response_once(ticket):
    due = timezone.now() - timedelta(minutes=5)
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due=due)

    first_run = tickets_sla_breaches_record()
    second_run = tickets_sla_breaches_record()

    ticket.refresh_from_db()
    assert (first_run, second_run) == (1, 0)
    assert ticket.first_response_breached_at == due
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.field, event.new_value) == (
        "first_response_breached_at",
        f"{timezone.localtime(due):%Y-%m-%d %H:%M}",
    )


def test_the_worker_records_nothing_for_a_ticket_waiting_on_the_customer(ticket):
    ticket_change(ticket=ticket, actor=None, status=Status.WAITING)
    past = timezone.now() - timedelta(minutes=5)
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due=past, resolution_due=past)

    assert tickets_sla_breaches_record() == 0


def test_a_late_reply_records_the_breach_at_once(ticket, agent):
    due = timezone.now() - timedelta(minutes=5)
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due=due)
    ticket.refresh_from_db()

    ticket_reply(ticket=ticket, author=agent, body="Beklager ventetiden.", is_public=True)

    ticket.refresh_from_db()
    assert ticket.first_response_breached_at == due
    assert TicketEvent.objects.filter(field="first_response_breached_at").count() == 1


def test_a_reply_in_time_records_no_breach(make_ticket, agent):
    ticket = make_ticket()

    ticket_reply(ticket=ticket, author=agent, body="Vi ser på det.", is_public=True)

    ticket.refresh_from_db()
    assert ticket.first_response_breached_at is None


def test_giving_a_ticket_to_a_colleague_emails_them(ticket, agent, django_user_model):
    colleague = django_user_model.objects.create_user(
        "ola", "ola@example.no", is_staff=True, first_name="Ola", last_name="Hansen"
    )
    agent.first_name = "Per"
    agent.save()

    ticket_change(ticket=ticket, actor=agent, assignee=colleague)

    email = OutboundEmail.objects.get()
    assert (email.kind, email.to) == (OutboundEmail.Kind.ASSIGNED, "ola@example.no")
    assert email.subject == f"[{ticket.reference}] Per gav deg saken fra Kari"
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_taking_a_ticket_oneself_sends_no_email(ticket, agent):
    agent.email = "agent@example.no"
    agent.save()

    ticket_take(ticket=ticket, agent=agent)

    assert not OutboundEmail.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_upkeep_closes_old_resolved_tickets_and_records_missed_targets(
    make_ticket_row, run_worker_run, settings
):
    settings.TICKET_AUTOCLOSE_DAYS = 7
    resolved = make_ticket_row(name="Kari", email="kari@example.no", message="Takk")
    ticket_change(ticket=resolved, actor=None, status=Status.RESOLVED)
    Ticket.objects.filter(pk=resolved.pk).update(resolved_at=timezone.now() - timedelta(days=8))
    late = make_ticket_row(
        name="Ola",
        email="ola@example.no",
        message="Hallo?",
        first_response_due=timezone.now() - timedelta(minutes=1),
    )

    run_worker_run()

    assert Ticket.objects.get(pk=resolved.pk).status == Status.CLOSED
    assert Ticket.objects.get(pk=late.pk).first_response_breached_at is not None
    assert TicketEvent.objects.filter(ticket=late, field="first_response_breached_at").exists()
