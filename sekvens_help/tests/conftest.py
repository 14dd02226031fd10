import secrets

import pytest


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "hjelp.example.no",
        "SITE_URL": "https://hjelp.example.no",
        # Behind the README's nginx, which names the client in X-Real-IP.
        "CLIENT_IP_HEADER": "HTTP_X_REAL_IP",
        # Off by default (see settings); on here, so the check has nothing left to report.
        "DJANGO_SECURE_HSTS_PRELOAD": "1",
        "SEKVENS_VAR_DIR": str(tmp_path),
    }
