"""Files on a ticket's messages: the rules they must pass, storing them, and handing them out.

Every way a file comes in (the contact form, an email, an agent's reply, the ticket page) checks
it with `attachments_check` / `attachment_check` and stores what passed with `attachments_store`;
every way one goes out is `attachment_response` (or `attachment_thumbnail_response`).
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from io import BytesIO
from urllib.parse import quote

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from tickets.models import Attachment, Message, attachment_storage_lazy

NAME_MAX = 120
THUMBNAIL_SIZE = (200, 200)
# What Pillow must find in an image whose content filetype named; HEIC it cannot open.
PILLOW_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
TYPE_NAMES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/heic": "HEIC",
    "application/pdf": "PDF",
}
# The names a type may keep from the sender (a ".jpeg" stays); anything else gets the first.
EXTENSIONS = {
    "image/jpeg": ["jpg", "jpeg", "jpe"],
    "image/png": ["png"],
    "image/gif": ["gif"],
    "image/webp": ["webp"],
    "image/heic": ["heic", "heif"],
    "application/pdf": ["pdf"],
}
# Markup inside an image makes it a polyglot: harmless as a picture, a page if a browser is ever
# talked into reading it as HTML. Seven bytes at random in compressed data practically never match.
_MARKUP = re.compile(rb"<(script|html|body|svg|iframe|object|embed|\?php|!doctype)\b", re.I)
# Windows' reserved characters, so the name can be saved as it is on any agent's machine.
_RESERVED = re.compile(r'[<>:"|?*\\/]')


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed the rules: what attachments_store accepts, and nothing else."""

    name: str
    content_type: str
    content: bytes = field(repr=False)
    # A WebP of an image, for the agents' thread; None for a PDF or a HEIC photo.
    thumbnail: bytes | None = field(default=None, repr=False)


def attachments_check(files) -> list[CheckedFile]:
    """Check uploaded files (Django's UploadedFile, or anything with .name, .size and .read()):
    at most ATTACHMENT_MAX_COUNT, each passing attachment_check. Raises ValidationError with
    one error for every file refused."""
    files = list(files)
    if len(files) > settings.ATTACHMENT_MAX_COUNT:
        raise ValidationError(
            _("You can attach at most %(count)d files; you chose %(chosen)d.")
            % {"count": settings.ATTACHMENT_MAX_COUNT, "chosen": len(files)},
            code="too_many",
        )
    checked, errors = [], []
    for upload in files:
        name = upload.name or ""
        if upload.size is not None and upload.size > settings.ATTACHMENT_MAX_BYTES:
            # Refused on its declared size: a file far over the limit is never read into memory.
            errors.append(_too_large(name, upload.size))
            continue
        upload.seek(0)
        try:
            checked.append(attachment_check(name=name, content=upload.read()))
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    return checked


def attachment_check(*, name: str, content: bytes) -> CheckedFile:
    """One file against the rules: its size, its type as its content says (ATTACHMENT_TYPES),
    an image that decodes in full and hides no markup, a PDF that ends. Raises ValidationError
    (codes "too_large", "empty", "type", "damaged"); returns the file with its name made safe."""
    shown = attachment_name(name, "")[:60] or _("the file")
    if len(content) > settings.ATTACHMENT_MAX_BYTES:
        raise _too_large(name, len(content))
    if not content:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": shown}, code="empty")
    kind = filetype.guess(content)
    content_type = kind.mime if kind is not None else ""
    if content_type not in settings.ATTACHMENT_TYPES:
        raise ValidationError(
            _("“%(name)s” is not a file type we accept. You can attach %(types)s.")
            % {"name": shown, "types": attachment_types_shown()},
            code="type",
        )
    is_whole, thumbnail = _decoded(content_type, content)
    if not is_whole:
        raise ValidationError(
            _("“%(name)s” is damaged or incomplete and cannot be opened.") % {"name": shown},
            code="damaged",
        )
    return CheckedFile(
        name=attachment_name(name, content_type),
        content_type=content_type,
        content=content,
        thumbnail=thumbnail,
    )


def attachment_types_shown() -> str:
    """The accepted types as people know them: "JPEG, PNG, GIF, WebP, HEIC, PDF"."""
    return ", ".join(TYPE_NAMES.get(t, t) for t in settings.ATTACHMENT_TYPES)


