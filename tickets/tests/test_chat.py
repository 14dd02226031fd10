from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tickets.chat import (
    ChatRefused,
    availability_set,
    chat_agent_post,
    chat_customer_post,
    chat_end,
    chat_messages_after,
    chat_of_token,
    chat_queue,
    chat_start,
    chat_status,
    chat_take,
    chats_abandoned_end,
)
from tickets.emails import email_message
from tickets.models import (
    AgentAvailability,
    Chat,
    ChatSettings,
    Message,
    OutboundEmail,
    Ticket,
    TicketEvent,
)
from tickets.services import SubmissionLimited, ticket_page_link_renew, ticket_reply
from tickets.tests.test_admin import NEW_NOTE, change_form_data, change_url

OSLO = ZoneInfo("Europe/Oslo")
# A Tuesday at ten in Oslo: inside the default opening hours.
TUESDAY_MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=OSLO)


def start(**overrides):
    values = {
        "name": "Kari Nordmann",
        "email": "kari@example.no",
        "message": "Hvor er fakturaen?",
        "client_ip": "192.0.2.1",
        "source_page": None,
    }
    return chat_start(**values | overrides)


@pytest.fixture
def online_agent(agent):
    availability_set(agent=agent, is_online=True)
    return agent


@pytest.mark.django_db
def test_chat_is_available_in_opening_hours_with_an_agent_online(online_agent):
    assert chat_status(now=TUESDAY_MORNING)["available"] is True


@pytest.mark.django_db
def test_chat_is_closed_outside_opening_hours_and_says_the_answer_time(online_agent):
    config = ChatSettings.load()
    config.answer_hours = 24
    config.save()

    status = chat_status(now=TUESDAY_MORNING.replace(hour=20))

    assert status == {"available": False, "reason": "closed", "answer_hours": 24}


@pytest.mark.django_db
def test_chat_is_offline_when_the_only_agent_is_away_or_gone_quiet(agent, settings):
    availability_set(agent=agent, is_online=False)
    assert chat_status(now=TUESDAY_MORNING)["reason"] == "offline"

    availability_set(agent=agent, is_online=True)
    quiet = TUESDAY_MORNING - timedelta(seconds=settings.CHAT_AGENT_SEEN_SECONDS + 1)
    AgentAvailability.objects.filter(agent=agent).update(seen_at=quiet)

    assert chat_status(now=TUESDAY_MORNING)["reason"] == "offline"


@pytest.mark.django_db
def test_an_editor_marked_online_is_no_agent_for_the_chat(editor):
    availability_set(agent=editor, is_online=True)

    assert chat_status(now=TUESDAY_MORNING)["reason"] == "offline"


@pytest.mark.django_db
def test_starting_a_chat_makes_a_ticket_with_a_chat_message_and_no_confirmation():
    chat, token = start()

    ticket = Ticket.objects.get(pk=chat.pk)
    first = ticket.messages.get()
    assert (first.channel, first.kind, first.body) == ("chat", "customer", "Hvor er fakturaen?")
    assert chat.state == Chat.State.WAITING
    assert list(ticket.emails.values_list("kind", flat=True)) == ["notification"]
    assert chat_of_token(token) == chat


@pytest.mark.django_db
def test_a_renewed_page_link_revokes_the_chat_token(agent):
    chat, token = start()

    ticket_page_link_renew(ticket=Ticket.objects.get(pk=chat.pk), actor=agent)

    assert chat_of_token(token) is None
    # Nobody can reach its customer now: it leaves the agents' live queue.
    assert Chat.objects.get(pk=chat.pk).state == Chat.State.ENDED


@pytest.mark.django_db
def test_the_page_token_does_not_open_the_chat():
    chat, _token = start()
    page_token = Ticket.objects.get(pk=chat.pk).page_url().split("/")[-2]

    assert chat_of_token(page_token) is None


@pytest.mark.django_db
def test_chats_started_from_one_address_are_limited(settings):
    settings.CHAT_START_RATE_LIMIT = "2/m"
    start()
    start(email="per@example.no")

    with pytest.raises(SubmissionLimited):
        start(email="ola@example.no")
    assert Chat.objects.count() == 2


