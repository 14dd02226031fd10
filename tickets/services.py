"""Ticket actions that must happen together: one function each, one transaction."""

import ipaddress
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django_ratelimit.core import is_ratelimited

from faq.models import FaqEntry, HelpPage
from faq.suggestions import suggestion_opened, suggestions_sent_anyway, suggestions_shown
from tickets.attachments import CheckedFile, attachments_store
from tickets.emails import (
    assigned_email,
    confirmation_email,
    customer_reply_email,
    notification_email,
    page_link_email,
    rating_email,
    reply_email,
)
from tickets.models import (
    REFERENCE_ATTEMPTS,
    Attachment,
    Message,
    OutboundEmail,
    Rating,
    SuggestionImpression,
    Ticket,
    TicketEvent,
)
from tickets.ratings import rating_new
from tickets.references import access_key_new, reference_new
from tickets.sla import (
    RUNNING,
    SLA_FIELDS,
    sla_dues,
    ticket_sla_apply,
    ticket_sla_breaches,
)
from tickets.workflow import transition_check

# One form shows a few suggestions as its customer writes; a script replaying one token should
# not fill the table (or the deflection figures) with it.
IMPRESSIONS_PER_FORM = 10

TRACKED_FIELDS = ["status", "priority", "assignee"]
# A second click on the ticket page's send button within this many seconds finds the first.
PAGE_REPLY_REPEAT_SECONDS = 600
# The page link asked for on a merged ticket's page goes at most once in this many minutes.
PAGE_LINK_RESEND_MINUTES = 10


class TicketAnonymised(Exception):
    """The ticket was anonymised: nothing about the customer may be stored on it again."""


class TicketClosed(Exception):
    """The ticket is closed: the customer's page asks for a new message instead of a reply."""


class SubmissionLimited(Exception):
    """The form may not make this ticket: too many from the address in CONTACT_RATE_LIMIT's
    period, or (`is_daily`) one of the daily limits reached."""

    def __init__(self, *, is_daily: bool):
        super().__init__("daily limit" if is_daily else "rate limit")
        self.is_daily = is_daily


def submission_key(*, form_token: uuid.UUID, name: str, email: str, message: str) -> uuid.UUID:
    """The one-time form token and what was written: the same form sent again has the same key,
    a new message sent from a page the browser brought back (same token) a new one."""
    return uuid.uuid5(form_token, "\x1f".join([name, email, message]))


def ticket_submit(
    *,
    name: str,
    email: str,
    message: str,
    form_token: uuid.UUID,
    source_page: HelpPage,
    client_ip: str,
    attachments: list[CheckedFile] = (),
) -> Ticket:
    """The contact form's ticket. The same form sent again (a reload, a second click) returns
    its first ticket and counts against no limit; a new one is refused with SubmissionLimited
    past the address's rate limit or a daily limit.
    """
    key = submission_key(form_token=form_token, name=name, email=email, message=message)
    # Read in one statement before ticket_create's transaction, which is then the submission's
    # only write to the database: on SQLite the write lock is held for the INSERTs alone.
    state = _submission_read(key=key, email=email, form_token=form_token)
    if state.ticket_id is not None:
        return Ticket.objects.get(pk=state.ticket_id)
    if address_rate_limited(group="contact", client_ip=client_ip, rate=settings.CONTACT_RATE_LIMIT):
        raise SubmissionLimited(is_daily=False)
    if not state.is_allowed:
        raise SubmissionLimited(is_daily=True)
    ticket, _ = ticket_create(
        name=name,
        email=email,
        message=message,
        submission_token=key,
        # The suggestions shown to this form are looked up again only when there are some.
        form_token=form_token if state.is_suggested else None,
        source_page=source_page,
        attachments=attachments,
    )
    return ticket


@dataclass(frozen=True)
class SubmissionState:
    """What a submission needs to know before it writes: its ticket if it was sent before,
    whether the daily limits let it through, and whether its form was shown suggestions."""

    ticket_id: int | None
    is_allowed: bool
    is_suggested: bool


def ticket_submission_allowed(*, email: str) -> bool:
    """Whether one more ticket may be made today for `email` (a chat's start): the contact
    form's daily limits, read as a submission reads them."""
    return _submission_read(key=None, email=email, form_token=None).is_allowed


