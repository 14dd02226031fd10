"""What we receive: a raw RFC 5322 message read into one normalised InboundMessage.

Every way mail reaches us (a pipe from the mail server, an IMAP mailbox, a provider's webhook)
hands the raw bytes to `inbound_parse`. It never raises on what a sender can send: broken MIME,
8-bit headers, HTML only, megabytes of quoted history. The reply is cut from the quoted history
and signature for the thread; the full text stays on the message for agents.
"""

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from pathlib import PurePosixPath, PureWindowsPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import override

from tickets.attachments import attachment_check, attachments_store
from tickets.models import Message as ThreadMessage
from tickets.models import OutboundEmail, Ticket
from tickets.references import reference_legacy_id, reference_normalize, reply_address_read
from tickets.services import ticket_create, ticket_customer_replied

# Beyond this the text is history or an attack; the reply itself is always near the top.
TEXT_MAX_CHARS = 200_000
_REFERENCE_IN_SUBJECT = re.compile(r"\bSEK-[0-9A-Z]{4}-[0-9A-Z]{4}\b|\bSEK-0*\d{1,12}\b", re.I)
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")

# Lines where a client starts the quoted history of a reply, in the languages our customers
# write in. Each is matched against one line, or two lines joined (clients wrap long ones).
_QUOTE_HEADERS = [
    # The line at the top of every email we send (templates/tickets/email/), in either language.
    re.compile(
        r"^[>\s]*##- (Please write your reply above this line|"
        r"Skriv svaret ditt over denne linjen) -##\s*$",
        re.I,
    ),
    # Gmail, Apple Mail, Thunderbird: "On Tue, 1 Dec 2026 at 10:12, Kari <k@x.no> wrote:"
    re.compile(r"^\s*On\b.{0,150}\d.{0,150}\bwrote:\s*$", re.I),
    # Norwegian Gmail and Apple Mail: "tir. 1. des. 2026 kl. 10:12 skrev Kari <k@x.no>:",
    # "Den 1. des. 2026 kl. 10:12 skrev Kari:"
    re.compile(r"^\s*.{0,150}\d.{0,150}\bskrev\b.{0,200}:\s*$", re.I),
    re.compile(
        r"^\s*-{2,}\s*(Original Message|Opprinnelig melding|Forwarded message|"
        r"Videresendt melding)\s*-{2,}\s*$",
        re.I,
    ),
    # Outlook: a rule, or straight "From: … Sent: …" / "Fra: … Sendt: …" header lines.
    re.compile(r"^\s*_{10,}\s*$"),
    re.compile(r"^\s*(From|Fra):\s.*$", re.I),
]
_OUTLOOK_SENT = re.compile(r"^\s*(Sent|Sendt|Date|Dato):\s", re.I)
_SIGNATURES = [
    # "-- " on its own line, the trailing space already trimmed with every line's.
    re.compile(r"^--$"),
    re.compile(
        r"^\s*(Sent from my|Sendt fra min|Sendt fra|Get Outlook for|Hent Outlook for)\b", re.I
    ),
]
_AUTO_SUBJECTS = re.compile(
    r"^\s*(auto(matic)? ?(reply|response|svar)|autosvar|automatisk svar|out of (the )?office|"
    r"fraværende|fravær|ikke på kontoret|abwesend|delivery status notification|"
    r"undeliverable|undelivered mail|mail delivery failed|returned mail|"
    r"kunne ikke leveres|ikke levert)\b",
    re.I,
)
AUTO_REPLY_HEADERS = ["X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Autorespond-Id"]
_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster)@", re.I)


@dataclass
class MailAttachment:
    filename: str
    content_type: str
    content: bytes
    is_inline: bool = False


@dataclass
class InboundMessage:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    to: list[str]
    cc: list[str]
    # Message-IDs this message answers, newest first: In-Reply-To, then References.
    replies_to: list[str]
    text: str
    reply: str
    html: str
    attachments: list[MailAttachment] = field(default_factory=list)
    # Why it must not reopen a ticket nor get an answer: "", "auto-reply" or "bounce".
    automatic: str = ""
    content_hash: str = ""

    @property
    def subject_reference(self) -> str | int | None:
        """A ticket reference named in the subject (a legacy one as the ticket's id), if any."""
        for found in _REFERENCE_IN_SUBJECT.findall(self.subject):
            if reference := reference_normalize(found):
                return reference
            if (legacy := reference_legacy_id(found)) is not None:
                return legacy
        return None

    @property
    def reply_address_reference(self) -> str | None:
        """The reference in a signed reply address this message was sent to, if any."""
        for address in [*self.to, *self.cc]:
            if reference := reply_address_read(address):
                return reference
        return None


