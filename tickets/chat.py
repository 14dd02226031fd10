"""The live chat: whether it is open, starting a chat, its messages, taking and ending it.

Every message is written to the database first and broadcast after the commit (to the chat's
channel-layer group, which tickets.consumers relay to the sockets): the socket only carries
what is stored, and a client that missed something asks for what came after its last id.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django_ratelimit.core import is_ratelimited

from faq.models import HelpPage
from tickets.emails import transcript_email
from tickets.models import (
    AGENT_GROUP,
    AgentAvailability,
    Chat,
    ChatSettings,
    Message,
    Ticket,
    TicketEvent,
)
from tickets.references import chat_token, chat_token_read
from tickets.services import (
    REOPENED_BY_CUSTOMER,
    SubmissionLimited,
    TicketAnonymised,
    address_rate_limited,
    emails_queue,
    ticket_change,
    ticket_create,
    ticket_submission_allowed,
)

AGENTS_GROUP = "chat.agents"
SHOWN_KINDS = [Message.Kind.CUSTOMER, Message.Kind.PUBLIC]


class ChatRefused(Exception):
    """A message or action the chat does not take; `code` says why, for the client to show."""

    def __init__(self, code: str, holder: str = ""):
        super().__init__(code)
        self.code = code
        self.holder = holder


def chat_group(chat_id: int) -> str:
    return f"chat.{chat_id}"


def chat_status(*, now=None) -> dict:
    """What the launcher says: open with an agent online, or why not and when to expect an
    answer by email instead."""
    config = ChatSettings.load()
    now = now or timezone.now()
    if not config.is_enabled:
        reason = "disabled"
    elif not chat_is_open(config, now=now):
        reason = "closed"
    elif not agents_online_count(now=now):
        reason = "offline"
    else:
        reason = ""
    return {"available": not reason, "reason": reason, "answer_hours": config.answer_hours}


def chat_is_open(config: ChatSettings, *, now) -> bool:
    local = timezone.localtime(now, timezone=ZoneInfo(settings.SUPPORT_TIME_ZONE))
    if local.isoweekday() not in config.weekday_numbers():
        return False
    return config.opens <= local.time() < config.closes


def agents_online(*, now=None):
    """Agents who said they are online and whose desk socket was seen lately."""
    since = (now or timezone.now()) - timedelta(seconds=settings.CHAT_AGENT_SEEN_SECONDS)
    return get_user_model().objects.filter(
        is_active=True,
        is_staff=True,
        groups__name=AGENT_GROUP,
        chat_availability__is_online=True,
        chat_availability__seen_at__gte=since,
    )


def agents_online_count(*, now=None) -> int:
    return agents_online(now=now).count()


def availability_set(*, agent, is_online: bool) -> None:
    AgentAvailability.objects.update_or_create(
        agent=agent, defaults={"is_online": is_online, "seen_at": timezone.now()}
    )
    _broadcast(AGENTS_GROUP, {"type": "queue.changed"})


def availability_seen(*, agent) -> None:
    """The agent's desk socket is open: renew their presence (their online/away choice stays)."""
    AgentAvailability.objects.update_or_create(agent=agent, defaults={"seen_at": timezone.now()})


def availability_of(agent) -> bool:
    return AgentAvailability.objects.filter(agent=agent, is_online=True).exists()


def chat_start(
    *, name: str, email: str, message: str, client_ip: str, source_page: HelpPage | None
) -> tuple[Chat, str]:
    """A new chat with the customer's first message: a ticket (its first message's channel
    "chat", no confirmation email: the customer is here) that waits for an agent. Returns the
    chat and the customer's token. Raises SubmissionLimited past the address's limit."""
    if address_rate_limited(
        group="chat_start", client_ip=client_ip, rate=settings.CHAT_START_RATE_LIMIT
    ):
        raise SubmissionLimited(is_daily=False)
    if not ticket_submission_allowed(email=email):
        raise SubmissionLimited(is_daily=True)
    with transaction.atomic():
        ticket, _ = ticket_create(
            name=name,
            email=email,
            message=message,
            source_page=source_page,
            first={"channel": Message.Channel.CHAT},
            confirm=False,
        )
        chat = Chat.objects.create(ticket=ticket)
        # The name is the agents' notification's text: who is waiting.
        _broadcast(AGENTS_GROUP, {"type": "queue.new", "chat": chat.pk, "name": ticket.name})
    return chat, chat_token(ticket.reference, ticket.access_key)


