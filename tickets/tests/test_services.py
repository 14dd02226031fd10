import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from tickets.models import Message, OutboundEmail, Ticket
from tickets.services import (
    SubmissionLimited,
    TicketAnonymised,
    TicketClosed,
    ticket_change,
    ticket_page_link_renew,
    ticket_page_reply,
    ticket_reply,
    ticket_submit,
    tickets_erase,
    tickets_export,
    tickets_purge,
)

FORM = {"name": "Kari", "email": "kari@example.no", "message": "Fakturaen mangler."}


@pytest.fixture
def ticket(db):
    return Ticket.objects.create(name="Kari", email="Kari@Example.no", message="Fakturaen mangler.")


def test_export_finds_tickets_however_the_address_is_capitalised(ticket):
    other = Ticket.objects.create(name="Kari", email="kari@example.no", message="Igjen.")

    data = tickets_export(emails=["KARI@example.NO"], actor=None)

    assert [t["reference"] for t in data["tickets"]] == [ticket.reference, other.reference]


def test_export_includes_internal_notes_about_the_customer(ticket):
    ticket_reply(ticket=ticket, author=None, body="Kunden er sint.", is_public=False)

    data = tickets_export(emails=[ticket.email], actor=None)

    assert data["tickets"][0]["notes"] == [
        {
            "kind": "internal",
            "written_at": ticket.messages.get(kind=Message.Kind.INTERNAL).created_at.isoformat(),
            "text": "Kunden er sint.",
            "attachments": [],
        }
    ]


def test_erase_finds_tickets_however_the_address_is_capitalised(ticket):
    count = tickets_erase(emails=["kari@example.no"], actor=None)

    ticket.refresh_from_db()
    assert count == 1
    assert (ticket.name, ticket.email, ticket.message) == ("", "", "")


def test_closing_sets_closed_at_and_reopening_clears_it(ticket):
    ticket_change(ticket=ticket, actor=None, status=Ticket.Status.CLOSED)
    closed_at = Ticket.objects.get(pk=ticket.pk).closed_at
    ticket_change(ticket=ticket, actor=None, status=Ticket.Status.OPEN)

    assert closed_at is not None
    assert Ticket.objects.get(pk=ticket.pk).closed_at is None


def test_purge_counts_from_closing_not_from_resolving(ticket):
    long_ago = timezone.now() - timedelta(days=400)
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Ticket.Status.CLOSED, resolved_at=long_ago, closed_at=timezone.now()
    )

    count = tickets_purge(days=365)

    assert count == 0
    assert Ticket.objects.get(pk=ticket.pk).anonymised_at is None


def test_change_made_from_a_stale_copy_does_not_undo_an_erasure(ticket):
    stale = Ticket.objects.get(pk=ticket.pk)
    tickets_erase(emails=[ticket.email], actor=None)

    ticket_change(ticket=stale, actor=None, priority=Ticket.Priority.HIGH)

    ticket.refresh_from_db()
    assert (ticket.name, ticket.email, ticket.message) == ("", "", "")
    assert ticket.anonymised_at is not None
    assert ticket.priority == Ticket.Priority.HIGH


def test_reply_to_an_anonymised_ticket_is_refused_and_stores_nothing(ticket):
    stale = Ticket.objects.get(pk=ticket.pk)
    tickets_erase(emails=[ticket.email], actor=None)

    with pytest.raises(TicketAnonymised):
        ticket_reply(ticket=stale, author=None, body="Hei Kari, ring 99 99 99 99", is_public=True)

    assert not Message.objects.exclude(kind=Message.Kind.CUSTOMER).exists()
    assert not OutboundEmail.objects.exists()


def test_internal_note_on_an_anonymised_ticket_is_refused(ticket):
    tickets_erase(emails=[ticket.email], actor=None)

    with pytest.raises(TicketAnonymised):
        ticket_reply(ticket=ticket, author=None, body="Kari er sint", is_public=False)

    assert not Message.objects.exclude(kind=Message.Kind.CUSTOMER).exists()


def submit(seed, form_token, client_ip="203.0.113.5", **overrides):
    return ticket_submit(
        **FORM | overrides, form_token=form_token, source_page=seed, client_ip=client_ip
    )


