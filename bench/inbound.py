"""Email in, measured: the same generated mail through `receive_mail` and through `fetch_mail`.

Run from the repo root: `flock /tmp/sekvens-bench.lock .venv/bin/python -m bench.inbound
[--messages N] [--pipe-messages N] [--parallel N]`. The mail is half new tickets, two fifths
replies to them (by In-Reply-To, from the ticket's customer) and a tenth sent twice. Three
scenarios, each on a fresh SQLite database of its own:

  pipe        one `manage.py receive_mail` process per message, --parallel at a time, as a
              mail server's pipe transport runs it: new tickets first, then replies, then repeats;
  imap        all of it in a private Dovecot's INBOX (tickets/tests/dovecot.py), then one
              `manage.py fetch_mail`;
  imap killed the same, fetch_mail SIGKILLed after a third is filed and run again.

Each must end with every ticket and reply filed exactly once, INBOX empty and every message in
the done folder; the exit status is non-zero otherwise.
"""

import argparse
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

from bench.common import ROOT, BenchError, environment, free_port, manage, say
from tickets.tests.dovecot import Dovecot, dovecot_start, dovecot_stop

MESSAGES = 1000
PARALLEL = 4
DONE_FOLDER = "Behandlet"


def mail(number: int, customer: int, *, answers: int | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = f"Kunde {customer} <kunde{customer}@example.no>"
    message["To"] = "kundeservice@etn.no"
    message["Message-ID"] = f"<bench-{number}@example.no>"
    if answers is None:
        message["Subject"] = f"Spørsmål nummer {customer}"
        message.set_content(f"Hei, jeg lurer på ordre {customer}.\n\nHilsen kunde {customer}\n")
    else:
        message["Subject"] = f"Re: Spørsmål nummer {customer}"
        message["In-Reply-To"] = f"<bench-{answers}@example.no>"
        message.set_content(
            f"Takk! Her er mer om ordre {customer} (melding {number}).\n\n"
            f"> Hei, jeg lurer på ordre {customer}.\n"
        )
    return message.as_bytes()


def mail_waves(count: int) -> tuple[list[list[bytes]], int, int]:
    """New tickets, then replies to them, then repeats of both; and the tickets and the
    distinct customer emails a correct run files."""
    new_count = count // 2
    reply_count = count * 2 // 5
    repeat_count = count - new_count - reply_count
    new = [mail(n, n) for n in range(new_count)]
    replies = [
        mail(new_count + n, n % new_count, answers=n % new_count) for n in range(reply_count)
    ]
    originals = new + replies
    step = max(len(originals) // max(repeat_count, 1), 1)
    repeats = [originals[(n * step) % len(originals)] for n in range(repeat_count)]
    return [new, replies, repeats], new_count, new_count + reply_count


class Site:
    """A migrated SQLite database in a directory of its own, and the environment that uses it."""

    def __init__(self, directory: Path, **values: str):
        directory.mkdir()
        self.path = directory / "db.sqlite3"
        self.env = environment(directory, free_port(), dropped=("REDIS_URL",), **values)
        manage("migrate", "--noinput", env=self.env)

    def counts(self) -> tuple[int, int, int]:
        """Tickets, customer emails filed, and Message-IDs filed more than once."""
        connection = sqlite3.connect(self.path, timeout=20)
        try:
            tickets = connection.execute("SELECT count(*) FROM tickets_ticket").fetchone()[0]
            emails, doubled = connection.execute(
                "SELECT count(*), count(*) - count(DISTINCT message_id) FROM tickets_message "
                "WHERE kind = 'customer' AND channel = 'email'"
            ).fetchone()
        finally:
            connection.close()
        return tickets, emails, doubled

    def check(self, label: str, tickets: int, emails: int) -> None:
        found = self.counts()
        if found != (tickets, emails, 0):
            raise BenchError(
                f"{label}: {found[0]} tickets, {found[1]} emails, {found[2]} doubled; "
                f"expected {tickets}, {emails}, 0"
            )


def receive_mail(raw: bytes, env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "receive_mail"],
        cwd=ROOT,
        env=env,
        input=raw,
        capture_output=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise BenchError(f"receive_mail exited {done.returncode}: {done.stderr.decode()[-500:]}")


def pipe_run(site: Site, waves: list[list[bytes]], parallel: int) -> float:
    started = time.monotonic()
    with ThreadPoolExecutor(parallel) as pool:
        for wave in waves:
            list(pool.map(lambda raw: receive_mail(raw, site.env), wave))
    return time.monotonic() - started


def mailbox_fill(server: Dovecot, waves: list[list[bytes]]) -> None:
    server.deliver(*[raw for wave in waves for raw in wave])


def fetch_mail_start(site: Site, server: Dovecot) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "fetch_mail"],
        cwd=ROOT,
        env=site.env | {"INBOUND_IMAP_URL": server.url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def fetch_mail_finish(process: subprocess.Popen) -> str:
    stdout, stderr = process.communicate(timeout=1800)
    if process.returncode != 0:
        raise BenchError(f"fetch_mail exited {process.returncode}: {stderr[-500:]}")
    return stdout.strip()


def mailbox_check(label: str, server: Dovecot, count: int) -> None:
    with server.client() as client:
        inbox = client.select_folder("INBOX", readonly=True)[b"EXISTS"]
        done = client.select_folder(DONE_FOLDER, readonly=True)[b"EXISTS"]
    if (inbox, done) != (0, count):
        raise BenchError(f"{label}: {inbox} left in INBOX, {done} in {DONE_FOLDER}; not {count}")


def imap_run(site: Site, waves: list[list[bytes]], *, kill_after: int | None) -> tuple:
    server = dovecot_start()
    try:
        mailbox_fill(server, waves)
        started = time.monotonic()
        process = fetch_mail_start(site, server)
        killed_at = None
        if kill_after is not None:
            while site.counts()[1] < kill_after and process.poll() is None:
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait()
            killed_at = site.counts()[1]
            process = fetch_mail_start(site, server)
        summary = fetch_mail_finish(process)
        seconds = time.monotonic() - started
        mailbox_check("imap", server, sum(len(wave) for wave in waves))
    finally:
        dovecot_stop(server)
    return seconds, summary, killed_at


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=MESSAGES, metavar="N")
    # A process start per message is slow on a shared machine: a smaller pipe run still shows
    # the rate, and the IMAP scenarios keep the whole count.
    parser.add_argument("--pipe-messages", type=int, default=None, metavar="N")
    parser.add_argument("--parallel", type=int, default=PARALLEL, metavar="N")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sekvens-bench-inbound-") as directory:
        try:
            waves, tickets, emails = mail_waves(args.pipe_messages or args.messages)
            total = sum(len(wave) for wave in waves)
            site = Site(Path(directory) / "pipe")
            seconds = pipe_run(site, waves, args.parallel)
            site.check("pipe", tickets, emails)
            say(
                f"pipe (receive_mail, {args.parallel} at a time), {total} messages: "
                f"{total / seconds:.1f} messages/s ({seconds:.1f} s), {tickets} tickets and "
                f"{emails} emails, none lost or doubled"
            )

            waves, tickets, emails = mail_waves(args.messages)
            total = sum(len(wave) for wave in waves)
            say(
                f"{total} messages: {tickets} new tickets, {emails - tickets} replies, "
                f"{total - emails} sent twice"
            )

            site = Site(Path(directory) / "imap")
            seconds, summary, _ = imap_run(site, waves, kill_after=None)
            site.check("imap", tickets, emails)
            say(
                f"imap (one fetch_mail): {total / seconds:.1f} messages/s ({seconds:.1f} s); "
                f"{summary}; INBOX empty"
            )

            site = Site(Path(directory) / "killed")
            seconds, summary, killed_at = imap_run(site, waves, kill_after=emails // 3)
            site.check("imap killed", tickets, emails)
            say(
                f"imap, fetch_mail SIGKILLed at {killed_at} emails filed and run again: "
                f"{total / seconds:.1f} messages/s overall; second run: {summary}; "
                f"{tickets} tickets and {emails} emails, none lost or doubled, INBOX empty"
            )
        except BenchError as error:
            say(f"FAILED: {error}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