def chat_of_token(token: str) -> Chat | None:
    """The chat a customer's token opens; None for a forged, old (renewed key) or erased one."""
    if (read := chat_token_read(token)) is None:
        return None
    reference, access_key = read
    chat = (
        Chat.objects.select_related("ticket", "ticket__assignee")
        .filter(ticket__reference=reference, ticket__anonymised_at=None)
        .first()
    )
    if chat is None or not chat.ticket.access_key:
        return None
    return chat if constant_time_compare(chat.ticket.access_key, access_key) else None


def chat_customer_post(*, chat: Chat, body: str, client_ip: str) -> Message:
    """The customer's message, stored, then broadcast. Raises ChatRefused ("empty", "too_long",
    "limited", "ended")."""
    body = _checked(body)
    if address_rate_limited(
        group="chat_message", client_ip=client_ip, rate=settings.CHAT_ADDRESS_RATE_LIMIT
    ) or _chat_limited(chat):
        raise ChatRefused("limited")
    with transaction.atomic():
        locked = _locked(chat)
        if chat.state == Chat.State.ENDED:
            raise ChatRefused("ended")
        message = Message.objects.create(
            ticket=locked,
            kind=Message.Kind.CUSTOMER,
            channel=Message.Channel.CHAT,
            author_name=locked.name,
            body=body,
        )
        # As by email or on the ticket page: waiting, resolved or closed, the case is open again.
        if locked.status in REOPENED_BY_CUSTOMER:
            ticket_change(ticket=locked, actor=None, status=Ticket.Status.OPEN)
        _broadcast(chat_group(chat.pk), {"type": "chat.message", "message": message_data(message)})
    return message


def chat_agent_post(*, chat: Chat, agent, body: str) -> Message:
    """An agent's reply in the chat: theirs to answer (taken now if nobody has it). Raises
    ChatRefused ("empty", "too_long", "taken" with the holder's name, "ended": the customer
    has left, and the answer goes by email from the ticket page)."""
    body = _checked(body)
    with transaction.atomic():
        locked = _locked(chat)
        if chat.state == Chat.State.ENDED:
            raise ChatRefused("ended")
        if locked.assignee_id != agent.pk:
            _take(chat, locked, agent)
        message = Message.objects.create(
            ticket=locked,
            author=agent,
            kind=Message.Kind.PUBLIC,
            channel=Message.Channel.CHAT,
            author_name=agent.first_name,
            body=body,
        )
        if locked.first_response_at is None:
            # updated_at too: the worker recomputes the daily figures of tickets changed lately.
            Ticket.objects.filter(pk=locked.pk).update(
                first_response_at=message.created_at, updated_at=timezone.now()
            )
        _broadcast(chat_group(chat.pk), {"type": "chat.message", "message": message_data(message)})
    return message


def chat_take(*, chat: Chat, agent) -> None:
    """The agent takes the chat: it is theirs (the ticket assigned to them, its history kept)
    and every other agent sees who has it. Raises ChatRefused("taken") when a colleague has."""
    with transaction.atomic():
        locked = _locked(chat)
        if locked.assignee_id != agent.pk:
            _take(chat, locked, agent)


def _take(chat: Chat, locked: Ticket, agent) -> None:
    if locked.assignee_id is not None:
        holder = locked.assignee
        raise ChatRefused("taken", holder=holder.first_name or holder.get_username())
    ticket_change(ticket=locked, actor=agent, assignee=agent)
    chat.ticket.assignee = agent
    now = timezone.now()
    active = {"state": Chat.State.ACTIVE, "taken_at": now}
    if chat.state == Chat.State.ENDED:
        active = {"taken_at": now}
    Chat.objects.filter(pk=chat.pk).update(**active)
    for field, value in active.items():
        setattr(chat, field, value)
    _broadcast(chat_group(chat.pk), {"type": "chat.state", **chat_state_data(chat)})
    _broadcast(AGENTS_GROUP, {"type": "queue.changed"})


