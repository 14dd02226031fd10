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
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe
from django_ratelimit.core import is_ratelimited

from faq.forms import FeedbackReasonsForm
from faq.models import Block
from faq.pages import (
    QUERY_MAX_LENGTH,
    entry_page_response,
    help_page_response,
    help_page_served,
)
from faq.search import search_highlight
from faq.search_log import search_logged, search_opened
from faq.services import faq_entry_vote, faq_feedback_record
from faq.suggestions import help_page_visited
from sekvens_help.origin import Origin, cross_site_refused, request_origin

VOTE_COOKIE = "faq_feedback"
VOTE_COOKIE_MAX_AGE = 365 * 24 * 3600
VOTES_KEPT = 100
VOTE_VALUES = {"ja": True, "nei": False}
VOTE_ENTRY_ID = re.compile(r"\d{1,18}", re.ASCII)
TEXT = "text/plain; charset=utf-8"


# HEAD too: monitors and link checkers ask for / that way.
@require_safe
def help_page(request):
    return help_page_response(request)


def help_page_render(request, *, contact_form=None, status=200):
    """The help page with a failed contact form; faq.pages.help_page_response is the API."""
    forms = None if contact_form is None else {Block.Kind.HELP_FORM: contact_form}
    return help_page_response(request, status=status, block_forms=forms)


@require_safe
def entry_page(request, anchor):
    return entry_page_response(request, anchor)


@require_safe
def search(request):
    """The ranked answers for the search box as you type: anchors and questions, words marked."""
    preview = request.user.is_staff
    page_view = help_page_served(preview=preview)
    if page_view is None:
        raise Http404(_("The help page is not published."))
    query = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
    ranked, terms = page_view.search(query, preview=preview)
    questions = {e.anchor: e.question for b in page_view.blocks for e in b.entries}
    response = JsonResponse(
        {
            "results": [
                {"anchor": anchor, "question": search_highlight(questions[anchor], terms)}
                for anchor in sorted(ranked, key=ranked.get)
            ]
        }
    )
    # help.js asks once more with logg=1 for the last query of a typing burst: that one counts
    # (faq.search_log), and is never answered from a cache. Not when another site's page asks.
    if request.GET.get("logg") == "1":
        if not preview and request_origin(request) is not Origin.FOREIGN:
            search_logged(request, query=query, results=len(ranked))
        response["Cache-Control"] = "private, no-store"
    # help.js asks with the page's content version (v), so an answer can be kept for as long as
    # that version lasts; a stale or missing version, or a preview, is answered afresh.
    elif not preview and request.GET.get("v") == page_view.page.content_version:
        response["Cache-Control"] = "public, max-age=86400"
    else:
        response["Cache-Control"] = "private, no-cache"
    return response


# help.js's beacon when a visitor opens a result of their search. It only adds to a query counted
# today (search_opened), so it makes no rows, and one address adds only so many (a 204 either way).
@cross_site_refused
@require_POST
def search_beacon(request):
    if request.POST.get("hendelse") != "apnet":
        return HttpResponseBadRequest(_("Unknown event."), content_type="text/plain")
    search_opened(request, query=request.POST.get("q", "")[:QUERY_MAX_LENGTH])
    return HttpResponse(status=204)


# help.js's beacon, once per load of the help page: the page is the same bytes for everyone and
# cached, so the visit is counted here (faq.suggestions). One address adds only so many; a 204
# either way, and nothing of the visitor is kept.
@cross_site_refused
@require_POST
def visit_beacon(request):
    if not is_ratelimited(
        request, group="visit", key="ip", rate=settings.SEARCH_LOG_RATE_LIMIT, increment=True
    ):
        help_page_visited(request)
    return HttpResponse(status=204)


# A vote is anonymous and changes nothing but a counter, and the answers it is cast on are cached
# for every visitor alike, so they carry no per-visitor CSRF token: a vote from another site's
# page is refused by what the browser says about it, and one address cannot vote endlessly.
@csrf_exempt
@require_POST
def vote(request):
    """The help page's one vote form: the button pressed names the answer, ja=ID or nei=ID."""
    cast = [(VOTE_VALUES[name], request.POST[name]) for name in VOTE_VALUES if name in request.POST]
    if len(cast) == 1 and VOTE_ENTRY_ID.fullmatch(cast[0][1]):
        return _vote_cast(request, entry_id=int(cast[0][1]), is_helpful=cast[0][0])
    return _vote_cast(request, entry_id=None, is_helpful=None)


