"""The hostile-input corpus: bad input for every way in, by category; test_hostile_input sends it.

Each case says what must happen: a contact form is refused with errors next to named fields,
refused as a bad request, taken for spam, or accepted with the customer's text stored as sent.
"""

import uuid
from dataclasses import dataclass, field
from urllib.parse import quote

# What a contact case expects.
REFUSED = "refused"  # 400, the form shown again with an error next to each field in `errors`
BAD_REQUEST = "bad request"  # 400 from Django before the form: body too large, unreadable, ...
SPAM = "spam"  # the honeypot: looks like success, creates nothing
ACCEPTED = "accepted"  # exactly one ticket holding `stored` (default: the fields as sent)

KARI = {"name": "Kari Nordmann", "email": "kari@example.no", "message": "Fakturaen mangler."}
TOKEN = "{token}"  # replaced by the form token the help page gives the test client
FIXED_TOKEN = "3f1d5c6e-9a4b-4c2d-8e7f-0a1b2c3d4e5f"
SIGNATURE = "{signature}"  # replaced by what follows the UUID in that token: its signature


@dataclass(frozen=True)
class Contact:
    """Kari's valid contact form with `fields` changed (a value of None leaves the field out)."""

    category: str
    id: str
    fields: dict
    expect: str
    errors: tuple = ()
    stored: dict | None = None


@dataclass(frozen=True)
class RawContact:
    """A contact form body written by hand; b"{token}" is replaced by a fresh form token."""

    category: str
    id: str
    body: bytes
    content_type: str
    expect: str
    errors: tuple = ()
    stored: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Csrf:
    """A contact or suggestion post with the CSRF check on, sent with these origin headers."""

    category: str
    id: str
    headers: dict
    url_name: str = "tickets:contact"
    secure: bool = False


@dataclass(frozen=True)
class Query:
    """A raw query string for the help page."""

    category: str
    id: str
    query_string: str
    status: int = 200


@dataclass(frozen=True)
class Vote:
    """A request to the feedback endpoint; `entry` may be "{published}" or "{hidden}"."""

    category: str
    id: str
    entry: str
    data: dict | bytes | None = None
    method: str = "POST"
    status: int = 400
    content_type: str = "application/x-www-form-urlencoded"
    query: str = ""
    headers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Suggest:
    """A post to the suggestion endpoint; `records` says whether impressions are stored.

    "{token}" is replaced by the form token the help page gives, "{signature}" by its signature.
    """

    category: str
    id: str
    data: dict | bytes
    status: int = 200
    records: bool = False
    content_type: str = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class CmsFile:
    """A CMS page file the importer must refuse with a CmsFileError naming it.

    `kind` is "text" (written as UTF-8), "bytes", or a thing that is no file: "directory",
    "missing", "symlink loop". Every import must end within seconds; `bomb` cases are also
    measured for memory.
    """

    category: str
    id: str
    content: str | bytes
    message: str
    kind: str = "text"
    bomb: bool = False


@dataclass(frozen=True)
class ImageSource:
    """An image's address in FAQ Markdown that names no image we hold: dropped, alt text kept.

    "{outside}" is replaced by the absolute path of a folder beside the import's images folder,
    which holds a valid image, hemmelig.png; images/lenke.png is a symlink to it.
    """

    category: str
    id: str
    src: str


def urlencoded(**fields: str) -> bytes:
    return "&".join(f"{name}={quote(value)}" for name, value in fields.items()).encode()


