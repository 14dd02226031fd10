from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tickets.inbound import inbound_file
from tickets.merge import MergeRefused, ticket_merge_undo, tickets_merge
from tickets.models import Message, OutboundEmail, Ticket, TicketEvent, TicketMerge
from tickets.references import reply_address
from tickets.services import ticket_change, ticket_reply
from tickets.tests.inbound_corpus import message
from tickets.tests.test_admin import change_url
from tickets.undo import ticket_reply_undo

FIELDS = [f.attname for f in Ticket._meta.concrete_fields if f.attname != "updated_at"]


def state(ticket) -> dict:
    ticket = Ticket.objects.get(pk=ticket.pk)
    return {field: getattr(ticket, field) for field in FIELDS}


def thread(ticket) -> list[str]:
    return list(Message.objects.filter(ticket=ticket).values_list("body", flat=True))


@pytest.fixture
def two(make_ticket, agent):
    """Two tickets of one customer, their messages interleaved in time."""
    older = make_ticket(message="Fakturaen mangler")
    newer = make_ticket(email="KARI@example.no", message="Jeg skrev i går om fakturaen")
    ticket_reply(ticket=older, author=agent, body="Vi ser på det", is_public=True)
    ticket_change(ticket=newer, actor=agent, status=Ticket.Status.OPEN)
    # Moments apart, so time order is not creation order of the ticket.
    Message.objects.filter(ticket=older, body="Vi ser på det").update(
        created_at=timezone.now() + timedelta(minutes=5)
    )
    return older, newer


def test_merge_joins_the_threads_in_time_order_and_closes_the_other_with_a_link(two, agent):
    older, newer = two

    tickets_merge(source=newer, target=older, actor=agent)

    assert thread(older) == ["Fakturaen mangler", "Jeg skrev i går om fakturaen", "Vi ser på det"]
    assert thread(newer) == []
    newer.refresh_from_db()
    assert (newer.status, newer.merged_into) == (Ticket.Status.CLOSED, older)
    assert list(older.merged_from.all()) == [newer]
    assert TicketEvent.objects.filter(ticket=newer, field="merged_into").get().new_value == (
        older.reference
    )
    assert TicketEvent.objects.filter(ticket=older, field="merged_from").get().new_value == (
        newer.reference
    )
    # Both histories stay where they were: the status change of the merged one too.
    assert TicketEvent.objects.filter(ticket=newer, field="status").count() == 2


def test_merge_of_different_customers_is_refused_and_changes_nothing(make_ticket, agent):
    kari = make_ticket()
    ola = make_ticket(email="ola@example.no")

    with pytest.raises(MergeRefused, match="Bare saker fra samme kunde"):
        tickets_merge(source=ola, target=kari, actor=agent)

    assert thread(ola) == ["Hei!"]
    assert Ticket.objects.get(pk=ola.pk).merged_into is None
    assert not TicketMerge.objects.exists()


def test_undo_restores_both_tickets_exactly(two, agent):
    older, newer = two
    before = (state(older), state(newer), thread(older), thread(newer))
    merge = tickets_merge(source=newer, target=older, actor=agent)

    ticket_merge_undo(merge_id=merge.pk, actor=agent)

    assert (state(older), state(newer), thread(older), thread(newer)) == before
    assert TicketMerge.objects.get().undone_at is not None
    assert TicketEvent.objects.filter(field="merged_into", old_value=older.reference).exists()


def test_only_the_agent_who_merged_can_undo_and_only_once(two, agent, django_user_model):
    older, newer = two
    merge = tickets_merge(source=newer, target=older, actor=agent)
    other = django_user_model.objects.create_user("ola", password="x", is_staff=True)

    with pytest.raises(MergeRefused):
        ticket_merge_undo(merge_id=merge.pk, actor=other)
    ticket_merge_undo(merge_id=merge.pk, actor=agent)
    with pytest.raises(MergeRefused):
        ticket_merge_undo(merge_id=merge.pk, actor=agent)


def test_merge_page_offers_the_customers_tickets_and_merges_on_confirm(two, agent_client):
    older, newer = two
    merge_url = reverse("admin:tickets_ticket_merge", args=[newer.pk])

    offered = agent_client.get(merge_url)
    confirm = agent_client.get(merge_url, {"target": older.reference})
    merged = agent_client.post(merge_url, {"target": older.pk, "confirm": "1"})

    assert [t.pk for t in offered.context["candidates"]] == [older.pk]
    assert f"Slå {newer.reference} sammen med {older.reference}?" in confirm.text
    assert TicketMerge.objects.get().source == newer
    assert merged.status_code == 303
    assert merged.url == change_url(older)


