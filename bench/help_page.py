"""Benchmark the public help page against a raw 20 KB Django response, both served by production
gunicorn, and with the README's nginx proxy_cache in front against nginx serving a file.

Run from the repo root: `.venv/bin/python -m bench.help_page` (needs `wrk` and `nginx`, Debian
packages of those names; `--quick` for a short run, `--skip-proxy` without nginx). Everything lives
in a temporary directory with its own SQLite database; traffic stays on loopback. The exit status
is non-zero when the page misses a bar.
"""

import argparse
import gzip
import http.client
import itertools
import os
import pwd
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

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

SEED = ROOT / "fixtures" / "hjelp-og-support.md"

HELLO, PAGE, SEARCH = "/bench/raw-20k/", "/", "/?q=passord"
URLS = [HELLO, PAGE, SEARCH]
HELLO_BYTES = 20 * 1024
SEED_ENTRIES = 11
GROWN_ENTRIES = 1000
PAGE_TO_HELLO_BAR = 0.9
GROWN_TO_SEED_BAR = 0.5
SEARCH_TO_PAGE_BAR = 0.5
PROXIED_TO_FILE_BAR = 0.5
STATIC_FILE = "/static-page.html"
# Short, so the check that an editor's change shows within max-age takes seconds, not a minute.
BENCH_MAX_AGE = 3
README = ROOT / "README.md"

WARMUP_SECONDS = 2
# Every browser asks for compression; the page is measured as visitors fetch it.
ACCEPT_ENCODING = "gzip"
ENTRY_MARK = b'class="faq-entry"'


@dataclass
class Phase:
    entries: int
    runs: dict[str, list[Run]]
    sizes: dict[str, str]
    matches: int

    def median(self, url: str) -> float:
        return statistics.median(run.rate for run in self.runs[url])

    def per_hello(self, url: str) -> float:
        """The URL's rate over hello's in the same round, median of the rounds: drift cancels."""
        return per_round_ratio(self.runs[url], self.runs[HELLO])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, choices=range(1, 21), metavar="1-20")
    parser.add_argument("--seconds", type=int, default=2, choices=range(1, 11), metavar="1-10")
    parser.add_argument(
        "--quick", action="store_true", help="3 rounds of 1 s, without the 1,000-entry phase"
    )
    parser.add_argument("--skip-proxy", action="store_true", help="without the nginx part")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds = 3, 1
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("error: wrk is not installed. Install the Debian package: apt-get install -y wrk")
    nginx = None if args.skip_proxy else shutil.which("nginx") or "/usr/sbin/nginx"
    if nginx and not Path(nginx).exists():
        sys.exit("error: nginx is not installed (apt-get install -y nginx), or use --skip-proxy")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sekvens-bench-") as var_dir:
        port = free_port()
        environment_set(Path(var_dir), port, HELP_PAGE_MAX_AGE=str(BENCH_MAX_AGE))
        say("Sekvens Hjelp: help page benchmark")
        say(f"  setup    {var_dir}: migrate, import {SEED.relative_to(ROOT)}")
        manage("migrate", "--noinput")
        say(f"           {manage('import_help_page', str(SEED)).strip().splitlines()[-1]}")
        log_path = Path(var_dir) / "gunicorn.log"
        server, workers = server_start(log_path)
        grown = proxy = None
        try:
            server_wait(server, port, workers, log_path)
            say(
                f"  server   gunicorn (pid {server.pid}) on {HOST}:{port}, {workers} sync workers,"
                f" DJANGO_DEBUG=0, bench.settings, HELP_PAGE_MAX_AGE={BENCH_MAX_AGE}"
            )
            say(
                f"  load     {wrk_version(wrk)}, {WRK_THREADS} thread, {WRK_CONNECTIONS} "
                f"connections, {args.rounds} rounds x {args.seconds} s per URL, URLs alternated"
            )
            seed = _phase(wrk, port, SEED_ENTRIES, args.rounds, args.seconds)
            if nginx:
                proxy = _proxy_phase(wrk, nginx, port, Path(var_dir), args.rounds, args.seconds)
            if not args.quick:
                grow_started = time.monotonic()
                manage(
                    "shell",
                    "-c",
                    "from bench.help_page import faq_entries_grow; "
                    f"faq_entries_grow({GROWN_ENTRIES})",
                )
                say(
                    f"  grow     {GROWN_ENTRIES} entries through FaqEntry.save() "
                    f"in {time.monotonic() - grow_started:.1f} s"
                )
                grown = _phase(wrk, port, GROWN_ENTRIES, args.rounds, args.seconds)
        except BenchError as error:
            say(f"\nFAIL: {error}")
            say(f"gunicorn log (last lines):\n{tail(log_path)}")
            return 1
        finally:
            server_stop(server)
    return _report(seed, grown, proxy, time.monotonic() - started)


