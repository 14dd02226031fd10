"""Email in from an IMAP mailbox: each message filed by tickets.inbound, then moved out of the way.

Run by `manage.py fetch_mail` and, every INBOUND_POLL_SECONDS, by the worker. A message leaves
the mailbox's folder only once it is filed (to INBOUND_IMAP_DONE_FOLDER) or can never be (to
INBOUND_IMAP_FAILED_FOLDER); a crash in between files nothing twice, since inbound_file dedupes.
"""

import ipaddress
import logging
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from tickets.inbound import inbound_file

logger = logging.getLogger(__name__)
IMAP_TIMEOUT_SECONDS = 30


class MailboxUnavailable(Exception):
    """The server or the database cannot be reached now; the next poll tries again."""


class MailboxRefused(Exception):
    """The server refused our login, or the setting cannot work: trying again changes nothing."""


@dataclass
class Fetched:
    filed: int = 0
    duplicates: int = 0
    ignored: int = 0
    failed: int = 0
    # Left in the folder for the next poll: the database was away, or the limit was reached.
    left: int = 0
    # Why the run stopped early with mail left, when the database was away.
    database_error: str = ""

    def __str__(self) -> str:
        line = (
            f"{self.filed} filed, {self.duplicates} duplicates, {self.ignored} ignored, "
            f"{self.failed} failed"
        )
        return f"{line}, {self.left} left for the next poll" if self.left else line


def mailbox_fetch(*, limit: int | None = None) -> Fetched:
    """File every message in the mailbox of settings.INBOUND_IMAP (at most `limit`), oldest
    first. Raises MailboxUnavailable or MailboxRefused; whatever was moved before stays moved."""
    config = settings.INBOUND_IMAP
    if config is None:
        raise MailboxRefused("INBOUND_IMAP_URL is not set.")
    fetched = Fetched()
    try:
        with _connected(config) as client:
            for folder in [settings.INBOUND_IMAP_DONE_FOLDER, settings.INBOUND_IMAP_FAILED_FOLDER]:
                if not client.folder_exists(folder):
                    client.create_folder(folder)
            client.select_folder(config["folder"])
            # Every message still here, read or not: a person glancing at the mailbox marks
            # mail \Seen, and it must be filed all the same. \Deleted ones were copied already.
            uids = sorted(client.search(["NOT", "DELETED"]))
            for index, uid in enumerate(uids):
                if limit is not None and index >= limit:
                    fetched.left = len(uids) - index
                    break
                if error := _message_handle(client, uid, fetched):
                    fetched.left = len(uids) - index
                    fetched.database_error = error
                    break
    except (OSError, IMAPClientError) as error:
        if isinstance(error, LoginError):
            raise MailboxRefused(f"The IMAP server refused the login: {error}") from error
        raise MailboxUnavailable(f"IMAP {config['host']}:{config['port']}: {error}") from error
    return fetched


def _connected(config: dict) -> IMAPClient:
    client = IMAPClient(
        config["host"],
        port=config["port"],
        ssl=config["ssl"],
        ssl_context=ssl.create_default_context() if config["ssl"] else None,
        timeout=IMAP_TIMEOUT_SECONDS,
    )
    try:
        if not config["ssl"]:
            if client.has_capability("STARTTLS"):
                client.starttls(ssl.create_default_context())
            elif not _is_loopback(config["host"]):
                raise MailboxRefused(
                    f"{config['host']} offers no STARTTLS: the password would cross the network "
                    "in clear. Use imaps://."
                )
        client.login(config["username"], config["password"])
    except BaseException:
        client.shutdown()
        raise
    return client


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _message_handle(client: IMAPClient, uid: int, fetched: Fetched) -> str:
    """File one message and move it; the error when the database is away (it stays for later)."""
    size = client.fetch([uid], ["RFC822.SIZE"]).get(uid, {}).get(b"RFC822.SIZE", 0)
    if size > settings.INBOUND_MAX_BYTES:
        logger.warning("IMAP message %s is %d bytes, over INBOUND_MAX_BYTES; not filed", uid, size)
        _moved(client, uid, settings.INBOUND_IMAP_FAILED_FOLDER, fetched, "failed")
        return ""
    # PEEK: filing marks nothing \Seen, so mail left for later looks as it did.
    raw = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]")
    if raw is None:
        # Expunged by someone else since the search: nothing to file.
        return ""
    try:
        filed = inbound_file(raw)
    except (OperationalError, InterfaceError) as error:
        # Away, locked or restarting: this one and the rest wait in the folder.
        logger.warning("Database unavailable, IMAP message %s left for later: %s", uid, error)
        connection.close()
        return str(error)
    except Exception:
        # Whatever else cannot be filed now cannot be filed later either: moved aside, so it
        # never blocks the queue and is never lost.
        logger.exception("IMAP message %s could not be filed; moved to the failed folder", uid)
        _moved(client, uid, settings.INBOUND_IMAP_FAILED_FOLDER, fetched, "failed")
        return ""
    counter = {"duplicate": "duplicates", "ignored": "ignored"}.get(filed.outcome, "filed")
    _moved(client, uid, settings.INBOUND_IMAP_DONE_FOLDER, fetched, counter)
    return ""


def _moved(client: IMAPClient, uid: int, folder: str, fetched: Fetched, counter: str) -> None:
    if client.has_capability("MOVE"):
        client.move([uid], folder)
    else:
        client.copy([uid], folder)
        client.add_flags([uid], [b"\\Deleted"])
        # With UIDPLUS only this message is expunged, never one a person marked \Deleted.
        client.expunge([uid] if client.has_capability("UIDPLUS") else None)
    setattr(fetched, counter, getattr(fetched, counter) + 1)
