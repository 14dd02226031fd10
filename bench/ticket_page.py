"""Benchmark the customer's ticket page (/sak/<token>/) against the help page's / under the same
production gunicorn, settings and middleware.

Run from the repo root: `.venv/bin/python -m bench.ticket_page` (needs `wrk`; `--quick` for a
short run). Everything lives in a temporary directory with its own SQLite database; traffic
stays on loopback. The ticket has a thread like a real one: the customer's message, replies
both ways and internal notes (which the page leaves out).
"""

import argparse
import gzip
import http.client
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (
    HOST,
    ROOT,
    WRK_CONNECTIONS,
    WRK_THREADS,
    BenchError,
    environment_set,
    free_port,
    manage,
    per_round_ratio,
    rounds_alternate,
    say,
    server_start,
    server_stop,
    server_wait,
    tail,
    wrk_run,
    wrk_version,
)

SEED = ROOT / "fixtures" / "hjelp-og-support.md"
HELP_PAGE = "/"
WARMUP_SECONDS = 2
ACCEPT_ENCODING = "gzip"
# Replies each way in the thread, and the agents' notes between them.
THREAD_TURNS = 4
REPLY_MARK = b'class="ticket-message-body"'


def ticket_with_thread() -> None:
    """A ticket with THREAD_TURNS turns of customer message, agent reply and internal note;
    prints the ticket page's path (run through manage.py shell)."""
    from django.contrib.auth import get_user_model

    from tickets.models import Message, Ticket
    from tickets.services import ticket_create, ticket_reply

    agent = get_user_model().objects.create_user("agent", first_name="Ola", is_staff=True)
    ticket, _ = ticket_create(
        name="Kari Nordmann", email="kari@example.no", message="Fakturaen for mars mangler.\n" * 3
    )
    for turn in range(THREAD_TURNS):
        ticket_reply(ticket=ticket, author=agent, body=f"Notat {turn}.", is_public=False)
        ticket_reply(ticket=ticket, author=agent, body=f"Svar {turn}.\n" * 5, is_public=True)
        Message.objects.create(
            ticket=ticket,
            kind=Message.Kind.CUSTOMER,
            channel=Message.Channel.EMAIL,
            author_name=ticket.name,
            body=f"Takk, men {turn}.\n" * 3,
        )
    sys.stdout.write(Ticket.objects.get(pk=ticket.pk).page_url() + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, choices=range(1, 21), metavar="1-20")
    parser.add_argument("--seconds", type=int, default=2, choices=range(1, 11), metavar="1-10")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 1 s")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds = 3, 1
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("error: wrk is not installed. Install the Debian package: apt-get install -y wrk")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sekvens-bench-") as var_dir:
        port = free_port()
        environment_set(Path(var_dir), port)
        say("Sekvens Hjelp: ticket page benchmark")
        say(f"  setup    {var_dir}: migrate, import {SEED.relative_to(ROOT)}, one ticket")
        manage("migrate", "--noinput")
        manage("import_help_page", str(SEED))
        printed = manage(
            "shell", "-c", "from bench.ticket_page import ticket_with_thread; ticket_with_thread()"
        )
        # The shell's own lines ("33 objects imported automatically") come first.
        ticket_page = printed.strip().splitlines()[-1]
        urls = [HELP_PAGE, ticket_page]
        log_path = Path(var_dir) / "gunicorn.log"
        server, workers = server_start(log_path)
        try:
            server_wait(server, port, workers, log_path)
            say(
                f"  server   gunicorn (pid {server.pid}) on {HOST}:{port}, {workers} sync workers,"
                " DJANGO_DEBUG=0, bench.settings"
            )
            say(
                f"  load     {wrk_version(wrk)}, {WRK_THREADS} thread, {WRK_CONNECTIONS} "
                f"connections, {args.rounds} rounds x {args.seconds} s per URL, URLs alternated"
            )
            sizes = {url: _checked_size(port, url, is_ticket=url == ticket_page) for url in urls}
            for url in urls:
                _wrk(wrk, port, url, WARMUP_SECONDS)
            runs = rounds_alternate(
                urls, args.rounds, lambda url: _wrk(wrk, port, url, args.seconds)
            )
        except BenchError as error:
            say(f"\nFAIL: {error}")
            say(f"gunicorn log (last lines):\n{tail(log_path)}")
            return 1
        finally:
            server_stop(server)
    say()
    for url, name in [(HELP_PAGE, "help page /"), (ticket_page, "ticket page")]:
        rounds = " ".join(f"{run.rate:.0f}" for run in runs[url])
        median = statistics.median(run.rate for run in runs[url])
        say(f"  {name:<12} {median:>8.1f} req/s  rounds {rounds}  ({sizes[url]})")
    ratio = per_round_ratio(runs[ticket_page], runs[HELP_PAGE])
    say(
        f"\nticket page / help page: {ratio:.3f} (rate over /'s in the same round, median of the"
        f" rounds)\nFinished in {time.monotonic() - started:.0f} s."
    )
    return 0


def _checked_size(port: int, url: str, *, is_ticket: bool) -> str:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", url, headers={"Accept-Encoding": ACCEPT_ENCODING})
        response = connection.getresponse()
        body = response.read()
    except OSError as error:
        raise BenchError(f"GET {url}: {error}") from error
    finally:
        connection.close()
    if response.status != 200:
        raise BenchError(f"GET {url} answered {response.status}, not 200")
    size = f"{len(body):,} bytes"
    if response.getheader("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
        size += f", gzip of {len(body):,}"
    # The customer's messages and the public replies, never the notes.
    if is_ticket and body.count(REPLY_MARK) != 1 + 2 * THREAD_TURNS:
        raise BenchError(f"GET {url} shows {body.count(REPLY_MARK)} messages")
    if is_ticket and b"Notat" in body:
        raise BenchError(f"GET {url} shows an internal note")
    return size


def _wrk(wrk: str, port: int, url: str, seconds: int):
    return wrk_run(wrk, port, url, seconds, headers=(f"Accept-Encoding: {ACCEPT_ENCODING}",))


if __name__ == "__main__":
    sys.exit(main())
