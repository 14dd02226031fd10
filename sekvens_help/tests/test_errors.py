import logging

import pytest
from django.test import Client

from sekvens_help.tests.processes import manage


@pytest.fixture
def failing_site(settings):
    settings.ROOT_URLCONF = "sekvens_help.tests.error_urls"
    return Client(raise_request_exception=False)


# No database mark: any query while the page is made would fail the test.
def test_server_error_shows_a_norwegian_page_without_touching_the_database(failing_site):
    response = failing_site.get("/feil/")

    assert response.status_code == 500
    assert "<h1>Noe gikk galt</h1>" in response.text
    assert "A bug in a view" not in response.text


def test_server_error_is_logged_with_its_traceback(failing_site, caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        failing_site.get("/feil/")

    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelname == "ERROR"
    assert record.exc_info[0] is RuntimeError


@pytest.mark.parametrize("logger", ["tickets.tasks", "faq.cms", "django_tasks_db"])
def test_app_and_worker_loggers_write_level_and_name_to_stderr(production_env, logger):
    code = f"import logging; logging.getLogger({logger!r}).info('sent 3 emails')"

    result = manage("shell", "--no-imports", "-c", code, env=production_env)

    assert result.returncode == 0
    assert f"INFO {logger}: sent 3 emails" in result.stderr


def test_sentry_gets_errors_without_personal_data(production_env):
    # A DSN pointing nowhere reachable: init must accept it and keep personal data out.
    production_env["SENTRY_DSN"] = "https://public@127.0.0.1:9/1"
    code = (
        "import sentry_sdk; o = sentry_sdk.get_client().options; "
        "print(o['send_default_pii'], bool(o['dsn']))"
    )

    result = manage("shell", "--no-imports", "-c", code, env=production_env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["False", "True"]
