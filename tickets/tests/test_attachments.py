import hashlib
from io import BytesIO
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from PIL import Image

from tickets.attachments import (
    attachment_check,
    attachment_for_customer,
    attachment_name,
    attachment_response,
    attachments_check,
    attachments_store,
)
from tickets.models import Attachment, Message, Ticket
from tickets.services import ticket_reply, tickets_erase, tickets_purge
from tickets.tests.attachment_files import EXE, HTML, SVG, jpeg, pdf, png, upload


def codes(error: ValidationError) -> list[str]:
    return [e.code for e in error.error_list]


def stored_names() -> list[str]:
    storage = storages["attachments"]
    found = []

    def walk(folder):
        folders, files = storage.listdir(folder)
        found.extend(f"{folder}/{name}".lstrip("/") for name in files)
        for sub in folders:
            walk(f"{folder}/{sub}".lstrip("/"))

    walk("")
    return sorted(found)


@pytest.fixture
def message(make_ticket_row):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Se vedlagt")
    return ticket.messages.get()


@pytest.mark.parametrize(
    "content, content_type, name",
    [
        (png(), "image/png", "skjermbilde.png"),
        (jpeg(), "image/jpeg", "skjermbilde.jpg"),
        (pdf(), "application/pdf", "skjermbilde.pdf"),
    ],
    ids=["png", "jpeg", "pdf"],
)
def test_type_is_the_one_the_content_has_whatever_the_name_says(content, content_type, name):
    checked = attachment_check(name="skjermbilde.txt", content=content)

    assert (checked.content_type, checked.name) == (content_type, name)


@pytest.mark.parametrize(
    "name, content",
    [("oppsett.png", EXE), ("bilde.jpg", HTML), ("logo.svg", SVG), ("notat.txt", b"Hei")],
    ids=["exe-as-png", "html-as-jpg", "svg", "text"],
)
def test_file_of_a_type_not_allowed_is_refused_in_norwegian(name, content):
    with pytest.raises(ValidationError) as refused:
        attachment_check(name=name, content=content)

    assert codes(refused.value) == ["type"]
    assert refused.value.messages == [
        f"«{name}» er ikke en filtype vi tar imot. Du kan legge ved JPEG, PNG, GIF, WebP, "
        "HEIC, PDF."
    ]


def test_file_over_the_size_limit_is_refused(settings):
    settings.ATTACHMENT_MAX_BYTES = 1000

    with pytest.raises(ValidationError) as refused:
        attachment_check(name="foto.jpg", content=jpeg())

    assert codes(refused.value) == ["too_large"]
    assert "1000\xa0byte" in refused.value.messages[0]


def test_more_files_than_the_count_limit_are_refused(settings):
    settings.ATTACHMENT_MAX_COUNT = 2

    with pytest.raises(ValidationError) as refused:
        attachments_check([upload(f"{n}.png", png()) for n in range(3)])

    assert codes(refused.value) == ["too_many"]


def test_every_refused_file_gets_its_own_error():
    with pytest.raises(ValidationError) as refused:
        attachments_check([upload("a.png", EXE), upload("b.png", png()), upload("c.jpg", HTML)])

    assert codes(refused.value) == ["type", "type"]


@pytest.mark.parametrize("content", [png(), jpeg(), pdf()], ids=["png", "jpeg", "pdf"])
def test_file_cut_off_in_the_middle_is_refused(content):
    with pytest.raises(ValidationError) as refused:
        attachment_check(name="bilde", content=content[: len(content) * 2 // 3])

    assert codes(refused.value) == ["damaged"]


def test_image_carrying_a_script_is_refused():
    polyglot = png() + b"<script>fetch('/admin/')</script>"

    with pytest.raises(ValidationError) as refused:
        attachment_check(name="bilde.png", content=polyglot)

    assert codes(refused.value) == ["damaged"]


def test_empty_file_is_refused():
    with pytest.raises(ValidationError) as refused:
        attachment_check(name="tom.png", content=b"")

    assert codes(refused.value) == ["empty"]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\x\\y.png", "y.png"),
        ("fa\x00k\ntura.png", "faktura.png"),
        ("bilde\u202egnp.exe", "bildegnp.png"),
        (".htaccess", "htaccess.png"),
        ("...", "vedlegg.png"),
        ("", "vedlegg.png"),
        ('kvit"ter<ing>.PNG', "kvit_ter_ing_.png"),
        ("x" * 300 + ".png", "x" * 116 + ".png"),
    ],
    ids=[
        "posix-path",
        "windows-path",
        "nul-newline",
        "rtl-override",
        "dotfile",
        "dots",
        "empty",
        "reserved",
        "long",
    ],
)
def test_name_is_made_safe_and_gets_the_extension_of_its_content(name, expected):
    assert attachment_name(name, "image/png") == expected


