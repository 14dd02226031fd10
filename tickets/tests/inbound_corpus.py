"""Replies shaped like those real mail clients send, each with what inbound_parse must make of it.

The quoted history below each reply is written the way each client writes it (Gmail, Outlook,
Apple Mail, Thunderbird, in English and Norwegian), and each is sent as plain text, as HTML only,
and as both; then signatures, bottom-posting, auto-replies, bounces, encoded and 8-bit headers,
attachments, broken MIME and oversized history.
"""

from dataclasses import dataclass, field
from email.message import EmailMessage
from html import escape

REPLY = "Hei!\n\nJeg har fortsatt ikke fått pakken. Kan dere sjekke?"
OUR_TEXT = "Takk for meldingen din. Vi ser på saken og svarer så snart vi kan."
CUSTOMER = "kari@example.no"
SUPPORT = "kundeservice@etn.no"


@dataclass
class Case:
    id: str
    raw: bytes
    reply: str = REPLY
    automatic: str = ""
    attachments: list[str] = field(default_factory=list)
    sender: str = CUSTOMER


# What each client writes above the text it quotes, and how it quotes it: "prefix" lines start
# with "> ", "indent" lines are the history as it was.
QUOTE_STYLES = {
    "gmail-en": (
        "On Tue, 1 Dec 2026 at 10:12, Sekvens kundeservice <kundeservice@etn.no> wrote:",
        "prefix",
    ),
    "gmail-en-wrapped": (
        "On Tue, 1 Dec 2026 at 10:12, Sekvens kundeservice <\nkundeservice@etn.no> wrote:",
        "prefix",
    ),
    "gmail-nb": (
        "tir. 1. des. 2026 kl. 10:12 skrev Sekvens kundeservice <kundeservice@etn.no>:",
        "prefix",
    ),
    "apple-nb": (
        "Den 1. des. 2026 kl. 10:12 skrev Sekvens kundeservice <kundeservice@etn.no>:",
        "prefix",
    ),
    "apple-en": (
        "On 1 Dec 2026, at 10:12, Sekvens kundeservice <kundeservice@etn.no> wrote:",
        "prefix",
    ),
    "thunderbird-nb": ("Den 01.12.2026 10:12, skrev Sekvens kundeservice:", "prefix"),
    "outlook-en": (
        "-----Original Message-----\nFrom: Sekvens kundeservice <kundeservice@etn.no>\n"
        "Sent: Tuesday, December 1, 2026 10:12 AM\nTo: Kari <kari@example.no>\n"
        "Subject: [SEK-7K4Q-2MX9] Svar på meldingen din",
        "indent",
    ),
    "outlook-nb": (
        "-----Opprinnelig melding-----\nFra: Sekvens kundeservice <kundeservice@etn.no>\n"
        "Sendt: tirsdag 1. desember 2026 10:12\nTil: Kari <kari@example.no>\n"
        "Emne: [SEK-7K4Q-2MX9] Svar på meldingen din",
        "indent",
    ),
    "outlook-rule": (
        "________________________________\nFrom: Sekvens kundeservice <kundeservice@etn.no>\n"
        "Sent: Tuesday, December 1, 2026 10:12\nTo: Kari",
        "indent",
    ),
    "outlook-nb-headers": (
        "Fra: Sekvens kundeservice <kundeservice@etn.no>\n"
        "Sendt: tirsdag 1. desember 2026 10:12\nTil: kari@example.no\nEmne: SV: Svar",
        "indent",
    ),
    "gmail-forward": (
        "---------- Forwarded message ---------\nFrom: Sekvens kundeservice "
        "<kundeservice@etn.no>\nDate: Tue, 1 Dec 2026 at 10:12",
        "indent",
    ),
    "bare-prefix": ("", "prefix"),
}


