"""The agents' live chat in the admin: the queue of waiting and active chats, the online/away
toggle, and one chat's view (thread, the customer's earlier tickets, FAQ answers to insert).
The live part runs over the desk's socket (tickets.consumers.AgentDeskConsumer)."""

from functools import partial

from django.core.exceptions import PermissionDenied
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from faq.models import FaqEntry
from faq.pages import help_page_served
from tickets.chat import availability_of
from tickets.models import Chat, Ticket

EARLIER_TICKETS_SHOWN = 10
FAQ_ANSWERS_SHOWN = 200


def chat_desk_urls(model_admin) -> list:
    wrap = model_admin.admin_site.admin_view
    return [
        path("chats/", wrap(partial(chat_desk_view, model_admin)), name="tickets_ticket_chats"),
        path(
            "chats/<int:chat_id>/",
            wrap(partial(chat_desk_view, model_admin)),
            name="tickets_ticket_chat",
        ),
    ]


def chat_desk_view(model_admin, request, chat_id=None):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Live chat"),
        "opts": model_admin.model._meta,
        "is_online": availability_of(request.user),
        "desk_url": reverse("admin:tickets_ticket_chats"),
    }
    if chat_id is not None:
        chat = get_object_or_404(
            Chat.objects.select_related("ticket", "ticket__assignee"),
            pk=chat_id,
            ticket__anonymised_at=None,
        )
        ticket = chat.ticket
        earlier = (
            Ticket.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower=ticket.email.lower(), anonymised_at=None)
            .exclude(pk=ticket.pk)
            .only("reference", "message", "status", "created_at")
            .order_by("-created_at")[:EARLIER_TICKETS_SHOWN]
        )
        context |= {
            "chat": chat,
            "ticket": ticket,
            "earlier": earlier,
            "answers": _faq_answers(),
            "title": _("Chat with %(name)s") % {"name": ticket.name},
        }
    return TemplateResponse(request, "admin/tickets/ticket/chat.html", context)


def _faq_answers() -> list[dict]:
    # The published answers of the page customers see, as the editors wrote them (Markdown),
    # with the link to the entry on the help page.
    page_view = help_page_served()
    if page_view is None:
        return []
    shown = {entry.pk: entry for entry in page_view.entries_published()[:FAQ_ANSWERS_SHOWN]}
    answers = FaqEntry.objects.filter(pk__in=shown).only("answer")
    base = reverse("faq:help_page")
    texts = {entry.pk: entry.answer for entry in answers}
    return [
        {
            "question": entry.question,
            "answer": texts.get(pk, ""),
            "url": f"{base}#{entry.anchor}",
        }
        for pk, entry in shown.items()
    ]