def chat_end(*, chat: Chat, transcript: bool = False) -> None:
    """The chat is over (the customer left it, or an agent closed it); the ticket stays as it
    is and goes on by email. With `transcript`, the customer is emailed the conversation."""
    with transaction.atomic():
        locked = _locked(chat)
        if chat.state != Chat.State.ENDED:
            chat.state = Chat.State.ENDED
            chat.ended_at = timezone.now()
            chat.save(update_fields=["state", "ended_at"])
            # Only the end itself sends a transcript: "end" sent again to an ended chat must
            # not mail its address over and over.
            if transcript and locked.email:
                emails_queue([transcript_email(locked)])
        _broadcast(chat_group(chat.pk), {"type": "chat.state", **chat_state_data(chat)})
        _broadcast(AGENTS_GROUP, {"type": "queue.changed"})


def chat_sockets_close(*, ticket_id: int) -> None:
    """Close the customer's sockets of this ticket's chat (its link was renewed): each must
    open again with a token, which only the new link gives. A live chat ends with them, since
    its customer can no longer reach it: agents see it ended and answer by email."""
    if live := Chat.objects.filter(pk=ticket_id).exclude(state=Chat.State.ENDED).first():
        chat_end(chat=live)
    _broadcast(chat_group(ticket_id), {"type": "chat.revoked"})


def chat_customer_seen(*, chat: Chat, now=None) -> None:
    """The customer's socket is open (connected, or a message or heartbeat came): renew when
    they were last seen. The consumer calls it at most every SEEN_WRITE_SECONDS, not per message."""
    now = now or timezone.now()
    Chat.objects.filter(pk=chat.pk).update(customer_seen_at=now)
    chat.customer_seen_at = now


def chats_abandoned_end(*, now=None) -> int:
    """End the live chats whose customer is gone: no socket seen and no message from them for
    CHAT_ABANDON_SECONDS (they closed the page). Waiting or taken, each leaves the live queue as
    left by the customer, with an entry in its history; the ticket stays as it is, to be
    answered by email. Returns how many were ended."""
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.CHAT_ABANDON_SECONDS)
    # The customer's own message, not an agent's reply to a customer who has gone.
    said = Message.objects.filter(
        ticket=OuterRef("pk"), kind=Message.Kind.CUSTOMER, created_at__gte=since
    )
    gone = Q(customer_seen_at__lt=since) & ~Exists(said)
    live = Chat.objects.exclude(state=Chat.State.ENDED)
    ended = 0
    for chat_id, state in live.filter(gone).values_list("pk", "state"):
        with transaction.atomic():
            # Conditional: a worker beside this one, an agent's "end" or the customer coming
            # back in the meantime leaves it alone, so a chat is ended once.
            if not live.filter(gone, pk=chat_id, state=state).update(
                state=Chat.State.ENDED, ended_at=now, is_abandoned=True
            ):
                continue
            TicketEvent.objects.create(
                ticket_id=chat_id, field="chat", old_value=state, new_value="abandoned"
            )
            chat = Chat.objects.select_related("ticket__assignee").get(pk=chat_id)
            _broadcast(chat_group(chat_id), {"type": "chat.state", **chat_state_data(chat)})
            ended += 1
    if ended:
        _broadcast(AGENTS_GROUP, {"type": "queue.changed"})
    return ended


def chat_read(*, chat: Chat, upto: int) -> None:
    """An agent has seen the customer's messages up to this id: the customer's "read" state."""
    updated = Chat.objects.filter(pk=chat.pk, read_upto__lt=upto).update(read_upto=upto)
    if updated:
        _broadcast(chat_group(chat.pk), {"type": "chat.read", "upto": upto})


