"""Background work, run by `manage.py run_worker` (django-tasks-db's worker and our upkeep)."""

import smtplib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tickets.emails import email_message
from tickets.models import OutboundEmail

# The first wait is settings.EMAIL_RETRY_SECONDS; it doubles with each failure, up to this.
RETRY_MAX = timedelta(hours=1)


@task
def outbound_email_send(*, email_id: int) -> str:
    """Send one stored email once. When that fails, try again later, until the email is
    EMAIL_MAX_AGE_HOURS old or refused for good: then it is marked failed."""
    # The whole body: an error anywhere (the database, say) is recorded and retried like an SMTP
    # failure. Only when recording fails too does the task end failed, and the reaper
    # (outbound_emails_reap) queues the email again.
    try:
        return _send(email_id)
    except Exception as error:  # noqa: BLE001 (every failure is recorded on the email)
        return _failure_record(email_id, error)


def _send(email_id: int) -> str:
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
            # Picked up early (a reaper's new task, a clock apart): come back when it is time.
            outbound_email_send.using(run_after=email.send_after).enqueue(email_id=email_id)
            return "held"
        # Taken: from here undo finds nothing to delete. Nothing taken means it was undone.
        taken = OutboundEmail.objects.filter(pk=email_id, send_after__lte=now).update(
            send_after=None
        )
        if not taken:
            return "gone"
    if not email.to or email.ticket.anonymised_at is not None:
        # Queued before or while its ticket was anonymised: its text may hold what that removed.
        email.delete()
        return "no address"
    # Rendered here, not when the ticket was written: the submission's transaction holds the
    # database's write lock, and four templates took longer than its INSERTs.
    email_message(email).send()
    OutboundEmail.objects.filter(pk=email_id).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
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
        OutboundEmail.objects.filter(pk=email_id).update(failed_at=timezone.now())
        return "refused for good"
    if email.created_at < timezone.now() - timedelta(hours=settings.EMAIL_MAX_AGE_HOURS):
        OutboundEmail.objects.filter(pk=email_id).update(failed_at=timezone.now())
        return f"failed for good after {settings.EMAIL_MAX_AGE_HOURS} hours"
    # In whole seconds: a timedelta doubled forty-odd times overflows.
    seconds = settings.EMAIL_RETRY_SECONDS * 2 ** (email.attempts - 1)
    delay = timedelta(seconds=min(seconds, RETRY_MAX.total_seconds()))
    outbound_email_send.using(run_after=timezone.now() + delay).enqueue(email_id=email_id)
    return f"failed, retrying in {delay}"


def _permanent(error: Exception) -> bool:
    """A 5xx answer about the recipients: the address will not work later either."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return False


@transaction.atomic
def outbound_emails_reap() -> tuple[int, int]:
    """Queue again every unsent email that no task will send: its task failed, is gone, or has
    been running longer than EMAIL_TASK_STALE_SECONDS (its worker was killed; django-tasks-db
    leaves such a task RUNNING for ever). One older than EMAIL_MAX_AGE_HOURS is marked failed
    instead. Returns (queued again, marked failed)."""
    now = timezone.now()
    tasks = DBTaskResult.objects.filter(task_path=outbound_email_send.module_path)
    # Locked first, and only then the tasks read: a second reaper (two workers starting at once)
    # waits here and then sees the tasks this one queued, so no email gets two. On SQLite the
    # IMMEDIATE transaction does the same for the whole database.
    unsent = list(
        OutboundEmail.objects.select_for_update()
        .filter(sent_at=None, failed_at=None)
        .order_by("pk")
        .values_list("pk", "created_at")
    )
    stale = now - timedelta(seconds=settings.EMAIL_TASK_STALE_SECONDS)
    tasks.filter(status=TaskResultStatus.RUNNING, started_at__lt=stale).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path="",
        traceback=f"Still running after {settings.EMAIL_TASK_STALE_SECONDS} s: worker lost.",
    )
    if not unsent:
        return 0, 0
    pending = {
        args_kwargs["kwargs"].get("email_id")
        for args_kwargs in tasks.filter(
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
        ).values_list("args_kwargs", flat=True)
    }
    too_old = now - timedelta(hours=settings.EMAIL_MAX_AGE_HOURS)
    stranded = [(pk, created_at) for pk, created_at in unsent if pk not in pending]
    expired = [pk for pk, created_at in stranded if created_at < too_old]
    OutboundEmail.objects.filter(pk__in=expired).update(failed_at=now)
    for pk, created_at in stranded:
        if created_at >= too_old:
            outbound_email_send.enqueue(email_id=pk)
    return len(stranded) - len(expired), len(expired)