def multipart(parts: list[tuple], boundary: str = "grense") -> bytes:
    """A multipart/form-data body; a part is (name, value) or (name, filename, bytes)."""
    body = b""
    for part in parts:
        body += f"--{boundary}\r\n".encode()
        if len(part) == 2:
            body += f'Content-Disposition: form-data; name="{part[0]}"\r\n\r\n'.encode()
            body += part[1].encode() + b"\r\n"
        else:
            body += (
                f'Content-Disposition: form-data; name="{part[0]}"; filename="{part[1]}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            body += part[2] + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


# Script and event-handler payloads: all fine as text, so the form takes them; shown as text.
SCRIPTS = {
    "script-tag": "<script>alert(1)</script>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "javascript-link": '<a href="javascript:alert(1)">klikk</a>',
    "javascript-url": "javascript:alert(document.cookie)",
    "svg-onload": "<svg onload=alert(1)>",
    "attribute-breakout-svg": '"><svg/onload=alert(1)>',
    "single-quote-breakout": "'><script>alert(String.fromCharCode(88,83,83))</script>",
    "iframe-javascript": '<iframe src="javascript:alert(1)"></iframe>',
    "body-onload": "<body onload=alert(1)>",
    "textarea-breakout": "</textarea><script>alert(1)</script>",
    "title-breakout": "</title><script>alert(1)</script>",
    "style-import": "<style>@import 'https://evil.example/x.css';</style>",
    "pre-escaped": "&lt;script&gt;alert(1)&lt;/script&gt;",
    "comment-trick": "<!--<script>-->alert(1)",
    "nested-tag": "<scr<script>ipt>alert(1)</script>",
    "data-url": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "autofocus-onfocus": "<input autofocus onfocus=alert(1)>",
    "json-script-breakout": '</script><script>alert("ld+json")</script>',
}
TEMPLATES = {
    "django-variable": "{{ 7*7 }}",
    "django-debug": "{% debug %}",
    "django-settings": "{{ settings.SECRET_KEY }}",
    "django-include": '{% include "base.html" %}',
    "django-admin-log": "{% load log %}{% get_admin_log 10 as log %}{{ log }}",
    "jinja-mro": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "js-template": "${7*7}",
    "ruby-template": "#{7*7}",
    "erb-template": "<%= 7*7 %>",
    "printf-format": "%(name)s %s %d %n",
    "python-format": "{0.__class__} {ticket.email}",
}

CONTACTS = [
    *(
        Contact("script", f"{key}-in-name", {"name": text}, ACCEPTED)
        for key, text in SCRIPTS.items()
    ),
    *(
        Contact("script", f"{key}-in-message", {"message": text}, ACCEPTED)
        for key, text in SCRIPTS.items()
    ),
    # Shown again in the refused form: inside the input's value and inside the textarea.
    Contact(
        "script",
        "breakouts-shown-again-in-refused-form",
        {
            "name": '"><svg/onload=alert(1)>',
            "email": "kari@",
            "message": SCRIPTS["textarea-breakout"],
        },
        REFUSED,
        errors=("email",),
    ),
    Contact(
        "script",
        "script-as-email",
        {"email": "<script>alert(1)</script>@example.no"},
        REFUSED,
        ("email",),
    ),
    Contact(
        "script",
        "javascript-as-email",
        {"email": "javascript:alert(1)//@example.no"},
        REFUSED,
        ("email",),
    ),
    Contact(
        "script", "email-with-tag-after", {"email": "kari@example.no<script>"}, REFUSED, ("email",)
    ),
    # RFC 5321 allows nearly anything inside a quoted local part, so Django takes this address.
    Contact("script", "apostrophe-in-email", {"email": "o'hara@example.no"}, ACCEPTED),
    Contact(
        "script",
        "script-in-quoted-email",
        {"email": '"<script>alert(1)</script>"@example.no'},
        ACCEPTED,
    ),
    *(
        Contact("template", f"{key}-in-name", {"name": text}, ACCEPTED)
        for key, text in TEMPLATES.items()
    ),
    *(
        Contact("template", f"{key}-in-message", {"message": text}, ACCEPTED)
        for key, text in TEMPLATES.items()
    ),
    # Email header injection: a line break outside the message is refused; look-alikes are text.
    Contact(
        "header", "crlf-bcc-in-name", {"name": "Kari\r\nBcc: alle@example.no"}, REFUSED, ("name",)
    ),
    Contact("header", "lf-bcc-in-name", {"name": "Kari\nBcc: alle@example.no"}, REFUSED, ("name",)),
    Contact("header", "cr-in-name", {"name": "Kari\rBcc: alle@example.no"}, REFUSED, ("name",)),
    Contact(
        "header",
        "crlf-bcc-in-email",
        {"email": "kari@example.no\r\nBcc: alle@example.no"},
        REFUSED,
        ("email",),
    ),
    Contact(
        "header",
        "lf-cc-in-email",
        {"email": "kari@example.no\nCc: alle@example.no"},
        REFUSED,
        ("email",),
    ),
    Contact(
        "header",
        "encoded-crlf-in-email",
        {"email": "kari@example.no%0d%0aBcc:alle@example.no"},
        REFUSED,
        ("email",),
    ),
    Contact(
        "header",
        "encoded-lf-in-email",
        {"email": "kari@example.no%0ABcc:alle@example.no"},
        REFUSED,
        ("email",),
    ),
    Contact(
        "header",
        "line-separator-in-email-domain",
        {"email": "kari@exa\u2028mple.no"},
        REFUSED,
        ("email",),
    ),
    Contact(
        "header",
        "two-addresses-comma",
        {"email": "kari@example.no,alle@example.no"},
        REFUSED,
        ("email",),
    ),
    Contact(
        "header",
        "two-addresses-semicolon",
        {"email": "kari@example.no;alle@example.no"},
        REFUSED,
        ("email",),
    ),
    Contact(
        "header", "display-name-in-email", {"email": "Kari <kari@example.no>"}, REFUSED, ("email",)
    ),
    Contact(
        "header",
        "encoded-crlf-in-name-is-text",
        {"name": "Kari%0d%0aBcc: alle@example.no"},
        ACCEPTED,
    ),
    Contact(
        "header", "line-separator-in-name", {"name": "Kari\u2028Bcc: alle@example.no"}, ACCEPTED
    ),
    Contact(
        "header",
        "paragraph-separator-in-name",
        {"name": "Kari\u2029Bcc: alle@example.no"},
        ACCEPTED,
    ),
    # Python's email package decodes encoded words in a header and writes the line breaks inside.
    Contact(
        "header",
        "encoded-word-bcc-in-name",
        {"name": "=?utf-8?q?Kari=0D=0ABcc:_alle@example.no?="},
        REFUSED,
        ("name",),
    ),
    Contact(
        "header",
        "encoded-word-reply-to-in-name",
        {"name": "=?utf-8?q?Kari=0D=0AReply-To:_x@evil.example?="},
        REFUSED,
        ("name",),
    ),
    Contact(
        "header",
        "base64-encoded-word-in-name",
        {"name": "=?utf-8?b?S2FyaQ0KQmNjOiBhbGxlQGV4YW1wbGUubm8=?="},
        REFUSED,
        ("name",),
    ),
    Contact(
        "header", "encoded-word-bell-in-name", {"name": "Kari =?utf-8?q?=07?="}, REFUSED, ("name",)
    ),
    Contact(
        "header",
        "encoded-word-in-email",
        {"email": "=?utf-8?q?x=0D=0ABcc=3A_a=40evil.example?=@example.no"},
        REFUSED,
        ("email",),
    ),
    Contact(
        "header",
        "encoded-word-in-quoted-email",
        {"email": '"=?utf-8?q?x=0D=0A?="@example.no'},
        REFUSED,
        ("email",),
    ),
    Contact(
        "header", "harmless-encoded-word-in-name", {"name": "=?iso-8859-1?q?K=E5re?="}, ACCEPTED
    ),
    Contact(
        "header",
        "encoded-word-in-message-is-body-text",
        {"message": "=?utf-8?q?Hei=0D=0ABcc:_alle@example.no?="},
        ACCEPTED,
    ),
    Contact(
        "header",
        "bcc-lines-in-message-are-body-text",
        {"message": "Hei\r\nBcc: alle@example.no\r\n\r\nX"},
        ACCEPTED,
    ),
    # Very long values.
    Contact("long", "name-101", {"name": "K" * 101}, REFUSED, ("name",)),
    Contact("long", "name-10000", {"name": "K" * 10_000}, REFUSED, ("name",)),
    Contact("long", "name-exactly-100", {"name": "K" * 100}, ACCEPTED),
    Contact("long", "email-255", {"email": "k" * 244 + "@example.no"}, REFUSED, ("email",)),
    Contact("long", "email-10000", {"email": "k" * 10_000 + "@example.no"}, REFUSED, ("email",)),
    Contact("long", "email-label-64", {"email": "kari@" + "d" * 64 + ".no"}, REFUSED, ("email",)),
    Contact("long", "message-5001", {"message": "x" * 5001}, REFUSED, ("message",)),
    Contact("long", "message-exactly-5000", {"message": "x" * 5000}, ACCEPTED),
    Contact("long", "message-100k", {"message": "x" * 100_000}, REFUSED, ("message",)),
    Contact("long", "message-1mb", {"message": "x" * 1024 * 1024}, BAD_REQUEST),
    Contact("long", "name-1mb", {"name": "K" * 1024 * 1024}, BAD_REQUEST),
    Contact("long", "message-5000-emoji", {"message": "🦄" * 5000}, ACCEPTED),
    Contact("long", "message-5001-emoji", {"message": "🦄" * 5001}, REFUSED, ("message",)),
    # Empty and whitespace-only values.
    Contact(
        "empty",
        "all-empty",
        {"name": "", "email": "", "message": ""},
        REFUSED,
        ("name", "email", "message"),
    ),
    Contact(
        "empty",
        "all-missing",
        {"name": None, "email": None, "message": None},
        REFUSED,
        ("name", "email", "message"),
    ),
    Contact("empty", "name-missing", {"name": None}, REFUSED, ("name",)),
    Contact("empty", "name-spaces", {"name": "   "}, REFUSED, ("name",)),
    Contact("empty", "name-tab", {"name": "\t"}, REFUSED, ("name",)),
    Contact("empty", "name-no-break-space", {"name": "\u00a0\u00a0"}, REFUSED, ("name",)),
    Contact("empty", "name-ideographic-space", {"name": "\u3000"}, REFUSED, ("name",)),
    Contact("empty", "name-em-spaces", {"name": "\u2003\u2009\u200a"}, REFUSED, ("name",)),
    Contact("empty", "email-spaces", {"email": "   "}, REFUSED, ("email",)),
    Contact("empty", "message-whitespace-lines", {"message": " \n\t\r\n "}, REFUSED, ("message",)),
    Contact(
        "empty", "message-line-separators", {"message": "\u2028\u2029\u0085"}, REFUSED, ("message",)
    ),
    # Control characters and NUL bytes.
    Contact("control", "nul-in-name", {"name": "Kari\x00Nordmann"}, REFUSED, ("name",)),
    Contact("control", "nul-in-email", {"email": "kari\x00@example.no"}, REFUSED, ("email",)),
    Contact("control", "nul-in-message", {"message": "Hei\x00du"}, REFUSED, ("message",)),
    Contact("control", "only-nul-in-message", {"message": "\x00"}, REFUSED, ("message",)),
    Contact("control", "bell-in-name", {"name": "Kari\x07"}, REFUSED, ("name",)),
    Contact("control", "ansi-escape-in-name", {"name": "\x1b[31mKari\x1b[0m"}, REFUSED, ("name",)),
    Contact(
        "control", "ansi-escape-in-message", {"message": "Hei \x1b[2J du"}, REFUSED, ("message",)
    ),
    Contact(
        "control", "backspace-in-message", {"message": "Hei\x08\x08\x08du"}, REFUSED, ("message",)
    ),
    Contact("control", "delete-in-name", {"name": "Kari\x7f"}, REFUSED, ("name",)),
    Contact("control", "next-line-in-name", {"name": "Kari\x85Nordmann"}, REFUSED, ("name",)),
    Contact("control", "c1-csi-in-message", {"message": "Hei\x9b31m du"}, REFUSED, ("message",)),
    Contact("control", "vertical-tab-in-name", {"name": "Kari\x0bNordmann"}, REFUSED, ("name",)),
    Contact("control", "form-feed-in-message", {"message": "Hei\x0cdu"}, REFUSED, ("message",)),
    Contact("control", "tab-in-name", {"name": "Kari\tNordmann"}, REFUSED, ("name",)),
    Contact(
        "control", "control-in-quoted-email", {"email": '"\x01"@example.no'}, REFUSED, ("email",)
    ),
    Contact(
        "control",
        "tab-in-quoted-email",
        {"email": '"kari\tnordmann"@example.no'},
        REFUSED,
        ("email",),
    ),
    Contact(
        "control", "delete-in-quoted-email", {"email": '"kari\x7f"@example.no'}, REFUSED, ("email",)
    ),
    Contact("control", "tabs-and-crlf-in-message", {"message": "Linje 1\r\n\tLinje 2"}, ACCEPTED),
    # Odd Unicode: all of it is text a customer may write; stored exactly as sent.
    Contact("unicode", "rtl-override-name", {"name": "\u202eKari Nordmann"}, ACCEPTED),
    Contact(
        "unicode",
        "rtl-override-filename-trick",
        {"message": "Se vedlegget faktura\u202efdp.exe"},
        ACCEPTED,
    ),
    Contact(
        "unicode",
        "zero-width-joiner-family",
        {"name": "👨\u200d👩\u200d👧\u200d👦 Familien Nordmann"},
        ACCEPTED,
    ),
    Contact("unicode", "zero-width-space-inside", {"name": "Ka\u200bri"}, ACCEPTED),
    Contact(
        "unicode",
        "combining-marks-zalgo",
        {"name": "K\u0336\u0353a\u0334\u0316r\u0335\u0317i\u0337\u0355"},
        ACCEPTED,
    ),
    Contact("unicode", "decomposed-a-ring-kept", {"name": "Ka\u030are Bj\u00f8rn"}, ACCEPTED),
    Contact("unicode", "emoji-and-flag", {"name": "Kari 🦄🇳🇴"}, ACCEPTED),
    Contact(
        "unicode",
        "surrogate-looking-text",
        {"message": "\\ud83d\\ude00 og &#xD800; og %ED%A0%80"},
        ACCEPTED,
    ),
    Contact("unicode", "astral-math-lookalike", {"name": "𝕂𝕒𝕣𝕚 𝐍𝐨𝐫𝐝𝐦𝐚𝐧𝐧"}, ACCEPTED),
    Contact("unicode", "fullwidth-lookalike", {"name": "Ｋａｒｉ"}, ACCEPTED),
    Contact("unicode", "ligature-fi", {"name": "ﬁnn ﬂåten"}, ACCEPTED),
    Contact("unicode", "titlecase-digraph", {"name": "ǅemal ǈuba"}, ACCEPTED),
    Contact("unicode", "turkish-dotless-and-dotted-i", {"name": "İsmail Kırıkkale"}, ACCEPTED),
    Contact("unicode", "greek-final-sigma", {"name": "ΣΊΣΥΦΟΣ σίσυφος"}, ACCEPTED),
    Contact("unicode", "cyrillic-homoglyph", {"name": "K\u0430ri Nordm\u0430nn"}, ACCEPTED),
    Contact("unicode", "byte-order-mark-first", {"name": "\ufeffKari"}, ACCEPTED),
    Contact("unicode", "noncharacter-and-private-use", {"name": "Kari\ufffe\U0010fffd"}, ACCEPTED),
    Contact("unicode", "tag-characters", {"name": "Kari\U000e0041\U000e007f"}, ACCEPTED),
    Contact("unicode", "replacement-character", {"name": "Kari\ufffd"}, ACCEPTED),
    Contact("unicode", "cjk-and-arabic", {"name": "山田太郎 كاري"}, ACCEPTED),
    Contact("unicode", "idn-email", {"email": "kari@blåbær.no"}, ACCEPTED),
    Contact("unicode", "homoglyph-domain-email", {"email": "kari@\u0435xample.no"}, ACCEPTED),
    Contact(
        "unicode", "turkish-capital-i-local-part", {"email": "KARİ@example.no"}, REFUSED, ("email",)
    ),
    Contact("unicode", "fullwidth-at-email", {"email": "kari＠example.no"}, REFUSED, ("email",)),
    Contact(
        "unicode", "rtl-override-in-email", {"email": "kari@example.no\u202e"}, REFUSED, ("email",)
    ),
    # Django's ASCII check ignores case, so these pass it; mail cannot carry them.
    Contact(
        "unicode", "kelvin-sign-local-part", {"email": "\u212aari@example.no"}, REFUSED, ("email",)
    ),
    Contact("unicode", "long-s-local-part", {"email": "\u017fara@example.no"}, REFUSED, ("email",)),
    Contact(
        "unicode",
        "dotless-i-local-part",
        {"email": "k\u0131r\u0131@example.no"},
        REFUSED,
        ("email",),
    ),
    Contact("unicode", "zero-width-space-in-domain", {"email": "kari@example.no\u200b"}, ACCEPTED),
    Contact("unicode", "combining-mark-in-domain", {"email": "kari@ex\u0301ample.no"}, ACCEPTED),
    # The form token.
    Contact("token", "token-missing", {"token": None}, REFUSED),
    Contact("token", "token-empty", {"token": ""}, REFUSED),
    Contact("token", "token-garbled", {"token": "ikke-en-uuid"}, REFUSED),
    Contact("token", "token-sql", {"token": "' OR 1=1 --"}, REFUSED),
    Contact("token", "token-script", {"token": '"><script>alert(1)</script>'}, REFUSED),
    Contact("token", "token-with-trailing-junk", {"token": FIXED_TOKEN + "x"}, REFUSED),
    Contact("token", "token-truncated", {"token": FIXED_TOKEN[:-1]}, REFUSED),
    Contact("token", "token-not-hex", {"token": FIXED_TOKEN[:-1] + "g"}, REFUSED),
    Contact("token", "token-10000", {"token": "a" * 10_000}, REFUSED),
    Contact("token", "token-nul", {"token": "\x00"}, REFUSED),
    # A bare UUID (what scripts once sent) from a client that says nothing of its origin: the form
    # comes back with a signed token to send again (sekvens_help.origin).
    Contact("token", "token-nil-uuid", {"token": str(uuid.UUID(int=0))}, REFUSED),
    Contact("token", "token-upper-case", {"token": FIXED_TOKEN.upper()}, REFUSED),
    # The honeypot.
    Contact("honeypot", "honeypot-url", {"website": "https://billig.example.com"}, SPAM),
    Contact("honeypot", "honeypot-one-letter", {"website": "x"}, SPAM),
    Contact("honeypot", "honeypot-script", {"website": "<script>alert(1)</script>"}, SPAM),
    Contact("honeypot", "honeypot-10000", {"website": "w" * 10_000}, SPAM),
    Contact(
        "honeypot",
        "honeypot-with-invalid-form",
        {"website": "x", "email": "kari@"},
        REFUSED,
        ("email",),
    ),
    Contact("honeypot", "honeypot-nul", {"website": "\x00"}, REFUSED),
    Contact("honeypot", "honeypot-only-spaces-is-empty", {"website": "   "}, ACCEPTED),
]


def _form(**changes: str) -> bytes:
    return urlencoded(**(KARI | changes)) + b"&token=" + TOKEN.encode()


RAW_CONTACTS = [
    # Broken UTF-8: Django reads each broken sequence as U+FFFD, and a body that is not UTF-8 at
    # all as Latin-1; either way the ticket holds exactly what Django read.
    RawContact(
        "utf8",
        "invalid-byte-percent-encoded",
        b"name=Kari%FF&email=kari%40example.no&message=Hei&token={token}",
        "application/x-www-form-urlencoded",
        ACCEPTED,
        stored={"name": "Kari\ufffd", "message": "Hei"},
    ),
    RawContact(
        "utf8",
        "overlong-slash",
        b"name=Kari%C0%AF&email=kari%40example.no&message=Hei&token={token}",
        "application/x-www-form-urlencoded",
        ACCEPTED,
        stored={"name": "Kari\ufffd\ufffd", "message": "Hei"},
    ),
    RawContact(
        "utf8",
        "encoded-surrogate",
        b"name=Kari%ED%A0%80&email=kari%40example.no&message=Hei&token={token}",
        "application/x-www-form-urlencoded",
        ACCEPTED,
        stored={"name": "Kari\ufffd\ufffd\ufffd", "message": "Hei"},
    ),
    RawContact(
        "utf8",
        "truncated-sequence",
        b"name=Kari&email=kari%40example.no&message=Hei%E2%82&token={token}",
        "application/x-www-form-urlencoded",
        ACCEPTED,
        stored={"name": "Kari", "message": "Hei\ufffd"},
    ),
    RawContact(
        "utf8",
        "lone-continuation-bytes",
        b"name=Kari&email=kari%40example.no&message=%80%81%82Hei&token={token}",
        "application/x-www-form-urlencoded",
        ACCEPTED,
        stored={"name": "Kari", "message": "\ufffd\ufffd\ufffdHei"},
    ),
    RawContact(
        "utf8",
        "raw-invalid-bytes",
        b"name=Kari&email=kari%40example.no&message=Hei\xff\xfe&token={token}",
        "application/x-www-form-urlencoded",
        ACCEPTED,
        stored={"name": "Kari", "message": "Hei\xff\xfe"},
    ),
    RawContact(
        "utf8",
        "raw-valid-utf8",
        "name=Kåre&email=kari%40example.no&message=Blåbær&token={token}".encode(),
        "application/x-www-form-urlencoded",
        ACCEPTED,
        stored={"name": "Kåre", "message": "Blåbær"},
    ),
    # Django refuses a form body declared in a known charset other than UTF-8; an unknown one it
    # ignores.
    RawContact(
        "utf8",
        "latin1-charset-declared",
        b"name=K%E5re&email=kari%40example.no&message=Bl%E5b%E6r&token={token}",
        "application/x-www-form-urlencoded; charset=latin-1",
        BAD_REQUEST,
    ),
    RawContact(
        "utf8",
        "unknown-charset-declared",
        b"name=K%C3%A5re&email=kari%40example.no&message=Hei&token={token}",
        "application/x-www-form-urlencoded; charset=nope-42",
        ACCEPTED,
        stored={"name": "Kåre", "message": "Hei"},
    ),
    RawContact(
        "utf8",
        "utf16-charset-declared",
        b"name=Kari&email=kari%40example.no&message=Hei&token={token}",
        "application/x-www-form-urlencoded; charset=utf-16",
        BAD_REQUEST,
    ),
    RawContact(
        "utf8",
        "invalid-byte-in-email",
        b"name=Kari&email=kari%FF%40example.no&message=Hei&token={token}",
        "application/x-www-form-urlencoded",
        REFUSED,
        errors=("email",),
    ),
    RawContact(
        "utf8",
        "invalid-byte-in-token",
        b"name=Kari&email=kari%40example.no&message=Hei&token=%FF{token}",
        "application/x-www-form-urlencoded",
        REFUSED,
    ),
    RawContact(
        "utf8",
        "invalid-byte-in-field-name",
        b"na%FFme=Kari&email=kari%40example.no&message=Hei&token={token}",
        "application/x-www-form-urlencoded",
        REFUSED,
        errors=("name",),
    ),
    RawContact(
        "utf8",
        "encoded-nul",
        b"name=Kari%00&email=kari%40example.no&message=Hei&token={token}",
        "application/x-www-form-urlencoded",
        REFUSED,
        errors=("name",),
    ),
    RawContact(
        "utf8",
        "lone-percent",
        b"name=100%&email=kari%40example.no&message=50%%ZZ&token={token}",
        "application/x-www-form-urlencoded",
        ACCEPTED,
        stored={"name": "100%", "message": "50%%ZZ"},
    ),
    # Wrong content types: nothing is read as the form, so every field is missing.
    RawContact(
        "content-type",
        "json-body",
        b'{"name": "Kari", "email": "kari@example.no", "message": "Hei", "token": "{token}"}',
        "application/json",
        REFUSED,
        errors=("name", "email", "message"),
    ),
    RawContact(
        "content-type",
        "text-plain",
        _form(),
        "text/plain",
        REFUSED,
        errors=("name", "email", "message"),
    ),
    RawContact(
        "content-type",
        "xml-body",
        b"<ticket><name>Kari</name></ticket>",
        "application/xml",
        REFUSED,
        errors=("name", "email", "message"),
    ),
    RawContact(
        "content-type", "no-content-type", _form(), "", REFUSED, errors=("name", "email", "message")
    ),
    RawContact(
        "content-type",
        "empty-body",
        b"",
        "application/x-www-form-urlencoded",
        REFUSED,
        errors=("name", "email", "message"),
    ),
    RawContact(
        "content-type",
        "only-separators",
        b"&&&===&&",
        "application/x-www-form-urlencoded",
        REFUSED,
        errors=("name", "email", "message"),
    ),
    RawContact(
        "content-type",
        "multipart-with-a-file-the-form-ignores",
        multipart(
            [
                ("name", "Kari"),
                ("email", "kari@example.no"),
                ("message", "Hei"),
                ("token", TOKEN),
                ("vedlegg", "../../etc/passwd", b"MZ\x90\x00virus"),
            ]
        ),
        "multipart/form-data; boundary=grense",
        ACCEPTED,
        stored={"name": "Kari", "message": "Hei"},
    ),
    RawContact(
        "content-type",
        "multipart-message-as-a-file",
        multipart(
            [
                ("name", "Kari"),
                ("email", "kari@example.no"),
                ("message", "melding.txt", b"Hei"),
                ("token", TOKEN),
            ]
        ),
        "multipart/form-data; boundary=grense",
        REFUSED,
        errors=("message",),
    ),
    RawContact(
        "content-type",
        "multipart-without-boundary",
        multipart([("name", "Kari")]),
        "multipart/form-data",
        BAD_REQUEST,
    ),
    RawContact(
        "content-type",
        "multipart-wrong-boundary",
        multipart([("name", "Kari"), ("token", TOKEN)]),
        "multipart/form-data; boundary=annen",
        REFUSED,
        errors=("name", "email", "message"),
    ),
    RawContact(
        "content-type",
        "multipart-200-files",
        multipart(
            [
                *[
                    ("name", "Kari"),
                    ("email", "kari@example.no"),
                    ("message", "Hei"),
                    ("token", TOKEN),
                ],
                *[(f"f{i}", f"{i}.bin", b"x") for i in range(200)],
            ]
        ),
        "multipart/form-data; boundary=grense",
        BAD_REQUEST,
    ),
    RawContact(
        "content-type",
        "urlencoded-2000-fields",
        _form() + b"".join(b"&x%d=1" % i for i in range(2000)),
        "application/x-www-form-urlencoded",
        BAD_REQUEST,
    ),
    # Duplicated field names: Django reads the last value, as for any form.
    RawContact(
        "duplicates",
        "name-twice-last-wins",
        b"name=Ola&" + _form(),
        "application/x-www-form-urlencoded",
        ACCEPTED,
        stored={"name": "Kari Nordmann"},
    ),
    RawContact(
        "duplicates",
        "email-valid-then-invalid",
        _form() + b"&email=kari%40",
        "application/x-www-form-urlencoded",
        REFUSED,
        errors=("email",),
    ),
    RawContact(
        "duplicates",
        "token-valid-then-garbage",
        _form() + b"&token=ikke-en-uuid",
        "application/x-www-form-urlencoded",
        REFUSED,
    ),
    RawContact(
        "duplicates",
        "honeypot-empty-then-filled",
        _form() + b"&website=&website=x",
        "application/x-www-form-urlencoded",
        SPAM,
    ),
    RawContact(
        "duplicates",
        "message-twice-last-wins",
        _form() + b"&message=Andre",
        "application/x-www-form-urlencoded",
        ACCEPTED,
        stored={"message": "Andre"},
    ),
    RawContact(
        "duplicates",
        "status-and-assignee-are-not-fields",
        _form() + b"&status=closed&priority=urgent&assignee=1&id=1",
        "application/x-www-form-urlencoded",
        ACCEPTED,
    ),
]

# The page carries no CSRF token; a post from another site is refused by what the browser says.
CSRFS = [
    Csrf("csrf", "cross-site-fetch", {"Sec-Fetch-Site": "cross-site"}),
    Csrf(
        "csrf",
        "same-site-from-a-sibling",
        {"Sec-Fetch-Site": "same-site", "Origin": "http://a.testserver"},
    ),
    Csrf("csrf", "same-site-without-origin", {"Sec-Fetch-Site": "same-site"}),
    Csrf("csrf", "foreign-origin", {"Origin": "https://evil.example"}),
    Csrf("csrf", "null-origin", {"Origin": "null"}),
    Csrf("csrf", "our-host-other-scheme", {"Origin": "https://testserver"}),
    Csrf("csrf", "foreign-referer-over-https", {"Referer": "https://evil.example/"}, secure=True),
    Csrf("csrf", "plain-referer-over-https", {"Referer": "http://testserver/"}, secure=True),
    Csrf(
        "csrf",
        "suggestion-cross-site",
        {"Sec-Fetch-Site": "cross-site"},
        url_name="tickets:suggest",
    ),
    Csrf("csrf", "suggestion-foreign-origin", {"Origin": "null"}, url_name="tickets:suggest"),
]


def _q(value: str) -> str:
    return "q=" + quote(value)


QUERIES = [
    *(Query("query", f"{key}-query", _q(text)) for key, text in SCRIPTS.items()),
    *(Query("query", f"{key}-query", _q(text)) for key, text in TEMPLATES.items()),
    Query("query", "unencoded-breakout", 'q="><script>alert(1)</script>'),
    Query("query", "unencoded-spaces-and-quotes", "q=glemt passord ' \" &amp;"),
    Query("query", "empty-query", "q="),
    Query("query", "whitespace-query", _q(" \t\n ")),
    Query("query", "huge-query-10000", _q("passord " * 1250)),
    Query("query", "huge-query-100000", "q=" + "a" * 100_000),
    Query("query", "nul-query", "q=%00"),
    Query("query", "nul-inside-query", "q=pass%00ord"),
    Query("query", "lone-percent", "q=%"),
    Query("query", "double-percent", "q=%%"),
    Query("query", "bad-escape", "q=%ZZ"),
    Query("query", "sql-like-wildcards", _q("%_%")),
    Query("query", "invalid-utf8", "q=%FF%FE"),
    Query("query", "overlong-utf8", "q=%C0%AF"),
    Query("query", "regex-metacharacters", _q(r".*+?[](){}|\^$")),
    Query("query", "catastrophic-regex", _q("(a+)+$" + "a" * 50 + "!")),
    Query("query", "sql-or", _q("' OR 1=1 --")),
    Query("query", "sql-drop", _q("'; DROP TABLE tickets_ticket; --")),
    Query("query", "sql-union", _q('" UNION SELECT password FROM auth_user --')),
    Query("query", "rtl-override", _q("\u202epassord")),
    Query("query", "combining-marks", _q("pa\u0336s\u0336s\u0336o\u0336r\u0336d")),
    Query("query", "emoji", _q("🦄🦄🦄")),
    Query("query", "control-characters", _q("\x1b[31mpassord\x07")),
    Query("query", "q-twice", "q=passord&q=%3Cscript%3E"),
    Query("query", "q-as-array", "q[]=passord&q[]=x"),
    Query("query", "no-value", "q"),
    Query("query", "2000-parameters", "&".join(f"q{i}=1" for i in range(2000)), status=400),
]

VOTES = [
    Vote("feedback", "no-such-entry", "999999", {"svar": "ja"}, status=404),
    Vote("feedback", "entry-zero", "0", {"svar": "ja"}, status=404),
    Vote("feedback", "negative-id", "-1", {"svar": "ja"}, status=404),
    Vote("feedback", "id-past-bigint", str(2**63), {"svar": "ja"}, status=404),
    Vote("feedback", "id-past-unsigned-bigint", str(2**64), {"svar": "nei"}, status=404),
    Vote("feedback", "id-of-100-digits", "9" * 100, {"svar": "ja"}, status=404),
    Vote("feedback", "id-not-a-number", "abc", {"svar": "ja"}, status=404),
    Vote("feedback", "id-with-decimals", "1.5", {"svar": "ja"}, status=404),
    Vote("feedback", "id-with-nul", "1%00", {"svar": "ja"}, status=404),
    Vote("feedback", "id-arabic-indic-digit", "%D9%A1", {"svar": "ja"}, status=404),
    Vote("feedback", "id-sql", "1%20OR%201=1", {"svar": "ja"}, status=404),
    Vote("feedback", "hidden-entry", "{hidden}", {"svar": "ja"}, status=404),
    Vote("feedback", "svar-upper-case", "{published}", {"svar": "JA"}),
    Vote("feedback", "svar-capitalised", "{published}", {"svar": "Nei"}),
    Vote("feedback", "svar-missing", "{published}", {}),
    Vote("feedback", "svar-empty", "{published}", {"svar": ""}),
    Vote("feedback", "svar-padded", "{published}", {"svar": " ja "}),
    Vote("feedback", "svar-english", "{published}", {"svar": "yes"}),
    Vote("feedback", "svar-one", "{published}", {"svar": "1"}),
    Vote("feedback", "svar-nul", "{published}", {"svar": "ja\x00"}),
    Vote("feedback", "svar-10000", "{published}", {"svar": "ja" * 5000}),
    Vote("feedback", "svar-script", "{published}", {"svar": "<script>alert(1)</script>"}),
    Vote(
        "feedback",
        "svar-in-json",
        "{published}",
        b'{"svar": "ja"}',
        content_type="application/json",
    ),
    Vote("feedback", "svar-in-query-string-only", "{published}", {}, query="svar=ja"),
    Vote("feedback", "svar-twice-last-wins", "{published}", b"svar=ja&svar=nei", status=200),
    Vote("feedback", "get-instead-of-post", "{published}", method="GET", status=405),
    Vote("feedback", "put-instead-of-post", "{published}", b"svar=ja", method="PUT", status=405),
    Vote("feedback", "delete-instead-of-post", "{published}", method="DELETE", status=405),
    Vote("feedback", "head-instead-of-post", "{published}", method="HEAD", status=405),
    Vote(
        "feedback",
        "from-another-site",
        "{published}",
        {"svar": "ja"},
        status=403,
        headers={"Sec-Fetch-Site": "cross-site"},
    ),
    # Without Sec-Fetch-Site (older browsers), the Origin header decides.
    *[
        Vote(
            "feedback",
            f"origin-{name}",
            "{published}",
            {"svar": "ja"},
            status=status,
            headers={"Origin": origin},
        )
        for name, origin, status in [
            ("other-site", "https://evil.example", 403),
            ("null", "null", 403),
            ("our-host-other-scheme", "https://testserver", 403),
            ("our-host-other-port", "http://testserver:8080", 403),
            ("our-host-as-subdomain", "http://testserver.evil.example", 403),
            ("empty", "", 403),
            ("ours", "http://testserver", 200),
        ]
    ],
    Vote(
        "feedback",
        "same-origin-says-fetch-site-despite-origin",
        "{published}",
        {"svar": "ja"},
        status=200,
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
    ),
    Vote("feedback", "body-1mb", "{published}", b"svar=ja&x=" + b"x" * 1024 * 1024),
]

SUGGESTIONS = [
    Suggest(
        "suggest",
        "text-100k",
        {"message": "passordet " * 10_000, "token": TOKEN},
        records=True,
    ),
    Suggest("suggest", "text-1mb", {"message": "x" * 1024 * 1024, "token": TOKEN}, status=400),
    Suggest("suggest", "token-missing", {"message": "Jeg har glemt passordet"}),
    Suggest("suggest", "token-empty", {"message": "Jeg har glemt passordet", "token": ""}),
    Suggest(
        "suggest", "token-garbage", {"message": "Jeg har glemt passordet", "token": "ikke-en-uuid"}
    ),
    Suggest("suggest", "token-sql", {"message": "Jeg har glemt passordet", "token": "' OR 1=1 --"}),
    Suggest("suggest", "token-nul", {"message": "Jeg har glemt passordet", "token": "\x00"}),
    Suggest(
        "suggest", "token-10000", {"message": "Jeg har glemt passordet", "token": "f" * 10_000}
    ),
    Suggest("suggest", "message-missing", {"token": TOKEN}),
    # The ranked search splits words at the NUL too, and finds the password answer.
    Suggest(
        "suggest", "message-nul", {"message": "passordet\x00glemt", "token": TOKEN}, records=True
    ),
    Suggest(
        "suggest",
        "message-script",
        {"message": "<script>alert(1)</script> jeg har glemt passordet", "token": TOKEN},
        records=True,
    ),
    # The ranked search reads the words out of any noise around them.
    Suggest(
        "suggest",
        "message-regex",
        {"message": r"(a+)+$ .* [passordet]", "token": TOKEN},
        records=True,
    ),
    Suggest(
        "suggest",
        "message-invalid-utf8",
        b"message=passordet%FF%FE&token=" + TOKEN.encode(),
        records=True,
    ),
    Suggest(
        "suggest",
        "json-body",
        b'{"message": "Jeg har glemt passordet", "token": "' + TOKEN.encode() + b'"}',
        content_type="application/json",
    ),
    # Only a token the server issued records what was shown.
    Suggest(
        "suggest",
        "token-invented-uuid",
        {"message": "Jeg har glemt passordet", "token": FIXED_TOKEN},
    ),
    Suggest(
        "suggest",
        "token-signature-forged",
        {"message": "Jeg har glemt passordet", "token": TOKEN + "x"},
    ),
    Suggest(
        "suggest",
        "token-signature-of-another-uuid",
        {"message": "Jeg har glemt passordet", "token": FIXED_TOKEN + ":" + SIGNATURE},
    ),
    Suggest(
        "suggest",
        "token-signature-cut",
        {"message": "Jeg har glemt passordet", "token": TOKEN + ":"},
    ),
    Suggest("suggest", "2000-fields", b"&".join(b"x%d=1" % i for i in range(2000)), status=400),
]

BILLION_LAUGHS = "lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 10)}]\n" for i in range(1, 10)
)
MERGE_BOMB = "m0: &m0 {a: 1, b: 2}\n" + "".join(
    f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 10)}]}}\n" for i in range(1, 10)
)
PAGE_START = "---\ntemplateKey: Page\ntitle: Hjelp\n"
FAQ_BLOCK = "blocks:\n  - type: FAQ\n    title: Spørsmål\n    items:\n"
ITEM = "      - title: Hva koster det?\n        description: Lite.\n"


