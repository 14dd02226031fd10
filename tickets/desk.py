"""The agents' desk pages beside the ticket admin: the "needs action" queue (the agents' landing
page), its live counts, "take" on a ticket page, the reply box's saved replies, a ticket for a
phone call or a walk-in, and the changelist's saved views. Wired in TicketAdmin.get_urls()."""

from functools import partial
from math import ceil

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models.functions import Lower
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from tickets.forms import DeskTicketForm
from tickets.macros import insertable_dicts, insertables_search
from tickets.models import AGENT_GROUP, Ticket
from tickets.queue import TABS, queue_counts, queue_next, queue_tab, queue_tickets
from tickets.saved_views import (
    SavedViewRefused,
    saved_view_delete,
    saved_view_parameters,
    saved_view_query,
    saved_view_save,
)
from tickets.services import ticket_create_for_customer, ticket_take
from tickets.sla import ticket_time_left, time_left_text

PER_PAGE = 50
# Within this many business seconds of its target a ticket is shown as urgent.
DUE_SOON_SECONDS = 3600
OTHER_TICKETS_SHOWN = 10
# The query parameter a ticket page opened from the queue carries: which tab it came from.
QUEUE_PARAMETER = "queue"


def desk_urls(model_admin) -> list:
    wrap = model_admin.admin_site.admin_view
    return [
        path("queue/", wrap(partial(queue_view, model_admin)), name="tickets_ticket_queue"),
        path(
            "queue/counts/",
            wrap(partial(queue_counts_view, model_admin)),
            name="tickets_ticket_queue_counts",
        ),
        path("new/", wrap(partial(ticket_new_view, model_admin)), name="tickets_ticket_new"),
        path(
            "views/save/",
            wrap(require_POST(partial(saved_view_save_view, model_admin))),
            name="tickets_ticket_view_save",
        ),
        path(
            "views/<int:view_id>/delete/",
            wrap(require_POST(partial(saved_view_delete_view, model_admin))),
            name="tickets_ticket_view_delete",
        ),
        path(
            "<path:object_id>/replies/",
            wrap(partial(replies_view, model_admin)),
            name="tickets_ticket_replies",
        ),
        path(
            "<path:object_id>/take/",
            wrap(require_POST(partial(take_view, model_admin))),
            name="tickets_ticket_take",
        ),
    ]


def is_agent(user) -> bool:
    return user.is_active and user.is_staff and user.groups.filter(name=AGENT_GROUP).exists()


def admin_home(request):
    """The admin's front page; agents land on the queue instead."""
    if is_agent(request.user):
        return HttpResponseRedirect(reverse("admin:tickets_ticket_queue"))
    return admin.site.index(request)


def queue_url(tab: str) -> str:
    return f"{reverse('admin:tickets_ticket_queue')}?{urlencode({'tab': tab})}"


def ticket_url(ticket: Ticket, tab: str) -> str:
    path = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    return f"{path}?{urlencode({QUEUE_PARAMETER: tab})}"


def queue_view(model_admin, request):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    tab = queue_tab(request.GET.get("tab"))
    counts = queue_counts(user=request.user)
    pages = max(ceil(counts[tab] / PER_PAGE), 1)
    try:
        page = min(max(int(request.GET.get("p", 1)), 1), pages)
    except ValueError:
        page = 1
    start = (page - 1) * PER_PAGE
    now = timezone.now()
    rows = []
    for ticket in queue_tickets(user=request.user, tab=tab)[start : start + PER_PAGE]:
        left = ticket_time_left(ticket, now=now)
        rows.append(
            {
                "ticket": ticket,
                "url": ticket_url(ticket, tab),
                "subject": Truncator(" ".join(ticket.message.split())).chars(70),
                "time_left": time_left_text(ticket, now=now),
                "state": _urgency(left),
                "waiting": timesince(ticket.waiting_since, now, depth=2),
                "is_reopened": ticket.last_reply_at is not None,
            }
        )
    labels = {
        "mine": pgettext("queue tab", "Mine"),
        "unassigned": pgettext("queue tab", "Unassigned"),
        "all": pgettext("queue tab", "All"),
    }
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Needs action"),
        "opts": model_admin.model._meta,
        "tabs": [
            {"key": key, "label": labels[key], "count": counts[key], "url": queue_url(key)}
            for key in TABS
        ],
        "tab": tab,
        "rows": rows,
        "page": page,
        "pages": pages,
        "previous_url": f"{queue_url(tab)}&p={page - 1}" if page > 1 else "",
        "next_url": f"{queue_url(tab)}&p={page + 1}" if page < pages else "",
        "counts_url": reverse("admin:tickets_ticket_queue_counts"),
    }
    return TemplateResponse(request, "admin/tickets/ticket/queue.html", context)


def _urgency(left: float | None) -> str:
    if left is None:
        return ""
    if left < 0:
        return "breached"
    return "soon" if left <= DUE_SOON_SECONDS else "ok"


def queue_counts_view(model_admin, request):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    return JsonResponse(queue_counts(user=request.user))


