"""The emails a ticket causes: written as OutboundEmail rows with the ticket (who to, the
subject, which kind) and rendered by the worker when tickets.tasks sends them."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from tickets.attachments import attachment_content
from tickets.models import Message, OutboundEmail, Rating, Ticket
from tickets.ratings import rating_url
from tickets.references import reply_address

# The Message-IDs a reply names in References: the thread's latest ones are enough to find it.
REFERENCES_KEPT = 20

TEMPLATES = {
    OutboundEmail.Kind.CONFIRMATION: "tickets/email/confirmation",
    OutboundEmail.Kind.NOTIFICATION: "tickets/email/notification",
    OutboundEmail.Kind.REPLY: "tickets/email/reply",
    OutboundEmail.Kind.ASSIGNED: "tickets/email/assigned",
    OutboundEmail.Kind.TRANSCRIPT: "tickets/email/transcript",
    OutboundEmail.Kind.RATING: "tickets/email/rating",
    OutboundEmail.Kind.PAGE_LINK: "tickets/email/page_link",
}
# Emails to our own people: a link to the ticket page, and never part of the customer's thread.
TO_STAFF = {OutboundEmail.Kind.NOTIFICATION, OutboundEmail.Kind.ASSIGNED}


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
    return _customer_email(ticket, OutboundEmail.Kind.CONFIRMATION, subject)


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


def customer_reply_email(ticket: Ticket, message: Message) -> OutboundEmail:
    """Tells the ticket's agent (or support, when it has none) that the customer wrote again."""
    with override(settings.LANGUAGE_CODE):
        subject = _("[%(reference)s] The customer replied: %(name)s") % {
            "reference": ticket.reference,
            "name": header_safe(ticket.name)[:100],
        }
    agent = ticket.assignee
    return _email(
        ticket,
        OutboundEmail.Kind.NOTIFICATION,
        to=agent.email if agent is not None and agent.email else settings.SUPPORT_EMAIL,
        reply_to=ticket.email,
        subject=subject,
        note=message,
    )


def assigned_email(ticket: Ticket, *, agent, by) -> OutboundEmail:
    """Tells an agent that a colleague (`by`) gave them the ticket."""
    with override(settings.LANGUAGE_CODE):
        subject = _("[%(reference)s] %(by)s gave you the ticket from %(name)s") % {
            "reference": ticket.reference,
            "by": header_safe(by.get_full_name() or by.get_username())[:100],
            "name": header_safe(ticket.name)[:100],
        }
    return _email(ticket, OutboundEmail.Kind.ASSIGNED, to=agent.email, subject=subject)


def reply_email(ticket: Ticket, note: Message) -> OutboundEmail:
    with override(settings.LANGUAGE_CODE):
        subject = _("[%(reference)s] Reply to your message") % {"reference": ticket.reference}
    return _customer_email(ticket, OutboundEmail.Kind.REPLY, subject, note=note)


def reply_preview(ticket: Ticket, body: str) -> tuple[str, str]:
    """The subject and text of the email a reply with `body` becomes, rendered as the worker
    will render it: what the customer will read."""
    note = Message(ticket=ticket, kind=Message.Kind.PUBLIC, body=body)
    context = {"ticket": ticket, "note": note}
    with override(settings.LANGUAGE_CODE):
        subject = _("[%(reference)s] Reply to your message") % {"reference": ticket.reference}
        if page := ticket.page_url():
            context["page_url"] = settings.SITE_URL + page
        text = render_to_string(f"{TEMPLATES[OutboundEmail.Kind.REPLY]}.txt", context)
    return subject, text


def transcript_email(ticket: Ticket) -> OutboundEmail:
    """The chat's conversation, asked for by the customer when they ended it; rendered by the
    worker from the thread as it then is."""
    with override(settings.LANGUAGE_CODE):
        subject = _("[%(reference)s] Your chat with us") % {"reference": ticket.reference}
    return _customer_email(ticket, OutboundEmail.Kind.TRANSCRIPT, subject)


def rating_email(ticket: Ticket) -> OutboundEmail:
    with override(settings.LANGUAGE_CODE):
        subject = _("[%(reference)s] How did we do?") % {"reference": ticket.reference}
    return _customer_email(ticket, OutboundEmail.Kind.RATING, subject)


