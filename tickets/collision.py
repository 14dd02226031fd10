"""Two agents on one ticket: who else has it open or is typing (heartbeats in the cache), and
the state a ticket page was opened with, so a save on a copy changed since is refused with
what changed."""

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Max
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from tickets.models import Message, Ticket

# An agent not heard from for this long has closed the page; the page beats every few seconds.
PRESENCE_SECONDS = 12
BEAT_SECONDS = 3
ROSTER_SECONDS = 3600
COPY_FIELDS = ["status", "priority", "assignee"]


def _roster_key(ticket_id: int) -> str:
    return f"desk-presence:{ticket_id}"


def _agent_key(ticket_id: int, user_id: int) -> str:
    return f"desk-presence:{ticket_id}:{user_id}"


def presence_beat(*, ticket_id: int, user, typing: bool) -> None:
    """The agent has the ticket open (and is typing a reply or not), as of now."""
    name = user.get_full_name() or user.get_username()
    cache.set(_agent_key(ticket_id, user.pk), {"name": name, "typing": typing}, PRESENCE_SECONDS)
    # The roster changes only when someone new opens the ticket. Two agents opening it at the
    # same instant may drop one of them; that one's next beat adds it again.
    roster = cache.get(_roster_key(ticket_id)) or []
    if user.pk not in roster:
        cache.set(_roster_key(ticket_id), [*roster, user.pk][-50:], ROSTER_SECONDS)


def presence_others(*, ticket_id: int, user) -> list[dict]:
    """The other agents with the ticket open now: name and whether they are typing."""
    roster = [pk for pk in cache.get(_roster_key(ticket_id)) or [] if pk != user.pk]
    found = cache.get_many([_agent_key(ticket_id, pk) for pk in roster])
    return sorted(found.values(), key=lambda agent: agent["name"])


def presence_leave(*, ticket_id: int, user) -> None:
    cache.delete(_agent_key(ticket_id, user.pk))


def ticket_copy_state(ticket: Ticket) -> dict:
    """What a ticket page shows that another agent can change: the tracked fields and the
    thread (its newest message)."""
    newest = Message.objects.filter(ticket=ticket.pk).aggregate(newest=Max("pk"))["newest"]
    return {
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": ticket.assignee_id,
        "message": newest or 0,
    }


def copy_state_encode(state: dict) -> str:
    """status:priority:assignee:newest message, as the page's hidden input holds it."""
    return ":".join(str(state[key] or "") for key in [*COPY_FIELDS, "message"])


def copy_state_decode(text: str) -> dict | None:
    parts = text.split(":")
    if len(parts) != 4 or not parts[3].isdigit() or not (parts[2] == "" or parts[2].isdigit()):
        return None
    status, priority, assignee, message = parts
    return {
        "status": status,
        "priority": priority,
        "assignee": int(assignee) if assignee else None,
        "message": int(message),
    }


def copy_state_changes(*, opened: dict, current: dict, ticket: Ticket) -> list[str]:
    """What changed between the page's copy and now, in the agents' words; [] when nothing."""
    changes = []
    for field in COPY_FIELDS:
        if opened[field] == current[field]:
            continue
        label = Ticket._meta.get_field(field).verbose_name
        changes.append(
            _("%(field)s: %(old)s → %(new)s")
            % {
                "field": str(label).capitalize(),
                "old": _value_text(field, opened[field]),
                "new": _value_text(field, current[field]),
            }
        )
    if current["message"] != opened["message"]:
        new = Message.objects.filter(ticket=ticket.pk, pk__gt=opened["message"])
        for message in new.select_related("author").order_by("pk")[:10]:
            who = (
                message.author.get_full_name() or message.author.get_username()
                if message.author
                else message.author_name
            )
            changes.append(
                _("New %(kind)s from %(who)s: “%(text)s”")
                % {
                    "kind": message.get_kind_display().lower(),
                    "who": who,
                    "text": Truncator(" ".join(message.body.split())).chars(80),
                }
            )
    return changes


def _value_text(field: str, value) -> str:
    if value in (None, ""):
        return _("nobody") if field == "assignee" else "-"
    if field == "status":
        return str(Ticket.Status(value).label)
    if field == "priority":
        return str(Ticket.Priority(value).label)
    user = get_user_model().objects.filter(pk=value).first()
    return user.get_username() if user else str(value)
