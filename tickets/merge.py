"""Merging two tickets of one customer: the thread moves into the target, the other ticket is
closed as merged with a link to it, both keep their history; the agent who did it can undo it."""

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from tickets.emails import page_link_email, reply_email
from tickets.models import Chat, Message, OutboundEmail, Rating, Ticket, TicketEvent, TicketMerge
from tickets.services import (
    REPLY_CHANGED_FIELDS,
    emails_queue,
    ticket_change,
    ticket_fields_dump,
    ticket_page_link_renew,
)

MOMENTS = {"first_response_at", "resolved_at", "closed_at", "first_response_due"} | {
    "resolution_due",
    "sla_paused_at",
    "first_response_breached_at",
    "resolution_breached_at",
}


class MergeRefused(Exception):
    """Not two tickets that may be merged; the message says why, in the agents' words."""


def merge_check(source: Ticket, target: Ticket) -> None:
    if source.pk == target.pk:
        raise MergeRefused(_("A ticket cannot be merged into itself."))
    if source.email.lower() != target.email.lower():
        raise MergeRefused(
            _("Only tickets of the same customer can be merged: %(a)s is not %(b)s.")
            % {"a": source.email, "b": target.email}
        )
    if source.anonymised_at is not None or target.anonymised_at is not None:
        raise MergeRefused(_("An anonymised ticket cannot be merged."))
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise MergeRefused(_("A ticket already merged into another cannot be merged again."))
    # A chat's socket replays its ticket's thread (tickets.chat): merged during a chat, the
    # customer's open chat window would be sent the other ticket's messages.
    live = Chat.objects.filter(ticket__in=[source.pk, target.pk]).exclude(state=Chat.State.ENDED)
    if live.exists():
        raise MergeRefused(_("A ticket with a live chat cannot be merged: end the chat first."))


def _locked(*pks: int) -> list[Ticket]:
    rows = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=pks)}
    if len(rows) != len(set(pks)):
        raise MergeRefused(_("That ticket does not exist."))
    return [rows[pk] for pk in pks]


def _unsent_replies_move(message_ids: list[int], ticket: Ticket) -> None:
    """The unsent email of a reply held in its undo window follows the reply: it belongs to
    the ticket the thread is now in, under its reference and reply address, so the customer's
    answer comes to that ticket."""
    emails = list(
        OutboundEmail.objects.filter(
            note__in=message_ids, kind=OutboundEmail.Kind.REPLY, sent_at=None
        ).select_related("note")
    )
    for email in emails:
        again = reply_email(ticket, email.note)
        email.ticket, email.subject, email.reply_to = ticket, again.subject, again.reply_to
    OutboundEmail.objects.bulk_update(emails, ["ticket", "subject", "reply_to"])


def _held_ratings_withdraw(message_ids: list[int]) -> None:
    """A rating request held with a moved reply ("reply and resolve") would ask about a ticket
    now closed as merged: it is withdrawn with its rating, as undoing the reply would."""
    held = OutboundEmail.objects.filter(
        note__in=message_ids, kind=OutboundEmail.Kind.RATING, sent_at=None
    )
    Rating.objects.filter(email__in=held).delete()
    held.delete()


@transaction.atomic
def tickets_merge(*, source: Ticket, target: Ticket, actor) -> TicketMerge:
    """Merge `source` into `target`: its messages (with their files) join the target's thread,
    which is in time order; it is closed with a link to the target; both record it. A held
    reply's unsent email moves with its message. The target's page link is renewed and emailed
    to the customer's address.

    Raises MergeRefused for tickets of different customers, the same ticket, an anonymised
    one, one merged already or one with a chat not ended.
    """
    source, target = _locked(source.pk, target.pk)
    merge_check(source, target)
    before = ticket_fields_dump(source)
    message_ids = list(
        Message.objects.filter(ticket=source).order_by("pk").values_list("pk", flat=True)
    )
    Message.objects.filter(pk__in=message_ids).update(ticket=target)
    _unsent_replies_move(message_ids, target)
    _held_ratings_withdraw(message_ids)
    if source.status != Ticket.Status.CLOSED:
        ticket_change(ticket=source, actor=actor, status=Ticket.Status.CLOSED)
    # updated_at too: the worker recomputes the statistics of tickets changed lately, and a
    # merged ticket no longer counts as solved (tickets.daily).
    Ticket.objects.filter(pk=source.pk).update(merged_into=target, updated_at=timezone.now())
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket=source, actor=actor, field="merged_into", new_value=target.reference
            ),
            TicketEvent(
                ticket=target, actor=actor, field="merged_from", new_value=source.reference
            ),
        ]
    )
    # Merging trusts the address a customer typed, which anyone can type: the holder of the
    # target's link may not be the one who wrote the source. The target gets a new link, sent
    # to the address on file; every link shown or sent before stops working.
    ticket_page_link_renew(ticket=target, actor=actor)
    emails_queue([page_link_email(target)])
    return TicketMerge.objects.create(
        source=source, target=target, actor=actor, message_ids=message_ids, source_before=before
    )


@transaction.atomic
def ticket_merge_undo(*, merge_id: int, actor) -> TicketMerge:
    """Undo a merge, for the agent who did it: the moved messages go back, the merged ticket
    gets back its status and times exactly, and both record the undo. Messages that came to the
    target since stay there.

    Raises MergeRefused when it is not this agent's merge, or it was undone already.
    """
    merge = (
        TicketMerge.objects.select_for_update()
        .filter(pk=merge_id, actor=actor, undone_at=None)
        .first()
    )
    if merge is None:
        raise MergeRefused(_("Only the agent who merged the tickets can undo it, once."))
    source, target = _locked(merge.source_id, merge.target_id)
    if source.merged_into_id != target.pk:
        raise MergeRefused(_("The ticket is no longer merged."))
    moved_back = list(
        Message.objects.filter(pk__in=merge.message_ids, ticket=target).values_list("pk", flat=True)
    )
    Message.objects.filter(pk__in=moved_back).update(ticket=source)
    _unsent_replies_move(moved_back, source)
    closed_status = source.status
    # A merge recorded before a field was added to REPLY_CHANGED_FIELDS leaves it as it is.
    for field in REPLY_CHANGED_FIELDS:
        if field not in merge.source_before:
            continue
        value = merge.source_before[field]
        setattr(source, field, parse_datetime(value) if field in MOMENTS and value else value)
    if source.resolved_at is None:
        # Unresolved again: nobody resolved it (a merge made before the field was recorded
        # leaves the one the merge's close set).
        source.resolved_assignee = None
    source.merged_into = None
    source.save(update_fields=[*REPLY_CHANGED_FIELDS, "merged_into", "updated_at"])
    events = [
        TicketEvent(ticket=source, actor=actor, field="merged_into", old_value=target.reference),
        TicketEvent(ticket=target, actor=actor, field="merged_from", old_value=source.reference),
    ]
    if closed_status != source.status:
        events.append(
            TicketEvent(
                ticket=source,
                actor=actor,
                field="status",
                old_value=closed_status,
                new_value=source.status,
            )
        )
    TicketEvent.objects.bulk_create(events)
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
    return merge