def take_view(model_admin, request, object_id):
    ticket = model_admin.get_object(request, object_id)
    if ticket is None:
        raise Http404
    if not model_admin.has_change_permission(request, ticket):
        raise PermissionDenied
    ticket_take(ticket=ticket, agent=request.user)
    model_admin.message_user(
        request, _("You took %(reference)s.") % {"reference": ticket.reference}, messages.SUCCESS
    )
    path = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    query = request.GET.urlencode()
    return HttpResponseRedirect(f"{path}?{query}" if query else path, status=303)


def replies_view(model_admin, request, object_id):
    """The reply box's picker: saved replies and FAQ answers whose names hold the typed letters,
    rendered for this ticket and this agent."""
    ticket = model_admin.get_object(request, object_id)
    if ticket is None:
        raise Http404
    if not model_admin.has_change_permission(request, ticket):
        raise PermissionDenied
    found = insertables_search(
        query=request.GET.get("q", "")[:100], ticket=ticket, agent=request.user
    )
    return JsonResponse({"results": insertable_dicts(found)})


def ticket_new_view(model_admin, request):
    """A ticket for a customer on the phone or at the counter, written down by the agent."""
    if not model_admin.has_view_permission(request) or not request.user.has_perm(
        "tickets.add_ticket"
    ):
        raise PermissionDenied
    form = DeskTicketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ticket = ticket_create_for_customer(agent=request.user, **form.cleaned_data)
        model_admin.message_user(
            request,
            _("Ticket %(reference)s created.") % {"reference": ticket.reference},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:tickets_ticket_change", args=[ticket.pk]), status=303
        )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("New ticket for a customer"),
        "opts": model_admin.model._meta,
        "form": form,
    }
    return TemplateResponse(request, "admin/tickets/ticket/new.html", context)


def _changelist_url(query: str) -> str:
    # Always our own changelist: a saved query is only ever appended here, never followed.
    path = reverse("admin:tickets_ticket_changelist")
    return f"{path}?{query}" if query else path


def saved_view_save_view(model_admin, request):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    query, allowed = request.POST.get("query", ""), saved_view_parameters(model_admin)
    try:
        view = saved_view_save(
            owner=request.user,
            name=request.POST.get("name", ""),
            query=query,
            is_shared=request.POST.get("is_shared") == "on",
            allowed=allowed,
        )
    except SavedViewRefused as error:
        # Back to the same list, the filter kept, to name it and save again.
        model_admin.message_user(request, str(error), messages.ERROR)
        return HttpResponseRedirect(
            _changelist_url(saved_view_query(query, allowed=allowed)), status=303
        )
    model_admin.message_user(
        request, _("The view “%(name)s” is saved.") % {"name": view.name}, messages.SUCCESS
    )
    return HttpResponseRedirect(_changelist_url(view.query), status=303)


def saved_view_delete_view(model_admin, request, view_id):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    if not saved_view_delete(view_id=view_id, user=request.user):
        raise Http404
    model_admin.message_user(request, _("The view is deleted."), messages.SUCCESS)
    return HttpResponseRedirect(_changelist_url(""), status=303)


def customer_other_tickets(ticket: Ticket) -> dict:
    """The latest of the customer's other tickets (same address, however capitalised) as rows
    of (ticket, subject, url), and a search for all of them when there are more; one query."""
    if not ticket.email:
        return {"tickets": [], "more_url": ""}
    others = list(
        Ticket.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower=ticket.email.lower())
        .exclude(pk=ticket.pk)
        .order_by("-created_at")
        .only("pk", "reference", "status", "message", "created_at")[: OTHER_TICKETS_SHOWN + 1]
    )
    search = f"{reverse('admin:tickets_ticket_changelist')}?{urlencode({'q': ticket.email})}"
    return {
        "tickets": [
            (
                other,
                Truncator(" ".join(other.message.split())).chars(50),
                reverse("admin:tickets_ticket_change", args=[other.pk]),
            )
            for other in others[:OTHER_TICKETS_SHOWN]
        ],
        "more_url": search if len(others) > OTHER_TICKETS_SHOWN else "",
    }


def change_context(model_admin, request, object_id) -> dict:
    """What the ticket page adds: "take", the next ticket of the queue it was opened from, the
    saved replies' picker."""
    ticket = model_admin.get_object(request, object_id)
    if ticket is None:
        return {}
    context = {
        "replies_url": reverse("admin:tickets_ticket_replies", args=[ticket.pk]),
        "can_take": ticket.assignee_id != request.user.pk
        and model_admin.has_change_permission(request, ticket),
        "take_url": reverse("admin:tickets_ticket_take", args=[ticket.pk])
        + (f"?{request.GET.urlencode()}" if request.GET else ""),
    }
    if (tab := request.GET.get(QUEUE_PARAMETER)) in TABS:
        following = queue_next(user=request.user, tab=tab, ticket=ticket)
        context["queue_url"] = queue_url(tab)
        context["queue_next_url"] = ticket_url(following, tab) if following else ""
    return context
