"""The emails a ticket causes, written as OutboundEmail rows; tickets.tasks sends them."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from tickets.models import OutboundEmail, Ticket, TicketNote


def header_safe(text: str) -> str:
    """Customer text on one line, so it can never add a header to an email."""
    return " ".join(text.split())


def confirmation_email(ticket: Ticket) -> OutboundEmail:
    # Only the reference and our own words: whoever typed the address may not be its owner, and
    # anything of theirs repeated here would be their text sent from our domain to anyone.
    with override(settings.LANGUAGE_CODE):
        return _email(
            ticket,
            OutboundEmail.Kind.CONFIRMATION,
            to=ticket.email,
            subject=_("[%(reference)s] We have received your message")
            % {"reference": ticket.reference},
            template="tickets/email/confirmation",
        )


def notification_email(ticket: Ticket) -> OutboundEmail:
    with override(settings.LANGUAGE_CODE):
        return _email(
            ticket,
            OutboundEmail.Kind.NOTIFICATION,
            to=settings.SUPPORT_EMAIL,
            reply_to=ticket.email,
            subject=_("[%(reference)s] New message from %(name)s")
            % {"reference": ticket.reference, "name": header_safe(ticket.name)[:100]},
            template="tickets/email/notification",
            admin_url=settings.SITE_URL + reverse("admin:tickets_ticket_change", args=[ticket.pk]),
        )


def reply_email(ticket: Ticket, note: TicketNote) -> OutboundEmail:
    with override(settings.LANGUAGE_CODE):
        return _email(
            ticket,
            OutboundEmail.Kind.REPLY,
            to=ticket.email,
            subject=_("[%(reference)s] Reply to your message") % {"reference": ticket.reference},
            template="tickets/email/reply",
            note=note,
        )


def _email(ticket, kind, *, to, subject, template, reply_to="", **context) -> OutboundEmail:
    context = {"ticket": ticket, **context}
    return OutboundEmail(
        ticket=ticket,
        kind=kind,
        to=to,
        reply_to=reply_to,
        subject=header_safe(subject),
        text_body=render_to_string(f"{template}.txt", context),
        html_body=render_to_string(f"{template}.html", context),
    )
