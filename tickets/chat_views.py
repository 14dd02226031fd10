"""The chat launcher's HTTP side: whether the chat is open, starting one, and the message left
when nobody can answer now (an ordinary ticket, answered by email). The live part is
tickets.consumers."""

from django.http import JsonResponse
from django.views.decorators.http import require_GET, require_POST

from faq.pages import help_page_served
from sekvens_help.clients import client_ip
from sekvens_help.origin import cross_site_refused
from tickets.chat import chat_start, chat_status
from tickets.forms import ChatStartForm, ContactForm
from tickets.services import SubmissionLimited, ticket_submit


@require_GET
def status(request):
    response = JsonResponse(chat_status())
    response["Cache-Control"] = "no-store"
    return response


@cross_site_refused
@require_POST
def start(request):
    form = ChatStartForm(request.POST)
    if not form.is_valid():
        return _errors(form)
    if form.is_spam():
        # Told nothing different: a bot learns no more than that it may go on.
        return JsonResponse({"token": ""}, status=201)
    if not chat_status()["available"]:
        return JsonResponse({"error": "unavailable"}, status=409)
    page_view = help_page_served()
    try:
        chat, token = chat_start(
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            message=form.cleaned_data["message"],
            client_ip=client_ip(request),
            source_page=page_view.page if page_view else None,
        )
    except SubmissionLimited:
        return JsonResponse({"error": "limited"}, status=429)
    return JsonResponse({"token": token, "chat": chat.pk}, status=201)


@cross_site_refused
@require_POST
def leave_message(request):
    """No agent now: the message becomes a ticket as the contact form's would, answered by email."""
    form = ContactForm(request.POST, form_fields=(), is_same_origin=False)
    if not form.is_valid():
        return _errors(form)
    if form.is_spam():
        return JsonResponse({"reference": ""}, status=201)
    page_view = help_page_served()
    try:
        ticket = ticket_submit(
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            message=form.cleaned_data["message"],
            form_token=form.cleaned_data["token"],
            source_page=page_view.page if page_view else None,
            client_ip=client_ip(request),
        )
    except SubmissionLimited:
        return JsonResponse({"error": "limited"}, status=429)
    return JsonResponse({"reference": ticket.reference}, status=201)


def _errors(form) -> JsonResponse:
    errors = {field: [str(e) for e in messages] for field, messages in form.errors.items()}
    return JsonResponse({"errors": errors}, status=400)
