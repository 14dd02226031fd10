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
    email = OutboundEmail.objects.filter(pk=email_id).first()
    if email is None:
        return "gone"
    if email.sent_at:
        return "already sent"
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        reply_to=[email.reply_to] if email.reply_to else None,
    )
    message.attach_alternative(email.html_body, "text/html")
    try:
        message.send()
    except (OSError, smtplib.SMTPException) as error:
        OutboundEmail.objects.filter(pk=email_id).update(
            attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:500]
        )
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
