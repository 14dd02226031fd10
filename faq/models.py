import uuid

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField
from simple_history.models import HistoricalRecords

from faq.rendering import html_to_text, markdown_images_refused, markdown_to_html
from faq.search import search_normalize
from faq.validators import success_path_validate

_NORWEGIAN_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "Ae", "Ø": "O", "Å": "A"})


def _counters_left_out(instance, save_kwargs: dict) -> None:
    """Counters change with F() updates only. A full save (admin, importer, an image re-render)
    holds counts read earlier and would undo what was counted since: it leaves them out."""
    if (
        save_kwargs.get("update_fields") is None
        and not instance._state.adding
        and not save_kwargs.get("force_insert")
    ):
        save_kwargs["update_fields"] = [
            f.name
            for f in instance._meta.concrete_fields
            if not f.primary_key and f.name not in instance.COUNTERS
        ]


ANCHORS_RESERVED = frozenset(["tilbakemelding"])


def anchor_for(text: str) -> str:
    return slugify(text.translate(_NORWEGIAN_LETTERS))[:70] or "svar"


class HelpPage(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    template_key = models.CharField(_("template key"), max_length=50, default="Page")
    title = models.CharField(_("title"), max_length=200)
    introduction = models.TextField(
        _("introduction"), blank=True, help_text=_("Shown to search engines as the description.")
    )
    body = models.TextField(_("body"), blank=True, help_text=_("Text after the front matter."))
    is_hidden = models.BooleanField(_("hidden"), default=False)
    # Renewed on every change of the page or anything on it; the rendered page is cached under it.
    content_version = models.CharField(max_length=32, editable=False)
    # Contact forms on this page that were shown suggestions, and those of them sent anyway
    # (faq.suggestions); counted with F() updates only, like the entries' counters.
    suggested_forms_count = models.PositiveIntegerField(default=0, editable=False)
    sent_anyway_forms_count = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    COUNTERS = ("suggested_forms_count", "sent_anyway_forms_count")

    class Meta:
        verbose_name = _("help page")
        verbose_name_plural = _("help pages")

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.content_version = uuid.uuid4().hex
        _counters_left_out(self, kwargs)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "content_version", "updated_at"}
        super().save(*args, **kwargs)
        help_page_changed.send(sender=HelpPage)

    def get_absolute_url(self):
        return reverse("faq:help_page")


class Block(models.Model):
    class Kind(models.TextChoices):
        FAQ = "FAQ", _("Questions and answers")
        HELP_FORM = "HelpForm", _("Contact form")

    page = models.ForeignKey(
        HelpPage, models.CASCADE, related_name="blocks", verbose_name=_("page")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    introduction = MarkdownxField(_("introduction"), blank=True)
    introduction_html = models.TextField(editable=False, blank=True)
    # The help form's settings; empty on a FAQ block.
    button_text = models.CharField(_("button text"), max_length=100, blank=True)
    is_full_width = models.BooleanField(_("full width"), default=False)
    success_path = models.CharField(
        _("success path"),
        max_length=200,
        blank=True,
        validators=[success_path_validate],
        help_text=_("Where the customer lands after sending, for example /suksess."),
    )

    class Meta:
        ordering = ["page", "position"]
        verbose_name = _("block")
        verbose_name_plural = _("blocks")

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.introduction_html = markdown_render(self.introduction)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("faq:help_page")


class FaqBlockManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=Block.Kind.FAQ)


class FaqBlock(Block):
    objects = FaqBlockManager()

    class Meta:
        proxy = True
        verbose_name = _("FAQ block")
        verbose_name_plural = _("FAQ blocks")

    def save(self, *args, **kwargs):
        self.kind = Block.Kind.FAQ
        super().save(*args, **kwargs)


class HelpFormBlockManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=Block.Kind.HELP_FORM)