# One answer's own vote address (svar=ja or svar=nei), for links and clients made before the page
# had one vote form.
@csrf_exempt
@require_POST
def entry_feedback(request, entry_id):
    is_helpful = VOTE_VALUES.get(request.POST.get("svar", ""))
    return _vote_cast(request, entry_id=entry_id, is_helpful=is_helpful)


def _vote_cast(request, *, entry_id: int | None, is_helpful: bool | None):
    if refusal := _feedback_refusal(
        request,
        group="feedback",
        foreign=_("Votes are only taken from this site."),
        too_many=_("Too many votes; please try again later."),
    ):
        return refusal
    if is_helpful is None:
        return HttpResponseBadRequest(_("Answer “ja” or “nei”."), content_type="text/plain")
    votes = _votes_read(request)
    anchor = faq_entry_vote(entry_id=entry_id, is_helpful=is_helpful, previous=votes.get(entry_id))
    if anchor is None:
        raise Http404(_("No such answer."))
    votes.pop(entry_id, None)
    votes[entry_id] = is_helpful
    message = _("Thank you for your feedback!")
    # After a "No", the visitor may say what was missing (entry_feedback_reasons).
    reasons_url = None if is_helpful else reverse("faq:feedback_reasons", args=[entry_id])
    if "application/json" in request.headers.get("Accept", ""):
        data = {"message": message} | ({"reasons_url": reasons_url} if reasons_url else {})
        response = JsonResponse(data)
    else:
        back = f"{reverse('faq:help_page')}#{anchor}"
        context = {"message": message, "back": back, "reasons_url": reasons_url}
        response = render(request, "faq/feedback_thanks.html", context)
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


# Like a vote: no CSRF token on the cached page, so the origin is checked and the rate limited; and
# only a visitor whose vote cookie holds a "No" on this entry is asked, so only they are heard.
@csrf_exempt
@require_POST
def entry_feedback_reasons(request, entry_id):
    if refusal := _feedback_refusal(
        request,
        group="feedback-reasons",
        foreign=_("Feedback is only taken from this site."),
        too_many=_("Too much feedback; please try again later."),
    ):
        return refusal
    if _votes_read(request).get(entry_id) is not False:
        return HttpResponseForbidden(
            _("Answer “No” to the question first."), content_type="text/plain"
        )
    wants_json = "application/json" in request.headers.get("Accept", "")
    form = FeedbackReasonsForm(request.POST)
    if not form.is_valid():
        if wants_json:
            errors = [e for errors in form.errors.values() for e in errors]
            return JsonResponse({"message": " ".join(errors)}, status=400)
        context = {"form": form, "reasons_url": request.path, "back": reverse("faq:help_page")}
        return render(request, "faq/feedback_thanks.html", context, status=400)
    anchor = faq_feedback_record(entry_id=entry_id, **form.cleaned_data)
    if anchor is None:
        raise Http404(_("No such answer."))
    message = _("Thank you! We will use it to improve the answer.")
    if wants_json:
        return JsonResponse({"message": message})
    back = f"{reverse('faq:help_page')}#{anchor}"
    return render(request, "faq/feedback_thanks.html", {"message": message, "back": back})


def _feedback_refusal(request, *, group: str, foreign: str, too_many: str) -> HttpResponse | None:
    """The answer to a vote or feedback that is not taken: sent from another site (`foreign`),
    or one too many from its address in the rate limit's `group` (`too_many`); else None."""
    if request_origin(request) is Origin.FOREIGN:
        return HttpResponseForbidden(foreign, content_type="text/plain")
    if is_ratelimited(
        request, group=group, key="ip", rate=settings.VOTE_RATE_LIMIT, increment=True
    ):
        return HttpResponse(too_many, status=429, content_type="text/plain")
    return None


def _votes_read(request) -> dict[int, bool]:
    raw = request.get_signed_cookie(VOTE_COOKIE, default="", salt=VOTE_COOKIE)
    return {int(pk): value == "1" for pk, value in re.findall(r"(\d{1,18})-([01])", raw)}


def _votes_write(votes: dict[int, bool]) -> str:
    kept = list(votes.items())[-VOTES_KEPT:]
    return ".".join(f"{pk}-{int(value)}" for pk, value in kept)
