from django.apps import AppConfig


class SekvensHelpConfig(AppConfig):
    """The project itself as an app: its system checks and the cache table's migration."""

    name = "sekvens_help"
    verbose_name = "Sekvens Hjelp"

    def ready(self):
        from sekvens_help import checks  # noqa: F401 (registers the checks)
