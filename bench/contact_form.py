"""Benchmark contact form submissions against a minimal ModelForm POST, on production gunicorn.

Run from the repo root: `.venv/bin/python -m bench.contact_form` (needs `wrk`, Debian package
`wrk`; `--quick` for three short rounds). The baseline is a ModelForm on Ticket that does one
INSERT and answers 303 (bench/urls.py), through the same middleware, CSRF check and database
settings; a hello-world POST is shown beside it as the floor. Every contact request is a real,
CSRF-checked submission with its own one-time token, so each one creates a ticket and queues its
two emails; afterwards the database must hold exactly one form ticket per request sent.
Everything lives in a temporary directory with its own SQLite database; traffic stays on loopback.
The exit status is non-zero on a missed bar, a lost ticket or an error answer.
"""

import argparse
import http.client
import itertools
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from bench.common import (
    HOST,
    ROOT,
    WRK_CONNECTIONS,
    WRK_THREADS,
    BenchError,
    Run,
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
from bench.help_page import PLACES, SENTENCES, TASKS

SEED = ROOT / "fixtures" / "hjelp-og-support.md"
HELLO, MODEL_FORM, CONTACT = "/bench/hello-post/", "/bench/model-form-post/", "/kontakt/"
URLS = [HELLO, MODEL_FORM, CONTACT]
EXPECTED_STATUS = {HELLO: 200, MODEL_FORM: 303, CONTACT: 303}
CONTACT_TO_MODEL_FORM_BAR = 0.5
WARMUP_SECONDS = 2
# The limit would turn the benchmark's one address away after five tickets.
RATE_LIMIT = "1000000/1m"
# Likewise the daily limits: the run sends thousands of tickets from 200 addresses.
DAILY_LIMIT = "100000000"
# The rate limit counts in the database cache (no REDIS_URL), keyed by the address wrk connects
# from: no proxy puts a header in front of it here.
ENV_DROPPED = ("REDIS_URL", "RATELIMIT_IP_META_KEY")
MESSAGES_VARIED = 200
TICKET_COOKIE = "sekvens_ticket"
EMAILS_PER_TICKET = 2
# Addresses keep to ASCII before the @, as the email validator wants.
ASCII = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})

# A fresh one-time token per request: "<run>-<thread>-4000-8000-<request number>", UUID-shaped.
# The 303 names its ticket in the signed cookie for the thanks page ("<reference>:<sig>").
LUA_SCRIPT = """\
local csrf_token = "{csrf_token}"
local fields = {{
{fields}
}}
local headers = {{
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Cookie"] = "__Host-csrftoken={csrf_cookie}",
  ["Origin"] = "{origin}",
}}
local threads = {{}}
run_number, sent, statuses, ticket_ids = 0, 0, {{}}, {{}}

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

function init(args)
  run_number = tonumber(args[1])
end

function request()
  sent = sent + 1
  local token = string.format("%08x-%04x-4000-8000-%012x", run_number, thread_number, sent)
  local body = "csrfmiddlewaretoken=" .. csrf_token .. "&token=" .. token .. "&"
    .. fields[sent % #fields + 1]
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  for _, value in pairs(headers) do
    local ticket_id = string.match(value, "{ticket_cookie}=(SEK%-%w+%-%w+):")
    if ticket_id then
      table.insert(ticket_ids, ticket_id)
    end
  end
end

function done(summary, latency, requests)
  local sent_total, totals, counts, ids = 0, {{}}, {{}}, {{}}
  for _, thread in ipairs(threads) do
    sent_total = sent_total + thread:get("sent")
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
    for _, ticket_id in ipairs(thread:get("ticket_ids")) do
      table.insert(ids, ticket_id)
    end
  end
  for status, count in pairs(totals) do
    table.insert(counts, status .. "=" .. count)
  end
  -- wrk calls request() once on the first thread to check the script, and never sends that one.
  io.write("bench-sent " .. sent_total - 1 .. "\\n")
  io.write("bench-statuses " .. table.concat(counts, " ") .. "\\n")
  io.write("bench-tickets " .. table.concat(ids, " ") .. "\\n")
end
"""


