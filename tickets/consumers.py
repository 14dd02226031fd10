"""The live chat's websockets: the customer's (one chat, opened by its token) and the agents' desk
(the queue and the chats an agent has open). They call tickets.chat, which stores first and
broadcasts after the commit; these relay the broadcasts to their sockets.

Client to server, JSON with a "type": customer: hello {last_id}, message {body, client_id},
typing, ping, end {transcript}; agent: hello, ping, availability {online}, watch {chat, last_id},
take {chat}, message {chat, body, client_id}, typing {chat}, read {chat, upto}, end {chat}.
"""

import time
from datetime import timedelta

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from tickets import chat as chats
from tickets.models import AGENT_GROUP, Chat
from tickets.services import TicketAnonymised

# Closing codes the page reads: this token opens nothing (start again), not allowed.
CLOSE_UNKNOWN = 4404
CLOSE_FORBIDDEN = 4403
CLOSE_FLOODING = 4429
# Every frame costs work (a hello reads the thread, typing fans out to the agents): a socket
# sending more than CHAT_SOCKET_FRAME_LIMIT of them in this many seconds is closed.
FRAME_WINDOW_SECONDS = 10
# The customer's "last seen" is written at most this often, however many messages come: enough
# for CHAT_ABANDON_SECONDS (minutes), one write a minute per open chat (chat.js pings every 30 s).
SEEN_WRITE_EVERY = timedelta(seconds=60)


