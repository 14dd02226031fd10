"""Receivers of other apps' signals: a provider's inbound webhook (anymail) files its mail."""

from anymail.signals import inbound

from tickets.inbound import inbound_file


def inbound_received(sender, event, esp_name, **kwargs) -> None:
    # AnymailInboundMessage is an email.message.Message: its bytes go the way every mail goes.
    # An error (the database away) propagates: anymail answers 500, and the provider retries.
    inbound_file(event.message.as_bytes())


def register() -> None:
    inbound.connect(inbound_received, dispatch_uid="tickets.inbound_received")