def _submission_read(
    *, key: uuid.UUID | None, email: str, form_token: uuid.UUID | None
) -> SubmissionState:
    """The dedupe lookup, the two daily counts and the suggestions' check in one statement.

    The daily limits count the tickets themselves, not the cache: exact across processes and
    lost with no cache flush; each count stops at its limit, so its cost does not grow with the
    day's tickets. Two submissions at the same instant may both pass at the last place left, so
    a limit can be passed by one.
    """
    ticket, impression = Ticket._meta, SuggestionImpression._meta
    since = timezone.now() - timedelta(days=1)
    table, impressions = ticket.db_table, impression.db_table
    sql = (
        f"SELECT (SELECT id FROM {table} WHERE submission_token = %s),"
        f" (SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE created_at >= %s LIMIT %s) t),"
        f" (SELECT COUNT(*) FROM (SELECT 1 FROM {table}"
        f"  WHERE LOWER(email) = %s AND created_at >= %s LIMIT %s) a),"
        f" EXISTS (SELECT 1 FROM {impressions} WHERE form_token = %s AND ticket_id IS NULL)"
    )
    created_at = ticket.get_field("created_at").get_db_prep_value(since, connection)
    params = [
        ticket.get_field("submission_token").get_db_prep_value(key, connection),
        created_at,
        settings.CONTACT_DAILY_CAP,
        email.lower(),
        created_at,
        settings.CONFIRMATION_DAILY_LIMIT,
        impression.get_field("form_token").get_db_prep_value(form_token, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ticket_id, today, of_address, is_suggested = cursor.fetchone()
    return SubmissionState(
        ticket_id=ticket_id,
        is_allowed=today < settings.CONTACT_DAILY_CAP
        and of_address < settings.CONFIRMATION_DAILY_LIMIT,
        is_suggested=bool(is_suggested),
    )


def address_rate_limited(*, group: str, client_ip: str, rate: str) -> bool:
    # Counted per address as django-ratelimit's "ip" key does: an IPv6 visitor holds a whole /64.
    network = ipaddress.ip_network(f"{client_ip}/{64 if ':' in client_ip else 32}", strict=False)
    address = str(network.network_address)
    return is_ratelimited(
        None, group=group, key=lambda _group, _request: address, rate=rate, increment=True
    )


def emails_queue(emails: list[OutboundEmail]) -> None:
    # The outbox is the worker's queue (tickets.tasks): one INSERT for all the emails, committed
    # or rolled back with what caused them, and seen by the worker only after the commit. A
    # held reply is not due before its undo window ends.
    for email in emails:
        if email.send_after is not None:
            email.due_at = email.send_after
    OutboundEmail.objects.bulk_create(emails)


def ticket_create(
    *,
    name: str,
    email: str,
    message: str,
    submission_token: uuid.UUID | None = None,
    form_token: uuid.UUID | None = None,
    source_page: HelpPage | None = None,
    first: dict | None = None,
    confirm: bool = True,
    attachments: list[CheckedFile] = (),
) -> tuple[Ticket, bool]:
    """Create a ticket, its thread's first message (with its checked attachments) and its
    emails, in one transaction; a repeated submission returns the first ticket. `form_token`
    names the contact form whose suggestions were shown (they count as sent anyway); `first`
    gives the first message's other fields (an email's channel, Message-ID, original);
    `confirm=False` sends the customer no confirmation.

    Returns (ticket, created).
    """
    for attempt in range(REFERENCE_ATTEMPTS):
        # Everything is built before the transaction opens, so on SQLite the write lock is held
        # for the INSERTs alone; the reference is drawn here, and a clash (rare: one in 34
        # billion) rolls the transaction back and draws again, instead of a savepoint around
        # every INSERT.
        ticket, first_message, emails = _ticket_rows(
            name=name,
            email=email,
            message=message,
            submission_token=submission_token,
            source_page=source_page,
            first=first,
            confirm=confirm,
        )
        try:
            with transaction.atomic():
                ticket.save(force_insert=True)
                first_message.save(force_insert=True)
                if attachments:
                    attachments_store(message=first_message, files=attachments)
                emails_queue(emails)
                if form_token:
                    _suggestions_sent_anyway(form_token=form_token, ticket=ticket)
        except IntegrityError as error:
            if "reference" in str(error) and attempt < REFERENCE_ATTEMPTS - 1:
                continue
            if submission_token is None or "submission_token" not in str(error):
                raise
            # The same form sent twice at once: the other request created the ticket.
            return Ticket.objects.get(submission_token=submission_token), False
        return ticket, True
    raise AssertionError("unreachable")


def _ticket_rows(
    *, name, email, message, submission_token, source_page, first, confirm
) -> tuple[Ticket, Message, list[OutboundEmail]]:
    # From now rather than created_at, which is set in the INSERT: microseconds apart.
    first_response_due, resolution_due = sla_dues(
        created_at=timezone.now(), priority=Ticket.Priority.NORMAL
    )
    ticket = Ticket(
        reference=reference_new(),
        name=name,
        email=email,
        message=message,
        submission_token=submission_token,
        source_page=source_page,
        first_response_due=first_response_due,
        resolution_due=resolution_due,
    )
    first_message = Message(
        ticket=ticket,
        kind=Message.Kind.CUSTOMER,
        author_name=name,
        body=message,
        **{"channel": Message.Channel.FORM, **(first or {})},
    )
    emails = [confirmation_email(ticket)] if confirm else []
    return ticket, first_message, [*emails, notification_email(ticket)]


def _suggestions_sent_anyway(*, form_token: uuid.UUID, ticket: Ticket) -> None:
    impressions = SuggestionImpression.objects.filter(form_token=form_token, ticket=None)
    if shown := list(impressions.values_list("entry_id", "created_at")):
        impressions.update(ticket=ticket)
        suggestions_sent_anyway(
            entry_ids=[entry_id for entry_id, _ in shown],
            first_shown=min(created_at for _, created_at in shown),
        )


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    author,
    body: str,
    is_public: bool,
    attachments: list[CheckedFile] = (),
    hold_seconds: int = 0,
    changes: dict | None = None,
) -> Message:
    """Add a note with its checked attachments; a public one is emailed to the customer, the
    files attached, is the first response if first, and leaves a new or open ticket waiting for
    the customer.

    With `hold_seconds` a public reply waits that long in the outbox and can be taken back
    until then (tickets.undo.ticket_reply_undo): what it changes on the ticket is recorded on
    the message, to be put back.

    `changes` are tracked fields saved together with a public reply (the desk's form: "reply
    and resolve"), made by ticket_change once the reply is written: a held reply takes them
    back with it, and the rating request a resolution queues waits with it (sent after the
    reply, withdrawn by its undo).

    Raises TicketAnonymised when the ticket has been anonymised, even since `ticket` was read.
    """
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.anonymised_at is not None:
        raise TicketAnonymised(ticket.reference)
    kind = Message.Kind.PUBLIC if is_public else Message.Kind.INTERNAL
    held_until = None
    if is_public and hold_seconds > 0:
        held_until = timezone.now() + timedelta(seconds=hold_seconds)
    note = Message.objects.create(
        ticket=ticket, author=author, kind=kind, body=body, held_until=held_until
    )
    if attachments:
        attachments_store(message=note, files=attachments)
    if is_public:
        before = ticket_fields_dump(locked)
        if locked.first_response_at is None:
            # updated_at too: the statistics look for what changed since their last run by it.
            Ticket.objects.filter(pk=ticket.pk, first_response_at=None).update(
                first_response_at=note.created_at, updated_at=timezone.now()
            )
            ticket.first_response_at = locked.first_response_at = note.created_at
        email = reply_email(ticket, note)
        email.send_after = held_until
        emails_queue([email])
        events = []
        if changes:
            events = ticket_change(ticket=locked, actor=author, held_with=note, **changes)
            for field in {*changes, *REPLY_CHANGED_FIELDS, "updated_at"}:
                setattr(ticket, field, getattr(locked, field))
        if locked.status in RUNNING:
            events += ticket_change(ticket=ticket, actor=author, status=Ticket.Status.WAITING)
        if held_until is not None:
            locked.refresh_from_db(fields=REPLY_CHANGED_FIELDS)
            note.held_changes = {
                # Put back on this ticket only: a merge may move the reply to another.
                "ticket": locked.pk,
                "before": before,
                "after": ticket_fields_dump(locked),
                "events": [event.pk for event in events],
            }
            note.save(update_fields=["held_changes"])
    return note


# What a public reply may change on its ticket: put back exactly when it is undone.
REPLY_CHANGED_FIELDS = [
    "status",
    "first_response_at",
    "resolved_at",
    "resolved_assignee_id",
    "closed_at",
    *SLA_FIELDS,
    "first_response_breached_at",
    "resolution_breached_at",
]


def ticket_fields_dump(ticket: Ticket) -> dict:
    """The REPLY_CHANGED_FIELDS of `ticket` as JSON values (moments in ISO 8601)."""
    values = {}
    for field in REPLY_CHANGED_FIELDS:
        value = getattr(ticket, field)
        values[field] = value.isoformat() if isinstance(value, datetime) else value
    return values


@transaction.atomic
def ticket_change(
    *, ticket: Ticket, actor, held_with: Message | None = None, **changes
) -> list[TicketEvent]:
    """Change status, priority or assignee, recording each change (who, when, from, to).

    A status change the table in tickets.workflow does not allow raises TransitionRefused. An
    agent taking a new ticket opens it; giving it to a colleague emails them. The response
    targets follow (tickets.sla), and a target missed before the change is recorded.

    Made together with a reply held in its undo window (`held_with`), the rating request a
    resolution queues waits with that reply, named by it: sent after it, taken back with it.
    """
    # Changed on the locked row and saved field by field, so nothing else on the ticket (an
    # anonymisation, another agent's reply) that happened since `ticket` was read is undone.
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = timezone.now()
    if "status" in changes:
        transition_check(locked.status, changes["status"])
    taken = actor is not None and changes.get("assignee") == actor
    if taken and locked.status == Ticket.Status.NEW and changes.get("status", "new") == "new":
        changes["status"] = Ticket.Status.OPEN
    breaches = ticket_sla_breaches(locked, now=now)
    events = []
    for field, value in changes.items():
        if field not in TRACKED_FIELDS:
            raise ValueError(f"{field} is not a tracked ticket field")
        if getattr(locked, field) == value:
            continue
        before = _describe(locked, field)
        setattr(locked, field, value)
        events.append(
            TicketEvent(
                ticket=locked,
                actor=actor,
                field=field,
                old_value=before,
                new_value=_describe(locked, field),
            )
        )
    if not events:
        return []
    _status_times(locked)
    _breaches_set(locked, breaches, events)
    ticket_sla_apply(locked, now=now)
    fields = [
        *changes,
        "resolved_at",
        "resolved_assignee_id",
        "closed_at",
        "updated_at",
        *SLA_FIELDS,
        *breaches,
    ]
    locked.save(update_fields=fields)
    for field in fields:
        setattr(ticket, field, getattr(locked, field))
    # The assignee is read only when the ticket was given to someone: a status change costs
    # no query for it.
    given = "assignee" in changes and actor is not None
    if given and locked.assignee_id not in (None, actor.pk) and locked.assignee.email:
        emails_queue([assigned_email(locked, agent=locked.assignee, by=actor)])
    resolved = any(e.field == "status" and e.new_value == Ticket.Status.RESOLVED for e in events)
    if resolved and (rating := rating_new(locked)):
        email = rating_email(locked)
        if held_with is not None and held_with.held_until is not None:
            email.note, email.send_after = held_with, held_with.held_until
        emails_queue([email])
        rating.email = email
        rating.save()
    return TicketEvent.objects.bulk_create(events)


# The channels an agent writes a customer's ticket down from.
DESK_CHANNELS = [Message.Channel.PHONE, Message.Channel.WALK_IN]


@transaction.atomic
def ticket_create_for_customer(
    *, name: str, email: str, message: str, channel: str, agent, confirm: bool, take: bool
) -> Ticket:
    """A ticket an agent writes down for a customer on the phone or at the counter: the same
    ticket, thread and emails as the form's (the confirmation only when `confirm`), its first
    message the customer's on `channel`, the agent named in its history, and theirs if `take`.
    No form limit applies: the agent is the one asking."""
    if channel not in DESK_CHANNELS:
        raise ValueError(f"{channel} is not a channel an agent writes down")
    ticket, _ = ticket_create(
        name=name, email=email, message=message, first={"channel": channel}, confirm=confirm
    )
    TicketEvent.objects.create(ticket=ticket, actor=agent, field="channel", new_value=channel)
    if take:
        ticket_take(ticket=ticket, agent=agent)
    return ticket


def ticket_saved_reply_apply(*, ticket: Ticket, saved_reply, actor, kept=()) -> list[TicketEvent]:
    """Give the ticket the status and priority a saved reply sets, once its reply is saved;
    the fields in `kept` (what the agent chose on the page) stay as they are. Raises
    TransitionRefused as ticket_change does, changing nothing then."""
    changes = {
        field: getattr(saved_reply, field)
        for field in ["status", "priority"]
        if getattr(saved_reply, field) and field not in kept
    }
    if not changes:
        return []
    return ticket_change(ticket=ticket, actor=actor, **changes)


def ticket_take(*, ticket: Ticket, agent) -> list[TicketEvent]:
    """The agent takes the ticket: it is theirs, and a new one is open."""
    return ticket_change(ticket=ticket, actor=agent, assignee=agent)


def _breaches_set(ticket: Ticket, breaches: dict, events: list[TicketEvent]) -> None:
    for field, moment in breaches.items():
        setattr(ticket, field, moment)
        events.append(
            TicketEvent(
                ticket=ticket,
                field=field,
                new_value=f"{timezone.localtime(moment):%Y-%m-%d %H:%M}",
            )
        )


@transaction.atomic
def tickets_sla_breaches_record() -> int:
    """Record every target missed since the last time (the worker runs this each upkeep), with
    a history entry each. Returns how many were recorded."""
    now = timezone.now()
    missed = Ticket.objects.select_for_update().filter(status__in=RUNNING)
    missed = missed.filter(
        Q(first_response_at=None, first_response_due__lt=now, first_response_breached_at=None)
        | Q(resolution_due__lt=now, resolution_breached_at=None)
    )
    count = 0
    for ticket in missed:
        breaches = ticket_sla_breaches(ticket, now=now)
        events = []
        _breaches_set(ticket, breaches, events)
        ticket.save(update_fields=list(breaches))
        TicketEvent.objects.bulk_create(events)
        count += len(events)
    return count


def tickets_autoclose(*, days: int, dry_run: bool = False) -> int:
    """Close the tickets resolved more than `days` days ago (a customer's answer would have
    opened them again), each with its history entry. Returns how many were (or would be)
    closed."""
    cutoff = timezone.now() - timedelta(days=days)
    due = Ticket.objects.filter(status=Ticket.Status.RESOLVED, resolved_at__lt=cutoff)
    if dry_run:
        return due.count()
    return sum(
        bool(ticket_change(ticket=ticket, actor=None, status=Ticket.Status.CLOSED))
        for ticket in due.select_related("assignee").order_by("pk")
    )


# A customer's answer puts the ticket back in front of the agents.
REOPENED_BY_CUSTOMER = {Ticket.Status.WAITING, Ticket.Status.RESOLVED, Ticket.Status.CLOSED}


def ticket_customer_replied(*, ticket: Ticket, message: Message) -> None:
    """The customer wrote again: a waiting, resolved or closed ticket opens, and its agent (or
    support) is told by email."""
    if ticket.status in REOPENED_BY_CUSTOMER:
        ticket_change(ticket=ticket, actor=None, status=Ticket.Status.OPEN)
    emails_queue([customer_reply_email(ticket, message)])


@transaction.atomic
def ticket_page_reply(*, ticket: Ticket, body: str, attachments: list[CheckedFile] = ()) -> Message:
    """The customer's answer on their ticket page, with its checked attachments, filed as an
    emailed answer is: into the thread, the ticket reopened when waiting or resolved, its agent
    told (on commit, by the worker). The same text sent again within PAGE_REPLY_REPEAT_SECONDS
    (a double click) returns the first message.

    Raises TicketClosed for a closed ticket and TicketAnonymised for an anonymised one, even
    when that happened since `ticket` was read.
    """
    # The agent it tells is read with it; PostgreSQL locks only the ticket's row of the join.
    locked = (
        Ticket.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=ticket.pk)
    )
    if locked.anonymised_at is not None:
        raise TicketAnonymised(locked.reference)
    if locked.status == Ticket.Status.CLOSED:
        raise TicketClosed(locked.reference)
    since = timezone.now() - timedelta(seconds=PAGE_REPLY_REPEAT_SECONDS)
    page_messages = Message.objects.filter(
        ticket=locked, kind=Message.Kind.CUSTOMER, channel=Message.Channel.PAGE
    )
    if repeated := page_messages.filter(body=body, created_at__gte=since).first():
        return repeated
    message = Message.objects.create(
        ticket=locked,
        kind=Message.Kind.CUSTOMER,
        channel=Message.Channel.PAGE,
        author_name=locked.name,
        body=body,
    )
    if attachments:
        attachments_store(message=message, files=attachments)
    ticket_customer_replied(ticket=locked, message=message)
    ticket.status = locked.status
    return message