class FrameBudget:
    """Frames a socket may still send in the current window (a fixed window, per socket)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.window_start = time.monotonic()
        self.count = 0

    def spend(self) -> bool:
        now = time.monotonic()
        if now - self.window_start >= FRAME_WINDOW_SECONDS:
            self.window_start, self.count = now, 0
        self.count += 1
        return self.count <= self.limit


class BudgetedConsumer(AsyncJsonWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if not hasattr(self, "frames"):
            self.frames = FrameBudget(settings.CHAT_SOCKET_FRAME_LIMIT)
        if not self.frames.spend():
            await self.close(code=CLOSE_FLOODING)
            return
        await super().receive(text_data, bytes_data, **kwargs)


class CustomerChatConsumer(BudgetedConsumer):
    async def connect(self):
        self.chat = await database_sync_to_async(chats.chat_of_token)(
            self.scope["url_route"]["kwargs"]["token"]
        )
        if self.chat is None:
            await self.close(code=CLOSE_UNKNOWN)
            return
        self.group = chats.chat_group(self.chat.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._seen()

    async def disconnect(self, code):
        if getattr(self, "chat", None) is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def _seen(self):
        if timezone.now() - self.chat.customer_seen_at >= SEEN_WRITE_EVERY:
            await database_sync_to_async(chats.chat_customer_seen)(chat=self.chat)

    async def receive_json(self, content, **kwargs):
        # Whatever the customer sends (a "ping" too) says they are still there.
        await self._seen()
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "hello":
            await self._replay(_int(content.get("last_id")))
        elif kind == "message":
            await self._post(content)
        elif kind == "typing":
            await self.channel_layer.group_send(
                self.group, {"type": "chat.typing", "who": "customer", "chat": self.chat.pk}
            )
        elif kind == "end":
            await database_sync_to_async(chats.chat_end)(
                chat=self.chat, transcript=bool(content.get("transcript"))
            )

    async def _replay(self, last_id: int):
        messages, state = await database_sync_to_async(self._snapshot)(last_id)
        await self.send_json({"type": "state", **state})
        await self.send_json({"type": "messages", "messages": messages})

    def _snapshot(self, last_id: int):
        self.chat.refresh_from_db()
        self.chat.ticket.refresh_from_db(fields=["assignee"])
        state = chats.customer_state_data(chats.chat_state_data(self.chat))
        return chats.chat_messages_after(self.chat, last_id), state

    async def _post(self, content):
        client_id = str(content.get("client_id", ""))[:64]
        try:
            message = await database_sync_to_async(chats.chat_customer_post)(
                chat=self.chat, body=str(content.get("body", "")), client_ip=_client_ip(self.scope)
            )
        except chats.ChatRefused as refused:
            await self.send_json({"type": "error", "client_id": client_id, "code": refused.code})
        except TicketAnonymised:
            await self.close(code=CLOSE_UNKNOWN)
        else:
            await self.send_json({"type": "ack", "client_id": client_id, "id": message.pk})

    async def chat_message(self, event):
        await self.send_json({"type": "message", "message": event["message"]})

    async def chat_typing(self, event):
        if event["who"] == "agent":
            await self.send_json({"type": "typing", "name": event.get("name", "")})

    async def chat_state(self, event):
        await self.send_json({"type": "state", **chats.customer_state_data(event)})

    async def chat_read(self, event):
        await self.send_json({"type": "read", "upto": event["upto"]})

    async def chat_revoked(self, event):
        await self.close(code=CLOSE_UNKNOWN)


class AgentDeskConsumer(BudgetedConsumer):
    async def connect(self):
        self.agent = None
        self.watched: set[int] = set()
        user = self.scope.get("user")
        if not await database_sync_to_async(_is_desk_agent)(user, self.scope.get("session")):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.agent = user
        self.rights_checked_at = time.monotonic()
        await self.channel_layer.group_add(chats.AGENTS_GROUP, self.channel_name)
        await self.accept()
        await database_sync_to_async(chats.availability_seen)(agent=self.agent)

    async def disconnect(self, code):
        if self.agent is None:
            return
        await self.channel_layer.group_discard(chats.AGENTS_GROUP, self.channel_name)
        for chat_id in self.watched:
            await self.channel_layer.group_discard(chats.chat_group(chat_id), self.channel_name)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping" and not await self._still_agent():
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if kind in ("hello", "ping"):
            await database_sync_to_async(chats.availability_seen)(agent=self.agent)
            await self._queue()
        elif kind == "availability":
            await database_sync_to_async(chats.availability_set)(
                agent=self.agent, is_online=bool(content.get("online"))
            )
        elif kind in ("watch", "take", "message", "typing", "read", "end"):
            chat = await database_sync_to_async(_chat)(_int(content.get("chat")))
            if chat is None:
                await self.send_json({"type": "error", "code": "unknown"})
                return
            await getattr(self, f"_{kind}")(chat, content)

    async def _still_agent(self) -> bool:
        # Rights are read at connect; an agent deactivated or taken out of the group since then
        # must not keep taking and answering chats on an open socket. Checked on the desk's
        # pings, at most every CHAT_DESK_RECHECK_SECONDS (each check reads the database).
        now = time.monotonic()
        if now - self.rights_checked_at < settings.CHAT_DESK_RECHECK_SECONDS:
            return True
        self.rights_checked_at = now
        return await database_sync_to_async(_is_still_desk_agent)(
            self.agent, self.scope.get("session")
        )

    async def _queue(self):
        online = await database_sync_to_async(chats.availability_of)(self.agent)
        queue = await database_sync_to_async(chats.chat_queue)()
        await self.send_json({"type": "queue", "chats": queue, "online": online})

    async def _watch(self, chat: Chat, content):
        if chat.pk not in self.watched:
            self.watched.add(chat.pk)
            await self.channel_layer.group_add(chats.chat_group(chat.pk), self.channel_name)
        messages = await database_sync_to_async(chats.chat_messages_after)(
            chat, _int(content.get("last_id"))
        )
        await self.send_json({"type": "state", **chats.chat_state_data(chat)})
        await self.send_json({"type": "messages", "chat": chat.pk, "messages": messages})

    async def _take(self, chat: Chat, content):
        await self._refusable(chats.chat_take, chat=chat, agent=self.agent)

    async def _message(self, chat: Chat, content):
        message = await self._refusable(
            chats.chat_agent_post, chat=chat, agent=self.agent, body=str(content.get("body", ""))
        )
        if message is not None:
            client_id = str(content.get("client_id", ""))[:64]
            await self.send_json({"type": "ack", "client_id": client_id, "id": message.pk})

    async def _typing(self, chat: Chat, content):
        # Customers see this: the first name alone, never the login name.
        name = self.agent.first_name
        await self.channel_layer.group_send(
            chats.chat_group(chat.pk),
            {"type": "chat.typing", "who": "agent", "chat": chat.pk, "name": name},
        )

    async def _read(self, chat: Chat, content):
        await database_sync_to_async(chats.chat_read)(chat=chat, upto=_int(content.get("upto")))

    async def _end(self, chat: Chat, content):
        await database_sync_to_async(chats.chat_end)(chat=chat)

    async def _refusable(self, function, *, chat, **kwargs):
        try:
            return await database_sync_to_async(function)(chat=chat, **kwargs)
        except chats.ChatRefused as refused:
            await self.send_json(
                {"type": "error", "chat": chat.pk, "code": refused.code, "holder": refused.holder}
            )
        except TicketAnonymised:
            await self.send_json({"type": "error", "chat": chat.pk, "code": "unknown"})
        return None

    async def queue_changed(self, event):
        await self._queue()

    async def queue_new(self, event):
        await self.send_json({"type": "new_chat", "chat": event["chat"], "name": event["name"]})
        await self._queue()

    async def chat_message(self, event):
        chat_id = event["message"].get("chat")
        await self.send_json({"type": "message", "chat": chat_id, "message": event["message"]})

    async def chat_typing(self, event):
        if event["who"] == "customer":
            await self.send_json({"type": "typing", "chat": event["chat"]})

    async def chat_state(self, event):
        await self.send_json({"type": "state", **_without_type(event)})

    async def chat_read(self, event):
        pass

    async def chat_revoked(self, event):
        pass


def _is_desk_agent(user, session) -> bool:
    """An active agent who may change tickets (the socket takes chats and answers them, as the
    desk's change views do), and with STAFF_REQUIRE_2FA a session that gave its second factor
    (as staffauth's middleware asks of every page)."""
    if user is None or not user.is_authenticated:
        return False
    if not (user.is_active and user.is_staff and user.has_perm("tickets.change_ticket")):
        return False
    if not user.groups.filter(name=AGENT_GROUP).exists():
        return False
    if not settings.STAFF_REQUIRE_2FA:
        return True
    device_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    device = Device.from_persistent_id(device_id) if device_id else None
    return device is not None and device.user_id == user.pk


def _is_still_desk_agent(user, session) -> bool:
    # The scope's user was read at connect (and caches its permissions): read it again.
    fresh = get_user_model()._default_manager.filter(pk=user.pk).first()
    return fresh is not None and _is_desk_agent(fresh, session)


def _chat(chat_id: int) -> Chat | None:
    return (
        Chat.objects.select_related("ticket", "ticket__assignee")
        .filter(pk=chat_id, ticket__anonymised_at=None)
        .first()
    )


def _client_ip(scope) -> str:
    # daphne --proxy-headers puts the address nginx names in X-Forwarded-For here.
    client = scope.get("client") or ("0.0.0.0", 0)
    return client[0] or "0.0.0.0"


def _int(value) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


def _without_type(event: dict) -> dict:
    return {key: value for key, value in event.items() if key != "type"}
