"""The emails a ticket causes: written as OutboundEmail rows with the ticket (who to, the
subject, which kind) and rendered by the worker when tickets.tasks sends them."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from tickets.models import OutboundEmail, Ticket, TicketNote

TEMPLATES = {
    OutboundEmail.Kind.CONFIRMATION: "tickets/email/confirmation",
    OutboundEmail.Kind.NOTIFICATION: "tickets/email/notification",
    OutboundEmail.Kind.REPLY: "tickets/email/reply",
}


def header_safe(text: str) -> str:
    """Customer text on one line, so it can never add a header to an email."""
    return " ".join(text.split())


def confirmation_email(ticket: Ticket) -> OutboundEmail:
    # Only the reference and our own words: whoever typed the address may not be its owner, and
    # anything of theirs repeated here would be their text sent from our domain to anyone.
    with override(settings.LANGUAGE_CODE):
        subject = _("[%(reference)s] We have received your message") % {
            "reference": ticket.reference
        }
    return _email(ticket, OutboundEmail.Kind.CONFIRMATION, to=ticket.email, subject=subject)


def notification_email(ticket: Ticket) -> OutboundEmail:
    with override(settings.LANGUAGE_CODE):
        subject = _("[%(reference)s] New message from %(name)s") % {
            "reference": ticket.reference,
            "name": header_safe(ticket.name)[:100],
        }
    return _email(
        ticket,
        OutboundEmail.Kind.NOTIFICATION,
        to=settings.SUPPORT_EMAIL,
        reply_to=ticket.email,
        subject=subject,
    )


def reply_email(ticket: Ticket, note: TicketNote) -> OutboundEmail:
    with override(settings.LANGUAGE_CODE):
        subject = _("[%(reference)s] Reply to your message") % {"reference": ticket.reference}
    return _email(ticket, OutboundEmail.Kind.REPLY, to=ticket.email, subject=subject, note=note)


def email_message(email: OutboundEmail) -> EmailMultiAlternatives:
    """The message to send for a stored email, its bodies rendered now from the templates."""
    context = {"ticket": email.ticket, "note": email.note}
    if email.kind == OutboundEmail.Kind.NOTIFICATION:
        path = reverse("admin:tickets_ticket_change", args=[email.ticket_id])
        context["admin_url"] = settings.SITE_URL + path
    template = TEMPLATES[email.kind]
    with override(settings.LANGUAGE_CODE):
        text_body = render_to_string(f"{template}.txt", context)
        html_body = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        reply_to=[email.reply_to] if email.reply_to else None,
    )
    message.attach_alternative(html_body, "text/html")
    return message


def _email(ticket, kind, *, to, subject, reply_to="", note=None) -> OutboundEmail:
    return OutboundEmail(
        ticket=ticket, note=note, kind=kind, to=to, reply_to=reply_to, subject=header_safe(subject)
    )
