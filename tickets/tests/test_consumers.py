"""The chat's websockets end to end through the project's ASGI application (origin check,
session auth, routing), with the in-memory channel layer and the real database."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from sekvens_help.asgi import application
from tickets.chat import availability_set, chat_start
from tickets.models import AgentAvailability, Chat, Message, OutboundEmail, Ticket
from tickets.services import ticket_page_link_renew, ticket_reply
from tickets.tasks import outbound_emails_send

ORIGIN = (b"origin", b"http://localhost")
# The sockets' work runs in other threads, so each test commits. No serialized_rollback: after
# other transactional tests its restore collides with the content types they remade.
pytestmark = pytest.mark.django_db(transaction=True)
CHAT_AGENT = ["view_ticket", "change_ticket", "view_message", "add_message", "view_chat"]


@pytest.fixture(autouse=True)
def _agents_group(transactional_db, agents_group):
    # The agents' and editors' groups are migration data, which a transactional test's flush
    # removes: made again here, the agents' with what the chat uses.
    agents_group(CHAT_AGENT)
    Group.objects.get_or_create(name="Redaktør")


@pytest.fixture(autouse=True)
def _fresh_layer(settings):
    # A new in-memory layer for each test: nothing left over from another test's groups.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def started(transactional_db):
    chat, token = chat_start(
        name="Kari Nordmann",
        email="kari@example.no",
        message="Hvor er fakturaen min?",
        client_ip="192.0.2.1",
        source_page=None,
    )
    return chat, token


def _agent_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def customer_socket(token: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/chat/{token}/", headers=[ORIGIN])


def agent_socket(cookie: bytes) -> WebsocketCommunicator:
    headers = [ORIGIN, (b"cookie", cookie)]
    return WebsocketCommunicator(application, "/ws/desk/", headers=headers)


async def _receive_until(socket, kind: str) -> dict:
    while True:
        data = await socket.receive_json_from(timeout=3)
        if data["type"] == kind:
            return data


def test_customer_message_is_stored_before_the_agent_gets_it_by_id(started, agent):
    chat, token = started
    agent_cookie = _agent_cookie(agent)

    async def scenario():
        customer = customer_socket(token)
        desk = agent_socket(agent_cookie)
        assert (await customer.connect())[0]
        assert (await desk.connect())[0]
        await desk.send_json_to({"type": "watch", "chat": chat.pk, "last_id": 0})
        first = await _receive_until(desk, "messages")
        await customer.send_json_to({"type": "message", "body": "Hallo?", "client_id": "c1"})
        ack = await _receive_until(customer, "ack")
        relayed = await _receive_until(desk, "message")
        await customer.disconnect()
        await desk.disconnect()
        return first, ack, relayed

    first, ack, relayed = async_to_sync(scenario)()

    stored = Message.objects.get(pk=ack["id"])
    assert (stored.body, stored.channel, stored.kind) == ("Hallo?", "chat", "customer")
    assert relayed["message"]["id"] == stored.pk
    assert [m["body"] for m in first["messages"]] == ["Hvor er fakturaen min?"]


def test_agent_reply_takes_the_chat_and_reaches_the_customer_with_first_name(started, agent):
    chat, token = started
    agent.first_name, agent.last_name = "Ola", "Hansen"
    agent.save()
    agent_cookie = _agent_cookie(agent)

    async def scenario():
        customer = customer_socket(token)
        desk = agent_socket(agent_cookie)
        await customer.connect()
        await desk.connect()
        await desk.send_json_to({"type": "watch", "chat": chat.pk})
        await desk.send_json_to({"type": "message", "chat": chat.pk, "body": "Hei Kari!"})
        # The chat is taken (state) in the same transaction as the reply, and told first.
        state = await _receive_until(customer, "state")
        message = await _receive_until(customer, "message")
        await customer.disconnect()
        await desk.disconnect()
        return message, state

    message, state = async_to_sync(scenario)()

    ticket = Ticket.objects.get(pk=chat.pk)
    assert ticket.assignee == agent
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.first_response_at is not None
    assert (message["message"]["name"], message["message"]["body"]) == ("Ola", "Hei Kari!")
    assert (state["agent"], state["state"]) == ("Ola", "active")


def test_an_agent_without_a_first_name_is_neither_named_nor_numbered_to_the_customer(
    started, agent
):
    # The login name and the user id are the desk's business; the customer's page says
    # "Kundeservice" instead.
    chat, token = started
    agent.username, agent.first_name = "ohansen", ""
    agent.save()
    agent_cookie = _agent_cookie(agent)

    async def scenario():
        customer = customer_socket(token)
        desk = agent_socket(agent_cookie)
        await customer.connect()
        await desk.connect()
        await desk.send_json_to({"type": "watch", "chat": chat.pk})
        await desk.send_json_to({"type": "take", "chat": chat.pk})
        live = await _receive_until(customer, "state")
        await _receive_until(desk, "state")  # the watch's: nobody has it yet
        desk_state = await _receive_until(desk, "state")
        await desk.send_json_to({"type": "typing", "chat": chat.pk})
        typing = await _receive_until(customer, "typing")
        await customer.send_json_to({"type": "hello", "last_id": 0})
        replayed = await _receive_until(customer, "state")
        await customer.disconnect()
        await desk.disconnect()
        return live, desk_state, typing, replayed

    live, desk_state, typing, replayed = async_to_sync(scenario)()

    for state in (live, replayed):
        assert state["agent"] == ""
        assert "agent_id" not in state
        assert "ohansen" not in str(state)
    assert typing["name"] == ""
    assert desk_state["agent_id"] == agent.pk


def test_an_agent_reply_to_an_ended_chat_is_refused_and_not_stored(started, agent):
    chat, token = started
    agent_cookie = _agent_cookie(agent)

    async def scenario():
        desk = agent_socket(agent_cookie)
        await desk.connect()
        await desk.send_json_to({"type": "watch", "chat": chat.pk})
        await desk.send_json_to({"type": "end", "chat": chat.pk})
        await _receive_until(desk, "state")
        await desk.send_json_to({"type": "message", "chat": chat.pk, "body": "Hallo?"})
        error = await _receive_until(desk, "error")
        await desk.disconnect()
        return error

    error = async_to_sync(scenario)()

    assert error["code"] == "ended"
    assert not Message.objects.filter(ticket_id=chat.pk, body="Hallo?").exists()


def test_renewing_the_page_link_closes_the_chat_socket_opened_with_the_old_one(started, agent):
    chat, token = started

    async def scenario():
        customer = customer_socket(token)
        assert (await customer.connect())[0]
        await customer.send_json_to({"type": "hello", "last_id": 0})
        await _receive_until(customer, "messages")
        ticket = await database_sync_to_async(Ticket.objects.get)(pk=chat.pk)
        await database_sync_to_async(ticket_page_link_renew)(ticket=ticket, actor=agent)
        ended = await _receive_until(customer, "state")
        closed = await customer.receive_output(timeout=3)
        again = customer_socket(token)
        reopened = await again.connect()
        await customer.disconnect()
        return ended, closed, reopened

    ended, closed, reopened = async_to_sync(scenario)()

    assert ended["state"] == "ended"
    assert closed == {"type": "websocket.close", "code": 4404}
    assert reopened == (False, 4404)


def test_a_socket_flooding_frames_is_closed_and_a_normal_one_is_not(started, settings):
    chat, token = started
    settings.CHAT_SOCKET_FRAME_LIMIT = 5

    async def scenario():
        calm, flood = customer_socket(token), customer_socket(token)
        await calm.connect()
        await flood.connect()
        for _ in range(6):
            await flood.send_json_to({"type": "typing"})
        closed = None
        while closed is None:
            output = await flood.receive_output(timeout=3)
            if output["type"] == "websocket.close":
                closed = output
        # Up to the limit, a socket is answered as usual.
        for _ in range(4):
            await calm.send_json_to({"type": "typing"})
        await calm.send_json_to({"type": "hello", "last_id": 0})
        answered = await _receive_until(calm, "messages")
        await calm.disconnect()
        return closed, answered

    closed, answered = async_to_sync(scenario)()

    assert closed["code"] == 4429
    assert [m["body"] for m in answered["messages"]] == ["Hvor er fakturaen min?"]


def test_reconnect_replays_only_what_came_after_the_last_seen_id(started, agent):
    chat, token = started
    seen = Message.objects.get(ticket=chat.pk).pk
    Message.objects.create(
        ticket_id=chat.pk, kind="public", channel="chat", author=agent, body="Svar 1"
    )
    Message.objects.create(ticket_id=chat.pk, kind="internal", body="Intern note")

    async def scenario():
        customer = customer_socket(token)
        await customer.connect()
        await customer.send_json_to({"type": "hello", "last_id": seen})
        replay = await _receive_until(customer, "messages")
        await customer.disconnect()
        return replay

    replay = async_to_sync(scenario)()

    assert [m["body"] for m in replay["messages"]] == ["Svar 1"]


def test_a_second_agent_is_told_who_has_the_chat(started, agent, django_user_model):
    chat, _token = started
    other = django_user_model.objects.create_user("agent2", password="x", is_staff=True)
    other.groups.set(agent.groups.all())
    agent.first_name = "Ola"
    agent.save()
    agent_cookie = _agent_cookie(agent)
    other_cookie = _agent_cookie(other)

    async def scenario():
        first, second = agent_socket(agent_cookie), agent_socket(other_cookie)
        await first.connect()
        await second.connect()
        await first.send_json_to({"type": "take", "chat": chat.pk})
        await _receive_until(first, "queue")
        await second.send_json_to({"type": "message", "chat": chat.pk, "body": "Hei!"})
        refused = await _receive_until(second, "error")
        await first.disconnect()
        await second.disconnect()
        return refused

    refused = async_to_sync(scenario)()

    assert (refused["code"], refused["holder"]) == ("taken", "Ola")
    assert not Message.objects.filter(ticket=chat.pk, author=other).exists()


def test_a_forged_token_or_a_foreign_origin_opens_no_socket(started):
    chat, token = started

    async def scenario():
        forged = customer_socket(token[:-2] + "xx")
        foreign = WebsocketCommunicator(
            application, f"/ws/chat/{token}/", headers=[(b"origin", b"https://evil.example")]
        )
        return (await forged.connect())[0], (await foreign.connect())[0]

    assert async_to_sync(scenario)() == (False, False)


def test_desk_socket_refuses_anyone_but_an_agent(transactional_db, editor):
    editor_cookie = _agent_cookie(editor)

    async def scenario():
        return (await agent_socket(editor_cookie).connect())[0]

    assert async_to_sync(scenario)() is False


def test_too_long_and_too_many_messages_are_refused_and_not_stored(started, settings):
    chat, token = started
    settings.CHAT_MESSAGE_RATE_LIMIT = "2/m"

    async def scenario():
        customer = customer_socket(token)
        await customer.connect()
        codes = []
        too_long = "x" * (settings.CHAT_MESSAGE_MAX_CHARS + 1)
        for body in [too_long, "en", "to", "tre"]:
            await customer.send_json_to({"type": "message", "body": body, "client_id": body[:3]})
            reply = await _receive_until_any(customer, {"ack", "error"})
            codes.append(reply.get("code", "ok"))
        await customer.disconnect()
        return codes

    assert async_to_sync(scenario)() == ["too_long", "ok", "ok", "limited"]
    assert Message.objects.filter(ticket=chat.pk).count() == 3


async def _receive_until_any(socket, kinds: set[str]) -> dict:
    while True:
        data = await socket.receive_json_from(timeout=3)
        if data["type"] in kinds:
            return data


def test_ending_with_transcript_queues_the_email_and_later_messages_are_refused(started):
    chat, token = started

    async def scenario():
        customer = customer_socket(token)
        await customer.connect()
        await customer.send_json_to({"type": "end", "transcript": True})
        state = await _receive_until(customer, "state")
        await customer.send_json_to({"type": "message", "body": "Mer", "client_id": "x"})
        refused = await _receive_until(customer, "error")
        await customer.disconnect()
        return state, refused

    state, refused = async_to_sync(scenario)()

    assert state["state"] == "ended"
    assert refused["code"] == "ended"
    assert Chat.objects.get(pk=chat.pk).state == Chat.State.ENDED
    assert Ticket.objects.get(pk=chat.pk).emails.filter(kind="transcript").count() == 1


def test_availability_toggle_over_the_socket_is_stored(transactional_db, agent):
    agent_cookie = _agent_cookie(agent)

    async def scenario():
        desk = agent_socket(agent_cookie)
        await desk.connect()
        await desk.send_json_to({"type": "availability", "online": True})
        queue = await _receive_until(desk, "queue")
        await desk.disconnect()
        return queue

    assert async_to_sync(scenario)()["online"] is True
    assert AgentAvailability.objects.get(agent=agent).is_online


def test_new_chat_is_announced_to_online_agents(transactional_db, agent):
    availability_set(agent=agent, is_online=True)
    agent_cookie = _agent_cookie(agent)

    async def scenario():
        desk = agent_socket(agent_cookie)
        await desk.connect()
        await database_sync_to_async(chat_start)(
            name="Per",
            email="per@example.no",
            message="Hei",
            client_ip="192.0.2.9",
            source_page=None,
        )
        announced = await _receive_until(desk, "new_chat")
        queue = await _receive_until(desk, "queue")
        await desk.disconnect()
        return announced, queue

    announced, queue = async_to_sync(scenario)()

    assert announced["name"] == "Per"
    assert [row["chat"] for row in queue["chats"]] == [announced["chat"]]
    assert queue["chats"][0]["state"] == "waiting"


def test_the_customer_socket_renews_last_seen_at_most_once_a_minute(started):
    chat, token = started
    stale = timezone.now() - timedelta(minutes=5)
    Chat.objects.filter(pk=chat.pk).update(customer_seen_at=stale)

    async def scenario():
        customer = customer_socket(token)
        await customer.connect()
        await customer.send_json_to({"type": "hello", "last_id": 0})
        await _receive_until(customer, "messages")
        renewed = (await database_sync_to_async(Chat.objects.get)(pk=chat.pk)).customer_seen_at
        # Set back in the database: a ping within the minute writes nothing (the consumer
        # knows it wrote just now), however many come.
        await database_sync_to_async(Chat.objects.filter(pk=chat.pk).update)(customer_seen_at=stale)
        await customer.send_json_to({"type": "ping"})
        await customer.send_json_to({"type": "hello", "last_id": 0})
        await _receive_until(customer, "messages")
        await customer.disconnect()
        return renewed

    renewed = async_to_sync(scenario)()

    assert renewed > stale
    assert Chat.objects.get(pk=chat.pk).customer_seen_at == stale


def _deactivate(user):
    user.is_active = False
    user.save(update_fields=["is_active"])


def _ungroup(user):
    user.groups.clear()


@pytest.mark.parametrize("revoke", [_deactivate, _ungroup], ids=["deactivated", "ungrouped"])
def test_desk_socket_of_an_agent_who_lost_their_rights_closes_on_the_next_ping(
    transactional_db, agent, settings, revoke
):
    settings.CHAT_DESK_RECHECK_SECONDS = 0
    agent_cookie = _agent_cookie(agent)

    async def scenario():
        desk = agent_socket(agent_cookie)
        await desk.connect()
        await desk.send_json_to({"type": "ping"})
        await _receive_until(desk, "queue")
        await database_sync_to_async(revoke)(agent)
        await desk.send_json_to({"type": "ping"})
        return await desk.receive_output(timeout=3)

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4403}


def test_desk_socket_checks_rights_again_at_most_once_a_minute(transactional_db, agent):
    agent_cookie = _agent_cookie(agent)

    async def scenario():
        desk = agent_socket(agent_cookie)
        await desk.connect()
        await database_sync_to_async(_deactivate)(agent)
        # Within the minute of the connect's check the ping reads no rights: the queue comes.
        await desk.send_json_to({"type": "ping"})
        queue = await _receive_until(desk, "queue")
        await desk.disconnect()
        return queue

    assert async_to_sync(scenario)()["type"] == "queue"


def _window_passes():
    now = timezone.now()
    OutboundEmail.objects.exclude(send_after=None).update(send_after=now, due_at=now)
    Message.objects.exclude(held_until=None).update(held_until=now)


def test_a_desk_reply_reaches_the_open_chat_when_its_undo_window_ends(started, agent, smtp_server):
    chat, token = started

    async def scenario():
        customer = customer_socket(token)
        await customer.connect()
        await customer.send_json_to({"type": "hello", "last_id": 0})
        await _receive_until(customer, "messages")
        await database_sync_to_async(ticket_reply)(
            ticket=await database_sync_to_async(Ticket.objects.get)(pk=chat.pk),
            author=agent,
            body="Svaret fra saken",
            is_public=True,
            hold_seconds=30,
        )
        # Held: nothing comes while the reply can be taken back.
        assert await customer.receive_nothing(timeout=0.3)
        await database_sync_to_async(_window_passes)()
        await database_sync_to_async(outbound_emails_send)(limit=None)
        message = await _receive_until(customer, "message")
        await customer.disconnect()
        return message

    message = async_to_sync(scenario)()

    assert (message["message"]["body"], message["message"]["from"]) == ("Svaret fra saken", "agent")
    assert OutboundEmail.objects.get(kind=OutboundEmail.Kind.REPLY).sent_at is not None