def inbound_parse(raw: bytes) -> InboundMessage:
    message = _message_read(raw)
    sender_name, sender = parseaddr(_header(message, "From"))
    text_part, html_part, attachments = _parts(message)
    html_body = _decoded(html_part) if html_part is not None else ""
    text = _decoded(text_part) if text_part is not None else html_to_text(html_body)
    text = _lines_normalised(text)[:TEXT_MAX_CHARS]
    replies_to = _MESSAGE_ID.findall(_header(message, "In-Reply-To"))
    replies_to += [
        m
        for m in reversed(_MESSAGE_ID.findall(_header(message, "References")))
        if m not in replies_to
    ]
    message_ids = _MESSAGE_ID.findall(_header(message, "Message-ID"))
    parsed = InboundMessage(
        message_id=message_ids[0] if message_ids else "",
        sender=sender.lower(),
        sender_name=" ".join(sender_name.split())[:100],
        subject=" ".join(_header(message, "Subject").split())[:200],
        to=_addresses(message, "To", "Delivered-To", "X-Original-To"),
        cc=_addresses(message, "Cc"),
        replies_to=replies_to,
        text=text,
        reply=reply_text(text),
        html=html_body[:TEXT_MAX_CHARS],
        attachments=attachments,
    )
    parsed.automatic = _automatic(message, parsed)
    parsed.content_hash = hashlib.sha256(
        "\x1f".join([parsed.sender, parsed.subject, parsed.text]).encode(errors="replace")
    ).hexdigest()
    return parsed


def reply_text(text: str) -> str:
    """The reply without the quoted history and the signature under it."""
    lines = text.split("\n")
    cut = len(lines)
    for index, line in enumerate(lines):
        pair = f"{line} {lines[index + 1]}" if index + 1 < len(lines) else line
        if _is_quote_header(lines, index, line, pair):
            cut = index
            break
        if line.startswith(">") and all(
            not rest.strip() or rest.startswith(">") for rest in lines[index:]
        ):
            cut = index
            break
    # Lines quoted between the customer's own (inline answers) say nothing new.
    reply = [line for line in lines[:cut] if not line.startswith(">")]
    if not "\n".join(reply).strip():
        # Written below the quote (bottom-posting): the reply is what is not quoted after it.
        reply = [line for line in lines[cut + 1 :] if not line.startswith(">")]
    for index, line in enumerate(reply):
        if any(pattern.match(line) for pattern in _SIGNATURES):
            reply = reply[:index]
            break
    return re.sub(r"\n{3,}", "\n\n", "\n".join(reply)).strip()


def _message_read(raw: bytes) -> Message:
    try:
        return email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:  # noqa: BLE001 (whatever the parser trips on, read it the lenient way)
        return email.message_from_bytes(raw, policy=email.policy.compat32)


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name, "")
    except Exception:  # noqa: BLE001 (an unparseable header reads as missing)
        return ""
    text = str(value or "")
    # 8-bit bytes in a header arrive as surrogates; shown as the replacement character.
    return text.encode("utf-8", "replace").decode("utf-8", "replace")


def _addresses(message: Message, *names: str) -> list[str]:
    found = []
    for name in names:
        try:
            values = message.get_all(name, [])
        except Exception:  # noqa: BLE001
            values = []
        for _name, address in getaddresses([str(v) for v in values]):
            if "@" in address and address.lower() not in found:
                found.append(address.lower())
    return found


def _parts(message: Message) -> tuple[Message | None, Message | None, list[MailAttachment]]:
    text_part = html_part = None
    attachments = []
    parts = message.walk() if message.is_multipart() else [message]
    for part in parts:
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        filename = part.get_filename()
        if content_type == "message/delivery-status":
            continue
        if disposition == "attachment" or filename or not content_type.startswith("text/"):
            payload = part.get_payload(decode=True) or b""
            attachments.append(
                MailAttachment(
                    filename=_filename_safe(filename),
                    content_type=content_type,
                    content=payload,
                    is_inline=disposition == "inline" or bool(part.get("Content-ID")),
                )
            )
        elif content_type == "text/plain" and text_part is None:
            text_part = part
        elif content_type == "text/html" and html_part is None:
            html_part = part
    return text_part, html_part, attachments


def _filename_safe(filename: str | None) -> str:
    # Only the name: a sender's "../../etc/passwd" or "C:\\x\\y.pdf" names no folder of ours.
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    safe = get_valid_filename(name).lstrip(".") if name.strip(". ") else ""
    return safe[:100] or "vedlegg"


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = str(part.get_payload()).encode(errors="replace")
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _lines_normalised(text: str) -> str:
    return "\n".join(
        line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    )


