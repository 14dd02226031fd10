"""A real `manage.py run_worker` process SIGKILLed while the SMTP server holds its DATA: the email
still arrives after a restart. Both processes share a database of their own (bench.load_faults's
scratch PostgreSQL database beside DATABASE_URL's, or SQLite in tmp_path), not the test's."""

import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest

from bench.common import ROOT, environment, free_port, manage
from bench.load_faults import Database

STALE_SECONDS = 2
DEADLINE_SECONDS = 60


@pytest.fixture
def database(tmp_path):
    if database_url := os.environ.get("DATABASE_URL"):
        server_url = urlsplit(database_url)._replace(path="/postgres").geturl()
        scratch = Database("postgres", tmp_path, server_url)
    else:
        scratch = Database("sqlite", tmp_path, "")
    scratch.create()
    yield scratch
    scratch.drop()


def worker_start(env, log_path) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "run_worker",
                "--interval",
                "0.2",
                "--upkeep-every",
                "0.5",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def test_email_of_a_worker_killed_mid_send_arrives_after_a_restart(database, smtp_server, tmp_path):
    env = environment(
        tmp_path,
        free_port(),
        dropped=("REDIS_URL",),
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_server.port),
        EMAIL_TASK_STALE_SECONDS=str(STALE_SECONDS),
        **database.variables(),
    )
    manage("migrate", "--noinput", env=env)
    manage(
        "shell",
        "-c",
        "from tickets.services import ticket_create;"
        " ticket_create(name='Kari', email='kari@example.no', message='Hei!')",
        env=env,
    )
    smtp_server.stalling = True
    log_path = tmp_path / "worker.log"
    first = worker_start(env, log_path)
    try:
        assert smtp_server.stalled.wait(timeout=DEADLINE_SECONDS), log_path.read_text()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # Both emails taken in one claim, the first held in DATA when the worker died.
    claimed = database.rows(
        "SELECT COUNT(*) FROM tickets_outboundemail"
        " WHERE claimed_at IS NOT NULL AND sent_at IS NULL"
    )
    smtp_server.stalling = False

    second = worker_start(env, log_path)
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline and any(
            sent is False for *_, sent, _ in database.emails()
        ):
            time.sleep(0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)

    assert claimed == [(2,)]
    assert all(sent for *_, sent, _ in database.emails()), log_path.read_text()
    assert sorted(to for (to,) in smtp_server.recipients) == [
        "kari@example.no",
        "kundeservice@etn.no",
    ]
