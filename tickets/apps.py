from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Support tickets")

    def ready(self):
        from tickets import blocks, signals

        blocks.register()
        signals.register()