def page_link_email(ticket: Ticket) -> OutboundEmail:
    """The link to the ticket's page, asked for on the page of a ticket merged into it: sent to
    the address on file only, never shown to whoever holds the merged ticket's link."""
    with override(settings.LANGUAGE_CODE):
        subject = _("[%(reference)s] The link to your case") % {"reference": ticket.reference}
    return _email(
        ticket,
        OutboundEmail.Kind.PAGE_LINK,
        to=ticket.email,
        reply_to=reply_address(ticket.reference),
        subject=subject,
    )


def email_message(email: OutboundEmail) -> EmailMultiAlternatives:
    """The message to send for a stored email, its bodies rendered now from the templates."""
    context = {"ticket": email.ticket, "note": email.note, "email": email}
    if email.kind == OutboundEmail.Kind.TRANSCRIPT:
        # Without a desk reply still in its undo window: it may yet be taken back.
        context["thread"] = (
            email.ticket.messages.filter(
                kind__in=[Message.Kind.CUSTOMER, Message.Kind.PUBLIC], automatic=""
            )
            .exclude(held_until__gt=timezone.now())
            .order_by("pk")
        )
    if email.kind in TO_STAFF:
        path = reverse("admin:tickets_ticket_change", args=[email.ticket_id])
        context["admin_url"] = settings.SITE_URL + path
    template = TEMPLATES[email.kind]
    with override(settings.LANGUAGE_CODE):
        if email.kind != OutboundEmail.Kind.NOTIFICATION and (page := email.ticket.page_url()):
            # The link of the moment it is sent: one renewed since the email was written works.
            context["page_url"] = settings.SITE_URL + page
        if email.kind == OutboundEmail.Kind.RATING:
            context |= _rating_links(email)
        text_body = render_to_string(f"{template}.txt", context)
        html_body = render_to_string(f"{template}.html", context)
    headers = {"Message-ID": f"<{email.message_id}>"} if email.message_id else {}
    if email.kind != OutboundEmail.Kind.REPLY:
        # Written by no person (RFC 3834): auto-responders must not answer it, nor do we.
        headers["Auto-Submitted"] = "auto-generated"
    if email.kind not in TO_STAFF and (thread := _thread_ids(email)):
        # A client that answers keeps these, so the answer finds this ticket whatever it does
        # to the subject or the address (tickets.inbound).
        headers["In-Reply-To"] = f"<{thread[-1]}>"
        headers["References"] = " ".join(f"<{m}>" for m in thread)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers=headers,
    )
    message.attach_alternative(html_body, "text/html")
    if email.kind == OutboundEmail.Kind.REPLY and email.note is not None:
        # The agent's files, read from storage now, as the bodies are rendered now.
        for attachment in email.note.attachments.all():
            message.attach(
                attachment.filename, attachment_content(attachment), attachment.content_type
            )
    return message


def _rating_links(email: OutboundEmail) -> dict:
    rating = Rating.objects.filter(email=email).first()
    if rating is None:
        return {}
    return {
        "rating": rating,
        "good_url": rating_url(rating, "fornoyd"),
        "bad_url": rating_url(rating, "ikke-fornoyd"),
    }


def _thread_ids(email: OutboundEmail) -> list[str]:
    """Message-IDs of the thread before this email, oldest first: the customer's emails and
    ours to them."""
    before = email.created_at or timezone.now()
    ours = OutboundEmail.objects.filter(ticket=email.ticket_id, created_at__lt=before)
    ours = ours.exclude(kind__in=TO_STAFF).exclude(message_id="")
    theirs = Message.objects.filter(ticket=email.ticket_id, kind=Message.Kind.CUSTOMER)
    theirs = theirs.exclude(message_id="").filter(created_at__lt=before)
    moments = [
        *ours.values_list("created_at", "message_id"),
        *theirs.values_list("created_at", "message_id"),
    ]
    return [message_id for _, message_id in sorted(moments)][-REFERENCES_KEPT:]


def _customer_email(ticket, kind, subject, *, note=None) -> OutboundEmail:
    """An email to the ticket's customer, their answer addressed back to this ticket."""
    return _email(
        ticket,
        kind,
        to=ticket.email,
        reply_to=reply_address(ticket.reference),
        subject=subject,
        note=note,
    )


def _email(ticket, kind, *, to, subject, reply_to="", note=None) -> OutboundEmail:
    domain = settings.SUPPORT_EMAIL.rpartition("@")[2]
    return OutboundEmail(
        ticket=ticket,
        note=note,
        kind=kind,
        to=to,
        reply_to=reply_to,
        subject=header_safe(subject),
        message_id=make_msgid(domain=domain).strip("<>"),
    )
