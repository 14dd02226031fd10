"""Ticket references customers can read aloud: SEK-7K4Q-2MX9 (Crockford base32, a check symbol).

Seven random symbols (34 billion references) and a check symbol by Damm's algorithm over GF(32),
which catches every single misheard symbol and every swap of two neighbours (Luhn mod 32 misses
the swap of 0 and Z). The alphabet has no I, L, O or U; read
back, I and L count as 1 and O as 0, and case, spaces and hyphens do not matter.
"""

import hashlib
import re
import secrets

from django.conf import settings
from django.core import signing

PREFIX = "SEK-"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_SYMBOLS = 7
REPLY_ADDRESS_SALT = "tickets.reply-address"
REPLY_SIGNATURE_CHARS = 10
PAGE_TOKEN_SALT = "tickets.page"
CHAT_TOKEN_SALT = "tickets.chat"
# 32 random bytes: the customer's page link cannot be guessed, only handed over.
ACCESS_KEY_BYTES = 32
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_MISREAD = str.maketrans({"I": "1", "L": "1", "O": "0"})
# Before the readable references, a ticket's reference was its id: SEK-000042.
_LEGACY = re.compile(r"SEK-?0*(\d{1,12})")


def reference_new() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return _formatted(body + _check_symbol(body))


def reference_normalize(text: str) -> str | None:
    """The reference written as we print it, or None when the text is no valid reference."""
    compact = re.sub(r"[\s-]", "", text.upper()).removeprefix(PREFIX.rstrip("-"))
    compact = compact.translate(_MISREAD)
    if len(compact) != RANDOM_SYMBOLS + 1 or any(symbol not in _VALUE for symbol in compact):
        return None
    body, check = compact[:-1], compact[-1]
    return _formatted(compact) if _check_symbol(body) == check else None


def reference_legacy_id(text: str) -> int | None:
    """The ticket id in an old reference ("SEK-000042"); None for anything else."""
    match = _LEGACY.fullmatch(text.strip().upper())
    return int(match[1]) if match else None


def reply_address(reference: str) -> str:
    """The Reply-To address that names this ticket, signed so nobody can forge one."""
    local, _, domain = settings.SUPPORT_EMAIL.rpartition("@")
    token = f"{reference}.{_reply_signature(reference)}"
    return settings.REPLY_ADDRESS_FORMAT.format(local=local, token=token, domain=domain)


def reply_address_read(address: str) -> str | None:
    """The reference in a reply address we made; None for any other or a forged one."""
    local = address.rpartition("@")[0]
    found = re.search(r"\+(SEK-[0-9A-Za-z]{4}-[0-9A-Za-z]{4})\.([0-9a-z]+)$", local, re.I)
    if not found:
        return None
    reference = reference_normalize(found[1])
    if reference is None or not signing.constant_time_compare(
        _reply_signature(reference), found[2].lower()
    ):
        return None
    return reference


def access_key_new() -> str:
    """A ticket's page secret; a new one (or none) makes every older link stop working."""
    return secrets.token_urlsafe(ACCESS_KEY_BYTES)


def page_token(reference: str, access_key: str) -> str:
    """The customer's ticket page token, SEK-7K4Q-2MX9.<key>.<signature>: the reference finds
    the ticket, the key proves the link is current, the signature rejects a made-up token
    without asking the database."""
    return _page_signer().sign(f"{reference}.{access_key}")


def page_token_read(token: str) -> tuple[str, str] | None:
    """(reference, access key) of a token we signed; None for a forged or garbled one. The key
    must still be compared with the ticket's (constant time): a rotated key was signed too."""
    return _token_read(_page_signer(), token)


def chat_token(reference: str, access_key: str) -> str:
    """The customer's chat token, kept in their browser's localStorage: made like the page
    token, signed for the chat only, so neither opens the other."""
    return signing.Signer(salt=CHAT_TOKEN_SALT, sep=".").sign(f"{reference}.{access_key}")


def chat_token_read(token: str) -> tuple[str, str] | None:
    """(reference, access key) of a chat token we signed; None for any other."""
    return _token_read(signing.Signer(salt=CHAT_TOKEN_SALT, sep="."), token)


def _token_read(signer: signing.Signer, token: str) -> tuple[str, str] | None:
    try:
        value = signer.unsign(token)
    except signing.BadSignature:
        return None
    reference, _, access_key = value.partition(".")
    if reference_normalize(reference) != reference or not access_key:
        return None
    return reference, access_key


def _page_signer() -> signing.Signer:
    # "." never occurs in a reference nor in a urlsafe key, so the token splits one way only.
    return signing.Signer(salt=PAGE_TOKEN_SALT, sep=".")


def _reply_signature(reference: str) -> str:
    signer = signing.Signer(salt=REPLY_ADDRESS_SALT)
    signature = signer.signature(reference)
    # Local parts are case-insensitive in practice: a lower-case hex digest survives any MTA.
    return hashlib.sha256(signature.encode()).hexdigest()[:REPLY_SIGNATURE_CHARS]


def _formatted(symbols: str) -> str:
    return f"{PREFIX}{symbols[:4]}-{symbols[4:]}"


def _check_symbol(body: str) -> str:
    # Damm's check with the quasigroup x * y = 2x + y in GF(32): for a != 1, (c*x)*y = (c*y)*x
    # only when x = y, so no swap of neighbours and no single change keeps the result.
    interim = 0
    for symbol in body:
        interim = _times_two(interim) ^ _VALUE[symbol]
    return ALPHABET[_times_two(interim)]


def _times_two(value: int) -> int:
    # Multiplication by x in GF(2^5) modulo the primitive polynomial x^5 + x^2 + 1.
    value <<= 1
    return value ^ 0b100101 if value & 0b100000 else value
