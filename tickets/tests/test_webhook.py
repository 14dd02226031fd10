"""The providers' inbound webhook: real POSTs in Mailgun's and Postmark's shapes, through
django-anymail's views (tickets.views.inbound_webhook) to tickets.signals."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.urls import reverse

from tickets.models import Message, Ticket
from tickets.references import reply_address
from tickets.tests.inbound_corpus import REPLY, message
from tickets.tests.test_inbound_filing import customer_messages

SECRET = "mailgun:8bZ2-hemmelig"
SIGNING_KEY = "key-signing-for-tests"


@pytest.fixture
def webhook(settings):
    settings.INBOUND_ESP = "mailgun"
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    return settings


def basic_auth(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def mailgun_post(client, raw: bytes, *, secret: str = SECRET, key: str = SIGNING_KEY):
    """Mailgun's forward() of a route whose URL asks for raw MIME: a form post, signed."""
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    data = {
        "body-mime": raw.decode(),
        "recipient": "kundeservice@etn.no",
        "sender": "kari@example.no",
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
    }
    url = reverse("inbound_webhook", args=["mailgun"]) + "?mime"
    return client.post(url, data, **basic_auth(secret))


def test_mailgun_reply_joins_its_ticket(client, webhook, make_ticket):
    ticket = make_ticket()
    raw = message(body=REPLY, headers={"To": reply_address(ticket.reference)})

    response = mailgun_post(client, raw)

    assert response.status_code == 200
    assert customer_messages(ticket) == ["Hei!", REPLY]
    assert ticket.messages.last().channel == Message.Channel.EMAIL


def test_mailgun_post_with_a_wrong_password_is_refused_and_files_nothing(client, webhook, db):
    response = mailgun_post(client, message(body=REPLY), secret="mailgun:gjettet")

    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_mailgun_post_with_a_wrong_signature_is_refused_and_files_nothing(client, webhook, db):
    response = mailgun_post(client, message(body=REPLY), key="key-of-someone-else")

    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_postmark_raw_email_becomes_a_ticket(client, settings, db):
    settings.INBOUND_ESP = "postmark"
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    raw = message(body="Hvor er pakken?", subject="Pakke")
    payload = {
        "FromFull": {"Email": "kari@example.no", "Name": "Kari Nordmann"},
        "To": "kundeservice@etn.no",
        "Subject": "Pakke",
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "TextBody": "Hvor er pakken?",
        "Headers": [],
        "RawEmail": raw.decode(),
    }

    response = client.post(
        reverse("inbound_webhook", args=["postmark"]),
        json.dumps(payload),
        content_type="application/json",
        **basic_auth(SECRET),
    )

    assert response.status_code == 200
    assert Ticket.objects.get().message == "Hvor er pakken?"


@pytest.mark.parametrize(
    "esp, secret", [("mailgun", ""), ("postmark", SECRET)], ids=["no-secret", "other-provider"]
)
def test_webhook_is_absent_without_its_secret_or_for_another_provider(
    client, settings, db, esp, secret
):
    settings.INBOUND_ESP = esp
    settings.ANYMAIL = {"WEBHOOK_SECRET": secret} if secret else {}

    response = mailgun_post(client, message(body=REPLY))

    assert response.status_code == 404
    assert not Ticket.objects.exists()