def attachment_name(name: str, content_type: str) -> str:
    """The sender's name made safe to show and to save: its last path part only, no control or
    direction characters, no leading dots, at most NAME_MAX characters, and an extension that
    matches the type its content has."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    # Cc: NUL, newlines; Cf: the right-to-left override ("gpj.exe" shown backwards) and
    # zero-width characters; Cs, Co, Cn: nothing a name needs.
    name = "".join(c for c in name if unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Co", "Cn"})
    name = _RESERVED.sub("_", " ".join(name.split())).strip(" .")
    if not content_type:
        return name[:NAME_MAX]
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    allowed = EXTENSIONS.get(content_type) or [content_type.rpartition("/")[2]]
    extension = extension.lower() if extension.lower() in allowed else allowed[0]
    stem = stem.rstrip(" .")[: NAME_MAX - len(extension) - 1].rstrip(" .") or _("attachment")
    return f"{stem}.{extension}"


def attachments_store(*, message: Message, files: list[CheckedFile]) -> list[Attachment]:
    """Store checked files on a message, with a thumbnail of each image. Call it inside the
    transaction that writes the message; the rows commit or roll back with it."""
    attachments = []
    for checked in files:
        attachment = Attachment(
            message=message,
            filename=checked.name,
            content_type=checked.content_type,
            size=len(checked.content),
            sha256=hashlib.sha256(checked.content).hexdigest(),
        )
        attachment.file.save("", ContentFile(checked.content), save=False)
        if checked.thumbnail:
            attachment.thumbnail.save("", ContentFile(checked.thumbnail), save=False)
        attachments.append(attachment)
    return Attachment.objects.bulk_create(attachments)


def attachment_for_customer(*, ticket, pk: int) -> Attachment | None:
    """The attachment `pk` if the ticket's customer may have it: on a message of that ticket
    that is theirs or a reply to them, never on an internal note. None otherwise (answer 404)."""
    return Attachment.objects.filter(
        pk=pk,
        message__ticket=ticket,
        message__kind__in=[Message.Kind.CUSTOMER, Message.Kind.PUBLIC],
    ).first()


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file as a download, for whoever the caller has decided may have it: the browser
    saves it under its safe name, never shows it in the page, and keeps no copy."""
    response = FileResponse(
        attachment_storage_lazy.open(attachment.file.name, "rb"),
        content_type=attachment.content_type,
    )
    response["Content-Disposition"] = _disposition("attachment", attachment.filename)
    return _private(response)


def attachment_thumbnail_response(attachment: Attachment) -> FileResponse:
    """The image's thumbnail, shown inline in the agents' thread."""
    response = FileResponse(
        attachment_storage_lazy.open(attachment.thumbnail.name, "rb"), content_type="image/webp"
    )
    response["Content-Disposition"] = _disposition("inline", f"{attachment.filename}.webp")
    return _private(response)


def attachment_content(attachment: Attachment) -> bytes:
    with attachment_storage_lazy.open(attachment.file.name, "rb") as file:
        return file.read()


def _private(response: FileResponse) -> FileResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Even opened in a tab, nothing in it may run or load.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _disposition(kind: str, name: str) -> str:
    fallback = name.encode("ascii", "ignore").decode().replace('"', "") or "vedlegg"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _too_large(name: str, size: int) -> ValidationError:
    return ValidationError(
        _("“%(name)s” is %(size)s; a file may be at most %(limit)s.")
        % {
            "name": attachment_name(name, "")[:60] or _("the file"),
            "size": filesizeformat(size),
            "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
        },
        code="too_large",
    )


def _decoded(content_type: str, content: bytes) -> tuple[bool, bytes | None]:
    """Whether the file is whole, and an image's thumbnail: made here, while checking, so that
    storing (inside the ticket's transaction, holding SQLite's write lock) only writes bytes."""
    if content_type == "application/pdf":
        # A PDF ends with its trailer; a cut-off upload has none.
        return b"%%EOF" in content[-1024:], None
    if not content_type.startswith("image/"):
        return True, None
    if _MARKUP.search(content):
        return False, None
    expected = PILLOW_FORMATS.get(content_type)
    if expected is None:
        return True, None
    try:
        with Image.open(BytesIO(content)) as image:
            if image.format != expected:
                return False, None
            if image.width * image.height > settings.FAQ_IMAGE_MAX_PIXELS:
                return False, None
            image.verify()
        # verify() checks the structure; only decoding every pixel finds a truncated image.
        with Image.open(BytesIO(content)) as image:
            # A JPEG is decoded at an eighth of its size when that is enough for the thumbnail:
            # every byte is still read, so a cut-off file still fails, in a fifth of the time.
            image.draft("RGB", THUMBNAIL_SIZE)
            image.load()
            return True, _thumbnail(image)
    except (OSError, SyntaxError, ValueError, UnidentifiedImageError, Image.DecompressionBombError):
        return False, None


def _thumbnail(image: Image.Image) -> bytes | None:
    try:
        # A phone's photo is stored sideways with a note saying so; the thumbnail stands up.
        shown = ImageOps.exif_transpose(image)
        shown.thumbnail(THUMBNAIL_SIZE)
        if shown.mode not in {"RGB", "RGBA"}:
            shown = shown.convert("RGBA")
        output = BytesIO()
        shown.save(output, "WEBP", quality=80)
    except Exception:  # noqa: BLE001 (a thumbnail is a convenience: the photo is kept without one)
        return None
    return output.getvalue()