@pytest.mark.django_db
def test_messages_from_one_address_are_limited_across_its_chats(settings):
    settings.CHAT_ADDRESS_RATE_LIMIT = "2/m"
    first, _ = start()
    second, _ = start(email="per@example.no")
    chat_customer_post(chat=first, body="en", client_ip="192.0.2.1")
    chat_customer_post(chat=second, body="to", client_ip="192.0.2.1")

    with pytest.raises(ChatRefused) as refused:
        chat_customer_post(chat=second, body="tre", client_ip="192.0.2.1")

    assert refused.value.code == "limited"
    assert Message.objects.filter(body="tre").count() == 0


@pytest.mark.django_db
def test_taking_a_chat_assigns_it_with_history_and_a_colleague_is_refused(agent, django_user_model):
    other = django_user_model.objects.create_user("agent2", first_name="Per", is_staff=True)
    other.groups.set(agent.groups.all())
    chat, _ = start()

    chat_take(chat=chat, agent=other)
    with pytest.raises(ChatRefused) as refused:
        chat_agent_post(chat=Chat.objects.get(pk=chat.pk), agent=agent, body="Hei")

    ticket = Ticket.objects.get(pk=chat.pk)
    assert ticket.assignee == other
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.events.filter(field="assignee", new_value="agent2").exists()
    assert (refused.value.code, refused.value.holder) == ("taken", "Per")


@pytest.mark.django_db
def test_a_customer_message_reopens_a_chat_ticket_left_waiting(agent):
    chat, _ = start()
    chat_agent_post(chat=chat, agent=agent, body="Sjekk nå?")
    Ticket.objects.filter(pk=chat.pk).update(status=Ticket.Status.WAITING)

    chat_customer_post(chat=chat, body="Fortsatt feil", client_ip="192.0.2.1")

    assert Ticket.objects.get(pk=chat.pk).status == Ticket.Status.OPEN


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
def test_a_customer_message_reopens_a_chat_ticket_resolved_or_closed_meanwhile(agent, status):
    # As a reply by email does: a closed ticket is in no queue tab, so the message must reopen it.
    chat, _ = start()
    chat_agent_post(chat=chat, agent=agent, body="Løst nå?")
    Ticket.objects.filter(pk=chat.pk).update(status=status)

    chat_customer_post(chat=chat, body="Nei, fortsatt feil", client_ip="192.0.2.1")

    assert Ticket.objects.get(pk=chat.pk).status == Ticket.Status.OPEN


@pytest.mark.django_db
def test_an_agent_cannot_post_into_a_chat_the_customer_has_left(agent):
    # Nobody would read it: the customer was told the answer comes by email.
    chat, _ = start()
    chat_agent_post(chat=chat, agent=agent, body="Et øyeblikk")
    chat_end(chat=chat)

    with pytest.raises(ChatRefused) as refused:
        chat_agent_post(chat=chat, agent=agent, body="Er du der?")

    assert refused.value.code == "ended"
    assert not Message.objects.filter(ticket_id=chat.pk, body="Er du der?").exists()


@pytest.mark.django_db
def test_a_chat_answer_marks_the_ticket_changed_for_the_daily_figures(agent):
    chat, _ = start()
    Ticket.objects.filter(pk=chat.pk).update(updated_at=TUESDAY_MORNING)

    message = chat_agent_post(chat=chat, agent=agent, body="Hei!")

    ticket = Ticket.objects.get(pk=chat.pk)
    assert ticket.first_response_at == message.created_at
    assert ticket.updated_at >= message.created_at