def test_submitting_the_same_form_again_returns_its_first_ticket(seed):
    form_token = uuid.uuid4()

    first = submit(seed, form_token)
    again = submit(seed, form_token)

    assert again == first
    assert Ticket.objects.count() == 1


def test_a_new_message_with_the_same_form_token_is_a_new_ticket(seed):
    form_token = uuid.uuid4()

    first = submit(seed, form_token)
    second = submit(seed, form_token, message="Og purringen også.")

    assert second != first


def test_the_same_form_sent_again_does_not_count_against_the_rate_limit(seed, settings):
    settings.CONTACT_RATE_LIMIT = "1/10m"
    form_token = uuid.uuid4()
    submit(seed, form_token)

    again = submit(seed, form_token)

    assert again.submission_token is not None
    with pytest.raises(SubmissionLimited) as limited:
        submit(seed, uuid.uuid4())
    assert limited.value.is_daily is False


def test_submission_past_the_daily_limit_of_an_address_is_refused_as_daily(seed, settings):
    settings.CONFIRMATION_DAILY_LIMIT = 1
    submit(seed, uuid.uuid4())

    with pytest.raises(SubmissionLimited) as limited:
        submit(seed, uuid.uuid4(), client_ip="203.0.113.6")

    assert limited.value.is_daily is True
    assert Ticket.objects.count() == 1


def test_each_new_ticket_gets_a_page_key_of_its_own(db):
    first = Ticket.objects.create(name="Kari", email="kari@example.no", message="Hei")
    second = Ticket.objects.create(name="Ola", email="ola@example.no", message="Hei")

    assert len(first.access_key) == 43
    assert first.access_key != second.access_key


def test_erasing_a_customer_revokes_their_page_links(ticket):
    tickets_erase(emails=[ticket.email], actor=None)

    ticket.refresh_from_db()
    assert ticket.access_key == ""
    assert ticket.page_url() == ""


def test_purging_a_ticket_revokes_its_page_link(ticket):
    ticket_change(ticket=ticket, actor=None, status=Ticket.Status.CLOSED)
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=timezone.now() - timedelta(days=400))

    tickets_purge(days=365)

    ticket.refresh_from_db()
    assert ticket.access_key == ""


def test_renewing_the_page_link_gives_a_new_key_and_records_it_without_the_key(ticket):
    old_key = ticket.access_key

    new_key = ticket_page_link_renew(ticket=ticket, actor=None)

    ticket.refresh_from_db()
    assert ticket.access_key == new_key != old_key
    event = ticket.events.get()
    assert (event.field, event.new_value) == ("page_link", "renewed")
    assert new_key not in event.new_value + event.old_value


def test_an_anonymised_tickets_page_link_cannot_be_renewed(ticket):
    tickets_erase(emails=[ticket.email], actor=None)
    ticket.refresh_from_db()

    with pytest.raises(TicketAnonymised):
        ticket_page_link_renew(ticket=ticket, actor=None)


def test_page_reply_to_a_ticket_anonymised_since_it_was_read_is_refused(ticket):
    tickets_erase(emails=[ticket.email], actor=None)

    with pytest.raises(TicketAnonymised):
        ticket_page_reply(ticket=ticket, body="Hallo?")

    assert not Message.objects.filter(ticket=ticket, channel=Message.Channel.PAGE).exists()


def test_page_reply_to_a_ticket_closed_since_it_was_read_is_refused(ticket):
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)

    with pytest.raises(TicketClosed):
        ticket_page_reply(ticket=ticket, body="Hallo?")


def test_page_reply_to_an_unassigned_ticket_tells_support(ticket, settings):
    message = ticket_page_reply(ticket=ticket, body="Hallo?")

    email = OutboundEmail.objects.get(ticket=ticket)
    assert (email.to, email.note) == (settings.SUPPORT_EMAIL, message)


def test_same_page_reply_after_the_repeat_window_is_a_new_message(ticket):
    first = ticket_page_reply(ticket=ticket, body="Hallo?")
    Message.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=1))

    second = ticket_page_reply(ticket=ticket, body="Hallo?")

    assert second.pk != first.pk
