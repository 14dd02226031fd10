"""Taking back a desk reply within its undo window (settings.REPLY_UNDO_SECONDS): the message
and its unsent email go, and what the reply changed on the ticket is put back, with what was
saved together with it (a status: "reply and resolve" is undone whole, its rating request
withdrawn)."""

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tickets.models import Message, OutboundEmail, Rating, Ticket, TicketEvent
from tickets.services import ticket_fields_dump

# Put back by undo. A target the ticket had already missed stays recorded: undoing the reply
# does not make it on time.
REVERTED_FIELDS = [
    "status",
    "first_response_at",
    "resolved_at",
    "resolved_assignee_id",
    "closed_at",
    "first_response_due",
    "resolution_due",
    "sla_paused_at",
    "sla_paused_seconds",
]
MOMENTS = {"first_response_at", "resolved_at", "closed_at", "first_response_due"} | {
    "resolution_due",
    "sla_paused_at",
}


class ReplyUndoRefused(Exception):
    """Too late (the worker has taken the email), or not a held reply of this agent."""


def held_replies(*, ticket: Ticket, agent) -> list[Message]:
    """The agent's replies on `ticket` still in their undo window."""
    return list(
        Message.objects.filter(
            ticket=ticket,
            author=agent,
            kind=Message.Kind.PUBLIC,
            held_until__gt=timezone.now(),
        ).only("pk", "body", "held_until", "created_at")
    )


@transaction.atomic
def ticket_reply_undo(*, message_id: int, agent) -> Message:
    """Take back the agent's held reply: delete it and its email, and put back each field the
    reply (and the changes saved with it) changed that nobody has changed since (another
    agent's status change in the window stays). A rating request queued with it is withdrawn,
    the rating too, so resolving again asks again. Returns the deleted message (its body to
    put back in the reply box).

    Raises ReplyUndoRefused once the window is over or the worker has taken the email.
    """
    message = (
        Message.objects.filter(pk=message_id, author=agent, kind=Message.Kind.PUBLIC)
        .exclude(held_until=None)
        .first()
    )
    if message is None:
        raise ReplyUndoRefused
    locked = Ticket.objects.select_for_update().get(pk=message.ticket_id)
    # The worker clears send_after when it takes the email: then this deletes nothing.
    held = OutboundEmail.objects.filter(note=message, sent_at=None, send_after__gt=timezone.now())
    deleted, _ = held.filter(kind=OutboundEmail.Kind.REPLY).delete()
    if not deleted:
        raise ReplyUndoRefused
    # The rating request held with the reply (tickets.services.ticket_change's held_with).
    Rating.objects.filter(email__in=held.filter(kind=OutboundEmail.Kind.RATING)).delete()
    held.delete()
    changes = message.held_changes or {}
    before, after = changes.get("before", {}), changes.get("after", {})
    now_values = ticket_fields_dump(locked)
    # Moved by a merge since, the reply is taken back from its new ticket, whose fields it
    # never changed.
    own_ticket = changes.get("ticket", locked.pk) == locked.pk
    reverted = [
        field
        for field in REVERTED_FIELDS
        if own_ticket and field in before and now_values[field] == after.get(field) != before[field]
    ]
    for field in reverted:
        value = before[field]
        setattr(locked, field, parse_datetime(value) if field in MOMENTS and value else value)
    if reverted:
        locked.save(update_fields=[*reverted, "updated_at"])
    if "status" in reverted:
        TicketEvent.objects.filter(pk__in=changes.get("events", []), field="status").delete()
    message.delete()
    return message
