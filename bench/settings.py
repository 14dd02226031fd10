"""The project's settings with the benchmark's URLs, so the hello-world baseline runs through the
same gunicorn, settings and middleware as the help page."""

from sekvens_help.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
