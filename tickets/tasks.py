"""Background work, run by `manage.py run_worker`: the outbox's emails, sent and retried.

The outbox is the queue: an email is written with what caused it, in the same transaction, and
the worker takes the due ones (`outbound_emails_send`), so a submission writes no task row.
"""

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from tickets.chat import chat_reply_released
from tickets.emails import email_message
from tickets.models import OutboundEmail

logger = logging.getLogger(__name__)
# The first wait is settings.EMAIL_RETRY_SECONDS; it doubles with each failure, up to this.
RETRY_MAX = timedelta(hours=1)
# Emails taken per claim: a worker killed holds no more than these until they are stale.
SEND_BATCH = 20


def outbound_emails_send(*, limit: int | None = SEND_BATCH) -> int:
    """Send the emails that are due, `limit` at most (None: all); returns how many were tried."""
    at = timezone.now()
    claimed = outbound_emails_claim(limit=limit, at=at)
    for email_id in claimed:
        logger.info("Email %d: %s", email_id, outbound_email_send(email_id=email_id, claimed_at=at))
    return len(claimed)


def outbound_emails_claim(*, limit: int | None, at: datetime | None = None) -> list[int]:
    """Take up to `limit` due emails for this worker: unsent, not given up on, due, and not
    being sent by another worker (or claimed longer than EMAIL_TASK_STALE_SECONDS ago: its
    worker was killed mid-send). Two workers never take the same email: on PostgreSQL the rows
    are locked (SKIP LOCKED), on SQLite the IMMEDIATE transaction holds the write lock."""
    now = at or timezone.now()
    stale = now - timedelta(seconds=settings.EMAIL_TASK_STALE_SECONDS)
    due = OutboundEmail.objects.filter(sent_at=None, failed_at=None, due_at__lte=now)
    due = due.filter(Q(claimed_at=None) | Q(claimed_at__lt=stale))
    # Looked at first without a transaction: an idle worker never takes SQLite's write lock.
    if not due.exists():
        return []
    with transaction.atomic():
        claimed = list(
            due.order_by("due_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        OutboundEmail.objects.filter(pk__in=claimed).update(claimed_at=now)
    return claimed


def outbound_email_send(*, email_id: int, claimed_at: datetime | None = None) -> str:
    """Send one stored email once. When that fails, try again later, until the email is
    EMAIL_MAX_AGE_HOURS old or refused for good: then it is marked failed. `claimed_at` is this
    worker's claim: if another worker has taken the email since (the claim went stale in a
    slow batch), that one sends it."""
    # The whole body: an error anywhere (the database, say) is recorded and retried like an SMTP
    # failure. Only when recording fails too does the claim stay, and the email is taken again
    # once the claim is stale.
    try:
        return _send(email_id, claimed_at)
    except Exception as error:  # noqa: BLE001 (every failure is recorded on the email)
        return _failure_record(email_id, error)


def _send(email_id: int, claimed_at: datetime | None) -> str:
    email = OutboundEmail.objects.filter(pk=email_id).select_related("ticket", "note").first()
    if email is None:
        return "gone"
    if email.sent_at:
        return "already sent"
    if email.failed_at:
        return "failed"
    if email.send_after is not None:
        now = timezone.now()
        if email.send_after > now:
            # Claimed early (its due time moved, clocks apart): leave it until its window ends.
            OutboundEmail.objects.filter(pk=email_id).update(
                due_at=email.send_after, claimed_at=None
            )
            return "held"
        # Taken: from here undo finds nothing to delete. Nothing taken means it was undone.
        taken = OutboundEmail.objects.filter(pk=email_id, send_after__lte=now).update(
            send_after=None
        )
        if not taken:
            return "gone"
        released = email.kind == OutboundEmail.Kind.REPLY and email.note is not None
        if released and email.ticket.anonymised_at is None:
            # Released: into the customer's open chat, which did not get it while it was held.
            # The channel layer down must not hold the email back: a reconnect replays it.
            try:
                chat_reply_released(message=email.note)
            except Exception:  # noqa: BLE001
                logger.exception("Email %d: its reply was not broadcast to the chat", email_id)
    if not email.to or email.ticket.anonymised_at is not None:
        # Queued before or while its ticket was anonymised: its text may hold what that removed.
        email.delete()
        return "no address"
    if claimed_at is not None:
        # Renewed just before sending, only while the claim is still this worker's.
        mine = OutboundEmail.objects.filter(pk=email_id, claimed_at=claimed_at, sent_at=None)
        if not mine.update(claimed_at=timezone.now()):
            return "claimed by another worker"
    # Rendered here, not when the ticket was written: the submission's transaction holds the
    # database's write lock, and four templates took longer than its INSERTs.
    email_message(email).send()
    OutboundEmail.objects.filter(pk=email_id).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1, last_error="", claimed_at=None
    )
    return "sent"


def _failure_record(email_id: int, error: Exception) -> str:
    OutboundEmail.objects.filter(pk=email_id).update(
        attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:500]
    )
    email = OutboundEmail.objects.filter(pk=email_id).first()
    if email is None:
        return "gone"
    if _permanent(error):
        # The server refused the address for good: trying again every hour changes nothing.
        OutboundEmail.objects.filter(pk=email_id).update(failed_at=timezone.now(), claimed_at=None)
        return "refused for good"
    if email.created_at < timezone.now() - timedelta(hours=settings.EMAIL_MAX_AGE_HOURS):
        OutboundEmail.objects.filter(pk=email_id).update(failed_at=timezone.now(), claimed_at=None)
        return f"failed for good after {settings.EMAIL_MAX_AGE_HOURS} hours"
    # In whole seconds: a timedelta doubled forty-odd times overflows.
    seconds = settings.EMAIL_RETRY_SECONDS * 2 ** (email.attempts - 1)
    delay = timedelta(seconds=min(seconds, RETRY_MAX.total_seconds()))
    OutboundEmail.objects.filter(pk=email_id).update(due_at=timezone.now() + delay, claimed_at=None)
    return f"failed, retrying in {delay}"


def _permanent(error: Exception) -> bool:
    """A 5xx answer about the recipients: the address will not work later either."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return False
