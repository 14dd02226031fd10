from adminsortable2.admin import SortableAdminBase, SortableAdminMixin, SortableTabularInline
from django import VERSION as DJANGO_VERSION
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.db.models.functions import NullIf
from django.forms.widgets import Script
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from markdownx.models import MarkdownxField
from markdownx.views import ImageUploadView, MarkdownifyView
from markdownx.widgets import AdminMarkdownxWidget
from simple_history.admin import SimpleHistoryAdmin

from faq.forms import AnswerImageForm, SearchPeriodForm
from faq.models import (
    FaqBlock,
    FaqEntry,
    FaqFeedback,
    FaqImage,
    FormField,
    HelpFormBlock,
    HelpPage,
    SearchQueryDay,
    Synonym,
    images_refused,
)
from faq.review import faq_entries_flagged
from faq.search_log import search_log_report
from faq.services import faq_entry_draft
from faq.suggestions import help_weeks_report, suggestion_deflection

MARKDOWN_EDITOR = {MarkdownxField: {"widget": AdminMarkdownxWidget}}


class AnswerImageUploadView(ImageUploadView):
    form_class = AnswerImageForm

    def post(self, request, *args, **kwargs):
        # markdownx answers JSON to the editor's upload only; another POST would be redirected,
        # or, invalid, rendered with a template it does not have (500).
        if request.headers.get("x-requested-with") != "XMLHttpRequest":
            return HttpResponseBadRequest(
                _("Upload images from the answer's editor."), content_type="text/plain"
            )
        return super().post(request, *args, **kwargs)


@admin.register(HelpPage)
class HelpPageAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "is_hidden", "updated_at"]
    list_filter = ["is_hidden"]
    fields = ["title", "introduction", "is_hidden", "slug", "template_key", "body"]
    readonly_fields = ["slug", "template_key"]


@admin.register(FaqBlock)
class FaqBlockAdmin(admin.ModelAdmin):
    list_display = ["title", "page", "position"]
    fields = ["page", "title", "introduction", "position"]
    formfield_overrides = MARKDOWN_EDITOR


# django-admin-sortable2 2.3.1 names its templates and scripts after the running Django (6.1) but
# ships them only up to 6.0: without these two shims the contact form's page fails (500) and the
# FAQ changelist loads no actions script (404). Drop them once it ships 6.1's files.
SORTABLE_FILES_FOR = "6.0"


class SortableFilesMixin:
    @property
    def media(self):
        media = super().media
        running = "-{}.{}.js".format(*DJANGO_VERSION[:2])
        js = [
            Script(script._path.replace(running, f"-{SORTABLE_FILES_FOR}.js"), **script.attributes)
            if isinstance(script, Script)
            else script.replace(running, f"-{SORTABLE_FILES_FOR}.js")
            for script in media._js
        ]
        return forms.Media(css=media._css, js=js)


class FormFieldInline(SortableTabularInline):
    template = f"adminsortable2/edit_inline/tabular-django-{SORTABLE_FILES_FOR}.html"
    model = FormField
    fields = ["label", "placeholder", "kind"]
    extra = 0


@admin.register(HelpFormBlock)
class HelpFormBlockAdmin(SortableFilesMixin, SortableAdminBase, admin.ModelAdmin):
    list_display = ["title", "page", "button_text", "success_path"]
    fields = [
        "page",
        "title",
        "introduction",
        "button_text",
        "success_path",
        "is_full_width",
        "position",
    ]
    formfield_overrides = MARKDOWN_EDITOR
    inlines = [FormFieldInline]


class DefaultNoFilter(admin.SimpleListFilter):
    """A yes/all filter whose unfiltered choice is "no": the list shows what is left to see
    until an editor asks for the rest. Subclasses name `yes_label`, `default_label` and filter in
    `queryset` on "yes", "all" or None (the default)."""

    def lookups(self, request, model_admin):
        return [("yes", self.yes_label), ("all", _("All"))]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": self.default_label,
        }
        for value, title in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": title,
            }


class ArchivedFilter(DefaultNoFilter):
    """Entries an import archived are left out of the list until an editor asks for them."""

    title = _("archived")
    parameter_name = "archived"
    yes_label = _("Archived")
    default_label = _("Not archived")

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        return queryset.filter(is_archived=self.value() == "yes")


