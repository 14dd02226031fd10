"""An agent's public reply made into a hidden FAQ draft, for editors to finish and publish.

The agent edits the question (from the customer's first message) and the answer (the reply)
to take out personal data first; nothing is saved until they do, and the draft is never shown.
"""

from functools import partial

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from faq.models import FaqEntry
from faq.services import faq_entry_draft
from tickets.models import Message


class FaqDraftForm(forms.Form):
    question = forms.CharField(
        label=gettext_lazy("question"),
        max_length=FaqEntry._meta.get_field("question").max_length,
    )
    answer = forms.CharField(
        label=gettext_lazy("answer"), widget=forms.Textarea(attrs={"rows": 12})
    )


def faq_draft_urls(model_admin) -> list:
    wrap = model_admin.admin_site.admin_view
    return [
        path(
            "svar/<int:message_id>/faq-utkast/",
            wrap(partial(faq_draft_view, model_admin)),
            name="tickets_message_faq_draft",
        )
    ]


def faq_draft_view(model_admin, request, message_id):
    reply = get_object_or_404(
        Message.objects.select_related("ticket"), pk=message_id, kind=Message.Kind.PUBLIC
    )
    ticket = reply.ticket
    if ticket.anonymised_at is not None:
        raise Http404
    # Making a draft is work on the ticket (the agents' right), not editing the FAQ: the entry is
    # hidden until an editor publishes it. Seeing the ticket alone is not enough.
    if not model_admin.has_change_permission(request, ticket):
        raise PermissionDenied
    if request.method == "POST":
        form = FaqDraftForm(request.POST)
        if form.is_valid():
            entry = faq_entry_draft(
                question=form.cleaned_data["question"],
                answer=form.cleaned_data["answer"],
                reason=f"draft from a reply on {ticket.reference}",
            )
            if entry is not None:
                model_admin.message_user(
                    request,
                    _("A hidden FAQ draft “%(question)s” was saved for the editors.")
                    % {"question": entry.question},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:tickets_ticket_change", args=[ticket.pk]), status=303
                )
            form.add_error(None, _("There is no FAQ block to put the entry in."))
    else:
        first = ticket.messages.filter(kind=Message.Kind.CUSTOMER).first()
        form = FaqDraftForm(
            initial={
                "question": (first.body if first else ticket.message)[:300],
                "answer": reply.body,
            }
        )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Make an FAQ draft"),
        "ticket": ticket,
        "form": form,
    }
    return TemplateResponse(request, "admin/tickets/faq_draft.html", context)
