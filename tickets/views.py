import uuid

from django.conf import settings
from django.core.signing import BadSignature
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import is_ratelimited

from faq.models import Block
from faq.responses import form_token_new, form_token_read
from faq.selectors import help_page_view
from faq.views import help_page_render
from sekvens_help.origin import Origin, cross_site_refused, request_origin
from tickets.forms import ContactForm
from tickets.models import Ticket
from tickets.services import suggestion_impressions_record, ticket_create, ticket_submission_allowed

TICKET_COOKIE = "sekvens_ticket"
TICKET_COOKIE_MAX_AGE = 3600
SUGGESTIONS_SHOWN = 3
SUGGEST_TEXT_MAX = 2000


@cross_site_refused
@require_POST
def contact(request):
    page_view = help_page_view(settings.HELP_PAGE_SLUG)
    form_block = page_view and not page_view.page.is_hidden and page_view.form_block
    if not form_block:
        raise Http404
    is_same_origin = request_origin(request) is Origin.SAME
    form = ContactForm(request.POST, form_fields=form_block.fields, is_same_origin=is_same_origin)
    if not form.is_valid():
        form.token_renew()
        return help_page_render(request, contact_form=form, status=400)
    success = _success_url(form_block.block)
    if form.is_spam():
        return HttpResponseRedirect(success, status=303)
    token = form.cleaned_data["token"]
    # The same form sent again (a reload, a second click) finds its first ticket and does not
    # count against the rate limit. The key includes what was written, so a new message sent
    # from a page the browser brought back (same token) is a new ticket, not lost.
    key = submission_key(token, form.cleaned_data)
    ticket = Ticket.objects.filter(submission_token=key).first()
    if ticket is None:
        if is_ratelimited(
            request, group="contact", key="ip", rate=settings.CONTACT_RATE_LIMIT, increment=True
        ):
            return render(request, "429.html", status=429)
        if not ticket_submission_allowed(email=form.cleaned_data["email"]):
            return render(request, "429.html", {"is_daily": True}, status=429)
        ticket, _ = ticket_create(
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            message=form.cleaned_data["message"],
            submission_token=key,
            form_token=token,
            source_page=page_view.page,
        )
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


@cross_site_refused
@require_POST
def suggest(request):
    """Up to three FAQ answers for the message being written; each one shown is recorded."""
    if is_ratelimited(request, group="suggest", key="ip", rate="60/m", increment=True):
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


@require_GET
def form_token(request):
    """A one-time token for the contact form, fetched by help.js when the visitor starts on it:
    the page itself is the same for everyone and carries none."""
    response = JsonResponse({"token": form_token_new()})
    response["Cache-Control"] = "no-store"
    return response


def submission_key(token: uuid.UUID, data: dict) -> uuid.UUID:
    return uuid.uuid5(token, "\x1f".join(data[f] for f in ("name", "email", "message")))


def _success_url(block: Block) -> str:
    # Reversed, so it keeps the language's prefix (/en/suksess/); a path that is not one slug
    # could never be a thanks page, and sends the customer back to the help page instead.
    try:
        return reverse("tickets:thanks", kwargs={"slug": block.success_path.strip("/")})
    except NoReverseMatch:
        return reverse("faq:help_page")