@dataclass
class ProxyPhase:
    runs: dict[str, list[Run]]
    sizes: dict[str, int]
    change_seen_after: float

    def per_file(self) -> float:
        return per_round_ratio(self.runs[PAGE], self.runs[STATIC_FILE])


def nginx_config(*, upstream_port: int, port: int, var_dir: Path) -> str:
    """An nginx config for loopback with the README's cache lines for / and a static file."""
    block = re.search(r"```nginx\n(.*?)```", README.read_text(), re.S)[1]
    cache_path = re.search(r"^proxy_cache_path .*;$", block, re.M)[0]
    cache_map = re.search(r"^map .*?^}", block, re.M | re.S)[0]
    location = re.search(r"^    location = / \{.*?^    \}", block, re.M | re.S)[0]
    cache_path = re.sub(
        r"proxy_cache_path \S+", f"proxy_cache_path {var_dir / 'cache'}", cache_path
    )
    location = location.replace("http://127.0.0.1:8000", f"http://{HOST}:{upstream_port}")
    # Started by root, nginx's workers would run as nobody, who cannot enter the temporary dir.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    return f"""
{user}
pid {var_dir / "nginx.pid"};
worker_processes 1;
error_log {var_dir / "nginx-error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {var_dir / "nginx-body"};
    proxy_temp_path {var_dir / "nginx-proxy"};
    fastcgi_temp_path {var_dir / "nginx-fastcgi"};
    uwsgi_temp_path {var_dir / "nginx-uwsgi"};
    scgi_temp_path {var_dir / "nginx-scgi"};
    {cache_path}
    {cache_map}
    server {{
        listen {HOST}:{port};
        location = {STATIC_FILE} {{ root {var_dir / "nginx-static"}; }}
{location}
    }}
}}
"""


def _proxy_phase(
    wrk: str, nginx: str, upstream_port: int, var_dir: Path, rounds: int, seconds: int
) -> ProxyPhase:
    port = free_port()
    _, _, page = _get(upstream_port, PAGE)
    # A file of the size nginx sends for / (the gzipped page): the same bytes on the wire.
    (var_dir / "nginx-static").mkdir()
    (var_dir / "nginx-static" / STATIC_FILE.lstrip("/")).write_bytes(b"x" * len(page))
    config = var_dir / "nginx.conf"
    config.write_text(nginx_config(upstream_port=upstream_port, port=port, var_dir=var_dir))
    proxy = subprocess.Popen(
        [nginx, "-c", str(config), "-p", str(var_dir), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _port_wait(proxy, port)
        say(f"  proxy    nginx (pid {proxy.pid}) on {HOST}:{port}, README's location = / block")
        sizes = {}
        for url in (PAGE, STATIC_FILE):
            status, _, body = _get(port, url)
            if status != 200:
                log = tail(var_dir / "nginx-error.log")
                raise BenchError(f"nginx: GET {url} answered {status}, not 200\n{log}")
            sizes[url] = len(body)
            _wrk(wrk, port, url, WARMUP_SECONDS)
        runs = rounds_alternate(
            [PAGE, STATIC_FILE], rounds, lambda url: _wrk(wrk, port, url, seconds)
        )
        change_seen_after = _change_seen_after(port)
        return ProxyPhase(runs, sizes, change_seen_after)
    finally:
        proxy.terminate()
        try:
            proxy.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proxy.kill()
            proxy.wait(timeout=5)


def _port_wait(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"nginx exited: {process.stderr.read().decode(errors='replace')}")
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise BenchError("nginx did not listen within 10 s")


def _change_seen_after(port: int) -> float:
    """Seconds from an editor's save until nginx's copy of / shows the new question."""
    marker = f"Endret {time.time_ns()}"
    manage(
        "shell",
        "-c",
        "from faq.models import FaqEntry; e = FaqEntry.objects.filter(is_published=True).first(); "
        f"e.question = {marker!r}; e.save()",
    )
    saved = time.monotonic()
    while time.monotonic() - saved < BENCH_MAX_AGE * 5:
        _, encoding, body = _get(port, PAGE)
        if marker.encode() in (gzip.decompress(body) if encoding == "gzip" else body):
            return time.monotonic() - saved
        time.sleep(0.1)
    return float("inf")


def faq_entries_grow(total: int) -> None:
    """Add generated entries (in Django, e.g. `manage.py shell -c`) until the page holds `total`."""
    from django.conf import settings
    from django.db import transaction

    from faq.models import Block, FaqEntry

    block = Block.objects.get(page__slug=settings.HELP_PAGE_SLUG, kind=Block.Kind.FAQ)
    start = block.entries.count()
    rng = random.Random(total)
    with transaction.atomic():
        for position, question in enumerate(_questions(rng, total - start), start=start):
            # save() one by one, as the admin does: it renders answer_html and the search text.
            answer = _answer(rng, question)
            FaqEntry(block=block, question=question, answer=answer, position=position).save()


def _phase(wrk: str, port: int, entries: int, rounds: int, seconds: int) -> Phase:
    sizes, matches = _responses_check(port, entries)
    for url in URLS:
        # Fills every worker's cache of the rendered page before anything is counted.
        _wrk(wrk, port, url, WARMUP_SECONDS)
    runs = rounds_alternate(URLS, rounds, lambda url: _wrk(wrk, port, url, seconds))
    return Phase(entries, runs, sizes, matches)


def _responses_check(port: int, entries: int) -> tuple[dict[str, str], int]:
    sizes, matches = {}, 0
    for url in URLS:
        status, encoding, body = _get(port, url)
        if status != 200:
            raise BenchError(f"GET {url} answered {status}, not 200")
        sizes[url] = f"{len(body):,}"
        if encoding == "gzip":
            body = gzip.decompress(body)
            sizes[url] += f" gz of {len(body):,}"
        elif encoding:
            raise BenchError(f"GET {url} came back in {encoding}, which the bench cannot read")
        if url == HELLO and len(body) != HELLO_BYTES:
            raise BenchError(f"GET {url} did not answer {HELLO_BYTES} bytes")
        if url == PAGE and body.count(ENTRY_MARK) != entries:
            raise BenchError(f"GET {url} shows {body.count(ENTRY_MARK)} entries, not {entries}")
        if url == SEARCH:
            matches = body.count(ENTRY_MARK)
    return sizes, matches


def _get(port: int, url: str) -> tuple[int, str | None, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", url, headers={"Accept-Encoding": ACCEPT_ENCODING})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Encoding"), response.read()
    except OSError as error:
        raise BenchError(f"GET {url}: {error}") from error
    finally:
        connection.close()


def _wrk(wrk: str, port: int, url: str, seconds: int) -> Run:
    return wrk_run(wrk, port, url, seconds, headers=(f"Accept-Encoding: {ACCEPT_ENCODING}",))


def _report(seed: Phase, grown: Phase | None, proxy: ProxyPhase | None, elapsed: float) -> int:
    say()
    say(
        f"{'entries':>7}  {'url':<16} {'req/s':>7} {'x20KB':>6}  {'each round (req/s)':<37} "
        f"{'bytes':<22} matches"
    )
    phases = [seed, *([grown] if grown else [])]
    for phase in phases:
        for url in URLS:
            rounds = " ".join(f"{run.rate:.0f}" for run in phase.runs[url])
            matches = phase.matches if url == SEARCH else ""
            say(
                f"{phase.entries:>7}  {url:<16} {phase.median(url):>7.1f} "
                f"{phase.per_hello(url):>6.3f}  {rounds:<37} {phase.sizes[url]:<22} {matches}"
            )
    say(
        "\nreq/s: median of the rounds. x20KB: rate over the raw 20 KB response's in the same"
        "\nround, median of the rounds, so the machine's drift cancels; the bars are judged on it."
    )
    verdicts = [
        (f"page / raw 20 KB, {SEED_ENTRIES} entries", seed.per_hello(PAGE), PAGE_TO_HELLO_BAR)
    ]
    verdicts += [
        (
            f"search / page, {phase.entries} entries",
            phase.per_hello(SEARCH) / phase.per_hello(PAGE),
            SEARCH_TO_PAGE_BAR,
        )
        for phase in (seed, grown)
        if phase
    ]
    if grown:
        raw = grown.median(PAGE) / seed.median(PAGE)
        say(f"Raw medians, for the record: page {GROWN_ENTRIES} / page {SEED_ENTRIES} = {raw:.3f}.")
        verdicts.append(
            (
                f"page {GROWN_ENTRIES} / page {SEED_ENTRIES} entries",
                grown.per_hello(PAGE) / seed.per_hello(PAGE),
                GROWN_TO_SEED_BAR,
            )
        )
    if proxy:
        say("\nBehind nginx (README's proxy_cache):")
        for url in (PAGE, STATIC_FILE):
            rounds = " ".join(f"{run.rate:.0f}" for run in proxy.runs[url])
            median = statistics.median(run.rate for run in proxy.runs[url])
            say(f"  {url:<18} {median:>9.1f} req/s  {rounds}  ({proxy.sizes[url]:,} bytes)")
        say(f"  an editor's change showed after {proxy.change_seen_after:.1f} s")
        verdicts.append(("proxied page / nginx file", proxy.per_file(), PROXIED_TO_FILE_BAR))
    say(f"Finished in {elapsed:.0f} s.\n")
    for name, ratio, bar in verdicts:
        say(f"{'PASS' if ratio >= bar else 'FAIL'}  {name:<30} {ratio:.3f}  (bar >= {bar})")
    ok = all(ratio >= bar for _, ratio, bar in verdicts)
    if proxy:
        # Stale for at most max-age, then one background revalidation; one second of slack.
        within = proxy.change_seen_after <= BENCH_MAX_AGE + 1
        ok = ok and within
        say(
            f"{'PASS' if within else 'FAIL'}  change shown within max-age     "
            f"{proxy.change_seen_after:.1f} s  (bar <= {BENCH_MAX_AGE} s + 1 s)"
        )
    return 0 if ok else 1


QUESTION_FORMS = [
    "Hvordan kan jeg {task}{where}?",
    "Kan jeg {task}{where}?",
    "Hva gjør jeg hvis jeg ikke får til å {task}{where}?",
    "Hvem kan {task}{where}?",
    "Hvor lang tid tar det å {task}{where}?",
]
TASKS = [
    "endre leveringsadressen",
    "bytte passordet mitt",
    "laste ned fakturaen",
    "bestille visittkort",
    "redigere en mal",
    "godkjenne korrekturen",
    "dele en ordre med en kollega",
    "finne ordrehistorikken",
    "legge til en ny bruker",
    "slette et utkast",
    "følge pakken min",
    "kopiere en tidligere bestilling",
    "bytte logoen på brosjyren",
    "tilbakestille passordet",
    "skrive ut plakater",
    "laste opp egne bilder",
    "velge papirtype",
    "sende en reklamasjon",
    "oppdatere fakturaadressen",
    "slå på tofaktorinnlogging",
]
PLACES = [
    "",
    " i Sekvens",
    " på mobilen",
    " for hele avdelingen",
    " etter at ordren er sendt",
    " uten administratortilgang",
    " før levering",
    " for en annen avdeling",
    " når jeg er logget inn via jobben",
    " i nettbutikken",
    " på en gammel ordre",
    " for et arrangement",
]
SENTENCES = [
    "Det kommer an på hvilket produkt du har valgt og hvilken avtale bedriften din har med oss.",
    "Du finner innstillingen under «Min profil» i hovedmenyen.",
    "Endringen gjelder fra neste bestilling og påvirker ikke ordrer som allerede er sendt.",
    "Husk å lagre før du går videre, ellers forsvinner endringene dine.",
    "Administratoren i bedriften din kan gi deg tilgang dersom du mangler den.",
    "Vi sender en bekreftelse på e-post så snart ordren er registrert.",
    "Leveringstiden er vanligvis tre til fem virkedager, men store opplag kan ta lenger tid.",
    "Korrekturen vises som PDF, og du må godkjenne den før vi begynner å trykke.",
    "Bilder bør ha en oppløsning på minst 300 dpi for å bli skarpe på trykk.",
    "Fakturaen sendes til adressen som er registrert på bedriftskontoen.",
    "Ordrer som er sendt til trykk, kan dessverre ikke endres.",
    "Du kan når som helst se status for bestillingen i ordrehistorikken.",
    "Maler er låst etter bedriftens profil, slik at farger og skrifttyper blir riktige.",
    "Ønsker du en annen papirtype enn de vi tilbyr, kan vi gi deg et tilbud.",
    "Pakken sendes med sporing, og lenken finner du i bekreftelsen.",
    "Vi lagrer utkast i tretti dager før de slettes automatisk.",
]
PASSWORD_SENTENCES = [
    "Passordet må ha minst tolv tegn og kan ikke være det samme som brukernavnet.",
    "Har du glemt passordet, kan du tilbakestille det fra innloggingssiden.",
]
LINKS = [
    "Les mer i [brukerveiledningen](https://hjelp.sekvens.app/veiledning).",
    "Kontakt gjerne <mailto:kundeservice@etn.no> hvis du står fast.",
    "Du kan også ringe oss på [35 90 40 60](tel:35904060) på hverdager mellom 8 og 16.",
    "Logg inn på <https://print.sekvens.app> for å komme i gang.",
    "Se [prislisten](https://sekvens.app/priser) for en oversikt over produktene.",
]
STEPS = [
    "Gå til «Min profil» fra hovedmenyen",
    "Velg «Ordrehistorikk»",
    "Åpne ordren du vil endre",
    "Trykk **Lagre** når du er ferdig",
    "Velg «Innstillinger» og deretter «Sikkerhet»",
]


def _questions(rng: random.Random, count: int) -> list[str]:
    combinations = list(itertools.product(QUESTION_FORMS, TASKS, PLACES))
    chosen = rng.sample(combinations, count)
    return [form.format(task=task, where=where) for form, task, where in chosen]


def _answer(rng: random.Random, question: str) -> str:
    paragraphs = [
        " ".join(rng.sample(SENTENCES, rng.randint(2, 4))) for _ in range(rng.randint(2, 3))
    ]
    if "passord" in question:
        paragraphs[0] = f"{rng.choice(PASSWORD_SENTENCES)} {paragraphs[0]}"
    paragraphs[rng.randrange(len(paragraphs))] += " " + rng.choice(LINKS)
    if rng.random() < 0.4:
        steps = rng.sample(STEPS, 3)
        paragraphs.insert(1, "\n".join(f"{n}. {step}" for n, step in enumerate(steps, start=1)))
    paragraphs.append(rng.choice(LINKS))
    return "\n\n".join(paragraphs)


if __name__ == "__main__":
    sys.exit(main())