@pytest.mark.django_db
def test_the_transcript_email_holds_the_conversation_as_text(agent):
    agent.first_name = "Ola"
    agent.save()
    chat, _ = start(message="<b>Hei</b>")
    chat_agent_post(chat=chat, agent=agent, body="Hei Kari, fakturaen er sendt.")
    Message.objects.create(ticket_id=chat.pk, kind="internal", author=agent, body="Hemmelig")

    chat_end(chat=chat, transcript=True)
    email = OutboundEmail.objects.get(kind=OutboundEmail.Kind.TRANSCRIPT)
    message = email_message(email)

    assert email.to == "kari@example.no"
    assert "Hei Kari, fakturaen er sendt." in message.body
    assert "<b>Hei</b>" in message.body
    assert "Hemmelig" not in message.body
    html = message.alternatives[0].content
    assert "&lt;b&gt;Hei&lt;/b&gt;" in html
    assert Chat.objects.get(pk=chat.pk).state == Chat.State.ENDED
    assert not mail.outbox


@pytest.mark.django_db
def test_ending_a_chat_again_sends_no_second_transcript():
    chat, _ = start()
    chat_end(chat=chat, transcript=True)

    # A customer's socket may send "end" again and again: only the first one mails.
    for _ in range(3):
        chat_end(chat=Chat.objects.get(pk=chat.pk), transcript=True)

    assert OutboundEmail.objects.filter(kind=OutboundEmail.Kind.TRANSCRIPT).count() == 1


@pytest.mark.django_db
def test_a_desk_reply_in_its_undo_window_is_not_replayed_to_the_customer(agent):
    chat, _ = start()
    shown = chat_agent_post(chat=chat, agent=agent, body="Fakturaen er sendt.")
    ticket_reply(
        ticket=Ticket.objects.get(pk=chat.pk),
        author=agent,
        body="Kanskje feil svar",
        is_public=True,
        hold_seconds=30,
    )

    replayed = [m["body"] for m in chat_messages_after(chat, 0)]

    assert shown.body in replayed
    assert "Kanskje feil svar" not in replayed


@pytest.mark.django_db
def test_a_desk_reply_out_of_its_window_is_replayed_after_a_later_last_id(agent):
    chat, _ = start()
    held = ticket_reply(
        ticket=Ticket.objects.get(pk=chat.pk),
        author=agent,
        body="Svaret fra saken",
        is_public=True,
        hold_seconds=30,
    )
    # Written in the window, seen by the customer: a last id past the held reply's.
    later = chat_agent_post(chat=chat, agent=agent, body="Et øyeblikk")
    Message.objects.filter(pk=held.pk).update(held_until=timezone.now())

    replayed = [m["body"] for m in chat_messages_after(chat, later.pk)]

    assert replayed == ["Svaret fra saken"]


@pytest.mark.django_db
def test_an_ended_chat_is_answered_by_email_from_the_ticket_page(agent_client, agent):
    chat, _ = start()
    chat_end(chat=chat)
    ticket = Ticket.objects.get(pk=chat.pk)
    data = change_form_data(
        agent_client,
        ticket,
        **{f"{NEW_NOTE}-kind": "public", f"{NEW_NOTE}-body": "Vi svarer deg her på e-post."},
    )

    response = agent_client.post(change_url(ticket), data)

    assert response.status_code == 302
    reply = OutboundEmail.objects.get(kind=OutboundEmail.Kind.REPLY)
    assert (reply.to, reply.note.body) == ("kari@example.no", "Vi svarer deg her på e-post.")


@pytest.mark.django_db
def test_chats_are_tickets_in_the_changelist_and_editors_see_neither(agent_client, editor_client):
    chat, _ = start()

    listed = agent_client.get(reverse("admin:tickets_ticket_changelist"))
    desk = editor_client.get(reverse("admin:tickets_ticket_chats"))

    assert chat.ticket.reference in listed.text
    assert desk.status_code == 403


def seen(chat, at):
    Chat.objects.filter(pk=chat.pk).update(customer_seen_at=at)