def ticket_page_link_renew(*, ticket: Ticket, actor) -> str:
    """A new secret for the customer's page link: every link sent before stops working. Returns
    the new key; recorded in the ticket's history (without the key)."""
    if ticket.anonymised_at is not None:
        raise TicketAnonymised(ticket.reference)
    ticket.access_key = access_key_new()
    with transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk, anonymised_at=None).update(access_key=ticket.access_key)
        TicketEvent.objects.create(
            ticket=ticket, actor=actor, field="page_link", new_value="renewed"
        )
        # A chat socket opened with the old link is closed too: it would go on carrying the
        # conversation to whoever had the link. (tickets.chat imports this module.)
        from tickets.chat import chat_sockets_close

        chat_sockets_close(ticket_id=ticket.pk)
    return ticket.access_key


@transaction.atomic
def ticket_page_link_send(*, ticket: Ticket) -> bool:
    """Email the ticket's page link to the address on file, as asked for on the page of a ticket
    merged into it; at most once in PAGE_LINK_RESEND_MINUTES, so that asking again (or a
    script) sends no stream of mail. Returns whether an email was queued."""
    locked = Ticket.objects.select_for_update().filter(pk=ticket.pk, anonymised_at=None).first()
    if locked is None or not locked.access_key:
        return False
    since = timezone.now() - timedelta(minutes=PAGE_LINK_RESEND_MINUTES)
    recent = OutboundEmail.objects.filter(
        ticket=locked, kind=OutboundEmail.Kind.PAGE_LINK, created_at__gte=since
    )
    if recent.exists():
        return False
    emails_queue([page_link_email(locked)])
    return True


