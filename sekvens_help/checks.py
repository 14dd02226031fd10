"""System checks for a deployment that would run, but not as intended."""

import ipaddress

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def client_address_check(app_configs, **kwargs):
    """Behind a proxy on the same machine every request comes from loopback: without a header
    naming the client, every customer shares one rate limit and one login lockout."""
    if settings.DEBUG or settings.CLIENT_IP_HEADER:
        return []
    bind = settings.GUNICORN_BIND.rsplit(":", 1)[0].strip("[]")
    try:
        is_loopback = bind == "localhost" or ipaddress.ip_address(bind).is_loopback
    except ValueError:
        is_loopback = bind.startswith("unix:")
    if not is_loopback:
        return []
    return [
        Warning(
            f"The web server listens on {settings.GUNICORN_BIND}, so every request comes through "
            "a proxy on this machine, and no CLIENT_IP_HEADER names the client's address: all "
            "visitors share one rate limit and one login lockout.",
            hint="Set CLIENT_IP_HEADER=HTTP_X_REAL_IP and have the proxy set X-Real-IP.",
            id="sekvens.W001",
        )
    ]
