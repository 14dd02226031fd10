"""The project's ASGI application with the chat benchmark's baseline: an echo socket through the
same origin check and session middleware as the chat's, doing nothing else."""

from channels.auth import AuthMiddlewareStack
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from sekvens_help.asgi import django_application
from tickets.routing import websocket_urlpatterns


class Echo(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data)


application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(
                URLRouter([path("ws/bench/echo/", Echo.as_asgi()), *websocket_urlpatterns])
            )
        ),
    }
)
