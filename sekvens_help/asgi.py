"""The ASGI application: the pages through Django, the live chat's websockets through Channels
(tickets/routing.py). Served by `manage.py runserver` (daphne) locally, by daphne for /ws/ in
production (README)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sekvens_help.settings")
# Django first: the routing imports models, which need the apps loaded.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from tickets.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # A socket opened by a page of another site is refused (its Origin is not ours); agents
        # are known by their admin session.
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