@pytest.mark.django_db
def test_a_waiting_chat_whose_customer_is_gone_leaves_the_queue_and_stays_a_ticket(
    settings, django_assert_num_queries
):
    chat, _ = start()
    fresh, _ = start(email="ola@example.no", client_ip="192.0.2.2")
    now = TUESDAY_MORNING
    gone_since = now - timedelta(seconds=settings.CHAT_ABANDON_SECONDS + 1)
    Message.objects.filter(ticket__in=[chat.pk, fresh.pk]).update(created_at=gone_since)
    seen(chat, gone_since)
    seen(fresh, now - timedelta(seconds=settings.CHAT_ABANDON_SECONDS - 1))

    # The list, then for the one ended, in a savepoint here (a transaction when run by the
    # worker): its update, the history row, the chat read for the broadcast.
    with django_assert_num_queries(6):
        ended = chats_abandoned_end(now=now)

    assert ended == 1
    left = Chat.objects.get(pk=chat.pk)
    assert (left.state, left.is_abandoned, left.ended_at) == (Chat.State.ENDED, True, now)
    assert Chat.objects.get(pk=fresh.pk).state == Chat.State.WAITING
    assert [row["chat"] for row in chat_queue(now=now)] == [fresh.pk]
    event = TicketEvent.objects.get(ticket=chat.pk)
    assert (event.field, event.old_value, event.new_value) == ("chat", "waiting", "abandoned")
    ticket = Ticket.objects.get(pk=chat.pk)
    assert ticket.status == Ticket.Status.NEW
    assert [m.body for m in ticket.messages.all()] == ["Hvor er fakturaen?"]


@pytest.mark.django_db
def test_a_chat_is_ended_as_left_once_however_many_workers_look(settings):
    chat, _ = start()
    now = TUESDAY_MORNING
    seen(chat, now - timedelta(seconds=settings.CHAT_ABANDON_SECONDS + 1))
    Message.objects.filter(ticket=chat.pk).update(created_at=now - timedelta(days=1))

    counts = [chats_abandoned_end(now=now), chats_abandoned_end(now=now + timedelta(hours=1))]

    assert counts == [1, 0]
    assert TicketEvent.objects.filter(ticket=chat.pk, field="chat").count() == 1
    assert Chat.objects.get(pk=chat.pk).ended_at == now


@pytest.mark.django_db
def test_a_recent_customer_message_keeps_the_chat_however_old_its_last_seen(settings):
    chat, _ = start()
    now = TUESDAY_MORNING
    seen(chat, now - timedelta(days=1))
    Message.objects.filter(ticket=chat.pk).update(created_at=now - timedelta(seconds=5))

    assert chats_abandoned_end(now=now) == 0
    assert Chat.objects.get(pk=chat.pk).state == Chat.State.WAITING


@pytest.mark.django_db
def test_a_taken_chat_whose_customer_is_gone_is_left_and_answered_by_email(
    agent_client, agent, settings
):
    chat, _ = start()
    now = timezone.now()
    gone_since = now - timedelta(seconds=settings.CHAT_ABANDON_SECONDS + 1)
    Message.objects.filter(ticket=chat.pk).update(created_at=gone_since)
    seen(chat, gone_since)
    # The agent's answer came just now, to a customer who had gone already.
    chat_agent_post(chat=chat, agent=agent, body="Hei, jeg ser på det.")

    assert chats_abandoned_end(now=now) == 1

    ticket = Ticket.objects.get(pk=chat.pk)
    assert (ticket.status, ticket.assignee) == (Ticket.Status.OPEN, agent)
    assert TicketEvent.objects.get(ticket=chat.pk, field="chat").old_value == "active"
    page = agent_client.get(change_url(ticket))
    assert "chat forlatt av kunden" in page.text
    data = change_form_data(
        agent_client,
        ticket,
        **{f"{NEW_NOTE}-kind": "public", f"{NEW_NOTE}-body": "Vi svarer deg her på e-post."},
    )
    assert agent_client.post(change_url(ticket), data).status_code == 302
    assert OutboundEmail.objects.get(kind=OutboundEmail.Kind.REPLY).to == "kari@example.no"


@pytest.mark.django_db(transaction=True)
def test_the_worker_ends_the_chats_left_by_their_customer(run_worker_run, settings):
    chat, _ = start()
    long_ago = timezone.now() - timedelta(seconds=settings.CHAT_ABANDON_SECONDS + 60)
    Message.objects.filter(ticket=chat.pk).update(created_at=long_ago)
    seen(chat, long_ago)

    run_worker_run()

    assert Chat.objects.get(pk=chat.pk).is_abandoned is True
