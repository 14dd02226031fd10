"""What the benchmarks share: the environment, production gunicorn, wrk runs and their rounds;
for the in-process ones (Django's test client over a million raw-inserted rows), their set-up.

Each benchmark runs against its own SQLite database and keeps its traffic on loopback.
"""

import os
import re
import runpy
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
HOST = "127.0.0.1"

WRK_THREADS = 1  # two shared cores: the load generator must leave the server most of them
WRK_CONNECTIONS = 10
# Settings the bench must not inherit: a DATABASE_URL would point the server at a real database.
ENV_DROPPED = [
    "DATABASE_URL",
    "DJANGO_MEDIA_ROOT",
    "HELP_PAGE_SLUG",
    "GUNICORN_CMD_ARGS",
    "GUNICORN_ACCESS_LOG",
]


class BenchError(Exception):
    """The benchmark could not run or a response was wrong; the message says which step."""


@dataclass
class Run:
    rate: float
    requests: int
    non_2xx: int
    socket_errors: str | None
    # What wrk printed, for a script's own lines from its done() hook.
    output: str = field(default="", repr=False)


def environment_set(
    var_dir: Path, port: int, *, dropped: tuple[str, ...] = (), **values: str
) -> None:
    for name in [*ENV_DROPPED, *dropped]:
        os.environ.pop(name, None)
    os.environ.update(environment(var_dir, port, dropped=dropped, **values))


def environment(
    var_dir: Path, port: int, *, dropped: tuple[str, ...] = (), **values: str
) -> dict[str, str]:
    """What environment_set puts in place, as a new mapping for child processes: this process's
    own environment (a test's, say) stays as it is."""
    inherited = {k: v for k, v in os.environ.items() if k not in {*ENV_DROPPED, *dropped}}
    return dict(
        inherited,
        DJANGO_SETTINGS_MODULE="bench.settings",
        SEKVENS_VAR_DIR=str(var_dir),
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        # Plain HTTP on loopback, where production has a TLS proxy in front: no redirect to
        # https, and static URLs without the manifest (the pages measured are HTML only).
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_STATIC_MANIFEST="0",
        GUNICORN_BIND=f"{HOST}:{port}",
        SITE_URL=f"http://{HOST}:{port}",
        **values,
    )


def manage(*args: str, env: dict[str, str] | None = None) -> str:
    """Run manage.py in this process's environment, or in `env`; returns what it printed."""
    try:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=150,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"manage.py {args[0]} did not finish") from error
    if done.returncode != 0:
        raise BenchError(f"manage.py {args[0]} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def server_start(log_path: Path) -> tuple[subprocess.Popen, int]:
    """Production gunicorn with the repo's gunicorn.conf.py; returns it and its worker count."""
    workers = runpy.run_path(str(GUNICORN_CONF))["workers"]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return server, workers


def server_wait(server: subprocess.Popen, port: int, workers: int, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"gunicorn exited with status {server.returncode}")
        booted = log_path.read_bytes().count(b"Booting worker")
        if booted >= workers:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                return
            except OSError:
                pass
        time.sleep(0.2)
    raise BenchError("gunicorn did not start its workers within 30 s")


def server_stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=5)


