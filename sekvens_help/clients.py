"""The client's address, read once for every rate limit and for django-axes."""

import ipaddress
import logging
from functools import cache

from django.conf import settings
from ipware import get_client_ip

logger = logging.getLogger(__name__)
# What a request with no usable address at all counts as: one shared bucket, never a 500.
UNKNOWN_ADDRESS = "0.0.0.0"


def client_ip(request) -> str:
    """The visitor's address: from CLIENT_IP_HEADER when a trusted proxy sent the request,
    otherwise REMOTE_ADDR. A missing, chained past the configured count, or garbled header falls
    back to REMOTE_ADDR; an unusable REMOTE_ADDR (a Unix socket) to UNKNOWN_ADDRESS."""
    remote = _valid(request.META.get("REMOTE_ADDR", ""))
    header = settings.CLIENT_IP_HEADER
    count = settings.CLIENT_IP_PROXY_COUNT
    # The client and then one address per proxy that appends to the header: a longer chain holds
    # addresses the client made up, a shorter one did not come through our proxies.
    hops = request.META.get(header, "").count(",") + 1 if header else 0
    if hops == count + 1 and remote and _is_trusted_proxy(remote):
        # ipware checks every address in the header; anything it cannot vouch for is None.
        address, _ = get_client_ip(
            request,
            request_header_order=[header],
            proxy_count=count or None,
            proxy_order="right-most" if count else "left-most",
        )
        if address := _valid(address or ""):
            return address
    return remote or UNKNOWN_ADDRESS


def _valid(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return ""


def _is_trusted_proxy(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in _trusted_networks(tuple(settings.TRUSTED_PROXIES)))


@cache
def _trusted_networks(proxies: tuple[str, ...]) -> list:
    return [ipaddress.ip_network(proxy, strict=False) for proxy in proxies]