@dataclass
class Ledger:
    """What wrk sent to the contact form and which tickets its 303 answers named."""

    sent: int = 0
    # The tickets' references, as the thanks page's cookie names them.
    ticket_ids: list[str] = field(default_factory=list)


@dataclass
class Tally:
    tickets: int
    emails: int
    missing: list[int]
    duplicates: int

    def problems(self, ledger: Ledger) -> list[str]:
        found = []
        if self.missing:
            found.append(f"{len(self.missing)} answered tickets are not in the database")
        if self.duplicates:
            found.append(f"{self.duplicates} 303 answers named a ticket already named")
        if self.tickets != ledger.sent:
            found.append(f"{self.tickets} tickets for {ledger.sent} submissions sent")
        if self.emails != EMAILS_PER_TICKET * self.tickets:
            found.append(f"{self.emails} emails queued for {self.tickets} tickets")
        return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, choices=range(1, 21), metavar="1-20")
    parser.add_argument("--seconds", type=int, default=2, choices=range(1, 11), metavar="1-10")
    parser.add_argument("--quick", action="store_true", help="three rounds of one second")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds = 3, 1
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("error: wrk is not installed. Install the Debian package: apt-get install -y wrk")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sekvens-bench-") as var_dir:
        port = free_port()
        environment_set(
            Path(var_dir),
            port,
            dropped=ENV_DROPPED,
            CONTACT_RATE_LIMIT=RATE_LIMIT,
            CONTACT_DAILY_CAP=DAILY_LIMIT,
            CONFIRMATION_DAILY_LIMIT=DAILY_LIMIT,
        )
        database = Path(var_dir) / "db.sqlite3"
        say("Sekvens Hjelp: contact form benchmark")
        say(f"  setup    {var_dir}: migrate, import {SEED.relative_to(ROOT)}")
        manage("migrate", "--noinput")
        say(f"           {manage('import_help_page', str(SEED)).strip().splitlines()[-1]}")
        log_path = Path(var_dir) / "gunicorn.log"
        server, workers = server_start(log_path)
        try:
            server_wait(server, port, workers, log_path)
            say(
                f"  server   gunicorn (pid {server.pid}) on {HOST}:{port}, {workers} sync workers,"
                f" DJANGO_DEBUG=0, bench.settings, CONTACT_RATE_LIMIT={RATE_LIMIT}"
            )
            csrf_cookie, csrf_token = _csrf_pair(port)
            ledger = Ledger()
            _responses_check(port, csrf_cookie, csrf_token, ledger)
            script = Path(var_dir) / "post.lua"
            script.write_text(_lua_script(csrf_cookie, csrf_token, port))
            say(
                f"  load     {wrk_version(wrk)}, {WRK_THREADS} thread, {WRK_CONNECTIONS} "
                f"connections, {args.rounds} rounds x {args.seconds} s per URL, URLs alternated,"
                " a fresh form token per request"
            )
            runs = _measure(wrk, port, script, database, ledger, args.rounds, args.seconds)
            tally = _tally(database, ledger)
        except BenchError as error:
            say(f"\nFAIL: {error}")
            say(f"gunicorn log (last lines):\n{tail(log_path)}")
            return 1
        finally:
            server_stop(server)
    return _report(runs, ledger, tally, time.monotonic() - started)


def _csrf_pair(port: int) -> tuple[str, str]:
    """The CSRF cookie (__Host-csrftoken in production) and the masked token for the baseline's
    POST. The help page carries none (the contact view checks Origin), the admin's login does."""
    status, headers, body = _request(port, "GET", "/admin/login/")
    if status != 200:
        raise BenchError(f"GET /admin/login/ answered {status}, not 200")
    cookie = SimpleCookie()
    for name, value in headers:
        if name.lower() == "set-cookie":
            cookie.load(value)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if "__Host-csrftoken" not in cookie or not token:
        raise BenchError("GET /admin/login/ gave no CSRF cookie and form token")
    return cookie["__Host-csrftoken"].value, token[1].decode()


