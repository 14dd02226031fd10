"""Background work, run by `manage.py db_worker` (django-tasks-db)."""

import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.tasks import task
from django.utils import timezone

from tickets.models import OutboundEmail

# The first wait is settings.EMAIL_RETRY_SECONDS; it doubles with each failure, up to this.
RETRY_MAX = timedelta(hours=1)


@task
def outbound_email_send(*, email_id: int) -> str:
    """Send one stored email once. When the SMTP server fails, try again later, without end."""
    email = OutboundEmail.objects.filter(pk=email_id).select_related("ticket").first()
    if email is None:
        return "gone"
    if email.sent_at:
        return "already sent"
    if not email.to or email.ticket.anonymised_at is not None:
        # Queued before or while its ticket was anonymised: its text may hold what that removed.
        email.delete()
        return "no address"
    try:
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.text_body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email.to],
            reply_to=[email.reply_to] if email.reply_to else None,
        )
        message.attach_alternative(email.html_body, "text/html")
        message.send()
    except Exception as error:  # noqa: BLE001 (every failure is recorded on the email)
        OutboundEmail.objects.filter(pk=email_id).update(
            attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:500]
        )
        if _permanent(error):
            # The server refused the address for good: trying again every hour changes nothing.
            return "refused for good"
        # In whole seconds: a timedelta doubled forty-odd times overflows, and the retries would
        # end for good after a day and a half of SMTP outage.
        seconds = settings.EMAIL_RETRY_SECONDS * 2**email.attempts
        delay = timedelta(seconds=min(seconds, RETRY_MAX.total_seconds()))
        outbound_email_send.using(run_after=timezone.now() + delay).enqueue(email_id=email_id)
        return f"failed, retrying in {delay}"
    OutboundEmail.objects.filter(pk=email_id).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
    )
    return "sent"


def _permanent(error: Exception) -> bool:
    """A 5xx answer about the recipients: the address will not work later either."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return False
