"""manage.py in a process of its own, for tests of what a deployment's environment does."""

import os
import subprocess
import sys

from django.conf import settings


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run manage.py in a process of its own, with only `env`'s DJANGO_ variables."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=inherited | env,
        capture_output=True,
        text=True,
        timeout=60,
    )