def wrk_run(
    wrk: str,
    port: int,
    url: str,
    seconds: int,
    *,
    headers: tuple[str, ...] = (),
    script: Path | None = None,
    script_args: tuple[str, ...] = (),
    answers_checked: bool = True,
) -> Run:
    """One wrk run; a socket error, an empty run or (unless the caller checks the answers
    itself) any 4xx or 5xx answer raises BenchError."""
    command = [
        wrk,
        f"--threads={WRK_THREADS}",
        f"--connections={WRK_CONNECTIONS}",
        f"--duration={seconds}s",
        "--timeout=10s",
        *(f"--header={header}" for header in headers),
        *([f"--script={script}"] if script else []),
        f"http://{HOST}:{port}{url}",
        *(["--", *script_args] if script_args else []),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk on {url} did not finish") from error
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", done.stdout, re.M)
    requests = re.search(r"^\s*(\d+) requests in", done.stdout, re.M)
    if done.returncode != 0 or not rate or not requests:
        raise BenchError(f"wrk on {url} failed:\n{done.stdout}{done.stderr}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", done.stdout)
    errors = re.search(r"Socket errors: (.*)", done.stdout)
    run = Run(
        float(rate[1]),
        int(requests[1]),
        int(non_2xx[1]) if non_2xx else 0,
        errors and errors[1],
        done.stdout,
    )
    if (run.non_2xx and answers_checked) or run.socket_errors or not run.requests:
        raise BenchError(
            f"wrk on {url}: {run.requests} requests, {run.non_2xx} not 2xx, "
            f"socket errors: {run.socket_errors or 'none'}"
        )
    return run


def wrk_version(wrk: str) -> str:
    done = subprocess.run([wrk, "--version"], capture_output=True, text=True, timeout=10)
    return " ".join((done.stdout or done.stderr).split()[:2]) or "wrk"


def rounds_alternate(
    urls: list[str], rounds: int, measure: Callable[[str], Run]
) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {url: [] for url in urls}
    for round_number in range(rounds):
        # Alternating order, so a URL is not always measured right after the same other one.
        for url in urls if round_number % 2 == 0 else urls[::-1]:
            runs[url].append(measure(url))
    return runs


def per_round_ratio(runs: list[Run], baselines: list[Run]) -> float:
    """The rate over the baseline's in the same round, median of the rounds: drift cancels."""
    pairs = zip(runs, baselines, strict=True)
    return statistics.median(run.rate / baseline.rate for run, baseline in pairs)


def in_process_environment_set(var_dir: Path, **values: str) -> None:
    """For a benchmark that requests its pages through Django's test client in this process,
    as a logged-in superuser: production settings on its own database, no HTTP."""
    for name in [*ENV_DROPPED, "REDIS_URL"]:
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        SEKVENS_VAR_DIR=str(var_dir),
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="testserver",
        SITE_URL="http://testserver",
        # The measured superuser logs in through the test client, without a second factor.
        STAFF_REQUIRE_2FA="0",
        **values,
    )


def database_recreate(var_dir: Path) -> None:
    """An empty, migrated SQLite database in place of the one an earlier run left."""
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    for path in var_dir.glob("db.sqlite3*"):
        path.unlink()
    call_command("migrate", verbosity=0)


def users_create(superuser: str, agents: list[str], *, agent_domain: str, named: bool) -> None:
    """The superuser the pages are requested as, and staff to assign tickets to (`named`: with
    a first name taken from the username, "kari.agent" -> "Kari")."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    user_model.objects.create_superuser(superuser, f"{superuser}@example.no", None)
    for username in agents:
        first_name = username.split(".")[0].capitalize() if named else ""
        user_model.objects.create_user(
            username, f"{username}@{agent_domain}", None, first_name=first_name, is_staff=True
        )


def insert_sql(model, columns: list[str]) -> str:
    names = ", ".join(f'"{model._meta.get_field(c).column}"' for c in columns)
    return (
        f'INSERT INTO "{model._meta.db_table}" ({names}) '
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )


@contextmanager
def bulk_insert_cursor() -> Iterator:
    """A cursor for raw executemany batches in one transaction: a million rows through the ORM
    take many minutes."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        # A copy under construction needs no crash safety: a run that dies builds it again.
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-500000")
        with transaction.atomic():
            yield cursor
    # The pages are measured on a connection with the settings' own pragmas.
    connection.close()


def reference_draw(taken: set[str]) -> str:
    # A million draws out of 34 billion repeat a dozen times or so; the app draws again too.
    from tickets.references import reference_new

    while (reference := reference_new()) in taken:
        pass
    taken.add(reference)
    return reference


def tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def say(text: str = "") -> None:
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()
