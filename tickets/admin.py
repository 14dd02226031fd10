from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tickets.chat_desk import chat_desk_urls
from tickets.collision import (
    COPY_FIELDS,
    copy_state_changes,
    copy_state_decode,
    copy_state_encode,
    ticket_copy_state,
)
from tickets.compose import compose_context, compose_urls, merge_links, reply_draft_pop
from tickets.desk import (
    QUEUE_PARAMETER,
    change_context,
    customer_other_tickets,
    desk_urls,
    queue_url,
)
from tickets.faq_draft import faq_draft_urls
from tickets.forms import AttachmentsField
from tickets.macros import PLACEHOLDERS, macro_placeholders_unknown
from tickets.models import (
    AGENT_GROUP,
    ChatSettings,
    Message,
    OutboundEmail,
    SavedReply,
    SuggestionImpression,
    Ticket,
    TicketEvent,
)
from tickets.queue import TABS
from tickets.references import reference_legacy_id, reference_normalize
from tickets.saved_views import saved_view_parameters, saved_view_query, saved_views_for
from tickets.services import (
    TRACKED_FIELDS,
    ticket_change,
    ticket_page_link_renew,
    ticket_reply,
    ticket_saved_reply_apply,
    tickets_erase,
    tickets_export,
)
from tickets.sla import RUNNING, business_add, next_due, time_left_text
from tickets.statistics import statistics_urls
from tickets.workflow import TransitionRefused, transition_allowed


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        from django.contrib.auth import get_user_model

        staff = (
            get_user_model()
            .objects.filter(is_staff=True, is_active=True, groups__name=AGENT_GROUP)
            .order_by("username")
        )
        return [
            ("none", _("Unassigned")),
            ("me", _("Mine")),
            *((str(user.pk), user.get_username()) for user in staff),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value == "me":
            return queryset.filter(assignee=request.user)
        if value and value.isdigit():
            return queryset.filter(assignee_id=int(value))
        return queryset


class EmailFailedFilter(admin.SimpleListFilter):
    title = _("email")
    parameter_name = "email"

    def lookups(self, request, model_admin):
        return [("failed", _("Email failed"))]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            failed = OutboundEmail.objects.filter(ticket=OuterRef("pk"), failed_at__isnull=False)
            return queryset.filter(Exists(failed))
        return queryset


class SlaFilter(admin.SimpleListFilter):
    title = _("response target")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [
            ("breached", _("Breached")),
            ("soon", _("Due within 1 hour")),
            ("ok", _("On time")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value not in {"breached", "soon", "ok"}:
            return queryset
        # Within an hour of business time: on Friday at 15:30, Monday at 08:30 is due soon.
        now = timezone.now()
        soon = business_add(now, 3600)
        running = queryset.filter(status__in=RUNNING, sla_paused_at=None)
        if value == "breached":
            return running.filter(next_due__lt=now)
        if value == "soon":
            return running.filter(next_due__gte=now, next_due__lte=soon)
        return running.filter(next_due__gt=soon)


class TicketForm(forms.ModelForm):
    # The state the page was opened with (tickets.collision): a save on a copy that another
    # agent changed since is refused, showing what changed.
    opened = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["opened"].initial = copy_state_encode(ticket_copy_state(self.instance))

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        # The admin validates inside its transaction: the row stays locked until the save, so
        # nothing can change between this check and ticket_change (no 500 on a race).
        current = Ticket.objects.select_for_update().get(pk=self.instance.pk)
        opened = copy_state_decode(self.data.get(self.add_prefix("opened"), ""))
        if opened is not None:
            now = ticket_copy_state(current)
            if changes := copy_state_changes(opened=opened, current=now, ticket=current):
                self._copy_refresh(opened, now)
                raise forms.ValidationError(
                    [_("Another agent changed this ticket since you opened it; nothing was saved:")]
                    + changes
                    + [_("Your text is still in the form. Check the changes and save again.")],
                    code="changed",
                )
        status = cleaned.get("status")
        # The table in tickets.workflow, with its message, before ticket_change would refuse it.
        if status and not transition_allowed(current.status, status):
            self.add_error(
                "status",
                forms.ValidationError(
                    str(TransitionRefused(current.status, status)), code="transition"
                ),
            )
        return cleaned

    def _copy_refresh(self, opened: dict, now: dict) -> None:
        # The page shown again is a copy of now: what the other agent changed is shown, what
        # this one changed and typed is kept.
        self.data = self.data.copy()
        self.data[self.add_prefix("opened")] = copy_state_encode(now)
        for field in COPY_FIELDS:
            posted = self.data.get(self.add_prefix(field), "")
            if posted == str(opened[field] or "") and opened[field] != now[field]:
                self.data[self.add_prefix(field)] = str(now[field] or "")


class TicketActionForm(ActionForm):
    status = forms.ChoiceField(
        label=_("status"), choices=[("", "---------"), *Ticket.Status.choices], required=False
    )
    priority = forms.ChoiceField(
        label=_("priority"), choices=[("", "---------"), *Ticket.Priority.choices], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # On a ticket's own page its status and priority are fields of the form below; only
        # the changelist sets them in bulk.
        if self.prefix == ActionLocation.CHANGE_FORM.value:
            del self.fields["status"], self.fields["priority"]


class ReadOnlyInlineMixin:
    """A record of what happened: shown, never added to or changed by hand."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class NoteThreadInline(ReadOnlyInlineMixin, admin.StackedInline):
    model = Message
    verbose_name_plural = _("the conversation")
    fields = ["kind_shown", "channel", "sender", "created_at", "body", "files", "faq_draft"]
    readonly_fields = fields

    def get_queryset(self, request):
        # A desk reply is held until its email is sent (its undo window, then the worker):
        # to every agent, not only to its author, it shows as not sent yet.
        unsent = OutboundEmail.objects.filter(
            note=OuterRef("pk"), kind=OutboundEmail.Kind.REPLY, sent_at=None, failed_at=None
        )
        return (
            super()
            .get_queryset(request)
            .select_related("author")
            .prefetch_related("attachments")
            .annotate(unsent=Exists(unsent))
        )

    @admin.display(description=_("kind"))
    def kind_shown(self, message):
        if message.held_until is None or not getattr(message, "unsent", False):
            return message.get_kind_display()
        if message.held_until > timezone.now():
            return format_html(
                '<strong class="thread-held" data-thread-held>{}</strong>',
                _("%(kind)s – waiting to be sent (can be undone until %(time)s)")
                % {
                    "kind": message.get_kind_display(),
                    "time": date_format(timezone.localtime(message.held_until), "H:i:s"),
                },
            )
        return format_html(
            '<strong class="thread-held" data-thread-held>{}</strong>',
            _("%(kind)s – waiting to be sent") % {"kind": message.get_kind_display()},
        )

    @admin.display(description=_("attachments"))
    def files(self, message):
        return render_to_string("admin/tickets/attachments.html", {"message": message})

    @admin.display(description=_("FAQ"))
    def faq_draft(self, message):
        if message.kind != Message.Kind.PUBLIC:
            return ""
        url = reverse("admin:tickets_message_faq_draft", args=[message.pk])
        return format_html('<a href="{}">{}</a>', url, _("Make an FAQ draft"))

    @admin.display(description=_("from"))
    def sender(self, message):
        if message.author is not None:
            return message.author.get_full_name() or message.author.get_username()
        return message.author_name


class NewNoteForm(forms.ModelForm):
    # An agent writes a reply or a note, never a message as if from the customer. A note is
    # what the form starts as; a reply is a choice made on purpose, and the box changes colour.
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=[
            (Message.Kind.INTERNAL.value, _("Internal note: only agents see it")),
            (Message.Kind.PUBLIC.value, _("Reply to the customer: emailed to them")),
        ],
        initial=Message.Kind.INTERNAL,
        required=False,
        widget=forms.RadioSelect(attrs={"data-compose-kind": ""}),
    )

    attachments = AttachmentsField(label=_("attachments"))
    # The saved reply the picker inserted (static/tickets/macros.js): its status and priority
    # are set when the reply is saved.
    saved_reply = forms.ModelChoiceField(
        queryset=SavedReply.objects.all(),
        required=False,
        widget=forms.HiddenInput(attrs={"data-saved-reply": ""}),
    )

    class Meta:
        model = Message
        fields = ["kind", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 5, "data-reply-box": ""})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].rules_show()

    def has_changed(self):
        # Written in only when something was typed or attached; the kind alone is no note.
        files = self.files.getlist(self.add_prefix("attachments")) if self.files else []
        return bool(self.data.get(self.add_prefix("body"), "").strip() or files)

    def clean_kind(self):
        # Nothing chosen is a note: only a deliberate choice emails the customer.
        return self.cleaned_data["kind"] or Message.Kind.INTERNAL


class NewNoteInline(admin.StackedInline):
    model = Message
    form = NewNoteForm
    verbose_name = _("new note or reply")
    verbose_name_plural = _("write a note or a reply (a reply is emailed to the customer)")
    extra = 1
    max_num = 1
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_add_permission(self, request, obj=None):
        if obj is not None and obj.anonymised_at is not None:
            return False
        return super().has_add_permission(request, obj)

    def has_view_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)


class EventInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = TicketEvent
    verbose_name_plural = _("history")
    fields = ["created_at", "actor", "what", "old_value", "new_value"]
    readonly_fields = fields

    @admin.display(description=_("what"))
    def what(self, event):
        if event.field == "channel":
            # Values are stored as codes, as a status is ("phone", "walk_in").
            return _("created by an agent, from")
        if event.field == "merged_from":
            return _("merged from")
        if event.field == "chat":
            # From its state ("waiting", "active") to "abandoned": the worker ended it.
            return _("chat left by the customer")
        try:
            return Ticket._meta.get_field(event.field).verbose_name
        except FieldDoesNotExist:
            return event.field


class EmailInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = OutboundEmail
    verbose_name_plural = _("emails")
    fields = [
        "kind",
        "to",
        "subject",
        "created_at",
        "sent_at",
        "failed_at",
        "attempts",
        "last_error",
    ]
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    form = TicketForm
    list_display = [
        "reference",
        "subject",
        "customer",
        "status",
        "priority",
        "assignee",
        "time_left",
        "age",
    ]
    list_display_links = ["reference", "subject"]
    list_filter = ["status", "priority", SlaFilter, AssigneeFilter, EmailFailedFilter]
    list_select_related = ["assignee"]
    search_fields = ["email", "name", "message"]
    search_help_text = _(
        "Reference (SEK-7K4Q-2MX9, or an old one like SEK-000042), email address, name or words "
        "in the message."
    )
    # A full count of a million tickets on every page view costs more than it tells.
    show_full_result_count = False
    list_per_page = 50
    action_form = TicketActionForm
    actions = [
        "assign_to_me",
        "set_status",
        "set_priority",
        "page_link_renew",
        "export_personal_data",
        "erase",
    ]
    fields = [
        "reference",
        "customer_page",
        ("status", "priority", "assignee"),
        ("name", "email"),
        "other_tickets",
        "message",
        ("created_at", "first_response_at", "resolved_at"),
        ("time_left", "first_response_due", "resolution_due"),
        ("first_response_breached_at", "resolution_breached_at"),
        "satisfaction",
        "source_page",
        "merges",
        "opened",
    ]
    readonly_fields = [
        "reference",
        "customer_page",
        "name",
        "email",
        "other_tickets",
        "message",
        "created_at",
        "first_response_at",
        "resolved_at",
        "time_left",
        "first_response_due",
        "resolution_due",
        "first_response_breached_at",
        "resolution_breached_at",
        "satisfaction",
        "source_page",
        "merges",
    ]
    inlines = [NoteThreadInline, NewNoteInline, EventInline, EmailInline]

    @admin.display(description=_("subject"))
    def subject(self, ticket):
        return Truncator(" ".join(ticket.message.split())).chars(60)

    @admin.display(description=_("customer's page"))
    def customer_page(self, ticket):
        # The link our emails carry, to copy into a phone call's follow-up or a chat.
        if not (path := ticket.page_url()):
            return "-"
        # Text to select and copy, not an input: Enter in a text input would submit the form
        # by its first button, the actions' "Run" above.
        return format_html(
            '<code data-customer-page-link aria-label="{}">{}</code> '
            '<a href="{}" target="_blank" rel="noreferrer">{}</a>',
            _("The customer's page link"),
            settings.SITE_URL + path,
            settings.SITE_URL + path,
            _("Open the page"),
        )

    @admin.display(description=_("the customer's other tickets"))
    def other_tickets(self, ticket):
        return render_to_string("admin/tickets/other_tickets.html", customer_other_tickets(ticket))

    @admin.display(description=_("merged"))
    def merges(self, ticket):
        return merge_links(ticket)

    @admin.display(description=_("customer's rating"))
    def satisfaction(self, ticket):
        # Each time it was resolved and asked, newest first: the answer, when, and the comment.
        answers = [
            format_html(
                "<li><strong>{}</strong> ({}){}</li>",
                rating.get_score_display(),
                date_format(timezone.localtime(rating.rated_at), "SHORT_DATETIME_FORMAT"),
                format_html(": {}", rating.comment) if rating.comment else "",
            )
            if rating.rated_at
            else format_html("<li>{}</li>", _("Asked, not answered"))
            for rating in ticket.ratings.all()
        ]
        if not answers:
            return "-"
        return format_html(
            '<ul class="ticket-ratings">{}</ul>',
            format_html_join("", "{}", ((a,) for a in answers)),
        )

    @admin.display(description=_("customer"), ordering="email")
    def customer(self, ticket):
        return f"{ticket.name} <{ticket.email}>"

    @admin.display(description=_("age"), ordering="-created_at")
    def age(self, ticket):
        return timesince(ticket.created_at, timezone.now(), depth=1)

    @admin.display(description=_("time left"), ordering="next_due")
    def time_left(self, ticket):
        return time_left_text(ticket, now=timezone.now())

    class Media:
        css = {"all": ["tickets/desk.css", "tickets/compose.css"]}
        js = ["tickets/desk.js", "tickets/macros.js", "tickets/compose.js"]

    def get_urls(self):
        return (
            desk_urls(self)
            + compose_urls(self)
            + faq_draft_urls(self)
            + chat_desk_urls(self)
            + statistics_urls(self)
            + super().get_urls()
        )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(next_due=next_due)

    def get_object(self, request, object_id, from_field=None):
        # The ticket page reads its ticket once: the desk's context and the form share it.
        cached = getattr(request, "_ticket_change_object", None)
        if cached is not None and str(cached.pk) == str(object_id):
            return cached
        ticket = super().get_object(request, object_id, from_field)
        request._ticket_change_object = ticket
        return ticket

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = (
            change_context(self, request, object_id)
            | compose_context(self, request, object_id)
            | (extra_context or {})
        )
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        # The saved views as tabs (one query), the one showing now marked.
        current = saved_view_query(request.GET.urlencode(), allowed=saved_view_parameters(self))
        views = [
            {
                "view": view,
                "url": f"{reverse('admin:tickets_ticket_changelist')}?{view.query}",
                "is_current": view.query == current,
                "is_own": view.owner_id == request.user.pk,
            }
            for view in saved_views_for(user=request.user)
        ]
        context = {"saved_views": views, "saved_view_query": current}
        return super().changelist_view(request, context | (extra_context or {}))

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        # An undone reply comes back into the reply box (tickets.compose.reply_undo_view).
        if isinstance(inline, NewNoteInline) and request.method == "GET":
            if draft := reply_draft_pop(request, obj):
                kwargs["initial"] = [{"kind": Message.Kind.PUBLIC, "body": draft}]
        return kwargs

    def response_change(self, request, obj):
        # Opened from the queue, "save" goes back to it, to the same tab.
        response = super().response_change(request, obj)
        if any(note.held_until for note in getattr(request, "_ticket_replies", [])):
            # A reply waiting in its undo window: stay where its "Angre" button is.
            path = request.path + (f"?{request.GET.urlencode()}" if request.GET else "")
            return HttpResponseRedirect(path)
        tab = request.GET.get(QUEUE_PARAMETER)
        if "_save" in request.POST and tab in TABS:
            return HttpResponseRedirect(queue_url(tab))
        return response

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # An anonymised ticket is a record only: nothing typed on it could be personal data again.
        if obj is not None and obj.anonymised_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location)
        # A ticket is erased (anonymised, history kept), never deleted outright.
        actions.pop("delete_selected", None)
        return actions

    def get_search_results(self, request, queryset, search_term):
        # A reference is an indexed lookup; matching it in the message text would scan them all.
        # Read back over the phone, it may come in any case, with spaces or a misheard O or I.
        if reference := reference_normalize(search_term):
            return queryset.filter(reference=reference), False
        # Tickets from before the readable references were told their id: SEK-000042.
        if (pk := reference_legacy_id(search_term)) is not None and not search_term.isdigit():
            return queryset.filter(pk=pk), False
        return super().get_search_results(request, queryset, search_term)

    def save_model(self, request, obj, form, change):
        # Made with the public reply of the same save when there is one (save_formset), so
        # that undoing the reply takes them back too; else once the notes are saved.
        request._ticket_changes = {
            f: form.cleaned_data[f] for f in TRACKED_FIELDS if f in form.changed_data
        }

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if changes := request.__dict__.pop("_ticket_changes", None):
            ticket_change(ticket=form.instance, actor=request.user, **changes)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Message:
            return super().save_formset(request, form, formset, change)
        # The admin's change message names formset.new_objects: the notes ticket_reply saved,
        # not the form's unsaved copies (no created_at yet, so str() on them fails).
        notes = formset.save(commit=False)
        files = {id(f.instance): f.cleaned_data.get("attachments", []) for f in formset.forms}
        macros = {id(f.instance): f.cleaned_data.get("saved_reply") for f in formset.forms}
        formset.new_objects = []
        for note in notes:
            if note.pk is not None or not note.body.strip():
                continue
            is_public = note.kind == Message.Kind.PUBLIC
            formset.new_objects.append(
                ticket_reply(
                    ticket=form.instance,
                    author=request.user,
                    body=note.body.strip(),
                    is_public=is_public,
                    attachments=files.get(id(note), []),
                    hold_seconds=settings.REPLY_UNDO_SECONDS,
                    changes=request.__dict__.pop("_ticket_changes", None) if is_public else None,
                )
            )
            if macro := macros.get(id(note)):
                self._saved_reply_apply(request, form, macro)
        request._ticket_replies = formset.new_objects

    def _saved_reply_apply(self, request, form, macro):
        # What the agent chose on the page themselves wins over what the saved reply would set.
        try:
            ticket_saved_reply_apply(
                ticket=form.instance, saved_reply=macro, actor=request.user, kept=form.changed_data
            )
        except TransitionRefused as error:
            # The reply is saved; only the saved reply's status is not.
            self.message_user(
                request,
                _("The reply is saved, but not the status “%(name)s” sets: %(error)s")
                % {"name": macro.name, "error": error},
                messages.WARNING,
            )

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        count = sum(
            bool(ticket_change(ticket=t, actor=request.user, assignee=request.user))
            for t in queryset.select_related("assignee")
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d ticket assigned to you.", "%(count)d tickets assigned to you.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Set status (choose it beside the action)"), permissions=["change"])
    def set_status(self, request, queryset):
        self._set(request, queryset, "status")

    @admin.action(
        description=_("Set priority (choose it beside the action)"), permissions=["change"]
    )
    def set_priority(self, request, queryset):
        self._set(request, queryset, "priority")

    def _set(self, request, queryset, field):
        value = request.POST.get(field, "")
        if not value:
            self.message_user(request, _("Choose the new value beside the action."), messages.ERROR)
            return
        count, refused = 0, []
        for ticket in queryset.select_related("assignee"):
            try:
                count += bool(ticket_change(ticket=ticket, actor=request.user, **{field: value}))
            except TransitionRefused as error:
                refused.append(f"{ticket.reference}: {error}")
        self.message_user(
            request,
            ngettext("%(count)d ticket changed.", "%(count)d tickets changed.", count)
            % {"count": count},
            messages.SUCCESS,
        )
        if refused:
            self.message_user(
                request, _("Not changed: %(list)s") % {"list": " ".join(refused)}, messages.ERROR
            )

    @admin.action(
        description=_("New page link for the customer (the old link stops working)"),
        permissions=["change"],
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def page_link_renew(self, request, queryset):
        tickets = list(queryset.filter(anonymised_at=None))
        for ticket in tickets:
            ticket_page_link_renew(ticket=ticket, actor=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d ticket has a new page link; links sent before no longer work.",
                "%(count)d tickets have a new page link; links sent before no longer work.",
                len(tickets),
            )
            % {"count": len(tickets)},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Export everything stored about these customers (JSON)"),
        permissions=["change"],
    )
    def export_personal_data(self, request, queryset):
        emails = sorted(set(queryset.values_list("email", flat=True)))
        data = tickets_export(emails=emails, actor=request.user)
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = 'attachment; filename="personopplysninger.json"'
        return response

    @admin.action(
        description=_("Erase everything stored about these customers"), permissions=["delete"]
    )
    def erase(self, request, queryset):
        emails = sorted(set(queryset.values_list("email", flat=True)))
        count = tickets_erase(emails=emails, actor=request.user)
        self.message_user(
            request,
            ngettext("%(count)d ticket anonymised.", "%(count)d tickets anonymised.", count)
            % {"count": count},
            messages.SUCCESS,
        )


class SavedReplyForm(forms.ModelForm):
    class Meta:
        model = SavedReply
        fields = ["name", "body", "status", "priority"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}

    def clean_body(self):
        body = self.cleaned_data["body"]
        if unknown := macro_placeholders_unknown(body):
            raise forms.ValidationError(
                _("Unknown placeholder: %(unknown)s. Known ones: %(known)s.")
                % {
                    "unknown": ", ".join(unknown),
                    "known": ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS),
                },
                code="placeholder",
            )
        return body


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    form = SavedReplyForm
    list_display = ["name", "status", "priority", "updated_at"]
    list_filter = ["status", "priority"]
    search_fields = ["name", "body"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(SuggestionImpression)
class SuggestionImpressionAdmin(admin.ModelAdmin):
    list_display = ["entry", "created_at", "ticket"]
    list_filter = ["created_at"]
    list_select_related = ["entry", "ticket"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ChatSettings)
class ChatSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "is_enabled", "weekdays", "opens", "closes", "answer_hours"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ChatSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