def _is_quote_header(lines: list[str], index: int, line: str, pair: str) -> bool:
    for pattern in _QUOTE_HEADERS:
        if pattern.pattern.startswith(r"^\s*(From|Fra)"):
            # Outlook's header block: From:, then Sent: (or Date:) within the next lines.
            if pattern.match(line) and any(
                _OUTLOOK_SENT.match(following) for following in lines[index + 1 : index + 4]
            ):
                return True
            continue
        if pattern.match(line) or (pattern.match(pair) and not line.strip().endswith(".")):
            return True
    return False


def _automatic(message: Message, parsed: InboundMessage) -> str:
    content_type = message.get_content_type()
    report_type = str(message.get_param("report-type", "", header="Content-Type") or "")
    if (content_type == "multipart/report" and report_type.lower() == "delivery-status") or (
        _BOUNCE_SENDERS.match(parsed.sender)
    ):
        return "bounce"
    return_path = _header(message, "Return-Path").strip()
    if return_path == "<>":
        return "bounce"
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    precedence = _header(message, "Precedence").strip().lower()
    flagged = any(_header(message, name) for name in AUTO_REPLY_HEADERS)
    if (
        (auto_submitted and auto_submitted != "no")
        or flagged
        or precedence in {"bulk", "junk", "list", "auto_reply"}
        or _AUTO_SUBJECTS.match(parsed.subject)
    ):
        return "auto-reply"
    return ""


class _TextFromHtml(HTMLParser):
    BLOCKS = {
        "p",
        "div",
        "br",
        "tr",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "table",
        "hr",
        "pre",
    }
    SKIPPED = {"script", "style", "head", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skipping = 0
        self.quoting = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag == "blockquote":
            self.quoting += 1
            self.chunks.append("\n")
        elif tag in self.BLOCKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIPPED:
            self.skipping = max(self.skipping - 1, 0)
        elif tag == "blockquote":
            self.quoting = max(self.quoting - 1, 0)
            self.chunks.append("\n")
        elif tag in self.BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data):
        if self.skipping:
            return
        text = " ".join(data.split())
        if not text:
            return
        # Quoted HTML becomes "> " lines, so the reply is cut from it like from plain text.
        self.chunks.append(f"> {text}" if self.quoting else text)


def html_to_text(markup: str) -> str:
    """Readable text of an HTML email: blocks on lines of their own, nothing of scripts."""
    parser = _TextFromHtml()
    try:
        parser.feed(markup[: TEXT_MAX_CHARS * 2])
        parser.close()
    except Exception:  # noqa: BLE001 (broken markup gives what was read so far)
        pass
    lines = [
        " ".join(line.split())
        for line in "".join(
            chunk if chunk == "\n" else chunk + " " for chunk in parser.chunks
        ).split("\n")
    ]
    # The parser has turned character references into text already.
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@dataclass
class Filed:
    ticket: Ticket | None
    message: ThreadMessage | None
    # "new ticket", "reply", "duplicate", or "ignored" (our own mail)
    outcome: str


@transaction.atomic
def inbound_file(raw: bytes) -> Filed:
    """File one received email exactly once: into the ticket it answers, or as a new ticket.

    It answers a ticket by the signed reply address it was sent to, else by a Message-ID of ours
    (or of the customer's earlier mail) in In-Reply-To/References, else by the reference in the
    subject, and the subject counts only when the sender is that ticket's customer: a stranger
    who writes "SEK-…" in a subject starts a ticket of their own. An auto-reply or a bounce is
    filed but reopens nothing and is never answered.
    """
    parsed = inbound_parse(raw)
    if parsed.sender in _our_addresses():
        # Our own mail come back (a notification to a support address this mailbox also
        # reads): filing it would answer ourselves, for ever.
        return Filed(None, None, "ignored")
    if existing := _already_filed(parsed):
        return Filed(existing.ticket, existing, "duplicate")
    ticket = _ticket_answered(parsed)
    # An answer to a ticket merged into another joins the thread it was merged into.
    for _hop in range(5):
        if ticket is None or ticket.merged_into_id is None:
            break
        if ticket.merged_into.anonymised_at is not None:
            break
        ticket = ticket.merged_into
    fields = {
        "channel": ThreadMessage.Channel.EMAIL,
        "original": parsed.text,
        "message_id": parsed.message_id[:255],
        "content_hash": parsed.content_hash,
        "automatic": parsed.automatic,
    }
    body = parsed.reply or parsed.text
    if ticket is None:
        ticket, _ = ticket_create(
            name=parsed.sender_name or parsed.sender,
            email=parsed.sender,
            message=_with_named_reference(parsed, body),
            first=fields,
            # A robot's mail is kept for agents, but answering it could start a loop.
            confirm=not parsed.automatic,
        )
        message = ticket.messages.get()
        _attachments_file(message, parsed.attachments)
        return Filed(ticket, message, "new ticket")
    message = ThreadMessage.objects.create(
        ticket=ticket,
        kind=ThreadMessage.Kind.CUSTOMER,
        author_name=parsed.sender_name or parsed.sender,
        body=body,
        **fields,
    )
    _attachments_file(message, parsed.attachments)
    if not parsed.automatic:
        ticket_customer_replied(ticket=ticket, message=message)
    return Filed(ticket, message, "reply")