def chat_messages_after(chat: Chat, after_id: int) -> list[dict]:
    """What the customer and agent can see of the thread after `after_id`, oldest first."""
    # A desk reply held in its undo window has its id from when it was written but is shown from
    # when the window ends, after chat messages with higher ids: a client's last id may have
    # passed it. So every reply that was held comes each time (a ticket has a few desk
    # replies), and the client skips the ids it has.
    after = Q(pk__gt=after_id) | Q(held_until__isnull=False)
    messages = chat.ticket.messages.filter(after, kind__in=SHOWN_KINDS, automatic="")
    # A desk reply still in its undo window is not the customer's yet.
    messages = messages.exclude(held_until__gt=timezone.now())
    return [message_data(m) for m in messages.order_by("pk")]


def chat_reply_released(*, message: Message) -> None:
    """A desk reply out of its undo window (the worker has taken its email, undo finds nothing
    now): into the ticket's live chat too, where it was not broadcast while it could be taken
    back."""
    if message.kind != Message.Kind.PUBLIC:
        return
    if Chat.objects.filter(pk=message.ticket_id).exclude(state=Chat.State.ENDED).exists():
        event = {"type": "chat.message", "message": message_data(message)}
        _broadcast(chat_group(message.ticket_id), event)


def message_data(message: Message) -> dict:
    is_customer = message.kind == Message.Kind.CUSTOMER
    return {
        "id": message.pk,
        "chat": message.ticket_id,
        "body": message.body,
        "from": "customer" if is_customer else "agent",
        # An agent is known by their first name alone.
        "name": message.author_name if is_customer else message.author_name.split(" ")[0],
        "at": message.created_at.isoformat(),
    }


def chat_state_data(chat: Chat) -> dict:
    """The chat's state as the agents' desk sees it (who has it, by login name when they gave
    no first name); customer_state_data() is the customer's share of it."""
    agent = chat.ticket.assignee
    return {
        "chat": chat.pk,
        "state": chat.state,
        "agent": (agent.first_name or agent.get_username()) if agent else "",
        "agent_id": agent.pk if agent else None,
        "agent_first_name": agent.first_name if agent else "",
        "read_upto": chat.read_upto,
        "abandoned": chat.is_abandoned,
    }


def customer_state_data(state: dict) -> dict:
    """What the customer may see of a chat's state: the agent's first name alone (their page
    says "Kundeservice" when there is none), never an agent's login name or id."""
    return {
        "chat": state["chat"],
        "state": state["state"],
        "agent": state["agent_first_name"],
        "read_upto": state["read_upto"],
    }


def chat_queue(*, now=None) -> list[dict]:
    """The live chats for the agents' queue: waiting ones first, then active, oldest first."""
    now = now or timezone.now()
    chats = (
        Chat.objects.exclude(state=Chat.State.ENDED)
        .select_related("ticket", "ticket__assignee")
        .order_by("state", "created_at")
    )
    rows = []
    for chat in chats:
        agent = chat.ticket.assignee
        rows.append(
            {
                "chat": chat.pk,
                "reference": chat.ticket.reference,
                "name": chat.ticket.name,
                "state": chat.state,
                "waiting_seconds": int((now - chat.created_at).total_seconds()),
                "agent": (agent.first_name or agent.get_username()) if agent else "",
            }
        )
    # "active" sorts before "waiting" as text; waiting chats are what needs someone.
    return sorted(rows, key=lambda row: row["state"] != Chat.State.WAITING)


def _checked(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ChatRefused("empty")
    if len(body) > settings.CHAT_MESSAGE_MAX_CHARS:
        raise ChatRefused("too_long")
    return body


def _chat_limited(chat: Chat) -> bool:
    return is_ratelimited(
        None,
        group="chat_message_chat",
        key=lambda _group, _request: str(chat.pk),
        rate=settings.CHAT_MESSAGE_RATE_LIMIT,
        increment=True,
    )


def _locked(chat: Chat) -> Ticket:
    locked = (
        Ticket.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=chat.pk)
    )
    if locked.anonymised_at is not None:
        raise TicketAnonymised(locked.reference)
    chat.refresh_from_db(fields=["state", "ended_at", "taken_at", "read_upto", "is_abandoned"])
    return locked


def _broadcast(group: str, event: dict) -> None:
    # After the commit: what a socket carries is always in the database already.
    layer = get_channel_layer()
    if layer is not None:
        transaction.on_commit(lambda: async_to_sync(layer.group_send)(group, event))
