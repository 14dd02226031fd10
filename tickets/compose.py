"""The ticket page's writing aids beside the admin's form: the reply's preview as the customer
will get it, "Angre" in its undo window, who else has the ticket open or is typing, and
merging with another ticket of the same customer. Wired in TicketAdmin.get_urls()."""

from functools import partial

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tickets.collision import BEAT_SECONDS, presence_beat, presence_leave, presence_others
from tickets.emails import reply_preview
from tickets.merge import MergeRefused, merge_check, ticket_merge_undo, tickets_merge
from tickets.models import Ticket, TicketMerge
from tickets.references import reference_normalize
from tickets.undo import ReplyUndoRefused, held_replies, ticket_reply_undo

# The session key of a reply taken back, to put its text back in the reply box.
DRAFT_KEY = "tickets-reply-draft"
# Other open tickets of the customer offered as merge targets.
MERGE_CHOICES = 20


def compose_urls(model_admin) -> list:
    wrap = model_admin.admin_site.admin_view

    def post(view, name, route):
        return path(route, wrap(require_POST(partial(view, model_admin))), name=name)

    return [
        post(reply_preview_view, "tickets_ticket_reply_preview", "<int:object_id>/reply/preview/"),
        post(
            reply_undo_view,
            "tickets_ticket_reply_undo",
            "<int:object_id>/reply/<int:message_id>/undo/",
        ),
        post(presence_view, "tickets_ticket_presence", "<int:object_id>/presence/"),
        path(
            "<int:object_id>/merge/",
            wrap(partial(merge_view, model_admin)),
            name="tickets_ticket_merge",
        ),
        post(merge_undo_view, "tickets_ticket_merge_undo", "merge/<int:merge_id>/undo/"),
    ]


def _change_url(ticket_id: int) -> str:
    return reverse("admin:tickets_ticket_change", args=[ticket_id])


def _ticket_for_change(model_admin, request, object_id) -> Ticket:
    ticket = model_admin.get_object(request, str(object_id))
    if ticket is None:
        raise Http404
    if not model_admin.has_change_permission(request, ticket):
        raise PermissionDenied
    return ticket


def reply_preview_view(model_admin, request, object_id):
    ticket = _ticket_for_change(model_admin, request, object_id)
    subject, text = reply_preview(ticket, request.POST.get("body", "").strip())
    return JsonResponse({"to": ticket.email, "subject": subject, "text": text})


def reply_undo_view(model_admin, request, object_id, message_id):
    ticket = _ticket_for_change(model_admin, request, object_id)
    try:
        message = ticket_reply_undo(message_id=message_id, agent=request.user)
    except ReplyUndoRefused:
        model_admin.message_user(
            request, _("Too late to undo: the reply has been sent."), messages.ERROR
        )
    else:
        request.session[DRAFT_KEY] = {"ticket": ticket.pk, "body": message.body}
        model_admin.message_user(
            request,
            _("The reply was not sent. Its text is back in the reply box."),
            messages.SUCCESS,
        )
    return HttpResponseRedirect(_change_url(ticket.pk), status=303)


def reply_draft_pop(request, ticket) -> str:
    draft = request.session.get(DRAFT_KEY)
    if not draft or ticket is None or draft.get("ticket") != ticket.pk:
        return ""
    del request.session[DRAFT_KEY]
    return draft.get("body", "")


def presence_view(model_admin, request, object_id):
    """The page's heartbeat: this agent is here (typing or not); who else is."""
    _ticket_for_change(model_admin, request, object_id)
    if request.POST.get("leave"):
        presence_leave(ticket_id=object_id, user=request.user)
        return JsonResponse({"others": []})
    presence_beat(ticket_id=object_id, user=request.user, typing=bool(request.POST.get("typing")))
    return JsonResponse({"others": presence_others(ticket_id=object_id, user=request.user)})