def _responses_check(port: int, csrf_cookie: str, csrf_token: str, ledger: Ledger) -> None:
    cookie = {"Cookie": f"__Host-csrftoken={csrf_cookie}"}
    body = urlencode({"csrfmiddlewaretoken": csrf_token})
    status, _, text = _request(port, "POST", HELLO, body, cookie)
    if status != 200 or text != b"ok":
        raise BenchError(f"POST {HELLO} answered {status} {text[:80]!r}, not 200 'ok'")
    status, _, _ = _request(port, "POST", HELLO, "", cookie)
    if status != 403:
        raise BenchError(f"POST {HELLO} without the CSRF token answered {status}, not 403")
    body = urlencode({"csrfmiddlewaretoken": csrf_token, **_fields()[0]})
    status, _, text = _request(port, "POST", MODEL_FORM, body, cookie)
    if status != 303:
        raise BenchError(f"POST {MODEL_FORM} answered {status} {text[:80]!r}, not 303")
    body = urlencode({"csrfmiddlewaretoken": csrf_token, "token": uuid.uuid4(), **_fields()[0]})
    origin = {"Origin": f"http://{HOST}:{port}"}
    status, headers, _ = _request(port, "POST", CONTACT, body, cookie | origin)
    location = dict(headers).get("Location")
    ticket_ids = _ticket_ids(value for name, value in headers if name.lower() == "set-cookie")
    if status != 303 or len(ticket_ids) != 1:
        raise BenchError(f"POST {CONTACT} answered {status} to {location}, not 303 with a ticket")
    ledger.sent += 1
    ledger.ticket_ids += ticket_ids


