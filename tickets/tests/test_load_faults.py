"""The contact form and the mail worker under concurrent load and faults: bench/load_faults.py's
three scenarios, small. Each runs production gunicorn and, for mail, a real
`manage.py run_worker` on a database of its own: a scratch PostgreSQL database beside the one
DATABASE_URL names (never the test database pytest-django made), or SQLite in tmp_path."""

import os
from urllib.parse import urlsplit

import pytest

from bench.load_faults import load_run, smtp_down_run, worker_killed_run

SUBMISSIONS = 80
CLIENTS = 8
# Enough for the load to go on while one is killed and replaced.
WORKERS = 3


@pytest.fixture
def scenario(tmp_path) -> dict:
    """Where and how big each scenario runs: the database the suite runs on, a scratch one."""
    options = {
        "vendor": "sqlite",
        "work_dir": tmp_path,
        "submissions": SUBMISSIONS,
        "clients": CLIENTS,
        "workers": WORKERS,
    }
    if database_url := os.environ.get("DATABASE_URL"):
        # The server's maintenance database, from which the scenario creates and drops its own.
        server_url = urlsplit(database_url)._replace(path="/postgres").geturl()
        options |= {"vendor": "postgres", "postgres_url": server_url}
    return options


def test_concurrent_submissions_each_get_exactly_one_ticket(scenario):
    outcome = load_run(**scenario)

    assert outcome.problems == []
    assert outcome.statuses == {303: SUBMISSIONS}
    assert outcome.tickets == SUBMISSIONS


def test_worker_killed_midway_loses_no_answered_ticket_and_duplicates_none(scenario):
    outcome = worker_killed_run(**scenario)

    assert outcome.problems == []
    assert outcome.statuses.get(303, 0) + outcome.cut_off == SUBMISSIONS
    assert outcome.tickets <= SUBMISSIONS


def test_emails_queued_while_the_smtp_server_is_down_arrive_once_when_it_is_back(scenario):
    outcome = smtp_down_run(**scenario)

    assert outcome.problems == []
    assert outcome.emails == outcome.received == 2 * SUBMISSIONS