# SimpleHistoryAdmin: the entry's "History" lists its versions with what changed between them
# (diff_against), and opens one to restore it; a restore is an ordinary save, so it renews the page.
@admin.register(FaqEntry)
class FaqEntryAdmin(SortableFilesMixin, SortableAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "question",
        "is_published",
        "helpful_count",
        "not_helpful_count",
        "helpful_share",
        "suggested_count",
        "suggestion_opened_count",
        "sent_anyway_count",
        "updated_at",
    ]
    list_display_links = ["question"]
    list_editable = ["is_published"]
    list_filter = ["is_published", ArchivedFilter, "block"]
    list_select_related = ["block"]
    search_fields = ["question", "answer"]
    fields = ["block", "question", "answer", "is_published", "is_archived", "anchor", "feedback"]
    readonly_fields = ["is_archived", "feedback"]
    formfield_overrides = MARKDOWN_EDITOR
    actions = ["publish", "hide", "unarchive"]
    # Our override extends adminsortable2's template, which keeps drag and drop working.
    change_list_template = "admin/faq/faqentry/change_list.html"

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "deflection": suggestion_deflection(),
            "help_weeks": help_weeks_report(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        for src in images_refused(obj.answer):
            self.message_user(
                request,
                _(
                    "The image “%(src)s” is not one we hold (imported, or uploaded here), so the "
                    "page leaves it out and shows its alt text."
                )
                % {"src": src},
                messages.WARNING,
            )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "markdownx/markdownify/",
                view(self._markdownx(MarkdownifyView.as_view())),
                name="faq_markdownify",
            ),
            path(
                "markdownx/upload/",
                view(self._markdownx(AnswerImageUploadView.as_view())),
                name="faq_image_upload",
            ),
            *super().get_urls(),
        ]

    def _markdownx(self, view):
        def checked(request, *args, **kwargs):
            if not self.has_change_permission(request) and not self.has_add_permission(request):
                return HttpResponse(status=403)
            return view(request, *args, **kwargs)

        return checked

    @admin.display(
        description=_("helpful share"),
        ordering=F("helpful_count") * 1.0 / NullIf(F("helpful_count") + F("not_helpful_count"), 0),
    )
    def helpful_share(self, entry):
        votes = entry.helpful_count + entry.not_helpful_count
        return f"{100 * entry.helpful_count // votes} %" if votes else "–"

    @admin.display(description=_("feedback"))
    def feedback(self, entry):
        return format_html(
            "{} {} · {} {}",
            entry.helpful_count,
            _("found it helpful"),
            entry.not_helpful_count,
            _("did not"),
        )

    @admin.action(description=_("Publish selected entries"), permissions=["change"])
    def publish(self, request, queryset):
        self._set_published(request, queryset, True)

    @admin.action(description=_("Hide selected entries"), permissions=["change"])
    def hide(self, request, queryset):
        self._set_published(request, queryset, False)

    @admin.action(description=_("Unarchive selected entries"), permissions=["change"])
    def unarchive(self, request, queryset):
        count = queryset.update(is_archived=False)
        message = ngettext("%(count)d entry unarchived.", "%(count)d entries unarchived.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    def _set_published(self, request, queryset, is_published):
        count = queryset.update(is_published=is_published)
        message = (
            ngettext("%(count)d entry published.", "%(count)d entries published.", count)
            if is_published
            else ngettext("%(count)d entry hidden.", "%(count)d entries hidden.", count)
        )
        self.message_user(request, message % {"count": count}, messages.SUCCESS)


@admin.register(FaqImage)
class FaqImageAdmin(admin.ModelAdmin):
    list_display = ["path", "image", "created_at"]
    search_fields = ["path"]


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    list_display = ["word", "equivalents", "updated_at"]
    search_fields = ["word", "equivalents"]
    fields = ["word", "equivalents"]


class FeedbackDoneFilter(DefaultNoFilter):
    """The queue shows what is still to do until an editor asks for what was done."""

    title = _("status")
    parameter_name = "done"
    yes_label = _("Done")
    default_label = _("Not done")

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        return queryset.filter(done_at__isnull=self.value() != "yes")


@admin.register(FaqFeedback)
class FaqFeedbackAdmin(admin.ModelAdmin):
    """ "Til gjennomgang": what visitors said was missing, and the entries flagged above it."""

    list_display = ["created_at", "entry_link", "reasons_shown", "text", "done_at"]
    list_display_links = ["created_at"]
    list_filter = [FeedbackDoneFilter]
    list_select_related = ["entry"]
    fields = ["entry_link", "reasons_shown", "text", "created_at", "done_at"]
    readonly_fields = fields
    actions = ["done"]
    change_list_template = "admin/faq/faqfeedback/change_list.html"

    def has_add_permission(self, request):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {"flagged": faq_entries_flagged(), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("FAQ entry"), ordering="entry__question")
    def entry_link(self, feedback):
        url = reverse("admin:faq_faqentry_change", args=[feedback.entry_id])
        return format_html('<a href="{}">{}</a>', url, feedback.entry.question)

    @admin.display(description=_("reasons"))
    def reasons_shown(self, feedback):
        return ", ".join(feedback.reason_labels)

    @admin.action(description=_("Mark selected feedback done"), permissions=["change"])
    def done(self, request, queryset):
        count = queryset.filter(done_at=None).update(done_at=timezone.now())
        message = ngettext(
            "%(count)d feedback item marked done.", "%(count)d feedback items marked done.", count
        )
        self.message_user(request, message % {"count": count}, messages.SUCCESS)


@admin.register(SearchQueryDay)
class SearchQueryDayAdmin(admin.ModelAdmin):
    """The search report: what visitors searched for in a chosen period, from the log's daily
    counters, each query with a button that makes a hidden draft entry asking it."""

    report_template = "admin/faq/searchqueryday/report.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "utkast/",
                self.admin_site.admin_view(self.draft_view),
                name="faq_searchqueryday_draft",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = SearchPeriodForm(request.GET or None)
        start, end, language = form.period()
        report = search_log_report(start=start, end=end, language=language)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Searches"),
            "form": form,
            "report": report,
            "sections": [
                (_("Most searched"), report.top),
                (_("Found nothing"), report.no_results),
                (_("Nobody opened a result"), report.not_opened),
                (_("Ended in a contact form"), report.ticketed),
            ],
            "can_draft": self.admin_site.get_model_admin(FaqEntry).has_add_permission(request),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.report_template, context)

    @method_decorator(require_POST)
    def draft_view(self, request):
        if not self.admin_site.get_model_admin(FaqEntry).has_add_permission(request):
            raise PermissionDenied
        question = request.POST.get("query", "").strip()
        entry = faq_entry_draft(question=question) if question else None
        if entry is None:
            self.message_user(
                request, _("There is no FAQ block to put the entry in."), messages.ERROR
            )
            return HttpResponseRedirect(reverse("admin:faq_searchqueryday_changelist"))
        self.message_user(
            request,
            _("A hidden draft asking “%(question)s” was made: write its answer and publish it.")
            % {"question": entry.question},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:faq_faqentry_change", args=[entry.pk]))
