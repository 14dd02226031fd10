from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tickets.daily import local_day, ticket_days_update
from tickets.inbound import inbound_file
from tickets.merge import MergeRefused, ticket_merge_undo, tickets_merge
from tickets.models import (
    Chat,
    Message,
    OutboundEmail,
    Rating,
    Ticket,
    TicketDay,
    TicketEvent,
    TicketMerge,
)
from tickets.references import reply_address
from tickets.services import (
    PAGE_LINK_RESEND_MINUTES,
    ticket_change,
    ticket_page_link_renew,
    ticket_reply,
)
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

    after = (state(older), state(newer), thread(older), thread(newer))
    # All but the target's page link: renewed by the merge for good, its holder unknown.
    assert after[0].pop("access_key") != before[0].pop("access_key")
    assert after == before
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


def token_of(ticket) -> str:
    return Ticket.objects.get(pk=ticket.pk).page_url().split("/")[-2]


def page_links():
    return OutboundEmail.objects.filter(kind=OutboundEmail.Kind.PAGE_LINK)


def page_links_age() -> None:
    """The page link emails sent so far, as if sent longer ago than the resend minutes."""
    page_links().update(
        created_at=timezone.now() - timedelta(minutes=PAGE_LINK_RESEND_MINUTES, seconds=1)
    )


def test_merge_renews_the_targets_link_and_sends_it_to_the_address_on_file(two, agent, client):
    older, newer = two
    before = older.page_url()

    tickets_merge(source=newer, target=older, actor=agent)

    # Whoever held the target's link may have typed the customer's address only: it now misses.
    assert client.get(before).status_code == 404
    assert client.get(Ticket.objects.get(pk=older.pk).page_url()).status_code == 200
    (email,) = page_links()
    assert (email.ticket, email.to) == (older, older.email)
    assert email.subject == f"[{older.reference}] Lenken til saken din"
    assert TicketEvent.objects.filter(ticket=older, field="page_link").exists()


def test_customers_page_of_the_merged_ticket_names_the_target_but_shows_nothing_of_it(
    two, agent, client
):
    older, newer = two
    tickets_merge(source=newer, target=older, actor=agent)

    response = client.get(Ticket.objects.get(pk=newer.pk).page_url())

    # Whoever holds the merged ticket's link may only have typed the customer's address: no
    # redirect to the target, no link of it, nothing of its thread.
    assert response.status_code == 200
    assert f"Saken din fortsetter som {older.reference}." in response.text
    assert token_of(older) not in response.text
    assert older.access_key not in response.text  # the key before the merge
    for body in ["Fakturaen mangler", "Jeg skrev i går om fakturaen", "Vi ser på det"]:
        assert body not in response.text
    assert response["Cache-Control"] == "private, no-store"
    # Opening the page sends nothing: only the button does (the merge's own email aside).
    assert page_links().count() == 1


def test_merged_page_is_english_at_en(two, agent, client):
    older, newer = two
    tickets_merge(source=newer, target=older, actor=agent)

    response = client.get(f"/en{Ticket.objects.get(pk=newer.pk).page_url()}")

    assert f"Your case continues as {older.reference}." in response.text
    assert "Send me the link" in response.text


def test_merged_page_sends_the_targets_link_to_the_address_on_file_once_in_a_while(
    two, agent, client
):
    older, newer = two
    tickets_merge(source=newer, target=older, actor=agent)
    page_links_age()
    path = Ticket.objects.get(pk=newer.pk).page_url()

    sent = client.post(path, {"send_link": "1"})
    again = client.post(path, {"send_link": "1"}, follow=True)

    assert sent.status_code == 303
    assert sent.url == path
    assert "Vi har sendt deg lenken på e-post." in again.text
    assert token_of(older) not in again.text
    (email,) = page_links().filter(created_at__gte=timezone.now() - timedelta(minutes=1))
    assert (email.ticket, email.to) == (older, older.email)


def test_the_link_can_be_asked_for_again_after_the_resend_minutes(two, agent, client):
    older, newer = two
    tickets_merge(source=newer, target=older, actor=agent)
    path = Ticket.objects.get(pk=newer.pk).page_url()
    client.post(path, {"send_link": "1"})
    assert page_links().count() == 1
    page_links_age()

    client.post(path, {"send_link": "1"})

    assert page_links().count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_sent_link_opens_the_targets_page(two, agent, client, smtp_server, worker_run):
    older, newer = two
    tickets_merge(source=newer, target=older, actor=agent)
    page_links_age()
    client.post(Ticket.objects.get(pk=newer.pk).page_url(), {"send_link": "1"})

    worker_run()

    sent = [m for m in smtp_server.messages if "Lenken til saken din" in m["Subject"]]
    assert len(sent) == 2  # the merge's and the button's
    page = Ticket.objects.get(pk=older.pk).page_url()
    for email in sent:
        assert email["To"] == older.email
        assert settings.SITE_URL + page in email.get_body(("plain",)).get_content()
    assert client.get(page).status_code == 200


def test_renewing_the_targets_link_leaves_the_merged_link_leading_nowhere(two, agent, client):
    older, newer = two
    tickets_merge(source=newer, target=older, actor=agent)
    path = Ticket.objects.get(pk=newer.pk).page_url()

    ticket_page_link_renew(ticket=older, actor=agent)
    response = client.get(path)

    assert response.status_code == 200
    assert token_of(older) not in response.text
    assert "Vi ser på det" not in response.text


