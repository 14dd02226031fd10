from django.urls import path

from tickets import consumers

websocket_urlpatterns = [
    path("ws/chat/<str:token>/", consumers.CustomerChatConsumer.as_asgi()),
    path("ws/desk/", consumers.AgentDeskConsumer.as_asgi()),
]
