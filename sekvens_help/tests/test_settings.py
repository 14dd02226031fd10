"""The settings as a deployment gets them: each case starts manage.py with its own environment."""

import sqlite3

import pytest

from sekvens_help.tests.processes import manage

SETTINGS_PRINT = (
    "from django.conf import settings as s; o = s.MAILERS['default']['OPTIONS']; "
    "print(s.DEBUG, s.SECRET_KEY == s.DEV_SECRET_KEY, s.SECURE_SSL_REDIRECT, o['use_tls'], "
    "o['use_ssl'], s.SITE_URL)"
)


def settings_read(env: dict[str, str]) -> list[str]:
    result = manage("shell", "--no-imports", "-c", SETTINGS_PRINT, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_nothing_set_means_production_and_start_is_refused(tmp_path):
    result = manage("check", env={"SEKVENS_VAR_DIR": str(tmp_path)})

    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY when DJANGO_DEBUG=0." in result.stderr


def test_production_settings_turn_debug_off_and_https_on(production_env):
    del production_env["DJANGO_DEBUG"]

    debug, dev_key, ssl_redirect, *_ = settings_read(production_env)

    assert (debug, dev_key, ssl_redirect) == ("False", "False", "True")


@pytest.mark.parametrize("value", ["1", "true", "True", "yes", "on"])
def test_debug_accepts_the_usual_words_for_yes(tmp_path, value):
    debug, dev_key, *_ = settings_read({"DJANGO_DEBUG": value, "SEKVENS_VAR_DIR": str(tmp_path)})

    assert (debug, dev_key) == ("True", "True")


@pytest.mark.parametrize(
    "variable, value",
    [("DJANGO_DEBUG", "yes please"), ("EMAIL_USE_TLS", "maybe"), ("EMAIL_PORT", "twenty-five")],
)
def test_unknown_value_stops_the_start_naming_the_variable(production_env, variable, value):
    production_env[variable] = value

    result = manage("check", env=production_env)

    assert result.returncode != 0
    assert f'Environment variable "{variable}" invalid' in result.stderr


def test_email_use_tls_true_means_starttls(production_env):
    production_env["EMAIL_USE_TLS"] = "true"

    *_, use_tls, use_ssl, _ = settings_read(production_env)

    assert (use_tls, use_ssl) == ("True", "False")


def test_email_use_ssl_means_tls_from_the_first_byte(production_env):
    production_env["EMAIL_USE_SSL"] = "1"

    *_, use_tls, use_ssl, _ = settings_read(production_env)

    assert (use_tls, use_ssl) == ("False", "True")


def test_email_tls_and_ssl_together_are_refused(production_env):
    production_env |= {"EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"}

    result = manage("check", env=production_env)

    assert result.returncode != 0
    assert "Set EMAIL_USE_TLS or EMAIL_USE_SSL, not both." in result.stderr


def test_production_refuses_to_start_without_the_site_url(production_env):
    del production_env["SITE_URL"]

    result = manage("check", env=production_env)

    assert result.returncode != 0
    assert "Set SITE_URL (e.g. https://hjelp.sekvens.app) when DJANGO_DEBUG=0." in result.stderr


def test_site_url_that_is_no_web_address_is_refused(production_env):
    production_env["SITE_URL"] = "ftp://hjelp.example.no"

    result = manage("check", env=production_env)

    assert result.returncode != 0
    assert 'Environment variable "SITE_URL" invalid' in result.stderr


def test_migrate_alone_gives_a_working_cache(production_env, tmp_path):
    production_env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    assert manage("migrate", "--noinput", env=production_env).returncode == 0

    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.core.cache import cache; cache.set('k', 'v'); print(cache.get('k'))",
        env=production_env,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "v"


PRAGMAS_PRINT = (
    "from django.db import connection; c = connection.cursor(); "
    "print(c.execute('PRAGMA journal_mode').fetchone()[0], "
    "c.execute('PRAGMA synchronous').fetchone()[0], "
    "connection.settings_dict['OPTIONS']['transaction_mode'])"
)
SYNCHRONOUS_LEVELS = {"1": "NORMAL", "2": "FULL"}


@pytest.mark.parametrize("synchronous", [None, "NORMAL"], ids=["default", "knob"])
def test_sqlite_named_by_database_url_gets_wal_immediate_and_full_sync(
    production_env, tmp_path, synchronous
):
    production_env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'named.sqlite3'}"
    if synchronous:
        production_env["SQLITE_SYNCHRONOUS"] = synchronous

    result = manage("shell", "--no-imports", "-c", PRAGMAS_PRINT, env=production_env)

    assert result.returncode == 0, result.stderr
    journal, level, transaction_mode = result.stdout.split()[-3:]
    assert (journal, SYNCHRONOUS_LEVELS[level], transaction_mode) == (
        "wal",
        synchronous or "FULL",
        "IMMEDIATE",
    )