class HelpFormBlock(Block):
    objects = HelpFormBlockManager()

    class Meta:
        proxy = True
        verbose_name = _("contact form")
        verbose_name_plural = _("contact forms")

    def save(self, *args, **kwargs):
        self.kind = Block.Kind.HELP_FORM
        super().save(*args, **kwargs)


class FaqEntryQuerySet(models.QuerySet):
    """Bulk writes of entries (publish, hide, unarchive, drag-and-drop order, moves) send no
    signal, so they renew the content version of the pages they touch here; counter updates
    (votes, suggestions) leave the page as it is."""

    def update(self, **kwargs):
        if set(kwargs) <= set(FaqEntry.COUNTERS):
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            help_pages_changed(blocks__entries__in=self.values("pk"))
            return super().update(**kwargs)

    update.queryset_only = False

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        with transaction.atomic(using=self.db):
            help_pages_changed(blocks__entries__in=[obj.pk for obj in objs])
            return super().bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.queryset_only = False


class FaqEntry(models.Model):
    block = models.ForeignKey(
        Block,
        models.CASCADE,
        related_name="entries",
        limit_choices_to={"kind": Block.Kind.FAQ},
        verbose_name=_("block"),
    )
    question = models.CharField(_("question"), max_length=300)
    answer = MarkdownxField(_("answer"), blank=True)
    answer_html = models.TextField(editable=False, blank=True)
    search_text = models.TextField(editable=False, blank=True)
    anchor = models.SlugField(
        _("anchor"),
        max_length=80,
        unique=True,
        blank=True,
        help_text=_("The answer's address on the page (/#anchor). Keep it once it is shared."),
    )
    position = models.PositiveIntegerField(_("position"), default=0, db_index=True)
    is_published = models.BooleanField(_("published"), default=True)
    # Set by an import whose file no longer has the entry: kept with its votes, but neither shown
    # nor exported, so that export gives back the file. An editor's "hidden" is is_published.
    is_archived = models.BooleanField(
        _("archived"),
        default=False,
        db_index=True,
        help_text=_("Removed by an import of the CMS file; kept with its votes."),
    )
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0, editable=False)
    not_helpful_count = models.PositiveIntegerField(_("not helpful"), default=0, editable=False)
    # How often the contact form suggested this entry, opened it from the suggestion, and how
    # often that form was sent anyway.
    suggested_count = models.PositiveIntegerField(_("suggested"), default=0, editable=False)
    suggestion_opened_count = models.PositiveIntegerField(
        _("opened from a suggestion"), default=0, editable=False
    )
    sent_anyway_count = models.PositiveIntegerField(_("sent anyway"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = FaqEntryQuerySet.as_manager()

    VOTE_COUNTERS = ("helpful_count", "not_helpful_count")
    COUNTERS = (*VOTE_COUNTERS, "suggested_count", "suggestion_opened_count", "sent_anyway_count")

    # Every save keeps a version editors can compare and restore (admin "History"). Counters
    # change with F() updates, which send no signal, so they never make one; they and the
    # answer's rendering (made again on restore) are left out of the versions.
    history = HistoricalRecords(excluded_fields=[*COUNTERS, "answer_html", "search_text"])

    class Meta:
        ordering = ["position"]
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")

    def __str__(self):
        return self.question

    def save(self, *args, **kwargs):
        _counters_left_out(self, kwargs)
        update_fields = kwargs.get("update_fields")
        # A save of only other fields (a new position, published) keeps the rendered answer.
        if update_fields is None or {"question", "answer"} & set(update_fields):
            self.answer_html = markdown_render(self.answer)
            self.search_text = search_normalize(f"{self.question} {html_to_text(self.answer_html)}")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "answer_html", "search_text"}
        if not self.anchor:
            self.anchor = self._free_anchor()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{reverse('faq:help_page')}#{self.anchor}"

    def _free_anchor(self) -> str:
        base = anchor_for(self.question)
        taken = set(
            FaqEntry.objects.filter(anchor__startswith=base)
            .exclude(pk=self.pk)
            .values_list("anchor", flat=True)
        )
        # /svar/tilbakemelding/ is the vote address, so no answer's own page can be there.
        taken |= ANCHORS_RESERVED
        anchor, number = base, 2
        while anchor in taken:
            anchor, number = f"{base}-{number}", number + 1
        return anchor


class FormField(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        EMAIL = "email", _("Email address")
        TEXTAREA = "textarea", _("Message (several lines)")

    block = models.ForeignKey(
        Block,
        models.CASCADE,
        related_name="fields",
        limit_choices_to={"kind": Block.Kind.HELP_FORM},
        verbose_name=_("form"),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    label = models.CharField(_("label"), max_length=200)
    placeholder = models.CharField(_("placeholder"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.TEXT)

    class Meta:
        ordering = ["block", "position"]
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")

    def __str__(self):
        return self.label


class FaqImage(models.Model):
    """An image the CMS file references as /images/NAME, held in media storage."""

    CMS_PREFIX = "/images/"

    path = models.CharField(_("path in the CMS file"), max_length=255, unique=True)
    image = models.ImageField(_("image"), upload_to="faq/images/")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("image")
        verbose_name_plural = _("images")

    def __str__(self):
        return self.path


def stored_image_url(src: str) -> str | None:
    """The URL of an image we hold: an imported /images/NAME or an editor's upload in media."""
    if src.startswith(FaqImage.CMS_PREFIX):
        image = FaqImage.objects.filter(path=src).first()
        return image.image.url if image else None
    if src.startswith(settings.MEDIA_URL):
        name = src.removeprefix(settings.MEDIA_URL)
        # Only a plain relative name: "/media//etc/passwd" would make the storage raise, and
        # "", "." or a trailing slash would name a folder.
        if any(part in {"", ".", ".."} for part in name.split("/")):
            return None
        try:
            if default_storage.exists(name):
                return src
        except (SuspiciousFileOperation, ValueError, OSError):
            return None
    return None


def markdown_render(text: str) -> str:
    """FAQ Markdown as the page shows it, with the images we hold (also the editor's preview)."""
    return markdown_to_html(text, resolve_image=stored_image_url)


def images_refused(text: str) -> list[str]:
    """The image addresses in the text that markdown_render leaves out, for the editor."""
    return markdown_images_refused(text, resolve_image=stored_image_url)


class Synonym(models.Model):
    """A word customers use and the words the answers use for it; search treats them as one."""

    word = models.CharField(_("word"), max_length=100, unique=True)
    equivalents = models.CharField(
        _("equivalents"),
        max_length=500,
        help_text=_("Words or phrases that mean the same, separated by commas."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["word"]
        verbose_name = _("synonym")
        verbose_name_plural = _("synonyms")

    def __str__(self):
        return self.word

    @property
    def equivalent_list(self) -> list[str]:
        return [part.strip() for part in self.equivalents.split(",") if part.strip()]


# Sent when this process renews a page's content version or deletes a page: faq.pages forgets
# the page rows it keeps, so this process serves the change at once (others within seconds).
help_page_changed = Signal()


def help_pages_changed(**page_lookup) -> None:
    """Renew the content version of the pages that match, so the next request renders afresh."""
    # updated_at too: it is the page's Last-Modified (faq.responses).
    HelpPage.objects.filter(**page_lookup).update(
        content_version=uuid.uuid4().hex, updated_at=timezone.now()
    )
    help_page_changed.send(sender=HelpPage)


@receiver(post_delete, sender=HelpPage)
def _page_deleted(sender, instance, **kwargs):
    help_page_changed.send(sender=HelpPage)


@receiver([post_save, post_delete], sender=Block)
@receiver([post_save, post_delete], sender=FaqBlock)
@receiver([post_save, post_delete], sender=HelpFormBlock)
def _block_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        help_pages_changed(pk=instance.page_id)


@receiver([post_save, post_delete], sender=FaqEntry)
@receiver([post_save, post_delete], sender=FormField)
def _item_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        help_pages_changed(blocks=instance.block_id)


@receiver([post_save, post_delete], sender=Synonym)
def _synonym_changed(sender, instance, raw=False, **kwargs):
    # Every page's search index holds the synonyms.
    if not raw:
        help_pages_changed()


@receiver([post_save, post_delete], sender=FaqImage)
def _image_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    # Answers hold the image's URL from when they were rendered: render them again.
    using = [
        *FaqEntry.objects.filter(answer__contains=instance.path),
        *Block.objects.filter(introduction__contains=instance.path),
    ]
    for item in using:
        item.save()


class FaqFeedback(models.Model):
    """What a visitor who found an answer unhelpful says was missing: an editor's to-do."""

    class Reason(models.TextChoices):
        UNCLEAR = "unclear", _("The answer was unclear")
        WRONG = "wrong", _("The answer was wrong or out of date")
        NOT_ANSWERED = "not-answered", _("It did not answer my question")
        OTHER = "other", _("Something else")

    TEXT_MAX_LENGTH = 500

    entry = models.ForeignKey(
        FaqEntry, models.CASCADE, related_name="feedback_items", verbose_name=_("FAQ entry")
    )
    # Reason values, in the order of Reason; the visitor may tick several.
    reasons = models.JSONField(_("reasons"), default=list)
    text = models.CharField(_("what was missing"), max_length=TEXT_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("feedback")
        # The editors' review queue in admin: "Til gjennomgang".
        verbose_name_plural = _("to review")

    def __str__(self):
        return f"{self.entry_id}: {', '.join(self.reason_labels)}"

    @property
    def reason_labels(self) -> list[str]:
        labels = dict(self.Reason.choices)
        return [str(labels[value]) for value in self.reasons if value in labels]


class SearchQueryDay(models.Model):
    """How often one normalised query was searched on one day in one language, and what came of
    it: counters only (faq.search_log), with nothing of the visitor, their address or the time."""

    QUERY_MAX_LENGTH = 100

    query = models.CharField(_("search"), max_length=QUERY_MAX_LENGTH)
    day = models.DateField(_("day"))
    language = models.CharField(_("language"), max_length=8)
    searches = models.PositiveIntegerField(_("searches"), default=0)
    no_results = models.PositiveIntegerField(_("without results"), default=0)
    opened = models.PositiveIntegerField(_("results opened"), default=0)
    ticketed = models.PositiveIntegerField(_("contact forms sent"), default=0)

    class Meta:
        ordering = ["-day", "query"]
        # Day first: the report and the purge ask for a span of days.
        constraints = [
            models.UniqueConstraint(
                fields=["day", "language", "query"], name="faq_searchqueryday_unique"
            )
        ]
        verbose_name = _("search")
        verbose_name_plural = _("searches")

    def __str__(self):
        return f"{self.query} ({self.day}, {self.language})"


class HelpWeek(models.Model):
    """One week's counts (from its Monday) for the deflection report: help page visits (help.js's
    beacon), contact forms shown suggestions and those of them sent anyway (faq.suggestions).
    Counters only, added to as it happens, with nothing of the visitor."""

    week = models.DateField(_("week"), unique=True)
    page_visits = models.PositiveIntegerField(_("help page visits"), default=0)
    suggested_forms = models.PositiveIntegerField(_("forms shown suggestions"), default=0)
    sent_anyway_forms = models.PositiveIntegerField(_("of them sent"), default=0)

    COUNTERS = ("page_visits", "suggested_forms", "sent_anyway_forms")

    class Meta:
        ordering = ["-week"]
        # Read only through the FAQ entries' list, never edited: no permissions of its own.
        default_permissions = ()
        verbose_name = _("week's help figures")
        verbose_name_plural = _("weeks' help figures")

    def __str__(self):
        return f"{self.week:%G-W%V}"