def _attachments_file(message: ThreadMessage, attachments: list[MailAttachment]) -> None:
    """Store a mail's attachments (inline images too) by the same rules as the form's; one
    refused is named in an internal note beside the message, and the mail is filed anyway."""
    checked, refused = [], []
    with override(settings.LANGUAGE_CODE):
        for attachment in attachments:
            if len(checked) == settings.ATTACHMENT_MAX_COUNT:
                limit = {"count": settings.ATTACHMENT_MAX_COUNT}
                refused.append((attachment.filename, _("more than %(count)d attachments") % limit))
                continue
            try:
                checked.append(
                    attachment_check(name=attachment.filename, content=attachment.content)
                )
            except ValidationError as error:
                refused.append((attachment.filename, " ".join(error.messages)))
        if checked:
            attachments_store(message=message, files=checked)
        if refused:
            ThreadMessage.objects.create(
                ticket=message.ticket,
                kind=ThreadMessage.Kind.INTERNAL,
                channel=ThreadMessage.Channel.EMAIL,
                body="\n".join(
                    _("Attachment refused: %(name)s, %(reason)s") % {"name": n, "reason": r}
                    for n, r in refused
                ),
            )


def _our_addresses() -> set[str]:
    return {
        parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower(),
        settings.SUPPORT_EMAIL.lower(),
    }


def _already_filed(parsed: InboundMessage) -> ThreadMessage | None:
    messages = ThreadMessage.objects.select_related("ticket").filter(
        kind=ThreadMessage.Kind.CUSTOMER, channel=ThreadMessage.Channel.EMAIL
    )
    if parsed.message_id:
        if found := messages.filter(message_id=parsed.message_id[:255]).first():
            return found
    # Without a Message-ID, or resent under a new one: the same sender, subject and text.
    return messages.filter(content_hash=parsed.content_hash).first()


def _ticket_answered(parsed: InboundMessage) -> Ticket | None:
    open_tickets = Ticket.objects.filter(anonymised_at=None)
    if reference := parsed.reply_address_reference:
        if ticket := open_tickets.filter(reference=reference).first():
            return ticket
    if parsed.replies_to:
        ours = OutboundEmail.objects.filter(message_id__in=parsed.replies_to[:50])
        theirs = ThreadMessage.objects.filter(
            message_id__in=parsed.replies_to[:50], kind=ThreadMessage.Kind.CUSTOMER
        )
        ids = [
            *ours.values_list("ticket_id", flat=True),
            *theirs.values_list("ticket_id", flat=True),
        ]
        # A customer's earlier mail ties only a mail from that same customer to the ticket.
        if ticket := open_tickets.filter(pk__in=ids).first():
            if ticket.pk in set(ours.values_list("ticket_id", flat=True)) or _is_customer(
                parsed, ticket
            ):
                return ticket
    named = parsed.subject_reference
    if named is not None:
        lookup = {"pk": named} if isinstance(named, int) else {"reference": named}
        ticket = open_tickets.filter(**lookup).first()
        if ticket is not None and _is_customer(parsed, ticket):
            return ticket
    return None


def _is_customer(parsed: InboundMessage, ticket: Ticket) -> bool:
    return bool(parsed.sender) and parsed.sender == ticket.email.lower()


def _with_named_reference(parsed: InboundMessage, body: str) -> str:
    """A new ticket whose subject named another's reference says so, for the agents."""
    named = parsed.subject_reference
    if named is None:
        return body
    shown = named if isinstance(named, str) else f"SEK-{named:06d}"
    with override(settings.LANGUAGE_CODE):
        note = _(
            "[The subject names %(reference)s, but the sender is not that ticket's customer, "
            "so this became a ticket of its own.]"
        ) % {"reference": shown}
    return f"{note}\n\n{body}"
