"""Load the contact form with faults: a gunicorn worker killed, the SMTP server down.

Run from the repo root: `.venv/bin/python -m bench.load_faults [--database sqlite|postgres|both]
[--submissions N] [--clients N]`. Three scenarios per database, each against production gunicorn
(4 sync workers) on a fresh database of its own: SQLite in a temporary directory, or a scratch
PostgreSQL database created here and dropped afterwards. Concurrent clients send valid submissions,
each with its own one-time form token, and every request is accounted for:

  load           every submission answers 303 and has exactly one ticket;
  worker killed  one worker is SIGKILLed halfway: every 303 still names its ticket, none twice;
  smtp down      the SMTP server is down for the first half while `manage.py run_worker` runs:
                 once it is back, every confirmation and notification arrives exactly once.

Traffic stays on loopback. The exit status is non-zero on a lost or duplicated ticket or email, or
an error answer.
"""

import argparse
import email
import email.policy
import http.client
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode, urlsplit

from aiosmtpd.controller import Controller

from bench.common import (
    GUNICORN_CONF,
    HOST,
    ROOT,
    BenchError,
    environment,
    free_port,
    manage,
    say,
    server_stop,
    server_wait,
    tail,
)

SEED = ROOT / "fixtures" / "hjelp-og-support.md"
CONTACT = "/kontakt/"
TICKET_COOKIE = "sekvens_ticket"
EMAILS_PER_TICKET = 2
WORKERS = 4
SUBMISSIONS = 2000
CLIENTS = 64
# The limit would turn the clients' one address away after five tickets. It counts in the
# database cache (no REDIS_URL), keyed by the address the clients connect from.
RATE_LIMIT = "1000000/1m"
ENV_DROPPED = ("REDIS_URL", "RATELIMIT_IP_META_KEY")
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
# The first retry of a failed email comes after this many seconds, doubling with each failure.
RETRY_SECONDS = 1
REQUEST_SECONDS = 60
LOAD_SECONDS_MAX = 600
# One run_worker sends 30-60 emails a second on two shared cores; after the load, the wait for
# every email to be sent is bounded at a minute plus a twentieth of a second per email.
DELIVERY_SECONDS = 60
DELIVERY_RATE_MIN = 20
WORKER_RESTART_SECONDS = 30
# Others work in this repo: a change to these while gunicorn runs would make a worker it boots
# afterwards (a replacement, say) run other code than the rest.
CODE_FOLDERS = ["sekvens_help", "tickets", "faq", "templates", "bench"]


@dataclass
class Answer:
    """One submission, and the status and ticket of its answer (status None: no answer). Each
    number writes from its own address, which tells its ticket apart from every other."""

    number: int
    token: uuid.UUID
    status: int | None = None
    # The ticket's reference, as the thanks page's signed cookie names it.
    reference: str | None = None
    seconds: float = 0.0
    error: str = ""

    @property
    def fields(self) -> dict[str, str]:
        return {
            "name": f"Kari Nordmann {self.number}",
            "email": f"kari.{self.number}@example.no",
            "message": f"Hei! Fakturaen for ordre {self.number} mangler.",
        }


class TicketRow(NamedTuple):
    email: str
    # As the app stores it: derived from the form's token, so only checked for being unique.
    submission_token: str | None
    reference: str


@dataclass
class Outcome:
    """What one scenario sent and found afterwards; it passes when `problems` is empty."""

    scenario: str
    database: str
    answers: list[Answer]
    seconds: float
    tickets: int
    # Emails queued, and messages the SMTP server received (the smtp down scenario only).
    emails: int = 0
    received: int = 0
    problems: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    @property
    def statuses(self) -> dict[int | None, int]:
        return dict(Counter(answer.status for answer in self.answers))

    @property
    def cut_off(self) -> int:
        return sum(answer.status is None for answer in self.answers)

    def latency(self, percent: int) -> float:
        seconds = [answer.seconds for answer in self.answers if answer.status is not None]
        if len(seconds) < 2:
            return seconds[0] if seconds else 0.0
        return statistics.quantiles(seconds, n=100, method="inclusive")[percent - 1]