def _status_times(ticket: Ticket) -> None:
    done = {Ticket.Status.RESOLVED, Ticket.Status.CLOSED}
    now = timezone.now()
    if ticket.status in done:
        if ticket.resolved_at is None:
            ticket.resolved_at, ticket.resolved_assignee_id = now, ticket.assignee_id
    else:
        ticket.resolved_at = ticket.resolved_assignee_id = None
    ticket.closed_at = (ticket.closed_at or now) if ticket.status == Ticket.Status.CLOSED else None


def _describe(ticket: Ticket, field: str) -> str:
    if field == "assignee":
        return ticket.assignee.get_username() if ticket.assignee else ""
    return str(getattr(ticket, field))


def tickets_export(*, emails: list[str], actor) -> dict:
    """Everything stored about these email addresses, for a customer's access request."""
    tickets = list(
        _of_addresses(emails)
        .filter(anonymised_at=None)
        .prefetch_related("messages__attachments", "emails")
        .order_by("pk")
    )
    TicketEvent.objects.bulk_create(
        [TicketEvent(ticket=t, actor=actor, field="privacy", new_value="exported") for t in tickets]
    )
    return {
        "email_addresses": emails,
        "exported_at": timezone.now().isoformat(),
        "tickets": [
            {
                "reference": t.reference,
                "name": t.name,
                "email": t.email,
                "message": t.message,
                "status": t.status,
                "created_at": t.created_at.isoformat(),
                # What the customer wrote after the first message, by email or on their page.
                "customer_messages": [
                    {
                        "channel": m.channel,
                        "written_at": m.created_at.isoformat(),
                        "text": m.body,
                        "attachments": _attachments_listed(m),
                    }
                    for m in t.messages.all()
                    if m.kind == Message.Kind.CUSTOMER
                ],
                # Internal notes are about the customer too, so they are part of what we hold.
                "notes": [
                    {
                        "kind": n.kind,
                        "written_at": n.created_at.isoformat(),
                        "text": n.body,
                        "attachments": _attachments_listed(n),
                    }
                    for n in t.messages.all()
                    if n.kind != Message.Kind.CUSTOMER
                ],
                "emails": [
                    {
                        "subject": e.subject,
                        "to": e.to,
                        "sent_at": _iso(e.sent_at),
                    }
                    for e in t.emails.all()
                ],
            }
            for t in tickets
        ],
    }


