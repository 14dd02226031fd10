import uuid
from datetime import time

from django.conf import settings
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.core.validators import RegexValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from faq.models import FaqEntry, HelpPage
from tickets.references import access_key_new, page_token, reference_new

REFERENCE_ATTEMPTS = 5
# The agents' group (made by migration 0002): who may be given a ticket and lands on the queue.
AGENT_GROUP = "Kundeservice"


class Ticket(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        WAITING = "waiting", _("Waiting for customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    # Drawn at random when the ticket is created; what the customer and agents read and say.
    reference = models.CharField(_("reference"), max_length=16, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("email"))
    message = models.TextField(_("message"))
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.NEW)
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority, default=Priority.NORMAL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        # Agents only: an editor or a departed colleague is never offered.
        limit_choices_to={"is_staff": True, "is_active": True, "groups__name": AGENT_GROUP},
        verbose_name=_("assignee"),
    )
    source_page = models.ForeignKey(
        HelpPage, models.SET_NULL, null=True, blank=True, verbose_name=_("sent from")
    )
    # The secret in the customer's page link (tickets.references.page_token); a new one revokes
    # the old links, and an empty one (an anonymised ticket) opens no page at all.
    access_key = models.CharField(max_length=64, blank=True, default=access_key_new, editable=False)
    # The form's one-time token: a second POST of the same form finds this ticket instead.
    submission_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    # Who had the ticket when it was resolved: the statistics count its solution and its rating
    # for them, whoever has it later (tickets.daily). Set and cleared with resolved_at.
    resolved_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("assignee when resolved"),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True, editable=False)
    # Response targets (tickets.sla), in business hours; set by ticket_create and ticket_change.
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # While the ticket waits on the customer (or is done) its clock stands still: since when,
    # and the business seconds it stood still before, which move the due times on.
    sla_paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    sla_paused_seconds = models.PositiveIntegerField(_("paused (business seconds)"), default=0)
    # When a target was missed, once recorded (by the worker, or by the change that missed it).
    first_response_breached_at = models.DateTimeField(
        _("first response target missed"), null=True, blank=True
    )
    resolution_breached_at = models.DateTimeField(
        _("resolution target missed"), null=True, blank=True
    )
    # Closed as merged into another ticket of the same customer (tickets.merge); the thread
    # moved there.
    merged_into = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_from",
        editable=False,
        verbose_name=_("merged into"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["-created_at"], name="ticket_created"),
            models.Index(fields=["status", "-created_at"], name="ticket_status"),
            models.Index(fields=["priority", "-created_at"], name="ticket_priority"),
            models.Index(fields=["assignee", "status", "-created_at"], name="ticket_assignee"),
            models.Index(fields=["email"], name="ticket_email"),
            # The day's tickets of one address, however it is capitalised (the daily limit).
            models.Index(Lower("email"), "created_at", name="ticket_email_day"),
            models.Index(fields=["status", "closed_at"], name="ticket_purge"),
            models.Index(fields=["status", "resolved_at"], name="ticket_purge_resolved"),
            models.Index(fields=["status", "first_response_due"], name="ticket_sla_first"),
            models.Index(fields=["status", "resolution_due"], name="ticket_sla_resolution"),
            # A day's first responses and resolutions, for its statistics (tickets.daily).
            models.Index(fields=["first_response_at"], name="ticket_first_response"),
            models.Index(fields=["resolved_at"], name="ticket_resolved"),
            # What changed since the statistics were last brought up to date.
            models.Index(fields=["updated_at"], name="ticket_updated"),
        ]

    def __str__(self):
        return self.reference

    def save(self, *args, **kwargs):
        if self.reference or not self._state.adding:
            return super().save(*args, **kwargs)
        # Two tickets drawing the same of 34 billion references is rare but possible: draw again.
        for attempt in range(REFERENCE_ATTEMPTS):
            self.reference = reference_new()
            try:
                with transaction.atomic(using=kwargs.get("using")):
                    return super().save(*args, **kwargs)
            except IntegrityError as error:
                if "reference" not in str(error) or attempt == REFERENCE_ATTEMPTS - 1:
                    self.reference = ""
                    raise

    def get_absolute_url(self):
        return reverse("admin:tickets_ticket_change", args=[self.pk])

    def page_url(self) -> str:
        """The customer's own page of this ticket, as a path in the active language; "" when
        its link was revoked for good (anonymised)."""
        if not self.access_key:
            return ""
        token = page_token(self.reference, self.access_key)
        return reverse("tickets:ticket_page", kwargs={"token": token})