class Database:
    """The scratch database of one scenario: SQLite in `var_dir`, or PostgreSQL on a server."""

    def __init__(self, vendor: str, var_dir: Path, postgres_url: str):
        self.vendor = vendor
        self.path = var_dir / "db.sqlite3"
        self.name = f"sekvens_load_{secrets.token_hex(4)}"
        self._server_url = postgres_url
        self.url = urlsplit(postgres_url)._replace(path=f"/{self.name}").geturl()

    def create(self) -> None:
        if self.vendor == "postgres":
            self._server_execute("CREATE DATABASE {}")

    def drop(self) -> None:
        if self.vendor == "postgres":
            self._server_execute("DROP DATABASE IF EXISTS {} WITH (FORCE)")

    def variables(self) -> dict[str, str]:
        """What points the app at this database; SQLite lives in SEKVENS_VAR_DIR anyway."""
        return {"DATABASE_URL": self.url} if self.vendor == "postgres" else {}

    def rows(self, sql: str) -> list[tuple]:
        try:
            if self.vendor == "postgres":
                import psycopg

                with psycopg.connect(self.url, connect_timeout=10) as connection:
                    return connection.execute(sql).fetchall()
            import sqlite3

            connection = sqlite3.connect(self.path, timeout=20)
            try:
                return connection.execute(sql).fetchall()
            finally:
                connection.close()
        except Exception as error:
            raise BenchError(f"reading {self.vendor} database {self.name}: {error}") from error

    def tickets(self) -> dict[int, TicketRow]:
        rows = self.rows("SELECT id, email, submission_token, reference FROM tickets_ticket")
        return {
            pk: TicketRow(email, token and str(uuid.UUID(str(token))), reference)
            for pk, email, token, reference in rows
        }

    def emails(self) -> list[tuple[int, str, str, bool, int]]:
        """Each queued email: its ticket, recipient, subject, whether it is sent, its attempts."""
        rows = self.rows(
            'SELECT ticket_id, "to", subject, sent_at IS NOT NULL, attempts'
            " FROM tickets_outboundemail"
        )
        return [
            (ticket, to, subject, bool(sent), attempts)
            for ticket, to, subject, sent, attempts in rows
        ]

    def _server_execute(self, statement: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self._server_url, autocommit=True, connect_timeout=10) as connection:
            connection.execute(sql.SQL(statement).format(sql.Identifier(self.name)))


@dataclass
class Site:
    """Gunicorn serving the contact form on a fresh database; `env` is what its processes get."""

    port: int
    env: dict[str, str]
    server: subprocess.Popen
    database: Database
    var_dir: Path
    log_path: Path
    workers: int


class Mailbox:
    """An SMTP server on loopback (aiosmtpd) that keeps the id, subject and envelope recipients of
    each message it accepts. It listens only once started, so it can come up late."""

    def __init__(self, port: int):
        self.port = port
        self.received: list[tuple[str, str, list[str]]] = []
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self, hostname=HOST, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(
            (str(message["Message-ID"]), str(message["Subject"]), list(envelope.rcpt_tos))
        )
        return "250 Message accepted for delivery"