def test_a_ticket_merged_twice_names_the_last_one(two, agent, client, make_ticket):
    older, newer = two
    tickets_merge(source=newer, target=older, actor=agent)
    oldest = make_ticket(message="Enda en")
    tickets_merge(source=older, target=oldest, actor=agent)
    page_links_age()

    response = client.get(Ticket.objects.get(pk=newer.pk).page_url())
    client.post(Ticket.objects.get(pk=newer.pk).page_url(), {"send_link": "1"})

    assert f"Saken din fortsetter som {oldest.reference}." in response.text
    assert page_links().latest("pk").ticket == oldest
    assert page_links().count() == 3


def test_reply_on_the_merged_page_is_filed_in_the_target_without_showing_its_thread(
    two, agent, client
):
    older, newer = two
    tickets_merge(source=newer, target=older, actor=agent)
    path = Ticket.objects.get(pk=newer.pk).page_url()

    sent = client.post(path, {"body": "Her er kvitteringen."})
    shown = client.get(path)
    invalid = client.post(path, {"body": ""})

    assert sent.status_code == 303
    assert sent.url == path
    assert "Her er kvitteringen." in thread(older)
    assert "Takk! Svaret ditt er lagt til i saken." in shown.text
    assert "Her er kvitteringen." not in shown.text
    assert "Vi ser på det" not in shown.text
    assert invalid.status_code == 400
    assert "Vi ser på det" not in invalid.text


@pytest.mark.parametrize("chatting", ["source", "target"])
def test_merge_with_a_live_chat_is_refused_and_changes_nothing(two, agent, chatting):
    older, newer = two
    Chat.objects.create(ticket={"source": newer, "target": older}[chatting])

    with pytest.raises(MergeRefused, match="En sak med en pågående chat kan ikke slås sammen"):
        tickets_merge(source=newer, target=older, actor=agent)

    assert thread(newer) == ["Jeg skrev i går om fakturaen"]
    assert not TicketMerge.objects.exists()


def test_merge_page_names_the_live_chat_and_an_ended_chat_merges(two, agent_client):
    older, newer = two
    chat = Chat.objects.create(ticket=newer, state=Chat.State.ACTIVE)
    merge_url = reverse("admin:tickets_ticket_merge", args=[newer.pk])

    refused = agent_client.post(merge_url, {"target": older.pk, "confirm": "1"})
    Chat.objects.filter(pk=chat.pk).update(state=Chat.State.ENDED, ended_at=timezone.now())
    merged = agent_client.post(merge_url, {"target": older.pk, "confirm": "1"})

    assert refused.status_code == 200
    assert "avslutt chatten først" in refused.text
    assert merged.status_code == 303
    assert Ticket.objects.get(pk=newer.pk).merged_into == older


def test_an_agent_whose_change_right_was_removed_cannot_undo(two, agent, django_user_model):
    older, newer = two
    merge = tickets_merge(source=newer, target=older, actor=agent)
    agent.groups.clear()
    agent.user_permissions.set(Permission.objects.filter(codename="view_ticket"))
    client = Client()
    client.force_login(agent)

    response = client.post(reverse("admin:tickets_ticket_merge_undo", args=[merge.pk]))

    assert response.status_code == 403
    assert Ticket.objects.get(pk=newer.pk).merged_into == older
    assert TicketMerge.objects.get().undone_at is None


def test_undo_of_no_merge_is_not_found(agent_client):
    response = agent_client.post(reverse("admin:tickets_ticket_merge_undo", args=[999]))

    assert response.status_code == 404


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


def test_merging_a_closed_duplicate_takes_its_solution_out_of_the_statistics(two, agent):
    older, newer = two
    yesterday = timezone.now() - timedelta(days=1)
    Ticket.objects.filter(pk=newer.pk).update(
        status=Ticket.Status.CLOSED,
        resolved_at=yesterday,
        closed_at=yesterday,
        updated_at=yesterday,
    )
    ticket_days_update()
    day = local_day(yesterday)
    assert TicketDay.objects.filter(day=day).aggregate(n=Sum("solved"))["n"] == 1

    tickets_merge(source=Ticket.objects.get(pk=newer.pk), target=older, actor=agent)
    ticket_days_update()

    assert not TicketDay.objects.filter(day=day, solved__gt=0).exists()


def test_merge_withdraws_the_rating_request_held_with_a_moved_reply(two, agent):
    older, newer = two
    note = ticket_reply(
        ticket=newer,
        author=agent,
        body="Løst!",
        is_public=True,
        hold_seconds=30,
        changes={"status": Ticket.Status.RESOLVED},
    )
    assert OutboundEmail.objects.filter(note=note, kind=OutboundEmail.Kind.RATING).exists()

    tickets_merge(source=Ticket.objects.get(pk=newer.pk), target=older, actor=agent)

    assert not OutboundEmail.objects.filter(note=note, kind=OutboundEmail.Kind.RATING).exists()
    assert not Rating.objects.exists()
    assert OutboundEmail.objects.get(note=note, kind=OutboundEmail.Kind.REPLY).ticket == older