def _request(
    port: int, method: str, url: str, body: str = "", headers: dict[str, str] | None = None
) -> tuple[int, list[tuple[str, str]], bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    if method == "POST":
        headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    try:
        connection.request(method, url, body=body or None, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    except OSError as error:
        raise BenchError(f"{method} {url}: {error}") from error
    finally:
        connection.close()


def _ticket_ids(set_cookies) -> list[str]:
    found = (re.search(rf"{TICKET_COOKIE}=(SEK-\w+-\w+):", value) for value in set_cookies)
    return [match[1] for match in found if match]


def _fields() -> list[dict[str, str]]:
    """Varied customers and messages, as the form sends them."""
    rng = random.Random(MESSAGES_VARIED)
    first = ["Kari", "Ola", "Ingrid", "Lars", "Siri", "Øystein", "Åse", "Nils", "Marte", "Jørgen"]
    last = ["Nordmann", "Hansen", "Johansen", "Olsen", "Larsen", "Berg", "Haugen", "Dahl", "Lie"]
    fields = []
    for number in range(MESSAGES_VARIED):
        name = f"{rng.choice(first)} {rng.choice(last)}"
        task, where = rng.choice(TASKS), rng.choice(PLACES)
        sentences = " ".join(rng.sample(SENTENCES, rng.randint(1, 3)))
        fields.append(
            {
                "name": name,
                "email": f"{name.split()[0].lower().translate(ASCII)}.{number}@example.no",
                "message": f"Hei! Jeg får ikke til å {task}{where}. {sentences}\n\nHilsen {name}",
            }
        )
    return fields


def _lua_script(csrf_cookie: str, csrf_token: str, port: int) -> str:
    fields = ",\n".join(f'  "{urlencode(values)}"' for values in _fields())
    return LUA_SCRIPT.format(
        csrf_cookie=csrf_cookie,
        csrf_token=csrf_token,
        origin=f"http://{HOST}:{port}",
        fields=fields,
        ticket_cookie=TICKET_COOKIE,
    )


def _measure(
    wrk: str, port: int, script: Path, database: Path, ledger: Ledger, rounds: int, seconds: int
) -> dict[str, list[Run]]:
    run_numbers = itertools.count(1)

    def post(url: str, seconds: int = seconds) -> Run:
        run = wrk_run(
            wrk,
            port,
            url,
            seconds,
            script=script,
            script_args=(str(next(run_numbers)),),
            answers_checked=False,
        )
        sent, statuses, ticket_ids = _script_lines(run.output)
        expected = EXPECTED_STATUS[url]
        if set(statuses) != {expected}:
            raise BenchError(f"POST {url} answered {statuses}, not only {expected}")
        if url == CONTACT:
            if len(ticket_ids) != statuses[expected]:
                raise BenchError(
                    f"POST {url}: {statuses[expected]} answers 303, "
                    f"{len(ticket_ids)} named a ticket"
                )
            ledger.sent += sent
            ledger.ticket_ids += ticket_ids
            # wrk stops with up to one submission per connection still in the server: let those
            # finish, so they are neither lost from the count nor measured in the next run.
            _tickets_settle(database, ledger.sent)
        return run

    for url in URLS:
        post(url, WARMUP_SECONDS)
    return rounds_alternate(URLS, rounds, post)


def _script_lines(output: str) -> tuple[int, dict[int, int], list[str]]:
    sent = re.search(r"^bench-sent (\d+)$", output, re.M)
    statuses = re.search(r"^bench-statuses (.*)$", output, re.M)
    tickets = re.search(r"^bench-tickets (.*)$", output, re.M)
    if not (sent and statuses and tickets):
        raise BenchError(f"the wrk script printed no tally:\n{output}")
    counts = dict(pair.split("=") for pair in statuses[1].split())
    return (
        int(sent[1]),
        {int(status): int(count) for status, count in counts.items()},
        tickets[1].split(),
    )


def _tickets_settle(database: Path, expected: int) -> None:
    deadline = time.monotonic() + 5
    while _tally_read(database)[0] < expected and time.monotonic() < deadline:
        time.sleep(0.05)


def _tally(database: Path, ledger: Ledger) -> Tally:
    tickets, emails, ids = _tally_read(database)
    answered = set(ledger.ticket_ids)
    return Tally(
        tickets=tickets,
        emails=emails,
        missing=sorted(answered - ids),
        duplicates=len(ledger.ticket_ids) - len(answered),
    )


def _tally_read(database: Path) -> tuple[int, int, set[str]]:
    """Form tickets, queued emails and the tickets' references, read beside the server."""
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as connection:
            # The baseline's tickets have no submission token; the form's always have one.
            ids = {
                row[0]
                for row in connection.execute(
                    "SELECT reference FROM tickets_ticket WHERE submission_token IS NOT NULL"
                )
            }
            emails = connection.execute("SELECT count(*) FROM tickets_outboundemail").fetchone()
    except sqlite3.Error as error:
        raise BenchError(f"reading the tickets from {database}: {error}") from error
    return len(ids), emails[0], ids


def _report(runs: dict[str, list[Run]], ledger: Ledger, tally: Tally, elapsed: float) -> int:
    say()
    say(f"{'url':<24} {'req/s':>7} {'xform':>6}  each round (req/s)")
    for url in URLS:
        rates = [run.rate for run in runs[url]]
        rounds = " ".join(f"{rate:.0f}" for rate in rates)
        median = statistics.median(rates)
        ratio = per_round_ratio(runs[url], runs[MODEL_FORM])
        say(f"{url:<24} {median:>7.1f} {ratio:>6.3f}  {rounds}")
    say(
        "\nreq/s: median of the rounds; each /kontakt/ request is a submission with its own form"
        "\ntoken. xform: rate over the minimal ModelForm POST's in the same round, median of the"
        "\nrounds, so the machine's drift cancels; the bar is judged on it."
    )
    late = ledger.sent - len(ledger.ticket_ids)
    say(
        f"Tickets: {tally.tickets} in the database for {ledger.sent} submissions sent: "
        f"{len(ledger.ticket_ids)} answered 303,\neach naming a ticket of its own, and {late} "
        "finished after wrk stopped waiting (warm-ups included).\nQueued with them in the outbox: "
        f"{tally.emails} emails ({EMAILS_PER_TICKET} per ticket)."
    )
    say(f"Finished in {elapsed:.0f} s.\n")
    ratio = per_round_ratio(runs[CONTACT], runs[MODEL_FORM])
    problems = tally.problems(ledger)
    say(
        f"{'PASS' if ratio >= CONTACT_TO_MODEL_FORM_BAR else 'FAIL'}  "
        f"{'contact / ModelForm POST':<28} {ratio:.3f}  (bar >= {CONTACT_TO_MODEL_FORM_BAR})"
    )
    say(
        f"{'FAIL' if problems else 'PASS'}  {'one ticket per submission':<28} "
        f"{'; '.join(problems) or 'none lost, none extra, no 4xx/5xx'}"
    )
    return 0 if ratio >= CONTACT_TO_MODEL_FORM_BAR and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