@transaction.atomic
def tickets_erase(*, emails: list[str], actor) -> int:
    """Anonymise every ticket of these email addresses (a customer's erasure request)."""
    return _anonymise(_of_addresses(emails), actor=actor, reason="erased")


@transaction.atomic
def tickets_purge(*, days: int, dry_run: bool = False) -> int:
    """Anonymise tickets closed, or resolved and never closed, more than `days` days ago."""
    cutoff = timezone.now() - timezone.timedelta(days=days)
    tickets = Ticket.objects.filter(
        Q(status=Ticket.Status.CLOSED, closed_at__lt=cutoff)
        | Q(status=Ticket.Status.RESOLVED, resolved_at__lt=cutoff)
    )
    if dry_run:
        return tickets.filter(anonymised_at=None).count()
    return _anonymise(tickets, actor=None, reason="purged")


@transaction.atomic
def suggestion_impressions_record(*, form_token: uuid.UUID, entries: list[FaqEntry]) -> None:
    """Record the entries shown to one form, once each, and at most IMPRESSIONS_PER_FORM."""
    shown = set(
        SuggestionImpression.objects.filter(form_token=form_token).values_list(
            "entry_id", flat=True
        )
    )
    new = [entry for entry in entries if entry.pk not in shown]
    new = new[: max(IMPRESSIONS_PER_FORM - len(shown), 0)]
    if new:
        SuggestionImpression.objects.bulk_create(
            [SuggestionImpression(form_token=form_token, entry_id=entry.pk) for entry in new],
            ignore_conflicts=True,
        )
        suggestions_shown(entry_ids=[entry.pk for entry in new], is_new_form=not shown)