class Message(models.Model):
    """One message of a ticket's thread: the customer's, an agent's reply, or an internal note."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("From the customer")
        PUBLIC = "public", _("Reply to the customer")
        INTERNAL = "internal", _("Internal note")

    class Channel(models.TextChoices):
        FORM = "form", _("Contact form")
        EMAIL = "email", _("Email")
        PAGE = "page", _("Ticket page")
        CHAT = "chat", _("Chat")
        DESK = "desk", _("Agents' desk")
        # Written down by an agent (tickets.services.ticket_create_for_customer).
        PHONE = "phone", _("Phone call")
        WALK_IN = "walk_in", _("Walk-in")

    ticket = models.ForeignKey(
        Ticket, models.CASCADE, related_name="messages", verbose_name=_("ticket")
    )
    # An agent; a customer's message has none, and keeps the name they gave (author_name).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, verbose_name=_("author")
    )
    author_name = models.CharField(_("from"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.INTERNAL)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel, default=Channel.DESK)
    body = models.TextField(_("text"))
    # An email's whole text, quoted history and signature included, for agents to look at.
    original = models.TextField(_("original"), blank=True)
    # An email's Message-ID and a hash of its content: the same mail is filed once.
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    # "auto-reply" or "bounce": filed, but it reopens nothing and gets no answer.
    automatic = models.CharField(_("automatic"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # A desk reply waits this long in the outbox, and may be taken back ("Angre") until then;
    # the customer's page shows it from then on. What it changed on the ticket is kept in
    # `held_changes` so that undo can put it back (tickets.undo).
    held_until = models.DateTimeField(_("held until"), null=True, blank=True, editable=False)
    held_changes = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["message_id"], name="message_message_id"),
            models.Index(fields=["content_hash"], name="message_content_hash"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"


class _AttachmentStorage(LazyObject):
    # Looked up when first used, not when the model is defined: STORAGES["attachments"] as the
    # settings (or a test's override of them) say at the time.
    def _setup(self):
        self._wrapped = storages["attachments"]


attachment_storage_lazy = _AttachmentStorage()


@receiver(setting_changed)
def _attachment_storage_reset(*, setting, **kwargs):
    if setting == "STORAGES":
        attachment_storage_lazy._wrapped = empty


def attachment_storage():
    return attachment_storage_lazy


def attachment_path(instance, filename: str) -> str:
    # Never the sender's name, which could be anything: a random one, by month.
    return f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file on a message, checked by tickets.attachments before it is stored."""

    message = models.ForeignKey(
        Message, models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    file = models.FileField(
        _("file"), upload_to=attachment_path, storage=attachment_storage, max_length=200
    )
    # A small WebP of an image for the agents' thread; none for a PDF (or a HEIC photo).
    thumbnail = models.FileField(
        _("thumbnail"),
        upload_to=attachment_path,
        storage=attachment_storage,
        max_length=200,
        blank=True,
    )
    # The sender's name, made safe (tickets.attachments.attachment_name): shown, never a path.
    filename = models.CharField(_("name"), max_length=120)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.filename

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


@receiver(post_delete, sender=Attachment)
def _attachment_files_delete(sender, instance, using, **kwargs):
    # After the commit: an erasure rolled back keeps its rows, so it must keep their files.
    names = [name for name in [instance.file.name, instance.thumbnail.name] if name]

    def delete():
        for name in names:
            attachment_storage_lazy.delete(name)

    transaction.on_commit(delete, using=using)


class TicketEvent(models.Model):
    """One change on a ticket: who, when, what, from, to. Holds no personal data."""

    ticket = models.ForeignKey(
        Ticket, models.CASCADE, related_name="events", verbose_name=_("ticket")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, verbose_name=_("by")
    )
    field = models.CharField(_("what"), max_length=32)
    old_value = models.CharField(_("from"), max_length=200, blank=True)
    new_value = models.CharField(_("to"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("change")
        verbose_name_plural = _("changes")

    def __str__(self):
        return f"{self.field}: {self.old_value} → {self.new_value}"


class OutboundEmail(models.Model):
    """An email written in the same transaction as what caused it; the worker renders its
    bodies (tickets.emails.email_message) and sends it."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Confirmation to the customer")
        NOTIFICATION = "notification", _("Notification to support")
        REPLY = "reply", _("Reply to the customer")
        ASSIGNED = "assigned", _("Assigned to an agent")
        TRANSCRIPT = "transcript", _("Chat transcript to the customer")
        RATING = "rating", _("Rating request to the customer")
        PAGE_LINK = "page_link", _("Page link to the customer")

    ticket = models.ForeignKey(
        Ticket, models.CASCADE, related_name="emails", verbose_name=_("ticket")
    )
    # The agent's reply a reply email sends; the held reply a rating request was saved with
    # (sent after it, withdrawn by its undo); none for the other kinds.
    note = models.ForeignKey(
        Message, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("message")
    )
    # Ours, so a customer's answer that names it in In-Reply-To or References finds its ticket.
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    to = models.EmailField(_("to"))
    reply_to = models.EmailField(_("reply to"), blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Not sent before this moment (a desk reply's undo window). The worker clears it when it
    # takes the email to send, and undo deletes the row only while it is still in the future:
    # one of the two conditional writes wins, never both.
    send_after = models.DateTimeField(_("not before"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # Given up on: refused for good, or unsent after EMAIL_MAX_AGE_HOURS. Never tried again.
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)
    # The outbox is the worker's queue: it takes an email once due_at has come (at once, then
    # later after each failure), marking it claimed while it sends; a claim older than
    # EMAIL_TASK_STALE_SECONDS was lost with its worker, and the email is taken again.
    due_at = models.DateTimeField(_("next try"), default=timezone.now)
    claimed_at = models.DateTimeField(_("being sent since"), null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        indexes = [
            models.Index(fields=["sent_at"], name="outbound_unsent"),
            models.Index(fields=["failed_at"], name="outbound_failed"),
            models.Index(
                fields=["due_at"], name="outbound_due", condition=Q(sent_at=None, failed_at=None)
            ),
        ]

    def __str__(self):
        return self.subject


class TicketMerge(models.Model):
    """One ticket merged into another: what moved and how the merged ticket stood, so that the
    agent who did it can undo it exactly."""

    source = models.ForeignKey(
        Ticket, models.CASCADE, related_name="merges_out", verbose_name=_("merged ticket")
    )
    target = models.ForeignKey(
        Ticket, models.CASCADE, related_name="merges_in", verbose_name=_("merged into")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, verbose_name=_("by")
    )
    # The pks of the source's messages moved to the target, and the source's fields before.
    message_ids = models.JSONField(default=list)
    source_before = models.JSONField(default=dict)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")

    def __str__(self):
        return f"{self.source_id} → {self.target_id}"


class SuggestionImpression(models.Model):
    """An FAQ entry suggested while a customer wrote; `ticket` is set if they sent the form."""

    form_token = models.UUIDField(_("form"), db_index=True)
    entry = models.ForeignKey(
        FaqEntry, models.CASCADE, related_name="impressions", verbose_name=_("FAQ entry")
    )
    ticket = models.ForeignKey(
        Ticket, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("ticket")
    )
    created_at = models.DateTimeField(_("shown"), auto_now_add=True)
    # When the customer first opened the suggested answer (help.js's beacon), if they did.
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)

    class Meta:
        verbose_name = _("suggestion shown")
        verbose_name_plural = _("suggestions shown")
        constraints = [
            models.UniqueConstraint(fields=["form_token", "entry"], name="impression_once")
        ]

    def __str__(self):
        return f"{self.entry} ({self.created_at:%Y-%m-%d})"


class SavedReply(models.Model):
    """A ready answer (a macro): text with placeholders (tickets.macros), and optionally the
    status and priority the ticket gets when the reply is saved."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Placeholders: {{ kunde.fornavn }}, {{ kunde.navn }}, {{ kunde.epost }}, "
            "{{ sak.referanse }}, {{ sak.lenke }}, {{ agent.fornavn }}, {{ agent.navn }}."
        ),
    )
    status = models.CharField(_("set status"), max_length=16, choices=Ticket.Status, blank=True)
    priority = models.CharField(
        _("set priority"), max_length=16, choices=Ticket.Priority, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")

    def __str__(self):
        return self.name


class SavedView(models.Model):
    """A filter and sort of the ticket changelist under a name: the agent's own, or shared with
    the team. `query` holds only the changelist's own parameters (tickets.views_saved)."""

    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("filter and sort"), max_length=500, blank=True)
    # A departed agent's shared views stay the team's; their own ones nobody sees again.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        related_name="saved_views",
        verbose_name=_("owner"),
    )
    is_shared = models.BooleanField(_("shared with the team"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        indexes = [
            models.Index(fields=["is_shared", "name"], name="savedview_shared"),
        ]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="savedview_once")]

    def __str__(self):
        return self.name


