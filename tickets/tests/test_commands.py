import io
import uuid
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tickets.models import Message, OutboundEmail, SuggestionImpression, Ticket, TicketEvent
from tickets.services import ticket_reply


def closed(ticket: Ticket, *, days_ago: int) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Ticket.Status.CLOSED, closed_at=timezone.now() - timedelta(days=days_ago)
    )
    return ticket


def purge_tickets(*args) -> str:
    out = io.StringIO()
    call_command("purge_tickets", *args, stdout=out, no_color=True)
    return out.getvalue().strip()


def test_purge_anonymises_tickets_closed_longer_ago_than_days(make_ticket):
    ticket = closed(make_ticket(), days_ago=31)
    ticket_reply(ticket=ticket, author=None, body="Fakturaen er sendt.", is_public=True)

    purge_tickets("--days", "30")

    ticket.refresh_from_db()
    assert (ticket.name, ticket.email, ticket.message) == ("", "", "")
    assert ticket.anonymised_at is not None
    assert list(
        Message.objects.exclude(kind=Message.Kind.CUSTOMER).values_list("body", flat=True)
    ) == [""]
    assert not OutboundEmail.objects.exists()
    assert ticket.status == Ticket.Status.CLOSED


def test_purge_leaves_open_and_recently_closed_tickets(make_ticket):
    open_ticket = make_ticket(email="ola@example.no")
    Ticket.objects.filter(pk=open_ticket.pk).update(status=Ticket.Status.OPEN)
    recent = closed(make_ticket(email="per@example.no"), days_ago=29)

    purge_tickets("--days", "30")

    for ticket, email in [(open_ticket, "ola@example.no"), (recent, "per@example.no")]:
        ticket.refresh_from_db()
        assert ticket.email == email
        assert ticket.anonymised_at is None
    assert OutboundEmail.objects.count() == 4


def resolved(ticket: Ticket, *, days_ago: int) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Ticket.Status.RESOLVED, resolved_at=timezone.now() - timedelta(days=days_ago)
    )
    return ticket


def test_purge_anonymises_tickets_resolved_longer_ago_than_days(make_ticket):
    ticket = resolved(make_ticket(), days_ago=31)

    purge_tickets("--days", "30")

    ticket.refresh_from_db()
    assert (ticket.name, ticket.email, ticket.message) == ("", "", "")
    assert ticket.anonymised_at is not None


def test_purge_leaves_recently_resolved_tickets(make_ticket):
    ticket = resolved(make_ticket(), days_ago=29)

    purge_tickets("--days", "30")

    ticket.refresh_from_db()
    assert ticket.anonymised_at is None


def test_purge_days_default_to_the_retention_setting(make_ticket, settings):
    settings.TICKET_RETENTION_DAYS = 10
    old = closed(make_ticket(), days_ago=11)
    recent = closed(make_ticket(), days_ago=9)

    output = purge_tickets()

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.anonymised_at is not None
    assert recent.anonymised_at is None
    assert output == "1 tickets anonymised (closed or resolved over 10 days ago)"


def test_purge_reports_a_summary_line(make_ticket):
    closed(make_ticket(), days_ago=40)
    closed(make_ticket(), days_ago=50)

    output = purge_tickets("--days", "30")

    assert output == "2 tickets anonymised (closed or resolved over 30 days ago)"


def test_purge_records_a_purged_event_on_each_ticket(make_ticket):
    tickets = [closed(make_ticket(), days_ago=40), closed(make_ticket(), days_ago=50)]

    purge_tickets("--days", "30")

    assert set(
        TicketEvent.objects.values_list("ticket", "actor", "field", "old_value", "new_value")
    ) == {(t.pk, None, "privacy", "", "purged") for t in tickets}


def test_dry_run_only_counts(make_ticket):
    ticket = closed(make_ticket(), days_ago=40)

    output = purge_tickets("--days", "30", "--dry-run")

    assert output == "1 tickets would be anonymised (closed or resolved over 30 days ago)"
    ticket.refresh_from_db()
    assert ticket.email == "kari@example.no"
    assert ticket.anonymised_at is None
    assert not TicketEvent.objects.exists()
    assert OutboundEmail.objects.count() == 2


def test_second_purge_finds_nothing_more(make_ticket):
    closed(make_ticket(), days_ago=40)
    purge_tickets("--days", "30")

    output = purge_tickets("--days", "30")

    assert output == "0 tickets anonymised (closed or resolved over 30 days ago)"
    assert TicketEvent.objects.count() == 1


def test_negative_days_are_refused(make_ticket):
    ticket = closed(make_ticket(), days_ago=40)

    with pytest.raises(CommandError, match="--days must be 0 or more"):
        purge_tickets("--days", "-1")

    ticket.refresh_from_db()
    assert ticket.anonymised_at is None


def shown(entry, *, days_ago: int) -> SuggestionImpression:
    impression = SuggestionImpression.objects.create(form_token=uuid.uuid4(), entry=entry)
    SuggestionImpression.objects.filter(pk=impression.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    return impression


def purge_suggestions(*args) -> str:
    out = io.StringIO()
    call_command("purge_suggestions", *args, stdout=out, no_color=True)
    return out.getvalue().strip()


def test_purge_suggestions_deletes_those_shown_longer_ago_than_the_retention(make_entry, settings):
    settings.SUGGESTION_RETENTION_DAYS = 30
    entry = make_entry()
    shown(entry, days_ago=31)
    kept = shown(entry, days_ago=29)

    output = purge_suggestions()

    assert list(SuggestionImpression.objects.all()) == [kept]
    assert output == "1 suggestions shown deleted (shown over 30 days ago)"


def test_purge_suggestions_dry_run_only_counts(make_entry):
    shown(make_entry(), days_ago=400)

    output = purge_suggestions("--dry-run")

    assert SuggestionImpression.objects.count() == 1
    assert output == "1 suggestions shown would be deleted (shown over 365 days ago)"


def test_purge_suggestions_refuses_negative_days(db):
    with pytest.raises(CommandError, match="--days must be 0 or more"):
        purge_suggestions("--days", "-1")