def test_jpeg_keeps_the_jpeg_extension_the_sender_gave_it():
    assert attachment_name("ferie.JPEG", "image/jpeg") == "ferie.jpeg"
    assert attachment_name("ferie.png", "image/jpeg") == "ferie.jpg"


def test_stored_file_is_named_by_us_with_its_size_hash_and_a_thumbnail(message):
    content = jpeg()
    checked = attachment_check(name="../../ferie.jpg", content=content)

    [attachment] = attachments_store(message=message, files=[checked])

    stored = Attachment.objects.get()
    assert (stored.filename, stored.content_type, stored.size, stored.sha256) == (
        "ferie.jpg",
        "image/jpeg",
        len(content),
        hashlib.sha256(content).hexdigest(),
    )
    assert "ferie" not in stored.file.name
    assert storages["attachments"].open(stored.file.name).read() == content
    with Image.open(BytesIO(storages["attachments"].open(stored.thumbnail.name).read())) as thumb:
        assert (thumb.format, max(thumb.size) <= 200) == ("WEBP", True)


def test_pdf_has_no_thumbnail(message):
    attachments_store(message=message, files=[attachment_check(name="f.pdf", content=pdf())])

    assert Attachment.objects.get().thumbnail.name == ""


def test_response_is_a_private_download_under_the_safe_name(message):
    checked = attachment_check(name="kvittering æøå.pdf", content=pdf())
    [attachment] = attachments_store(message=message, files=[checked])

    response = attachment_response(attachment)

    assert b"".join(response.streaming_content) == checked.content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"kvittering .pdf\"; filename*=UTF-8''"
        + quote("kvittering æøå.pdf", safe="")
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def with_files(message) -> list[str]:
    attachments_store(
        message=message,
        files=[
            attachment_check(name="a.png", content=png()),
            attachment_check(name="b.pdf", content=pdf()),
        ],
    )
    return stored_names()


def test_erasure_deletes_the_files_and_their_rows(message, django_capture_on_commit_callbacks):
    assert len(with_files(message)) == 3  # the PNG, its thumbnail, the PDF

    with django_capture_on_commit_callbacks(execute=True):
        tickets_erase(emails=["kari@example.no"], actor=None)

    assert stored_names() == []
    assert not Attachment.objects.exists()


def test_erasure_rolled_back_keeps_the_files(message, django_capture_on_commit_callbacks):
    before = with_files(message)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            tickets_erase(emails=["kari@example.no"], actor=None)
            raise RuntimeError("the erasure fails after it deleted the rows")

    assert stored_names() == before
    assert Attachment.objects.count() == 2


def test_purge_deletes_the_files_of_old_closed_tickets(message, django_capture_on_commit_callbacks):
    with_files(message)
    long_ago = timezone.now() - timezone.timedelta(days=400)
    Ticket.objects.update(status=Ticket.Status.CLOSED, closed_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        tickets_purge(days=365)

    assert stored_names() == []
    assert Message.objects.get().body == ""


def test_customer_may_have_their_own_and_the_replys_files_but_no_internal_notes(
    message, make_ticket_row
):
    ticket = message.ticket
    reply = ticket_reply(ticket=ticket, author=None, body="Svar", is_public=True)
    note = ticket_reply(ticket=ticket, author=None, body="Internt", is_public=False)
    other = make_ticket_row(name="Ola", email="ola@example.no", message="Min").messages.get()
    for owner in [message, reply, note, other]:
        attachments_store(message=owner, files=[attachment_check(name="f.pdf", content=pdf())])
    theirs, replied, internal, others = Attachment.objects.order_by("pk")

    found = [attachment_for_customer(ticket=ticket, pk=a.pk) for a in Attachment.objects.all()]

    assert found == [theirs, replied, None, None]