def test_backup_recipe_from_the_readme_copies_a_live_database(production_env, tmp_path):
    # The README's recipe: SQLite's online backup, safe while the site writes (WAL).
    production_env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    assert manage("migrate", "--noinput", env=production_env).returncode == 0
    backup = tmp_path / "backup.sqlite3"

    result = manage("backup_database", str(backup), env=production_env)

    assert result.returncode == 0, result.stderr
    with sqlite3.connect(backup) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT count(*) FROM django_migrations").fetchone()[0] > 10


def test_trusted_proxy_that_is_no_address_stops_the_start(production_env):
    production_env["TRUSTED_PROXIES"] = "127.0.0.1,proxy.example.no"

    result = manage("check", env=production_env)

    assert result.returncode != 0
    assert 'TRUSTED_PROXIES: "proxy.example.no" is no IP address or network' in result.stderr


ATTACHMENTS_PRINT = (
    "from django.core.files.storage import storages; from django.conf import settings as s; "
    "a = storages['attachments']; print(type(a).__name__, a.location, s.MEDIA_ROOT, "
    "getattr(a, 'bucket_name', '-'), getattr(a, 'endpoint_url', '-'), "
    "getattr(a, 'default_acl', '-'))"
)


def test_attachments_are_kept_beside_the_media_not_in_them(production_env, tmp_path):
    result = manage("shell", "--no-imports", "-c", ATTACHMENTS_PRINT, env=production_env)

    backend, location, media_root, *_ = result.stdout.split()
    assert (backend, location, media_root) == (
        "FileSystemStorage",
        str(tmp_path / "attachments"),
        str(tmp_path / "media"),
    )


def test_attachments_storage_s3_keeps_them_in_a_private_bucket(production_env):
    production_env |= {
        "ATTACHMENTS_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": "sekvens-vedlegg",
        "AWS_S3_ENDPOINT_URL": "https://s3.example.no",
        "AWS_LOCATION": "hjelp",
    }

    result = manage("shell", "--no-imports", "-c", ATTACHMENTS_PRINT, env=production_env)

    assert result.returncode == 0, result.stderr
    backend, location, _media, bucket, endpoint, acl = result.stdout.split()
    assert (backend, location, bucket, endpoint, acl) == (
        "S3Storage",
        "hjelp",
        "sekvens-vedlegg",
        "https://s3.example.no",
        "private",
    )


def test_attachments_storage_s3_without_a_bucket_stops_the_start(production_env):
    production_env["ATTACHMENTS_STORAGE"] = "s3"

    result = manage("check", env=production_env)

    assert result.returncode != 0
    assert 'Environment variable "AWS_STORAGE_BUCKET_NAME" not set' in result.stderr


def test_unknown_attachments_storage_stops_the_start(production_env):
    production_env["ATTACHMENTS_STORAGE"] = "ftp"

    result = manage("check", env=production_env)

    assert result.returncode != 0
    assert 'ATTACHMENTS_STORAGE: "ftp" is neither "filesystem" nor "s3".' in result.stderr


def test_imap_url_gives_the_mailbox_with_user_and_password_decoded(production_env):
    production_env["INBOUND_IMAP_URL"] = (
        "imaps://kunde%40etn.no:p%2Fw%3A%40x@imap.etn.no/Inn%20boks"
    )

    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.INBOUND_IMAP)",
        env=production_env,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(
        {
            "host": "imap.etn.no",
            "port": 993,
            "ssl": True,
            "username": "kunde@etn.no",
            "password": "p/w:@x",
            "folder": "Inn boks",
        }
    )


def test_imap_url_of_another_scheme_stops_the_start(production_env):
    production_env["INBOUND_IMAP_URL"] = "pop3://kunde:x@mail.etn.no/"

    result = manage("check", env=production_env)

    assert result.returncode != 0
    assert 'Environment variable "INBOUND_IMAP_URL" invalid' in result.stderr