def test_merge_page_refuses_another_customers_ticket_with_the_reason(make_ticket, agent_client):
    kari = make_ticket()
    ola = make_ticket(email="ola@example.no")

    response = agent_client.post(
        reverse("admin:tickets_ticket_merge", args=[kari.pk]), {"target": ola.pk, "confirm": "1"}
    )

    assert response.status_code == 200
    assert "Bare saker fra samme kunde kan slås sammen" in response.text
    assert Ticket.objects.get(pk=kari.pk).merged_into is None


@pytest.mark.parametrize("others", [1, 6])
def test_merge_page_query_count_is_constant(
    make_ticket, agent_client, django_assert_num_queries, others
):
    ticket = make_ticket()
    for _ in range(others):
        make_ticket()

    # Session, user, the ticket, the permissions (user, group), the customer's other tickets.
    with django_assert_num_queries(6):
        agent_client.get(reverse("admin:tickets_ticket_merge", args=[ticket.pk]))


def test_both_ticket_pages_link_each_other_and_the_target_offers_undo(two, agent_client, agent):
    older, newer = two
    tickets_merge(source=newer, target=older, actor=agent)
    merge = TicketMerge.objects.get()

    target_page = agent_client.get(change_url(older)).text
    source_page = agent_client.get(change_url(newer)).text
    undone = agent_client.post(reverse("admin:tickets_ticket_merge_undo", args=[merge.pk]))

    assert f'<a href="{change_url(newer)}">{newer.reference}</a>' in target_page
    assert f'<a href="{change_url(older)}">{older.reference}</a>' in source_page
    assert reverse("admin:tickets_ticket_merge_undo", args=[merge.pk]) in target_page
    assert undone.url == change_url(newer)
    assert Ticket.objects.get(pk=newer.pk).merged_into is None


def test_another_agent_sees_no_undo_button(two, agent, django_user_model):
    from django.contrib.auth.models import Group

    older, newer = two
    merge = tickets_merge(source=newer, target=older, actor=agent)
    other = django_user_model.objects.create_user("ola", password="x", is_staff=True)
    other.groups.add(Group.objects.get(name="Kundeservice"))
    client = Client()
    client.force_login(other)

    page = client.get(change_url(older)).text

    assert reverse("admin:tickets_ticket_merge_undo", args=[merge.pk]) not in page


def test_customers_answer_to_the_merged_ticket_joins_the_target(two, agent):
    older, newer = two
    tickets_merge(source=newer, target=older, actor=agent)
    confirmation = OutboundEmail.objects.filter(ticket=newer, kind="confirmation").get()

    filed = inbound_file(
        message(
            sender="kari@example.no",
            subject="Re: fakturaen",
            body="Her er kvitteringen.",
            headers={"In-Reply-To": f"<{confirmation.message_id}>"},
        )
    )

    assert filed.ticket == older
    assert Ticket.objects.get(pk=newer.pk).status == Ticket.Status.CLOSED


def test_customers_page_of_the_merged_ticket_leads_to_the_target(two, agent, client):
    older, newer = two
    tickets_merge(source=newer, target=older, actor=agent)

    response = client.get(Ticket.objects.get(pk=newer.pk).page_url())

    assert response.status_code == 302
    assert response.url == older.page_url()


def test_held_reply_merged_away_is_sent_from_the_surviving_ticket_and_back_on_undo(
    make_ticket, agent
):
    surviving = make_ticket(message="Fakturaen mangler")
    merged = make_ticket(message="Skrev i går")
    note = ticket_reply(ticket=merged, author=agent, body="Svar", is_public=True, hold_seconds=30)

    merge = tickets_merge(source=merged, target=surviving, actor=agent)

    email = OutboundEmail.objects.get(note=note)
    assert email.ticket == surviving
    assert surviving.reference in email.subject
    assert merged.reference not in email.subject
    assert email.reply_to == reply_address(surviving.reference)
    assert email.send_after is not None

    ticket_merge_undo(merge_id=merge.pk, actor=agent)

    email.refresh_from_db()
    assert email.ticket == merged
    assert merged.reference in email.subject
    assert email.reply_to == reply_address(merged.reference)


def test_undo_of_a_held_reply_merged_away_changes_nothing_on_its_new_ticket(make_ticket, agent):
    surviving = make_ticket(message="Fakturaen mangler")
    ticket_change(ticket=surviving, actor=agent, status=Ticket.Status.WAITING)
    merged = make_ticket(message="Skrev i går")
    ticket_change(ticket=merged, actor=agent, status=Ticket.Status.OPEN)
    # Open to waiting: what the surviving ticket already is.
    note = ticket_reply(ticket=merged, author=agent, body="Svar", is_public=True, hold_seconds=30)
    tickets_merge(source=merged, target=surviving, actor=agent)
    before = state(surviving)

    ticket_reply_undo(message_id=note.pk, agent=agent)

    assert state(surviving) == before
    assert TicketEvent.objects.filter(ticket=surviving, field="status").count() == 1
    assert not OutboundEmail.objects.filter(note=note).exists()
    assert not Message.objects.filter(pk=note.pk).exists()