def page(front_matter: str, body: str = "") -> str:
    return f"{PAGE_START}{front_matter}---\n{body}"


ONE_WORD = "Write the success path as one word"

CMS_FILES = [
    # Not a CMS page file at all.
    CmsFile("importer", "empty-file", "", "no front matter"),
    CmsFile("importer", "only-whitespace", " \n\t\n", "no front matter"),
    CmsFile("importer", "only-one-marker", "---\n", "no front matter"),
    CmsFile("importer", "empty-front-matter", "---\n---\n", "must be a mapping of keys, not empty"),
    CmsFile(
        "importer", "front-matter-never-closed", PAGE_START + FAQ_BLOCK + ITEM, "no front matter"
    ),
    CmsFile(
        "importer",
        "front-matter-closed-with-dots",
        PAGE_START + "blocks: []\n...\n",
        "no front matter",
    ),
    CmsFile(
        "importer", "byte-order-mark-first", "\ufeff" + page("blocks: []\n"), "no front matter"
    ),
    CmsFile("importer", "markdown-only", "# Hjelp\n\nIngen front matter her.\n", "no front matter"),
    CmsFile("importer", "binary-garbage", bytes(range(256)) * 64, "not UTF-8", kind="bytes"),
    CmsFile(
        "importer",
        "png-image",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64,
        "not UTF-8",
        kind="bytes",
    ),
    CmsFile(
        "importer",
        "gzip-file",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 64,
        "not UTF-8",
        kind="bytes",
    ),
    CmsFile(
        "importer", "utf16-file", page("blocks: []\n").encode("utf-16"), "not UTF-8", kind="bytes"
    ),
    CmsFile(
        "importer",
        "latin1-file",
        page("blocks: []\n", "Blåbær").encode("latin-1"),
        "not UTF-8",
        kind="bytes",
    ),
    CmsFile(
        "importer",
        "nul-bytes-only",
        b"\x00" * 1000,
        "line 1: the character U+0000 cannot be stored",
        kind="bytes",
    ),
    # Too big to read: refused before the YAML parser sees it.
    CmsFile(
        "importer",
        "5mb-yaml",
        PAGE_START + FAQ_BLOCK + ITEM * (5 * 1024 * 1024 // len(ITEM)) + "---\n",
        "bytes; at most 1048576 are read",
        bomb=True,
    ),
    CmsFile(
        "importer",
        "5mb-body",
        page("blocks: []\n", "Tekst.\n" * (5 * 1024 * 1024 // 7)),
        "bytes; at most 1048576 are read",
        bomb=True,
    ),
    CmsFile(
        "importer",
        "one-byte-over-the-limit",
        page("blocks: []\n", "x" * (1024 * 1024 + 1 - len(page("blocks: []\n")))),
        "1048577 bytes; at most 1048576 are read",
    ),
    CmsFile(
        "importer",
        "5mb-single-line",
        "---\ntitle: " + "x" * 5 * 1024 * 1024 + "\n---\n",
        "at most 1048576 are read",
        bomb=True,
    ),
    # Aliases: expanded by the loader, so a few lines can stand for billions of values.
    CmsFile(
        "importer",
        "billion-laughs-lists",
        page(FAQ_BLOCK.replace("items:\n", "items: []\n") + BILLION_LAUGHS),
        "aliases (*name) are not allowed",
        bomb=True,
    ),
    CmsFile(
        "importer",
        "billion-laughs-merge-keys",
        page("blocks: []\n" + MERGE_BOMB),
        "aliases (*name) are not allowed",
        bomb=True,
    ),
    CmsFile(
        "importer",
        "alias-of-a-scalar",
        "---\ntemplateKey: &t Page\ntitle: *t\nblocks: []\n---\n",
        "line 2: not valid YAML: aliases (*name) are not allowed",
    ),
    CmsFile(
        "importer",
        "alias-of-a-block",
        page("blocks:\n  - &b {type: FAQ, title: F, items: []}\n  - *b\n"),
        "aliases (*name) are not allowed",
    ),
    CmsFile(
        "importer",
        "alias-of-every-item",
        page(FAQ_BLOCK + "      - &i {title: Q, description: A}\n" + "      - *i\n" * 1000),
        "aliases (*name) are not allowed",
        bomb=True,
    ),
    CmsFile(
        "importer",
        "self-referencing-list",
        "---\ntemplateKey: Page\ntitle: T\nblocks: &a [*a]\n---\n",
        "aliases (*name) are not allowed",
    ),
    CmsFile(
        "importer",
        "self-referencing-mapping",
        "---\ntemplateKey: Page\ntitle: T\nblocks: [&m {type: FAQ, title: F, items: [*m]}]\n---\n",
        "aliases (*name) are not allowed",
    ),
    CmsFile("importer", "undefined-alias", page("blocks: *nowhere\n"), "found undefined alias"),
    # Deeply nested: the YAML composer recurses once per level.
    CmsFile(
        "importer",
        "nested-flow-lists-5000",
        page("blocks: " + "[" * 5000 + "]" * 5000 + "\n"),
        "nested too deeply",
    ),
    CmsFile(
        "importer",
        "nested-flow-mappings-5000",
        page("blocks: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n"),
        "nested too deeply",
    ),
    CmsFile(
        "importer",
        "nested-block-lists-2000",
        page("blocks:\n  " + "- " * 2000 + "x\n"),
        "nested too deeply",
    ),
    CmsFile(
        "importer",
        "nested-lists-100-in-blocks",
        page("blocks: " + "[" * 100 + "]" * 100 + "\n"),
        "blocks.0: must be a mapping of keys, not a list",
    ),
    # Layout and syntax.
    CmsFile("importer", "tab-indentation", page(FAQ_BLOCK + "\t- title: Q\n"), "not valid YAML"),
    CmsFile(
        "importer",
        "tab-inside-indentation",
        page("blocks:\n  - type: FAQ\n\t  title: F\n"),
        "not valid YAML",
    ),
    CmsFile(
        "importer", "second-document-inside", page("blocks: []\n--- annen\n"), "not valid YAML"
    ),
    CmsFile("importer", "unclosed-flow-list", page("blocks: [\n"), "not valid YAML"),
    CmsFile(
        "importer", "unclosed-quote", page('blocks: []\nintroduction: "Hei\n'), "not valid YAML"
    ),
    CmsFile(
        "importer",
        "mixed-indentation",
        page(FAQ_BLOCK + "      - title: Q\n     description: A\n"),
        "not valid YAML",
    ),
    # Tags: the safe loader builds no Python objects, and a tag it cannot read is a file fault.
    CmsFile(
        "importer",
        "python-object-apply",
        page("blocks: !!python/object/apply:os.system ['echo hacked']\n"),
        "not valid YAML",
    ),
    CmsFile(
        "importer",
        "python-object-new",
        page("blocks: !!python/object/new:subprocess.Popen [['echo']]\n"),
        "not valid YAML",
    ),
    CmsFile(
        "importer",
        "python-object",
        page("blocks: !!python/object:builtins.dict {}\n"),
        "not valid YAML",
    ),
    CmsFile(
        "importer", "python-name", page("blocks: !!python/name:os.system ''\n"), "not valid YAML"
    ),
    CmsFile("importer", "python-module", page("blocks: !!python/module:os ''\n"), "not valid YAML"),
    CmsFile("importer", "unknown-local-tag", page("blocks: !Ref Andre\n"), "not valid YAML"),
    CmsFile(
        "importer",
        "int-tag-on-text",
        "---\ntemplateKey: Page\ntitle: !!int abc\nblocks: []\n---\n",
        "line 3: not valid YAML: 'abc' cannot be read as int",
    ),
    CmsFile(
        "importer",
        "float-tag-on-nothing",
        "---\ntemplateKey: Page\ntitle: !!float ''\nblocks: []\n---\n",
        "line 3: not valid YAML: '' cannot be read as float",
    ),
    CmsFile(
        "importer",
        "bool-tag-on-maybe",
        page("hide: !!bool kanskje\nblocks: []\n"),
        "line 4: not valid YAML: 'kanskje' cannot be read as bool",
    ),
    CmsFile(
        "importer",
        "timestamp-tag-on-text",
        page("blocks: []\nintroduction: !!timestamp i morgen\n"),
        "cannot be read as timestamp",
    ),
    CmsFile(
        "importer",
        "date-that-does-not-exist",
        "---\ntemplateKey: Page\ntitle: 2024-02-30\nblocks: []\n---\n",
        "line 3: not valid YAML: '2024-02-30' cannot be read as timestamp",
    ),
    CmsFile(
        "importer",
        "hex-number-without-digits",
        "---\ntemplateKey: Page\ntitle: 0x_\nblocks: []\n---\n",
        "cannot be read as int",
    ),
    CmsFile(
        "importer",
        "binary-tag-on-title",
        "---\ntemplateKey: Page\ntitle: !!binary aGVp\nblocks: []\n---\n",
        "title: must be text, not bytes",
    ),
    CmsFile(
        "importer",
        "set-tag-on-blocks",
        page("blocks: !!set {a, b}\n"),
        "blocks: must be a list, not set",
    ),
    CmsFile(
        "importer",
        "omap-tag-on-front-matter",
        "--- \n!!omap [a: 1]\n---\n",
        "must be a mapping of keys, not a list",
    ),
    CmsFile("importer", "str-tag-on-a-list", page("blocks: !!str [a]\n"), "not valid YAML"),
    CmsFile(
        "importer",
        "null-title",
        "---\ntemplateKey: Page\ntitle: ~\nblocks: []\n---\n",
        "title: must be text, not empty",
    ),
    # Keys.
    CmsFile("importer", "integer-key", page("blocks: []\n1: en\n"), "1: unknown key"),
    CmsFile("importer", "null-key", page("blocks: []\n~: ingenting\n"), "None: unknown key"),
    CmsFile("importer", "bool-key", page("blocks: []\ntrue: sant\n"), "True: unknown key"),
    CmsFile(
        "importer", "date-key", page("blocks: []\n2024-01-01: nyttår\n"), "2024-01-01: unknown key"
    ),
    CmsFile("importer", "list-as-key", page("blocks: []\n? [a, b]\n: x\n"), "not valid YAML"),
    CmsFile("importer", "mapping-as-key", page("blocks: []\n? {a: 1}\n: x\n"), "not valid YAML"),
    CmsFile(
        "importer",
        "script-as-key",
        page("blocks: []\n'<script>alert(1)</script>': x\n"),
        "<script>alert(1)</script>: unknown key",
    ),
    CmsFile("importer", "dunder-key", page("blocks: []\n__class__: x\n"), "__class__: unknown key"),
    CmsFile(
        "importer", "merge-key-inline", page("blocks: []\n<<: {farge: blå}\n"), "farge: unknown key"
    ),
    CmsFile(
        "importer",
        "duplicate-page-key",
        "---\ntemplateKey: Page\ntitle: Hjelp\ntitle: Annen\nblocks: []\n---\n",
        "line 4: not valid YAML: the key 'title' appears twice",
    ),
    CmsFile(
        "importer",
        "duplicate-block-key",
        page("blocks:\n  - type: FAQ\n    type: HelpForm\n    title: F\n    items: []\n"),
        "the key 'type' appears twice",
    ),
    CmsFile(
        "importer",
        "duplicate-item-key",
        page(FAQ_BLOCK + "      - title: A\n        title: B\n"),
        "line 9: not valid YAML: the key 'title' appears twice",
    ),
    CmsFile(
        "importer",
        "duplicate-key-1-and-true",
        page("blocks: []\n1: a\ntrue: b\n"),
        "the key 'true' appears twice",
    ),
    # Values the database cannot hold, or the page should not.
    CmsFile(
        "importer",
        "nul-escape-in-title",
        '---\ntemplateKey: Page\ntitle: "Hjelp\\0"\nblocks: []\n---\n',
        "line 3: title: the character U+0000 cannot be stored",
    ),
    CmsFile(
        "importer",
        "escape-sequence-in-answer",
        page(FAQ_BLOCK + '      - title: Q\n        description: "\\e[31mrød"\n'),
        "blocks.0.items.0.description: the character U+001B cannot be stored",
    ),
    CmsFile(
        "importer",
        "lone-surrogate-escape",
        '---\ntemplateKey: Page\ntitle: "Hjelp \\ud800"\nblocks: []\n---\n',
        "title: the character U+D800 cannot be stored",
    ),
    CmsFile(
        "importer",
        "next-line-escape-in-question",
        page(FAQ_BLOCK + '      - title: "A\\NB"\n'),
        "the character U+0085 cannot be stored",
    ),
    CmsFile(
        "importer",
        "raw-nul-in-body",
        page("blocks: []\n", "Tekst\x00mer"),
        "line 6: the character U+0000 cannot be stored",
    ),
    CmsFile(
        "importer",
        "raw-escape-in-front-matter",
        "---\ntemplateKey: Page\ntitle: Hjelp\x1b[0m\nblocks: []\n---\n",
        "line 3: the character U+001B cannot be stored",
    ),
    CmsFile(
        "importer",
        "raw-delete-in-body",
        page("blocks: []\n", "\n\n\x7f"),
        "line 8: the character U+007F cannot be stored",
    ),
    CmsFile(
        "importer",
        "title-10000",
        "---\ntemplateKey: Page\ntitle: " + "x" * 10_000 + "\nblocks: []\n---\n",
        "title: is 10000 characters long; at most 200 fit",
    ),
    CmsFile(
        "importer",
        "question-10000",
        page(FAQ_BLOCK + "      - title: " + "q" * 10_000 + "\n"),
        "is 10000 characters long; at most 300 fit",
    ),
    # The structure.
    CmsFile(
        "importer",
        "front-matter-a-list",
        "---\n- a\n- b\n---\n",
        "must be a mapping of keys, not a list",
    ),
    CmsFile(
        "importer",
        "front-matter-a-string",
        "---\nbare tekst\n---\n",
        "must be a mapping of keys, not text",
    ),
    CmsFile(
        "importer", "front-matter-a-number", "---\n42\n---\n", "must be a mapping of keys, not int"
    ),
    CmsFile("importer", "blocks-a-number", page("blocks: 3\n"), "blocks: must be a list, not int"),
    CmsFile(
        "importer",
        "blocks-a-mapping",
        page("blocks: {}\n"),
        "blocks: must be a list, not a mapping",
    ),
    CmsFile(
        "importer",
        "items-a-mapping",
        page("blocks:\n  - type: FAQ\n    title: F\n    items: {}\n"),
        "items: must be a list, not a mapping",
    ),
    CmsFile(
        "importer",
        "block-type-script",
        page("blocks:\n  - type: <script>\n"),
        "unknown block type '<script>'",
    ),
    CmsFile(
        "importer",
        "block-type-a-list",
        page("blocks:\n  - type: [FAQ]\n"),
        "type: must be text, not a list",
    ),
    CmsFile(
        "importer",
        "template-key-missing",
        "---\ntitle: T\nblocks: []\n---\n",
        "the key 'templateKey' is missing",
    ),
    CmsFile(
        "importer",
        "hide-as-text",
        page("hide: nei takk\nblocks: []\n"),
        "hide: must be true or false",
    ),
    CmsFile(
        "importer",
        "item-hide-as-number",
        page(FAQ_BLOCK + "      - title: Q\n        hide: 1\n"),
        "hide: must be true or false, not int",
    ),
    # The contact form's success path: one slug, and not a path the site already serves.
    *[
        CmsFile(
            "importer",
            f"success-path-{name}",
            page(f"blocks:\n  - type: HelpForm\n    title: Skjema\n    success: '{path}'\n"),
            f"line 7: blocks.0.success: {message}",
        )
        for name, path, message in [
            ("contact-page", "/kontakt", "The site already uses /kontakt/"),
            ("admin", "/admin/", "The site already uses /admin/"),
            ("static", "static", "The site already uses /static/"),
            ("media", "/media/", "The site already uses /media/"),
            ("english-prefix", "/en", "The site already uses /en/"),
            ("health-check", "healthz", "The site already uses /healthz/"),
            ("answers", "/svar", "The site already uses /svar/"),
            ("upper-case-reserved", "/Kontakt", "The site already uses /Kontakt/"),
            ("two-segments", "/kontakt/takk", ONE_WORD),
            ("dot-dot", "/../admin", ONE_WORD),
            ("query-string", "/suksess?neste=https://evil.example", ONE_WORD),
            ("other-site", "https://evil.example/suksess", ONE_WORD),
            ("only-slashes", "//", ONE_WORD),
            ("space", "/takk for meldingen", ONE_WORD),
            ("non-ascii", "/takk-skjønt", ONE_WORD),
        ]
    ],
    # No file to read.
    CmsFile("importer", "a-directory", "", "cannot read the file", kind="directory"),
    CmsFile("importer", "missing-file", "", "cannot read the file", kind="missing"),
    CmsFile("importer", "symlink-loop", "", "cannot read the file", kind="symlink loop"),
]

IMAGE_SOURCES = [
    ImageSource("image", "media-absolute-after-prefix", "/media//etc/passwd"),
    ImageSource("image", "media-absolute-outside", "/media/{outside}/hemmelig.png"),
    ImageSource("image", "media-parent", "/media/../x"),
    ImageSource("image", "media-parent-deeper", "/media/faq/../../settings.py"),
    ImageSource("image", "media-dot", "/media/./faq/uploads/x.png"),
    ImageSource("image", "media-folder-itself", "/media/"),
    ImageSource("image", "media-folder-with-slash", "/media/faq/"),
    ImageSource("image", "media-double-slash-inside", "/media/faq//uploads/x.png"),
    ImageSource("image", "media-backslashes", "/media/..\\..\\etc\\passwd"),
    ImageSource("image", "media-encoded-parent", "/media/%2e%2e/%2e%2e/etc/passwd"),
    ImageSource("image", "media-missing", "/media/faq/uploads/finnes-ikke.png"),
    ImageSource("image", "images-absolute-after-prefix", "/images//etc/passwd"),
    ImageSource("image", "images-absolute-outside", "/images/{outside}/hemmelig.png"),
    ImageSource("image", "images-parent", "/images/../outside/hemmelig.png"),
    ImageSource("image", "images-symlink-out", "/images/lenke.png"),
    ImageSource("image", "images-folder-itself", "/images/"),
    ImageSource("image", "images-missing", "/images/finnes-ikke.png"),
    ImageSource("image", "images-not-an-image", "/images/side.html"),
    ImageSource("image", "images-truncated", "/images/halv.png"),
    ImageSource("image", "images-svg", "/images/tegning.svg"),
]

CORPUS = [
    *CONTACTS,
    *RAW_CONTACTS,
    *CSRFS,
    *QUERIES,
    *VOTES,
    *SUGGESTIONS,
    *CMS_FILES,
    *IMAGE_SOURCES,
]