@contextmanager
def site_run(
    vendor: str, work_dir: Path, *, workers: int, postgres_url: str, **values: str
) -> Iterator[Site]:
    """Migrate a fresh database, import the help page, serve it with gunicorn; tear all down."""
    code = _code_read()
    var_dir = Path(tempfile.mkdtemp(prefix=f"{vendor}-", dir=work_dir))
    port = free_port()
    database = Database(vendor, var_dir, postgres_url)
    database.create()
    try:
        env = environment(
            var_dir,
            port,
            dropped=ENV_DROPPED,
            WEB_CONCURRENCY=str(workers),
            CONTACT_RATE_LIMIT=RATE_LIMIT,
            **database.variables(),
            **values,
        )
        manage("migrate", "--noinput", env=env)
        manage("import_help_page", str(SEED), env=env)
        log_path = var_dir / "gunicorn.log"
        with open(log_path, "wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            server_wait(server, port, workers, log_path)
            yield Site(port, env, server, database, var_dir, log_path, workers)
        except BenchError as error:
            raise BenchError(f"{error}\ngunicorn log (last lines):\n{tail(log_path)}") from error
        finally:
            server_stop(server)
    finally:
        database.drop()
    if changed := _code_changed(code):
        raise BenchError(
            f"the app's code changed while the scenario ran ({', '.join(changed)}): a worker"
            " that booted meanwhile ran other code, so the figures prove nothing; run it again"
        )


def csrf_pair(port: int) -> dict[str, str]:
    """The headers a browser sends with the help page's contact form, which the contact view's
    origin check (sekvens_help/origin.py) takes in place of a CSRF token."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_SECONDS)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as error:
        raise BenchError(f"GET /: {error}") from error
    finally:
        connection.close()
    if response.status != 200:
        raise BenchError(f"GET / answered {response.status}")
    return {"Origin": f"http://{HOST}:{port}", "Sec-Fetch-Site": "same-origin"}


def submission_send(port: int, csrf: dict[str, str], answer: Answer) -> None:
    """POST `answer`'s contact form, valid, with its token; record the answer in `answer`."""
    body = urlencode({"token": str(answer.token), **answer.fields})
    headers = {"Content-Type": "application/x-www-form-urlencoded", **csrf}
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_SECONDS)
    try:
        connection.request("POST", CONTACT, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as error:
        answer.status, answer.reference = None, None
        answer.error = f"{type(error).__name__}: {error}"
        return
    finally:
        connection.close()
    answer.seconds = time.perf_counter() - started
    answer.status = response.status
    for value in response.headers.get_all("Set-Cookie") or []:
        if found := re.search(rf"{TICKET_COOKIE}=(SEK-[0-9A-Z]{{4}}-[0-9A-Z]{{4}}):", value):
            answer.reference = found[1]


def submissions_send(
    port: int,
    csrf: dict[str, str],
    count: int,
    clients: int,
    *,
    halfway: Callable[[], None] | None = None,
) -> list[Answer]:
    """`count` submissions from `clients` threads, each with a fresh token; `halfway` runs in this
    thread once half of them are answered (or cut off), while the clients go on."""
    answers = [Answer(number, uuid.uuid4()) for number in range(count)]
    lock = threading.Lock()
    next_number, done = 0, 0
    half_done = threading.Event()
    deadline = time.monotonic() + LOAD_SECONDS_MAX

    def client() -> None:
        nonlocal next_number, done
        while time.monotonic() < deadline:
            with lock:
                number, next_number = next_number, next_number + 1
            if number >= count:
                return
            submission_send(port, csrf, answers[number])
            with lock:
                done += 1
                if done >= count // 2:
                    half_done.set()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    if halfway is not None and half_done.wait(timeout=LOAD_SECONDS_MAX):
        halfway()
    for thread in threads:
        thread.join(timeout=max(0, deadline - time.monotonic()) + REQUEST_SECONDS)
    if any(thread.is_alive() for thread in threads) or next_number < count:
        raise BenchError(f"{count} submissions were not all sent within {LOAD_SECONDS_MAX} s")
    return answers


def tickets_check(
    answers: list[Answer], tickets: dict[int, TicketRow], *, cut_off_allowed: bool = False
) -> list[str]:
    """What is wrong between the answers and the tickets: an error answer, a 303 naming no
    ticket, a missing one or another submission's, a submission with two tickets, a ticket no
    submission asked for, a submission token missing or shared."""
    problems = []
    statuses = Counter(answer.status for answer in answers)
    server_errors = sum(n for status, n in statuses.items() if status and status >= 500)
    if server_errors:
        problems.append(f"{server_errors} answers were 5xx")
    others = {s: n for s, n in statuses.items() if s and s != 303 and s < 500}
    if others:
        problems.append(f"answers neither 303 nor 5xx: {others}")
    cut_off = [answer for answer in answers if answer.status is None]
    if cut_off and not cut_off_allowed:
        problems.append(f"{len(cut_off)} requests got no answer, e.g. {cut_off[0].error}")
    redirected = [answer for answer in answers if answer.status == 303]
    by_reference = {row.reference: row for row in tickets.values()}
    unnamed = sum(answer.reference is None for answer in redirected)
    if unnamed:
        problems.append(f"{unnamed} 303 answers named no ticket in the {TICKET_COOKIE} cookie")
    missing = sum(a.reference is not None and a.reference not in by_reference for a in redirected)
    if missing:
        problems.append(f"{missing} tickets named by a 303 answer are not in the database")
    foreign = sum(
        a.reference in by_reference and by_reference[a.reference].email != a.fields["email"]
        for a in redirected
    )
    if foreign:
        problems.append(f"{foreign} 303 answers named another submission's ticket")
    named = Counter(answer.reference for answer in redirected if answer.reference is not None)
    twice = sum(n - 1 for n in named.values() if n > 1)
    if twice:
        problems.append(f"{twice} 303 answers named a ticket already named")
    per_submission = Counter(row.email for row in tickets.values())
    duplicated = sum(n - 1 for n in per_submission.values() if n > 1)
    if duplicated:
        problems.append(f"{duplicated} tickets duplicate another submission's")
    sent = {answer.fields["email"] for answer in answers}
    strangers = sum(email not in sent for email in per_submission)
    if strangers:
        problems.append(f"{strangers} tickets match no submission sent")
    tokens = [row.submission_token for row in tickets.values()]
    if None in tokens or len(set(tokens)) != len(tokens):
        problems.append("tickets without a submission token, or sharing one")
    if len(tickets) > len(answers):
        problems.append(f"{len(tickets)} tickets for {len(answers)} submissions sent")
    elif not cut_off_allowed and len(tickets) < len(answers):
        problems.append(f"{len(tickets)} tickets for {len(answers)} submissions sent")
    if len({row.reference for row in tickets.values()}) != len(tickets):
        problems.append("ticket references repeat")
    return problems


def deliveries_check(
    emails: list[tuple[int, str, str, bool, int]],
    tickets: dict[int, uuid.UUID],
    received: list[tuple[str, str, list[str]]],
) -> list[str]:
    """What is wrong between the queued emails and the SMTP server's messages: an email unsent,
    not received, received twice, or a message nobody queued."""
    problems = []
    per_ticket = Counter(ticket for ticket, *_ in emails)
    wrong = sum(per_ticket[pk] != EMAILS_PER_TICKET for pk in tickets)
    if wrong or len(emails) != EMAILS_PER_TICKET * len(tickets):
        problems.append(
            f"{len(emails)} emails queued for {len(tickets)} tickets; {wrong} tickets have not"
            f" {EMAILS_PER_TICKET}"
        )
    unsent = sum(not sent for *_, sent, _ in emails)
    if unsent:
        problems.append(f"{unsent} emails still have no sent_at")
    expected = Counter((_subject_reference(subject), to.lower()) for _, to, subject, *_ in emails)
    arrived = Counter(
        (_subject_reference(subject), recipient.lower())
        for _, subject, recipients in received
        for recipient in recipients
    )
    lost = sum((expected - arrived).values())
    if lost:
        problems.append(f"{lost} queued emails never reached the SMTP server")
    duplicated = sum(
        arrived[key] - expected[key] for key in expected if arrived[key] > expected[key]
    )
    if duplicated:
        problems.append(f"{duplicated} messages repeat one already delivered (reference + to)")
    strangers = sum(n for key, n in arrived.items() if key not in expected)
    if strangers:
        problems.append(f"{strangers} messages match no queued email")
    repeated_ids = sum(n - 1 for n in Counter(mid for mid, *_ in received).values() if n > 1)
    if repeated_ids:
        problems.append(f"{repeated_ids} messages repeat a Message-ID")
    return problems


def load_run(
    vendor: str,
    work_dir: Path,
    *,
    submissions: int = SUBMISSIONS,
    clients: int = CLIENTS,
    workers: int = WORKERS,
    postgres_url: str = POSTGRES_URL,
) -> Outcome:
    """Concurrent valid submissions: every one answers 303 and has exactly one ticket."""
    with site_run(vendor, work_dir, workers=workers, postgres_url=postgres_url) as site:
        csrf = csrf_pair(site.port)
        started = time.monotonic()
        answers = submissions_send(site.port, csrf, submissions, clients)
        seconds = time.monotonic() - started
        tickets = site.database.tickets()
    outcome = Outcome("load", vendor, answers, seconds, len(tickets))
    outcome.problems = tickets_check(answers, tickets)
    return outcome


def worker_killed_run(
    vendor: str,
    work_dir: Path,
    *,
    submissions: int = SUBMISSIONS,
    clients: int = CLIENTS,
    workers: int = WORKERS,
    postgres_url: str = POSTGRES_URL,
) -> Outcome:
    """The same load, with one gunicorn worker SIGKILLed halfway: a request it held may get no
    answer, but every 303 names its own ticket, no token makes two, and the customer who sends
    a cut-off form again (same token) gets a ticket."""
    killed: list[tuple[int, int | None, float]] = []

    with site_run(vendor, work_dir, workers=workers, postgres_url=postgres_url) as site:

        def kill() -> None:
            children = _workers(site.server.pid)
            if not children:
                raise BenchError(f"gunicorn (pid {site.server.pid}) has no worker to kill")
            victim = min(children)
            os.kill(victim, signal.SIGKILL)
            # Watched here, while the clients go on: the load may well end first.
            killed.append((victim, *_worker_replaced(site, victim)))

        csrf = csrf_pair(site.port)
        started = time.monotonic()
        answers = submissions_send(site.port, csrf, submissions, clients, halfway=kill)
        seconds = time.monotonic() - started
        if not killed:
            raise BenchError("no worker was killed")
        victim, replacement, restart_seconds = killed[0]
        cut_off = [answer for answer in answers if answer.status is None]
        before_resend = site.database.tickets()
        made = {row.email for row in before_resend.values()}
        made_anyway = sum(answer.fields["email"] in made for answer in cut_off)
        # As a customer would: send the same form again, which must find a ticket already made.
        resent = [Answer(answer.number, answer.token) for answer in cut_off]
        for answer in resent:
            submission_send(site.port, csrf, answer)
        tickets = site.database.tickets()
    outcome = Outcome("worker killed", vendor, answers, seconds, len(before_resend))
    outcome.problems = tickets_check(answers, before_resend, cut_off_allowed=True)
    again = {answer.fields["email"] for answer in resent}
    of_resent = {pk: row for pk, row in tickets.items() if row.email in again}
    outcome.problems += [f"sent again: {problem}" for problem in tickets_check(resent, of_resent)]
    if len(tickets) != submissions:
        outcome.problems.append(
            f"{len(tickets)} tickets for {submissions} submissions after resending the cut-off"
        )
    if replacement is None:
        outcome.problems.append(f"gunicorn did not replace worker {victim} within 30 s")
    outcome.details = [
        f"worker {victim} SIGKILLed after {submissions // 2} answers;"
        f" gunicorn started worker {replacement} {restart_seconds:.1f} s later",
        f"cut off by the kill: {len(cut_off)} (of which {made_anyway} had made their ticket);"
        f" sent again: {dict(Counter(a.status for a in resent))},"
        f" {len(tickets)} tickets in all",
    ]
    return outcome


def smtp_down_run(
    vendor: str,
    work_dir: Path,
    *,
    submissions: int = SUBMISSIONS,
    clients: int = CLIENTS,
    workers: int = WORKERS,
    postgres_url: str = POSTGRES_URL,
) -> Outcome:
    """The same load with `manage.py run_worker` running and the SMTP server down for the first
    half: once it is back, every email is sent, and arrives exactly once."""
    mailbox = Mailbox(free_port())
    values = {
        "EMAIL_HOST": HOST,
        "EMAIL_PORT": str(mailbox.port),
        "EMAIL_RETRY_SECONDS": str(RETRY_SECONDS),
        # The worker's log goes to a file: line by line, so its start shows at once.
        "PYTHONUNBUFFERED": "1",
    }
    back_at: list[float] = []
    try:
        with site_run(
            vendor, work_dir, workers=workers, postgres_url=postgres_url, **values
        ) as site:

            def smtp_start() -> None:
                # A short load could be half over before the worker has tried once.
                _first_failure_wait(site.database)
                mailbox.start()
                back_at.append(time.monotonic())

            worker_log = site.var_dir / "run_worker.log"
            with open(worker_log, "wb") as log:
                worker = subprocess.Popen(
                    [sys.executable, "manage.py", "run_worker"],
                    cwd=ROOT,
                    env=site.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            try:
                _worker_started_wait(worker, worker_log)
                csrf = csrf_pair(site.port)
                started = time.monotonic()
                answers = submissions_send(
                    site.port, csrf, submissions, clients, halfway=smtp_start
                )
                seconds = time.monotonic() - started
                bound = DELIVERY_SECONDS + EMAILS_PER_TICKET * submissions / DELIVERY_RATE_MIN
                sent_at = _emails_sent_wait(site.database, worker, worker_log, bound)
            finally:
                server_stop(worker)
            tickets = site.database.tickets()
            emails = site.database.emails()
    finally:
        mailbox.stop()
    received = list(mailbox.received)
    outcome = Outcome("smtp down", vendor, answers, seconds, len(tickets))
    outcome.emails, outcome.received = len(emails), len(received)
    outcome.problems = tickets_check(answers, tickets)
    outcome.problems += deliveries_check(emails, tickets, received)
    retried = [attempts for *_, attempts in emails if attempts > 1]
    if not retried:
        outcome.problems.append("no email failed while the SMTP server was down: nothing tested")
    if sent_at and back_at:
        drained = (
            f"all {len(emails)} emails sent {sent_at - back_at[0]:.1f} s after it came back"
            f" ({sent_at - started - seconds:.1f} s after the load)"
        )
    else:
        drained = f"not all {len(emails)} emails sent {bound:.0f} s after the load"
    down = back_at[0] - started if back_at else seconds
    outcome.details = [
        f"SMTP server down until half the answers were in ({down:.1f} s); {drained}",
        f"{len(received)} messages received; {len(retried)} emails needed a retry"
        f" (up to {max(retried, default=1)} attempts)",
    ]
    return outcome


def _worker_started_wait(worker: subprocess.Popen, worker_log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise BenchError(
                f"run_worker exited with status {worker.returncode}:\n{tail(worker_log)}"
            )
        if b"Worker started" in worker_log.read_bytes():
            return
        time.sleep(0.1)
    raise BenchError(f"run_worker did not start within 30 s:\n{tail(worker_log)}")


def _first_failure_wait(database: Database) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if database.rows("SELECT count(*) FROM tickets_outboundemail WHERE attempts > 0")[0][0]:
            return
        time.sleep(0.1)


def _emails_sent_wait(
    database: Database, worker: subprocess.Popen, worker_log: Path, seconds: float
) -> float | None:
    """Wait until every queued email has its sent_at; when that happened, or None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise BenchError(
                f"run_worker exited with status {worker.returncode}:\n{tail(worker_log)}"
            )
        unsent = database.rows("SELECT count(*) FROM tickets_outboundemail WHERE sent_at IS NULL")
        if unsent[0][0] == 0:
            return time.monotonic()
        time.sleep(0.5)
    return None


def _workers(master: int) -> set[int]:
    """The live processes whose parent is `master` (gunicorn's workers)."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        state, parent = text[text.rindex(")") + 2 :].split()[:2]
        if int(parent) == master and state != "Z":
            children.add(int(stat.parent.name))
    return children


def _worker_replaced(site: Site, victim: int) -> tuple[int | None, float]:
    """The worker gunicorn starts in the killed one's place, and how many seconds that took."""
    killed_at = time.monotonic()
    deadline = killed_at + WORKER_RESTART_SECONDS
    while time.monotonic() < deadline:
        children = _workers(site.server.pid)
        if len(children) == site.workers and victim not in children:
            booted = site.log_path.read_text(errors="replace").count("Booting worker")
            if booted > site.workers:
                return max(children), time.monotonic() - killed_at
        time.sleep(0.1)
    return None, WORKER_RESTART_SECONDS


def _code_read() -> dict[Path, bytes]:
    """The app's code as the server and the worker load it, tests left out."""
    return {
        path: path.read_bytes()
        for folder in CODE_FOLDERS
        for path in (ROOT / folder).rglob("*")
        if path.suffix in {".py", ".html", ".txt"} and "tests" not in path.relative_to(ROOT).parts
    }


def _code_changed(before: dict[Path, bytes]) -> list[str]:
    after = _code_read()
    return sorted(
        str(path.relative_to(ROOT))
        for path in before.keys() | after.keys()
        if before.get(path) != after.get(path)
    )


def _subject_reference(subject: str) -> str | None:
    found = re.search(r"\[(SEK-[0-9A-Z]{4}-[0-9A-Z]{4})\]", subject)
    return found[1] if found else None


def _outcome_say(outcome: Outcome, clients: int) -> None:
    statuses = ", ".join(
        f"{status or 'no answer'}×{n}" for status, n in sorted(outcome.statuses.items(), key=str)
    )
    sent = len(outcome.answers)
    say(
        f"  {outcome.scenario:<14} {sent} sent by {clients} clients in {outcome.seconds:.1f} s"
        f" ({sent / outcome.seconds:.0f}/s): {statuses}; p50 {outcome.latency(50) * 1000:.0f} ms,"
        f" p99 {outcome.latency(99) * 1000:.0f} ms; {outcome.tickets} tickets"
    )
    for line in outcome.details:
        say(f"  {'':<14} {line}")
    for problem in outcome.problems:
        say(f"  {'':<14} problem: {problem}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--submissions", type=int, default=SUBMISSIONS, metavar="N")
    parser.add_argument("--clients", type=int, default=CLIENTS, metavar="N")
    parser.add_argument(
        "--postgres-url",
        default=POSTGRES_URL,
        help="a PostgreSQL server's maintenance database; scratch databases are made beside it",
    )
    args = parser.parse_args()
    if not 2 <= args.submissions <= 100_000 or not 1 <= args.clients <= 512:
        parser.error("--submissions must be 2-100000 and --clients 1-512")
    vendors = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    runs = {"load": load_run, "worker killed": worker_killed_run, "smtp down": smtp_down_run}
    started = time.monotonic()
    verdicts = []
    say("Sekvens Hjelp: the contact form under load and faults")
    say(
        f"  {args.submissions} submissions per scenario from {args.clients} clients, each with"
        f" its own form token; gunicorn with {WORKERS} sync workers, CONTACT_RATE_LIMIT="
        f"{RATE_LIMIT}; a fresh database per scenario"
    )
    with tempfile.TemporaryDirectory(prefix="sekvens-load-") as work_dir:
        for vendor in vendors:
            say(f"\n{vendor}")
            for scenario, run in runs.items():
                try:
                    outcome = run(
                        vendor,
                        Path(work_dir),
                        submissions=args.submissions,
                        clients=args.clients,
                        postgres_url=args.postgres_url,
                    )
                except BenchError as error:
                    say(f"  {scenario:<14} error: {error}")
                    verdicts.append((vendor, scenario, [f"did not run: {error}".splitlines()[0]]))
                    continue
                _outcome_say(outcome, args.clients)
                verdicts.append((vendor, scenario, outcome.problems))
    say(f"\nFinished in {time.monotonic() - started:.0f} s.\n")
    for vendor, scenario, problems in verdicts:
        say(
            f"{'FAIL' if problems else 'PASS'}  {vendor:<8} {scenario:<14} "
            f"{'; '.join(problems) or 'nothing lost, nothing duplicated, no 5xx'}"
        )
    return 1 if any(problems for *_, problems in verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