class Chat(models.Model):
    """A live chat: a ticket whose thread is written in real time (its messages' channel is
    "chat"). When the customer leaves, the ticket goes on by email like any other."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting for an agent")
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    ticket = models.OneToOneField(
        Ticket, models.CASCADE, primary_key=True, related_name="chat", verbose_name=_("ticket")
    )
    state = models.CharField(_("state"), max_length=16, choices=State, default=State.WAITING)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    taken_at = models.DateTimeField(_("taken"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    # The newest customer message an agent has seen: the customer's "read" delivery state.
    read_upto = models.PositiveBigIntegerField(default=0)
    # When the customer's socket was last heard from (renewed at most every few seconds, not per
    # message): a chat not heard from for CHAT_ABANDON_SECONDS is ended as left by the customer.
    customer_seen_at = models.DateTimeField(_("customer last seen"), default=timezone.now)
    # Set when the worker ended it so: the customer closed the page and never came back.
    is_abandoned = models.BooleanField(_("left by the customer"), default=False)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        indexes = [
            models.Index(fields=["state", "created_at"], name="chat_state"),
            models.Index(fields=["state", "customer_seen_at"], name="chat_customer_seen"),
        ]

    def __str__(self):
        return str(self.ticket_id)


WEEKDAYS_VALIDATOR = RegexValidator(
    r"^[1-7](,[1-7])*$", _("Write weekday numbers 1 to 7 separated by commas, e.g. 1,2,3,4,5.")
)


class ChatSettings(models.Model):
    """The chat's opening hours and promise, edited in the admin: one row (pk 1)."""

    is_enabled = models.BooleanField(_("chat enabled"), default=True)
    # ISO weekdays, 1 = Monday, as "1,2,3,4,5".
    weekdays = models.CharField(
        _("open weekdays"),
        max_length=20,
        default="1,2,3,4,5",
        validators=[WEEKDAYS_VALIDATOR],
        help_text=_("ISO weekday numbers, 1 = Monday, separated by commas: 1,2,3,4,5"),
    )
    opens = models.TimeField(_("opens"), default=time(8))
    closes = models.TimeField(_("closes"), default=time(16))
    # What the launcher promises a customer who leaves a message instead.
    answer_hours = models.PositiveIntegerField(_("expected answer time (hours)"), default=8)

    class Meta:
        verbose_name = _("chat settings")
        verbose_name_plural = _("chat settings")

    def __str__(self):
        return str(_("Chat settings"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "ChatSettings":
        return cls.objects.get_or_create(pk=1)[0]

    def weekday_numbers(self) -> set[int]:
        return {int(day) for day in self.weekdays.replace(" ", "").split(",") if day.isdigit()}


class AgentAvailability(models.Model):
    """Whether an agent takes chats now: online (and recently seen by the desk's socket) or away."""

    # The agent's own state, nothing about a ticket: it goes with the account.
    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        primary_key=True,
        related_name="chat_availability",
        verbose_name=_("agent"),
    )
    is_online = models.BooleanField(_("online"), default=False)
    # Renewed by the agent's open desk socket; an agent whose browser went away is not online.
    seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent availability")
        verbose_name_plural = _("agent availability")
        indexes = [models.Index(fields=["is_online", "seen_at"], name="availability_online")]

    def __str__(self):
        return str(self.agent_id)


class Rating(models.Model):
    """The customer's answer to "were you satisfied?", asked once when a ticket is resolved
    (tickets.ratings). Its link works once, until `expires_at`."""

    class Score(models.TextChoices):
        GOOD = "good", _("Satisfied")
        BAD = "bad", _("Not satisfied")

    ticket = models.ForeignKey(
        Ticket, models.CASCADE, related_name="ratings", verbose_name=_("ticket")
    )
    # The secret in the email's links; emptied when the ticket is anonymised.
    key = models.CharField(max_length=64, default=access_key_new, editable=False)
    # The email that asked; gone with the ticket's emails when it is anonymised.
    email = models.ForeignKey(
        OutboundEmail, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    score = models.CharField(_("rating"), max_length=8, choices=Score, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("asked"), auto_now_add=True)
    expires_at = models.DateTimeField(_("link expires"))
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        indexes = [models.Index(fields=["rated_at"], name="rating_rated")]

    def __str__(self):
        return self.get_score_display() or gettext("Not answered")


MINUTE, HOUR, DAY = 60, 3600, 86400
# The statistics' duration buckets: bucket i holds durations (seconds) from BUCKET_EDGES[i] up to
# BUCKET_EDGES[i + 1]; the last one is open. One column each on TicketDay, so the database sums
# them over any period and a percentile comes from the sums (tickets.daily.percentile).
BUCKET_EDGES = [
    0, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, 45 * MINUTE,
    HOUR, 90 * MINUTE, 2 * HOUR, 3 * HOUR, 4 * HOUR, 6 * HOUR, 8 * HOUR, 12 * HOUR, 16 * HOUR,
    DAY, 36 * HOUR, 2 * DAY, 3 * DAY, 4 * DAY, 5 * DAY, 7 * DAY, 10 * DAY, 14 * DAY, 21 * DAY,
    30 * DAY, 45 * DAY, 60 * DAY, 90 * DAY,
]  # fmt: skip
FIRST_RESPONSE_BUCKETS = [f"first_response_b{index}" for index in range(len(BUCKET_EDGES))]
RESOLUTION_BUCKETS = [f"resolution_b{index}" for index in range(len(BUCKET_EDGES))]


class ChannelAgentFigures(models.Model):
    """What a row of figures is of: one channel and one agent (none: unassigned)."""

    channel = models.CharField(_("channel"), max_length=16, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )

    class Meta:
        abstract = True


class TicketDay(ChannelAgentFigures):
    """One day's figures of one channel and one agent (none: unassigned), summed by the
    statistics page (tickets.daily keeps them). Durations are counted in the fixed buckets of
    BUCKET_EDGES (the columns added below the class), so a percentile over any period comes
    from summed buckets."""

    day = models.DateField(_("day"))
    received = models.PositiveIntegerField(default=0)
    solved = models.PositiveIntegerField(default=0)
    first_responses = models.PositiveIntegerField(default=0)
    first_responses_in_time = models.PositiveIntegerField(default=0)
    solved_in_time = models.PositiveIntegerField(default=0)
    rated_good = models.PositiveIntegerField(default=0)
    rated_bad = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("day's figures")
        verbose_name_plural = _("days' figures")
        indexes = [models.Index(fields=["day"], name="ticket_day_day")]

    def __str__(self):
        return f"{self.day} {self.channel} {self.agent_id or '-'}"


# The counts of TicketDay (declared on it) and of its roll-ups below; with the buckets, what
# the statistics page sums.
FIGURE_COUNTS = [
    "received",
    "solved",
    "first_responses",
    "first_responses_in_time",
    "solved_in_time",
    "rated_good",
    "rated_bad",
]
FIGURE_COLUMNS = [*FIGURE_COUNTS, *FIRST_RESPONSE_BUCKETS, *RESOLUTION_BUCKETS]


class TicketDayTotal(models.Model):
    """One day's figures of all channels and agents together: that day's TicketDay rows summed
    (tickets.daily keeps them with the rows), what the statistics page's charts read, one row
    a day however many channels and agents."""

    day = models.DateField(_("day"), unique=True)

    class Meta:
        verbose_name = _("day's total figures")
        verbose_name_plural = _("days' total figures")

    def __str__(self):
        return str(self.day)


class TicketMonth(ChannelAgentFigures):
    """A calendar month's figures of one channel and one agent: that month's TicketDay rows
    summed (tickets.daily keeps them with the rows), so a long period reads one row per month
    it covers whole instead of one per day."""

    # The month's first day.
    month = models.DateField(_("month"))

    class Meta:
        verbose_name = _("month's figures")
        verbose_name_plural = _("months' figures")
        indexes = [models.Index(fields=["month"], name="ticket_month_month")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.channel} {self.agent_id or '-'}"


for _bucket in [*FIRST_RESPONSE_BUCKETS, *RESOLUTION_BUCKETS]:
    TicketDay.add_to_class(_bucket, models.PositiveIntegerField(default=0))
for _model in (TicketDayTotal, TicketMonth):
    for _column in FIGURE_COLUMNS:
        _model.add_to_class(_column, models.PositiveIntegerField(default=0))


class TicketDaysMark(models.Model):
    """One row: until when the worker has brought TicketDay up to date."""

    computed_at = models.DateTimeField()

    def __str__(self):
        return f"{self.computed_at:%Y-%m-%d %H:%M:%S}"
