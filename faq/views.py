import re

from django.conf import settings
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe
from django_ratelimit.core import is_ratelimited

from faq.models import Block
from faq.responses import rendered_page
from faq.selectors import help_page_view
from faq.services import faq_entry_vote
from sekvens_help.origin import Origin, request_origin
from tickets.forms import ContactForm

QUERY_MAX_LENGTH = 200
VOTE_COOKIE = "faq_feedback"
VOTE_COOKIE_MAX_AGE = 365 * 24 * 3600
VOTES_KEPT = 100
VOTE_VALUES = {"ja": True, "nei": False}
VOTE_RATE_LIMIT = "30/10m"
TEXT = "text/plain; charset=utf-8"
HELP_PAGE_TEMPLATE = "faq/help_page.html"


# HEAD too: monitors and link checkers ask for / that way.
@require_safe
def help_page(request):
    return help_page_render(request)


def help_page_render(request, *, contact_form=None, status=200):
    """The help page; the contact view passes its bound form back with its errors."""
    page_view = help_page_view(settings.HELP_PAGE_SLUG)
    # Only a visitor with a session cookie can be staff. Without one, the session is not read, so
    # the page does not vary on Cookie and costs no query here.
    preview = settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_staff
    if page_view is None or (page_view.page.is_hidden and not preview):
        raise Http404(_("The help page is not published."))
    query = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
    if not (preview or query or contact_form):
        # What nearly every visitor gets: the finished page of this content version.
        rendered = rendered_page(page_view, HELP_PAGE_TEMPLATE, lambda: _context(page_view))
        return rendered.response(request)
    context = _context(page_view, preview=preview, query=query, contact_form=contact_form)
    response = render(request, HELP_PAGE_TEMPLATE, context, status=status)
    if preview:
        # Hidden entries: never kept by a proxy, nor by the browser for the next person.
        patch_cache_control(response, private=True, no_store=True)
    return response


def _context(page_view, *, preview=False, query="", contact_form=None):
    blocks = page_view.blocks_shown(preview=preview, query=query)
    for shown in blocks:
        if shown.block.kind == Block.Kind.HELP_FORM:
            shown.form = contact_form or ContactForm(form_fields=shown.fields)
    return {
        "page": page_view.page,
        "blocks": blocks,
        "json_ld": page_view.json_ld,
        "query": query,
        "preview": preview,
    }


# A vote is anonymous and changes nothing but a counter, and the answers it is cast on are cached
# for every visitor alike, so they carry no per-visitor CSRF token: a vote from another site's
# page is refused by what the browser says about it, and one address cannot vote endlessly.
@csrf_exempt
@require_POST
def entry_feedback(request, entry_id):
    if request_origin(request) is Origin.FOREIGN:
        return HttpResponseForbidden(
            _("Votes are only taken from this site."), content_type="text/plain"
        )
    if is_ratelimited(request, group="feedback", key="ip", rate=VOTE_RATE_LIMIT, increment=True):
        return HttpResponse(
            _("Too many votes; please try again later."), status=429, content_type="text/plain"
        )
    is_helpful = VOTE_VALUES.get(request.POST.get("svar", ""))
    if is_helpful is None:
        return HttpResponseBadRequest(_("Answer “ja” or “nei”."), content_type="text/plain")
    votes = _votes_read(request)
    anchor = faq_entry_vote(entry_id=entry_id, is_helpful=is_helpful, previous=votes.get(entry_id))
    if anchor is None:
        raise Http404(_("No such answer."))
    votes.pop(entry_id, None)
    votes[entry_id] = is_helpful
    message = _("Thank you for your feedback!")
    if "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"message": message})
    else:
        back = f"{reverse('faq:help_page')}#{anchor}"
        response = render(request, "faq/feedback_thanks.html", {"message": message, "back": back})
    response.set_signed_cookie(
        VOTE_COOKIE,
        _votes_write(votes),
        salt=VOTE_COOKIE,
        max_age=VOTE_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def _votes_read(request) -> dict[int, bool]:
    raw = request.get_signed_cookie(VOTE_COOKIE, default="", salt=VOTE_COOKIE)
    return {int(pk): value == "1" for pk, value in re.findall(r"(\d{1,18})-([01])", raw)}


def _votes_write(votes: dict[int, bool]) -> str:
    kept = list(votes.items())[-VOTES_KEPT:]
    return ".".join(f"{pk}-{int(value)}" for pk, value in kept)