def suggestion_opened_record(*, form_token: uuid.UUID, entry_id: int) -> bool:
    """The customer opened an entry suggested to their form: counted once per form and entry,
    and only for an entry that was suggested to it."""
    opened = SuggestionImpression.objects.filter(
        form_token=form_token, entry_id=entry_id, opened_at=None
    ).update(opened_at=timezone.now())
    if opened:
        suggestion_opened(entry_id=entry_id)
    return bool(opened)


@transaction.atomic
def suggestion_impressions_purge(*, days: int, dry_run: bool = False) -> int:
    """Delete the suggestions shown more than `days` days ago."""
    cutoff = timezone.now() - timezone.timedelta(days=days)
    impressions = SuggestionImpression.objects.filter(created_at__lt=cutoff)
    if dry_run:
        return impressions.count()
    return impressions.delete()[0]


def _of_addresses(emails: list[str]):
    """Tickets of these addresses, however the customer capitalised them."""
    return Ticket.objects.annotate(email_lower=Lower("email")).filter(
        email_lower__in=[email.lower() for email in emails]
    )


def _anonymise(tickets, *, actor, reason: str) -> int:
    ids = list(tickets.filter(anonymised_at=None).values_list("pk", flat=True))
    if not ids:
        return 0
    Ticket.objects.filter(pk__in=ids).update(
        name="",
        email="",
        message="",
        submission_token=None,
        # The customer's page link stops working with nothing left to show.
        access_key="",
        anonymised_at=timezone.now(),
    )
    Message.objects.filter(ticket__in=ids).update(
        body="", original="", author_name="", message_id="", content_hash=""
    )
    # A rating's comment is the customer's words; its score stays, for the statistics.
    Rating.objects.filter(ticket__in=ids).update(comment="", key="")
    OutboundEmail.objects.filter(ticket__in=ids).delete()
    # The files go with their rows, once the erasure commits (tickets.models).
    Attachment.objects.filter(message__ticket__in=ids).delete()
    TicketEvent.objects.bulk_create(
        [TicketEvent(ticket_id=pk, actor=actor, field="privacy", new_value=reason) for pk in ids]
    )
    return len(ids)


def _attachments_listed(message: Message) -> list[dict]:
    # The files themselves are handed over by an agent from the ticket page; the export names them.
    return [
        {"name": a.filename, "type": a.content_type, "size": a.size, "sha256": a.sha256}
        for a in message.attachments.all()
    ]


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None