def compose_context(model_admin, request, object_id) -> dict:
    ticket = model_admin.get_object(request, object_id)
    if ticket is None:
        return {}
    now = timezone.now()
    return {
        "held_replies": [
            {
                "message": message,
                "seconds": max(int((message.held_until - now).total_seconds()), 0),
                "undo_url": reverse(
                    "admin:tickets_ticket_reply_undo", args=[ticket.pk, message.pk]
                ),
            }
            for message in held_replies(ticket=ticket, agent=request.user)
        ],
        "compose": {
            "preview_url": reverse("admin:tickets_ticket_reply_preview", args=[ticket.pk]),
            "presence_url": reverse("admin:tickets_ticket_presence", args=[ticket.pk]),
            "beat_seconds": BEAT_SECONDS,
        },
        "merge_url": reverse("admin:tickets_ticket_merge", args=[ticket.pk]),
        "merge_undo": [
            {"merge": merge, "url": reverse("admin:tickets_ticket_merge_undo", args=[merge.pk])}
            for merge in TicketMerge.objects.filter(
                target=ticket, actor=request.user, undone_at=None
            ).select_related("source")
        ],
        "reply_undo_seconds": settings.REPLY_UNDO_SECONDS,
    }


def merge_links(ticket: Ticket):
    """Both ways: the ticket this one was merged into, and those merged into this one."""
    parts = []
    if ticket.merged_into_id is not None:
        into = ticket.merged_into
        parts.append(
            format_html(
                '{} <a href="{}">{}</a>', _("Merged into"), _change_url(into.pk), into.reference
            )
        )
    merged_from = list(ticket.merged_from.only("pk", "reference"))
    if merged_from:
        links = format_html_join(
            ", ", '<a href="{}">{}</a>', ((_change_url(t.pk), t.reference) for t in merged_from)
        )
        parts.append(format_html("{} {}", _("Merged from"), links))
    return format_html_join(" · ", "{}", ((part,) for part in parts)) if parts else "-"


def merge_view(model_admin, request, object_id):
    """Choose the ticket to merge this one into, and confirm."""
    source = _ticket_for_change(model_admin, request, object_id)
    candidates = (
        Ticket.objects.filter(email__iexact=source.email, anonymised_at=None, merged_into=None)
        .exclude(pk=source.pk)
        .order_by("-created_at")[:MERGE_CHOICES]
    )
    error = ""
    target = None
    chosen = request.POST.get("target") or request.GET.get("target") or ""
    if chosen:
        reference = reference_normalize(chosen)
        lookup = {"reference": reference} if reference else {"pk": -1}
        if chosen.isdigit():
            lookup = {"pk": int(chosen)}
        target = Ticket.objects.filter(**lookup).first()
        if target is None:
            error = _("No ticket has the reference %(reference)s.") % {"reference": chosen}
        else:
            try:
                merge_check(source, target)
            except MergeRefused as refused:
                error, target = str(refused), None
    if request.method == "POST" and target is not None and request.POST.get("confirm"):
        if not model_admin.has_change_permission(request, target):
            raise PermissionDenied
        try:
            tickets_merge(source=source, target=target, actor=request.user)
        except MergeRefused as refused:
            error = str(refused)
        else:
            model_admin.message_user(
                request,
                _("%(source)s was merged into %(target)s.")
                % {"source": source.reference, "target": target.reference},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(_change_url(target.pk), status=303)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Merge %(reference)s into another ticket") % {"reference": source.reference},
        "opts": model_admin.model._meta,
        "original": source,
        "source": source,
        "target": target,
        "candidates": candidates,
        "error": error,
        "chosen": chosen,
    }
    return TemplateResponse(request, "admin/tickets/ticket/merge.html", context)


def merge_undo_view(model_admin, request, merge_id):
    # Undoing changes both tickets: the right to change each, as merging them needed.
    merge = TicketMerge.objects.filter(pk=merge_id).only("source", "target").first()
    if merge is None:
        raise Http404
    both = model_admin.get_queryset(request).filter(pk__in=[merge.source_id, merge.target_id])
    if not all(model_admin.has_change_permission(request, ticket) for ticket in both):
        raise PermissionDenied
    try:
        merge = ticket_merge_undo(merge_id=merge_id, actor=request.user)
    except MergeRefused as refused:
        model_admin.message_user(request, str(refused), messages.ERROR)
        return HttpResponseRedirect(reverse("admin:tickets_ticket_changelist"), status=303)
    model_admin.message_user(
        request,
        _("The merge was undone: %(source)s is a ticket of its own again.")
        % {"source": merge.source.reference},
        messages.SUCCESS,
    )
    return HttpResponseRedirect(_change_url(merge.source_id), status=303)