def message(
    *,
    body: str = "",
    html: str = "",
    subject: str = "Re: [SEK-7K4Q-2MX9] Svar på meldingen din",
    sender: str = f"Kari Nordmann <{CUSTOMER}>",
    headers: dict | None = None,
    attachments: list[tuple[str, str, bytes, bool]] = (),
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = SUPPORT
    mail["Subject"] = subject
    mail["Message-ID"] = "<reply-1@mail.example.no>"
    mail["In-Reply-To"] = "<sek-out-7@etn.no>"
    mail["References"] = "<sek-out-1@etn.no> <sek-out-7@etn.no>"
    for name, value in (headers or {}).items():
        if name in mail:
            mail.replace_header(name, value)
        else:
            mail[name] = value
    if body:
        mail.set_content(body)
        if html:
            mail.add_alternative(html, subtype="html")
    else:
        mail.set_content(html, subtype="html")
    for filename, content_type, content, inline in attachments:
        maintype, subtype = content_type.split("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
        if inline:
            part = mail.get_payload()[-1]
            part.replace_header("Content-Disposition", f'inline; filename="{filename}"')
            part["Content-ID"] = "<bilde1@example.no>"
    return mail.as_bytes()


def quoted_text(style: str) -> str:
    header, quoting = QUOTE_STYLES[style]
    history = [OUR_TEXT, "", "Med vennlig hilsen", "Sekvens kundeservice"]
    lines = [f"> {line}".rstrip() if quoting == "prefix" else line for line in history]
    return "\n".join([header, *lines]) if header else "\n".join(lines)


def quoted_html(style: str) -> str:
    header, quoting = QUOTE_STYLES[style]
    history = "<br>".join(escape(line) for line in [OUR_TEXT, "", "Med vennlig hilsen"])
    reply = "".join(f"<div>{escape(line) or '<br>'}</div>" for line in REPLY.split("\n"))
    attribution = "<br>".join(escape(line) for line in header.split("\n"))
    if quoting == "prefix":
        quote = (
            f'<div class="gmail_quote"><div>{attribution}</div>'
            f"<blockquote>{history}</blockquote></div>"
        )
    else:
        quote = f'<div id="divRplyFwdMsg"><p>{attribution}</p></div><div>{history}</div>'
    return f"<html><head><style>p {{ margin: 0 }}</style></head><body>{reply}{quote}</body></html>"


def _quote_cases() -> list[Case]:
    cases = []
    for style in QUOTE_STYLES:
        text = f"{REPLY}\n\n{quoted_text(style)}\n"
        cases.append(Case(f"{style}-text", message(body=text)))
        cases.append(Case(f"{style}-html-only", message(html=quoted_html(style))))
        cases.append(Case(f"{style}-both", message(body=text, html=quoted_html(style))))
    return cases


def _signature_cases() -> list[Case]:
    return [
        Case("signature-dash-dash", message(body=f"{REPLY}\n\n-- \nKari Nordmann\n99 99 99 99\n")),
        Case("sent-from-iphone-nb", message(body=f"{REPLY}\n\nSendt fra min iPhone\n")),
        Case("sent-from-iphone-en", message(body=f"{REPLY}\n\nSent from my iPhone\n")),
        Case("outlook-android", message(body=f"{REPLY}\n\nHent Outlook for Android\n")),
    ]


def _bottom_posted_cases() -> list[Case]:
    return [
        Case("bottom-posted", message(body=f"{quoted_text('gmail-nb')}\n\n{REPLY}\n")),
        Case("bottom-posted-bare", message(body=f"{quoted_text('bare-prefix')}\n\n{REPLY}\n")),
    ]


def _automatic_cases() -> list[Case]:
    auto = "Jeg er på ferie til 4. januar og leser ikke e-post."
    cases = [
        Case(
            f"auto-{name}",
            message(body=auto, headers=headers, subject=subject),
            reply=auto,
            automatic="auto-reply",
        )
        for name, headers, subject in [
            ("auto-submitted", {"Auto-Submitted": "auto-replied"}, "Re: [SEK-7K4Q-2MX9] Svar"),
            ("x-autoreply", {"X-Autoreply": "yes"}, "Re: [SEK-7K4Q-2MX9] Svar"),
            ("x-autorespond", {"X-Autorespond": "ferie"}, "Re: [SEK-7K4Q-2MX9] Svar"),
            ("precedence-bulk", {"Precedence": "bulk"}, "Re: [SEK-7K4Q-2MX9] Svar"),
            ("precedence-auto-reply", {"Precedence": "auto_reply"}, "[SEK-7K4Q-2MX9] Svar"),
            ("subject-automatisk-svar", {}, "Automatisk svar: [SEK-7K4Q-2MX9] Svar"),
            ("subject-autosvar", {}, "Autosvar: [SEK-7K4Q-2MX9] Svar"),
            ("subject-fravaerende", {}, "Fraværende: [SEK-7K4Q-2MX9] Svar"),
            ("subject-out-of-office", {}, "Out of Office: [SEK-7K4Q-2MX9] Svar"),
            ("subject-automatic-reply", {}, "Automatic reply: [SEK-7K4Q-2MX9] Svar"),
        ]
    ]
    return cases


def _bounce_cases() -> list[Case]:
    dsn = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.no>\r\n"
        b"To: kundeservice@etn.no\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce-1@mx.example.no>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        b"--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Final-Recipient: rfc822; kari@example.no\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"--b1--\r\n"
    )
    failed = "The mail could not be delivered."
    return [
        Case(
            "dsn-report",
            dsn,
            reply=failed,
            automatic="bounce",
            sender="mailer-daemon@mx.example.no",
        ),
        Case(
            "postmaster",
            message(body=failed, sender="postmaster@example.no", subject="Delivery failure"),
            reply=failed,
            automatic="bounce",
            sender="postmaster@example.no",
        ),
        Case(
            "empty-return-path",
            message(body=failed, headers={"Return-Path": "<>"}, subject="Kunne ikke leveres"),
            reply=failed,
            automatic="bounce",
        ),
        Case(
            "subject-undeliverable",
            message(body=failed, subject="Undeliverable: [SEK-7K4Q-2MX9] Svar"),
            reply=failed,
            automatic="auto-reply",
        ),
    ]


def _header_cases() -> list[Case]:
    raw_8bit = message(body=REPLY).replace(
        b"Subject: Re:", "Subject: Re: Pakke fra Ålesund –".encode(), 1
    )
    return [
        Case(
            "encoded-subject",
            message(body=REPLY, subject="Re: [SEK-7K4Q-2MX9] Hvor er pakken? Æøå"),
        ),
        Case("encoded-sender-name", message(body=REPLY, sender=f"Kåre Ødegård <{CUSTOMER}>")),
        Case("eight-bit-subject", raw_8bit),
        Case("sender-capitals", message(body=REPLY, sender="KARI@EXAMPLE.NO")),
    ]


def _attachment_cases() -> list[Case]:
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    return [
        Case(
            "pdf-attachment",
            message(body=REPLY, attachments=[("faktura.pdf", "application/pdf", pdf, False)]),
            attachments=["faktura.pdf"],
        ),
        Case(
            "inline-image",
            message(
                body=REPLY,
                html=f'<p>{escape(REPLY)}</p><img src="cid:bilde1@example.no">',
                attachments=[("bilde.png", "image/png", png, True)],
            ),
            attachments=["bilde.png"],
        ),
        Case(
            "path-in-filename",
            message(body=REPLY, attachments=[("../../etc/passwd", "application/pdf", pdf, False)]),
            attachments=["passwd"],
        ),
    ]


def _broken_cases() -> list[Case]:
    unterminated = (
        b"From: Kari Nordmann <kari@example.no>\r\nTo: kundeservice@etn.no\r\n"
        b"Subject: Re: [SEK-7K4Q-2MX9] Svar\r\nMessage-ID: <broken-1@example.no>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="never"\r\n\r\n'
        b"--never\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + REPLY.encode().replace(b"\n", b"\r\n")
        + b"\r\n"
    )
    unknown_charset = (
        b"From: Kari Nordmann <kari@example.no>\r\nTo: kundeservice@etn.no\r\n"
        b"Subject: Re: [SEK-7K4Q-2MX9] Svar\r\nMessage-ID: <broken-2@example.no>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-made-up\r\n\r\n" + REPLY.encode()
    )
    history = "\n".join(f"> {OUR_TEXT}" for _ in range(150_000))
    huge = message(body=f"{REPLY}\n\n{QUOTE_STYLES['gmail-nb'][0]}\n{history}\n")
    return [
        Case("unterminated-multipart", unterminated),
        Case("unknown-charset", unknown_charset),
        Case("ten-megabytes-of-history", huge),
    ]


CASES = [
    *_quote_cases(),
    *_signature_cases(),
    *_bottom_posted_cases(),
    *_automatic_cases(),
    *_bounce_cases(),
    *_header_cases(),
    *_attachment_cases(),
    *_broken_cases(),
]
