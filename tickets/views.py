import logging

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailWebhookValidationFailure
from django.conf import settings
from django.contrib import messages
from django.core.signing import BadSignature, constant_time_compare
from django.db.models import Prefetch
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from faq.models import Block
from faq.pages import help_page_response, help_page_served
from faq.responses import form_token_new, form_token_read
from faq.search_log import search_ticketed
from sekvens_help.clients import client_ip
from sekvens_help.origin import Origin, cross_site_refused, foreign_origin_refused, request_origin
from tickets.attachments import (
    attachment_for_customer,
    attachment_response,
    attachment_thumbnail_response,
)
from tickets.forms import ContactForm, TicketPageReplyForm
from tickets.models import Attachment, Message, Rating, Ticket
from tickets.ratings import CHOICE_PARAMETER, CHOICES, rating_of_token, rating_record
from tickets.references import page_token_read, reference_normalize
from tickets.services import (
    SubmissionLimited,
    TicketAnonymised,
    TicketClosed,
    suggestion_impressions_record,
    suggestion_opened_record,
    ticket_page_link_send,
    ticket_page_reply,
    ticket_submit,
)

logger = logging.getLogger(__name__)
TICKET_COOKIE = "sekvens_ticket"
TICKET_COOKIE_MAX_AGE = 3600
SUGGESTIONS_SHOWN = 3
# Merges followed from a merged ticket to the one its thread went on in.
MERGE_HOPS = 10
SUGGEST_TEXT_MAX = 2000
# What the customer reads for each status on their page: where the case is, in their terms.
CUSTOMER_STATUS = {
    Ticket.Status.NEW: pgettext_lazy("ticket page status", "Received"),
    Ticket.Status.OPEN: pgettext_lazy("ticket page status", "We are working on it"),
    Ticket.Status.WAITING: pgettext_lazy("ticket page status", "Waiting for your reply"),
    Ticket.Status.RESOLVED: pgettext_lazy("ticket page status", "Solved"),
    Ticket.Status.CLOSED: pgettext_lazy("ticket page status", "Closed"),
}


