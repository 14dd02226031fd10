"""Gunicorn settings for production: `gunicorn` run from the repo root reads this file.

Every deploy-time value comes from an environment variable, as in sekvens_help/settings.py.
"""

import os

wsgi_app = "sekvens_help.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: the app does short, CPU-bound requests and keeps no connection open.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
worker_class = "sync"
# Off unless asked for ("-" is stdout); the proxy in front keeps the access log.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# Gunicorn 25+ otherwise opens ~/.gunicorn/gunicorn.ctl, one path shared by every instance the
# user runs, so a second server (a benchmark, a test) would take over the first one's socket.
control_socket_disable = True
