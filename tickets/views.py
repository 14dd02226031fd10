from django.conf import settings
from django.core.signing import BadSignature
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import is_ratelimited

from faq.models import Block
from faq.responses import form_token_read
from faq.selectors import help_page_view
from faq.views import help_page_render
from sekvens_help.clients import client_ip
from tickets.forms import ContactForm
from tickets.models import Ticket
from tickets.services import SubmissionLimited, suggestion_impressions_record, ticket_submit

TICKET_COOKIE = "sekvens_ticket"
TICKET_COOKIE_MAX_AGE = 3600
SUGGESTIONS_SHOWN = 3
SUGGEST_TEXT_MAX = 2000


@require_POST
def contact(request):
    page_view = help_page_view(settings.HELP_PAGE_SLUG)
    form_block = page_view and not page_view.page.is_hidden and page_view.form_block
    if not form_block:
        raise Http404
    form = ContactForm(request.POST, form_fields=form_block.fields)
    if not form.is_valid():
        form.token_renew()
        return help_page_render(request, contact_form=form, status=400)
    success = _success_url(form_block.block)
    if form.is_spam():
        return HttpResponseRedirect(success, status=303)
    try:
        ticket = ticket_submit(
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            message=form.cleaned_data["message"],
            form_token=form.cleaned_data["token"],
            source_page=page_view.page,
            client_ip=client_ip(request),
        )
    except SubmissionLimited as limited:
        return render(request, "429.html", {"is_daily": limited.is_daily}, status=429)
    response = HttpResponseRedirect(success, status=303)
    response.set_signed_cookie(
        TICKET_COOKIE,
        str(ticket.pk),
        salt=TICKET_COOKIE,
        max_age=TICKET_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


@require_GET
def thanks(request, slug):
    # Editors may write the path with or without slashes; _success_url redirects to /slug/.
    paths = [slug, f"{slug}/", f"/{slug}", f"/{slug}/"]
    if not Block.objects.filter(kind=Block.Kind.HELP_FORM, success_path__in=paths).exists():
        raise Http404
    try:
        ticket_id = int(request.get_signed_cookie(TICKET_COOKIE, salt=TICKET_COOKIE))
    except (KeyError, BadSignature, ValueError):
        ticket_id = None
    reference = Ticket(pk=ticket_id).reference if ticket_id else None
    return render(request, "tickets/thanks.html", {"reference": reference})


@require_POST
def suggest(request):
    """Up to three FAQ answers for the message being written; each one shown is recorded."""
    if is_ratelimited(
        request, group="suggest", key="ip", rate=settings.SUGGEST_RATE_LIMIT, increment=True
    ):
        return JsonResponse({"suggestions": []}, status=429)
    page_view = help_page_view(settings.HELP_PAGE_SLUG)
    text = request.POST.get("message", "")[:SUGGEST_TEXT_MAX]
    if page_view is None or page_view.page.is_hidden:
        return JsonResponse({"suggestions": []})
    entries = page_view.suggestions(text, limit=SUGGESTIONS_SHOWN)
    # Only a token this server issued: an invented one would count forms nobody saw.
    token = form_token_read(request.POST.get("token", ""))
    if entries and token:
        suggestion_impressions_record(form_token=token, entries=entries)
    base = reverse("faq:help_page")
    return JsonResponse(
        {"suggestions": [{"question": e.question, "url": f"{base}#{e.anchor}"} for e in entries]}
    )


def _success_url(block: Block) -> str:
    # Reversed, so it keeps the language's prefix (/en/suksess/); a path that is not one slug
    # could never be a thanks page, and sends the customer back to the help page instead.
    try:
        return reverse("tickets:thanks", kwargs={"slug": block.success_path.strip("/")})
    except NoReverseMatch:
        return reverse("faq:help_page")