@cross_site_refused
@require_POST
def contact(request):
    page_view = help_page_served()
    form_block = page_view and page_view.form_block
    if not form_block:
        raise Http404
    is_same_origin = request_origin(request) is Origin.SAME
    form = ContactForm(
        request.POST, request.FILES, form_fields=form_block.fields, is_same_origin=is_same_origin
    )
    if not form.is_valid():
        form.token_renew()
        # The page already read: a failed post costs no second read.
        return help_page_response(
            request, page_view=page_view, status=400, block_forms={Block.Kind.HELP_FORM: form}
        )
    success = _success_url(form_block.block)
    if form.is_spam():
        return HttpResponseRedirect(success, status=303)
    try:
        ticket = ticket_submit(
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            message=form.cleaned_data["message"],
            attachments=form.cleaned_data["attachments"],
            form_token=form.cleaned_data["token"],
            source_page=page_view.page,
            client_ip=client_ip(request),
        )
    except SubmissionLimited as limited:
        return render(request, "429.html", {"is_daily": limited.is_daily}, status=429)
    # help.js names the search this page load counted, if any (the help page's search log).
    search_ticketed(query=request.POST.get("search_query", ""), language=get_language())
    response = HttpResponseRedirect(success, status=303)
    response.set_signed_cookie(
        TICKET_COOKIE,
        ticket.reference,
        salt=TICKET_COOKIE,
        max_age=TICKET_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


@require_GET
def thanks(request, slug):
    page_view = help_page_served()
    form_block = page_view and page_view.form_block
    # Editors may write the path with or without slashes; _success_url redirects to /slug/.
    if not form_block or form_block.block.success_path.strip("/") != slug:
        raise Http404
    # The cookie holds the reference the customer may see, never the ticket's database id.
    try:
        reference = reference_normalize(
            request.get_signed_cookie(TICKET_COOKIE, salt=TICKET_COOKIE)
        )
    except (KeyError, BadSignature):
        reference = None
    ticket = reference and Ticket.objects.filter(reference=reference, anonymised_at=None).first()
    page_url = ticket.page_url() if ticket else ""
    response = render(
        request, "tickets/thanks.html", {"reference": reference, "page_url": page_url}
    )
    # This visitor's own page, with the link to their ticket: for no cache to keep.
    response["Cache-Control"] = "private, no-store"
    return response


@foreign_origin_refused
@require_http_methods(["GET", "HEAD", "POST"])
def ticket_page(request, token):
    """The customer's own page of their ticket, opened by the link in our emails: the thread
    they can see, and a reply box. A wrong, forged, renewed or erased link is a plain 404."""
    ticket = _ticket_of_token(token)
    if ticket is None:
        return _ticket_page_miss(request)
    if ticket.merged_into_id is not None and (into := _merge_end(ticket)).anonymised_at is None:
        return _ticket_page_headers(_merged_ticket_page(request, ticket=ticket, into=into))
    is_post = request.method == "POST"
    form = TicketPageReplyForm(
        request.POST if is_post else None, request.FILES if is_post else None
    )
    status = 200
    if form.is_bound and form.is_valid():
        if (response := _page_reply_file(request, form, ticket=ticket)) is not None:
            return response
        ticket.status = Ticket.Status.CLOSED
        status = 409
    elif form.is_bound:
        status = 400
    thread = (
        ticket.messages.filter(kind__in=[Message.Kind.CUSTOMER, Message.Kind.PUBLIC], automatic="")
        # A desk reply in its undo window is not the customer's yet.
        .exclude(held_until__gt=timezone.now())
        .select_related("author")
        .only("kind", "body", "created_at", "author", "author__first_name")
        # One query for the files of the whole thread, however many there are.
        .prefetch_related(
            Prefetch(
                "attachments",
                queryset=Attachment.objects.only("message_id", "filename", "size"),
            )
        )
    )
    response = render(
        request,
        "tickets/ticket_page.html",
        {
            "ticket": ticket,
            "status_text": CUSTOMER_STATUS[ticket.status],
            "is_closed": ticket.status == Ticket.Status.CLOSED,
            "thread": thread,
            "form": form,
            "token": token,
        },
        status=status,
    )
    return _ticket_page_headers(response)


def _page_reply_file(request, form, *, ticket: Ticket):
    """File the valid reply posted on a customer's page in `ticket`: the 303 back to the page,
    or the 429 past the limit; None when the ticket is closed (the page says so, with 409)."""
    if _limited(request, "ticket_page_reply", settings.TICKET_PAGE_REPLY_RATE_LIMIT):
        return render(request, "429.html", {"is_ticket_page": True}, status=429)
    try:
        ticket_page_reply(
            ticket=ticket,
            body=form.cleaned_data["body"],
            attachments=form.cleaned_data["attachments"],
        )
    except TicketAnonymised:
        raise Http404 from None
    except TicketClosed:
        return None
    messages.success(request, _("Thank you! Your reply has been added to the case."))
    return HttpResponseRedirect(request.path, status=303)


def _merge_end(ticket: Ticket) -> Ticket:
    # The ticket the thread went on in: a merge target may have been merged on since.
    for _hop in range(MERGE_HOPS):
        if ticket.merged_into_id is None:
            break
        ticket = ticket.merged_into
    return ticket


def _merged_ticket_page(request, *, ticket: Ticket, into: Ticket):
    """The page of a ticket merged into another: its reference and an offer to email the other's
    link to the address on file, never that ticket's thread or link. Merging trusts the address
    a customer typed, which anyone can type: the holder of this link may not be the one who
    wrote the other ticket. A reply posted here (from a page opened before the merge) is filed
    there, not lost."""
    form = None
    status = 200
    is_closed = False
    if request.method == "POST" and "send_link" in request.POST:
        ticket_page_link_send(ticket=into)
        messages.success(request, _("We have sent you the link by email."))
        return HttpResponseRedirect(request.path, status=303)
    if request.method == "POST":
        form = TicketPageReplyForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            if (response := _page_reply_file(request, form, ticket=into)) is not None:
                return response
            form, status, is_closed = None, 409, True
    context = {"ticket": ticket, "into": into, "form": form, "is_closed": is_closed}
    return render(request, "tickets/ticket_merged.html", context, status=status)


@require_GET
def ticket_page_attachment(request, token, pk):
    """A file of the ticket's public thread, for the holder of the page's link only: anything
    else (another ticket's file, an internal note's, an old link) is the page's 404, and counts
    as a miss of a wrong link."""
    ticket = _ticket_of_token(token)
    found = ticket and attachment_for_customer(ticket=ticket, pk=pk)
    if not found:
        return _ticket_page_miss(request)
    return attachment_response(found)


def _ticket_page_miss(request):
    # Past TICKET_PAGE_MISS_RATE_LIMIT an address's wrong links get 429. A right link needs
    # our signature, which no number of tries finds, so it is never refused: a customer
    # behind the same address as a guesser still reads their case, and the request that
    # opens a page touches no cache.
    if _limited(request, "ticket_page_miss", settings.TICKET_PAGE_MISS_RATE_LIMIT):
        return render(request, "429.html", {"is_ticket_page": True}, status=429)
    raise Http404


def _limited(request, group: str, rate: str) -> bool:
    return is_ratelimited(request, group=group, key="ip", rate=rate, increment=True)


def _ticket_of_token(token: str) -> Ticket | None:
    if (read := page_token_read(token)) is None:
        return None
    reference, access_key = read
    ticket = Ticket.objects.filter(reference=reference, anonymised_at=None).first()
    # An empty key (erased) never matches; a renewed key makes every older token a miss.
    if ticket is None or not ticket.access_key:
        return None
    return ticket if constant_time_compare(ticket.access_key, access_key) else None


def _ticket_page_headers(response):
    # The link is the only key to the page: no search engine, cache or other site gets it.
    # Not "no-referrer": under it browsers send "Origin: null" with the reply form's POST, which
    # the CSRF check rightly refuses. "same-origin" names the page (token) to this site only,
    # whose logs have it already; the page itself links nowhere else.
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


@foreign_origin_refused
@require_http_methods(["GET", "HEAD", "POST"])
def rating(request, token):
    """The page the rating email's links open: the answer chosen, a comment box and a button.
    Only the POST records (mail scanners open every link), once, before the link expires."""
    found = rating_of_token(token)
    if found is None:
        return _ticket_page_miss(request)
    status = 200
    is_expired = found.rated_at is None and found.expires_at <= timezone.now()
    chosen = CHOICES.get(request.GET.get(CHOICE_PARAMETER, ""), "")
    error = ""
    if request.method == "POST" and found.rated_at is None and not is_expired:
        score = request.POST.get("score", "")
        chosen = score if score in Rating.Score.values else ""
        if not chosen:
            error = _("Choose one of the two answers.")
            status = 400
        elif rating_record(rating=found, score=score, comment=request.POST.get("comment", "")):
            return HttpResponseRedirect(request.path, status=303)
        else:
            # Answered or expired between the read and the post: the page says which.
            found.refresh_from_db()
            is_expired = found.rated_at is None
    if is_expired:
        status = 410
    response = render(
        request,
        "tickets/rating.html",
        {
            "rating": found,
            "ticket": found.ticket,
            "chosen": chosen,
            "error": error,
            "is_expired": is_expired,
            "scores": Rating.Score.choices,
            "comment": request.POST.get("comment", ""),
        },
        status=status,
    )
    return _ticket_page_headers(response)


@cross_site_refused
@require_POST
def suggest(request):
    """Up to three FAQ answers for the message being written; each one shown is recorded."""
    if is_ratelimited(
        request, group="suggest", key="ip", rate=settings.SUGGEST_RATE_LIMIT, increment=True
    ):
        return JsonResponse({"suggestions": []}, status=429)
    page_view = help_page_served()
    text = request.POST.get("message", "")[:SUGGEST_TEXT_MAX]
    if page_view is None:
        return JsonResponse({"suggestions": []})
    entries = page_view.suggestions(text, limit=SUGGESTIONS_SHOWN)
    # Only a token this server issued: an invented one would count forms nobody saw.
    token = form_token_read(request.POST.get("token", ""))
    if entries and token:
        suggestion_impressions_record(form_token=token, entries=entries)
    base = reverse("faq:help_page")
    return JsonResponse(
        {
            "suggestions": [
                {"question": e.question, "url": f"{base}#{e.anchor}", "entry": e.pk}
                for e in entries
            ]
        }
    )


# help.js's beacon when the customer opens a suggested answer: counted once per form and entry,
# only for an entry suggested to that form (a token this server issued); a 204 either way.
@cross_site_refused
@require_POST
def suggestion_opened(request):
    token = form_token_read(request.POST.get("token", ""))
    entry = request.POST.get("entry", "")
    if token and entry.isdecimal() and len(entry) < 10:
        suggestion_opened_record(form_token=token, entry_id=int(entry))
    return HttpResponse(status=204)


@require_GET
def form_token(request):
    """A one-time token for the contact form, fetched by help.js when the visitor starts on it:
    the page itself is the same for everyone and carries none."""
    response = JsonResponse({"token": form_token_new()})
    response["Cache-Control"] = "no-store"
    return response


def _success_url(block: Block) -> str:
    # Reversed, so it keeps the language's prefix (/en/suksess/); a path that is not one slug
    # could never be a thanks page, and sends the customer back to the help page instead.
    try:
        return reverse("tickets:thanks", kwargs={"slug": block.success_path.strip("/")})
    except NoReverseMatch:
        return reverse("faq:help_page")


def _agent_attachment(request, pk: int) -> Attachment:
    # Anyone but an agent is told nothing, not even that the file exists: 404, never 403 (and
    # staff without two factors never get here: staffauth's middleware sends them to give a code).
    user = request.user
    if not (user.is_active and user.is_staff and user.has_perm("tickets.view_ticket")):
        raise Http404
    return get_object_or_404(Attachment, pk=pk)


@require_GET
def attachment(request, pk):
    """An attachment, downloaded by an agent from the ticket page in the admin."""
    return attachment_response(_agent_attachment(request, pk))


@require_GET
def attachment_thumbnail(request, pk):
    """An image attachment's thumbnail, shown in the admin's thread."""
    found = _agent_attachment(request, pk)
    if not found.thumbnail:
        raise Http404
    return attachment_thumbnail_response(found)


@csrf_exempt
def inbound_webhook(request, esp):
    """A provider's inbound mail webhook: django-anymail's view for INBOUND_ESP, which checks the
    basic auth of ANYMAIL_WEBHOOK_SECRET (and the provider's signature) and sends the `inbound`
    signal that tickets.signals files. Absent, a 404, while either setting is missing."""
    if not settings.INBOUND_ESP or esp != settings.INBOUND_ESP:
        raise Http404
    if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        raise Http404
    views = {p.name: p.callback for p in anymail_urls.urlpatterns}
    view = views.get(f"{esp}_inbound_webhook")
    if view is None:
        raise Http404
    try:
        return view(request)
    except AnymailWebhookValidationFailure as error:
        # A wrong password or signature: refused, and nothing read further.
        logger.warning("Inbound webhook refused: %s", error)
        return HttpResponseForbidden()
