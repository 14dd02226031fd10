"""Settings for Sekvens Hjelp. Every deploy-time value comes from an environment variable."""

import ipaddress
import logging
from datetime import time, timedelta
from pathlib import Path
from urllib.parse import unquote

import environs
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

# Every value is parsed strictly: "DJANGO_DEBUG=yes please" stops the start with a message that
# names the variable, and "true", "1", "yes" and "on" all mean yes.
env = environs.Env(eager=True)
VAR_DIR = env.path("SEKVENS_VAR_DIR", default=BASE_DIR / "var")

# Fail safe: with nothing set this is production. `make run`, the tests and the benchmarks ask for
# development themselves (DJANGO_DEBUG=1).
DEBUG = env.bool("DJANGO_DEBUG", default=False)
DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY or (not DEBUG and SECRET_KEY == DEV_SECRET_KEY):
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY when DJANGO_DEBUG=0.")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
# Origins (https://hjelp.sekvens.app) allowed to POST, when a proxy terminates TLS.
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# The admin's path: moving it off /admin/ keeps most login robots away.
ADMIN_URL = env.str("DJANGO_ADMIN_URL", default="admin/").strip("/") + "/"

# Production is HTTPS only; development runs on plain http://127.0.0.1, so these follow DEBUG.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Behind a proxy that terminates TLS, the header it sets to "https" (e.g. HTTP_X_FORWARDED_PROTO);
# only safe when the proxy always sets or strips that header, so clients cannot fake it.
if proxy_ssl_header := env.str("DJANGO_SECURE_PROXY_SSL_HEADER", default=""):
    SECURE_PROXY_SSL_HEADER = (proxy_ssl_header, "https")
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Asking browsers to build HTTPS-only into their lists is for the domain's owner to decide, and
# slow to undo: off until asked for (check --deploy warns with security.W021 meanwhile).
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Our pages and the admin load scripts and styles only from files under /static/, so no inline
# script or style is allowed, and no nonce: the help page is served from bytes rendered once per
# content version, which cannot carry a per-request nonce. The JSON-LD block is data, which
# script-src does not govern. Bootstrap draws form icons (the contact form's invalid-field mark)
# as data: SVG images, which an image cannot run script from. The same policy applies in
# development, so a violation shows there first.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

INSTALLED_APPS = [
    # First: its runserver serves ASGI, the live chat's websockets included (make run).
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: runserver leaves static files to whitenoise, as in production.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "markdownx",
    "adminsortable2",
    "simple_history",
    "django_tasks_db",
    "channels",
    # Providers' inbound webhooks, normalised to one message (sekvens_help/urls.py mounts one).
    "anymail",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The project's own checks, the cache table's migration and its templates.
    "sekvens_help",
    "faq",
    "tickets",
    "staffauth",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Between the two: the session's Vary: Cookie stays, LocaleMiddleware's Accept-Language goes.
    "sekvens_help.middleware.VaryDeclaredMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks request.user verified when the session holds a confirmed two-factor device...
    "django_otp.middleware.OTPMiddleware",
    # ...and with STAFF_REQUIRE_2FA, sends staff not yet verified to give a code first.
    "staffauth.middleware.StaffVerificationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sekvens_help.urls"
WSGI_APPLICATION = "sekvens_help.wsgi.application"
# The live chat's websockets (sekvens_help/asgi.py); the pages may stay on WSGI workers.
ASGI_APPLICATION = "sekvens_help.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DEFAULT_DATABASE = VAR_DIR / "db.sqlite3"
DATABASES = {"default": env.dj_db_url("DATABASE_URL", default=f"sqlite:///{DEFAULT_DATABASE}")}
if DATABASES["default"]["NAME"] == str(DEFAULT_DATABASE):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
# Keep connections between requests (seconds); a new connection per request costs more than a page.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# FULL makes SQLite sync the WAL at every commit, so a ticket whose reference a customer has seen
# survives a power cut; NORMAL is faster and may lose the last commits then (never corrupts).
SQLITE_SYNCHRONOUS = env.str(
    "SQLITE_SYNCHRONOUS", default="FULL", validate=environs.validate.OneOf(["FULL", "NORMAL"])
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # For every SQLite database, the default one or one named by DATABASE_URL: WAL lets readers
    # go on while one process writes; IMMEDIATE takes the write lock at the start of a
    # transaction, and the timeout makes concurrent writers wait for it instead of failing with
    # "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": f"PRAGMA journal_mode=WAL; PRAGMA synchronous={SQLITE_SYNCHRONOUS};",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        **DATABASES["default"].get("OPTIONS", {}),
    }

# Shared by every web process: the rate limits count here. Without Redis, in SQLite files of their
# own (diskcache): its increments are atomic across processes, and counting takes the lock of a
# cache file, never the main database's write lock, which ticket writes wait for. The database
# cache in the main database made every submission take that lock three times.
if redis_url := env.str("REDIS_URL", default=""):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
else:
    CACHES = {
        "default": {"BACKEND": "sekvens_help.caches.DiskCache", "LOCATION": str(VAR_DIR / "cache")}
    }
# The live chat's messages between processes: through Redis when there is one, so any web process
# can serve any chat; in this process's memory otherwise (one process: make run).
if redis_url:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [redis_url]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# django-ratelimit warns about every cache it does not list, diskcache too; its counts are exact.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
RATELIMIT_USE_CACHE = "default"
# Behind a proxy every request comes from the proxy: name the header it puts the client's
# address in (e.g. HTTP_X_REAL_IP), or the whole world shares one limit. The header is believed
# only from TRUSTED_PROXIES; for X-Forwarded-For, CLIENT_IP_PROXY_COUNT says how many proxies
# append to it. One function reads it for every rate limit and for django-axes.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="") or env.str(
    "RATELIMIT_IP_META_KEY", default=""
)
CLIENT_IP_PROXY_COUNT = env.int("CLIENT_IP_PROXY_COUNT", default=0)
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.0/8", "::1"])
for proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f'TRUSTED_PROXIES: "{proxy}" is no IP address or network (e.g. 10.0.0.0/8).'
        ) from None
RATELIMIT_IP_META_KEY = "sekvens_help.clients.client_ip"
# Where gunicorn listens (gunicorn.conf.py reads it too); a check warns about a proxy setup that
# hides the client's address.
GUNICORN_BIND = env.str("GUNICORN_BIND", default="127.0.0.1:8000")
# Tickets one address may send: "COUNT/PERIOD", PERIOD like 10m, 1h.
CONTACT_RATE_LIMIT = env.str("CONTACT_RATE_LIMIT", default="5/10m")
# Votes on FAQ answers one address may cast, and suggestion lookups while writing (one a pause
# in typing), per period.
VOTE_RATE_LIMIT = env.str("VOTE_RATE_LIMIT", default="30/10m")
SUGGEST_RATE_LIMIT = env.str("SUGGEST_RATE_LIMIT", default="60/m")
# The customer's ticket page: links that lead nowhere (wrong, forged, renewed, erased) one
# address may try per period, and replies it may send from ticket pages.
TICKET_PAGE_MISS_RATE_LIMIT = env.str("TICKET_PAGE_MISS_RATE_LIMIT", default="10/10m")
TICKET_PAGE_REPLY_RATE_LIMIT = env.str("TICKET_PAGE_REPLY_RATE_LIMIT", default="10/10m")
# The live chat: chats one address may start, messages one address may send (all its chats) and
# one chat may take from its customer, per period; the longest message, in characters; and how
# long an agent's desk may be silent before they no longer count as online.
CHAT_START_RATE_LIMIT = env.str("CHAT_START_RATE_LIMIT", default="5/10m")
CHAT_ADDRESS_RATE_LIMIT = env.str("CHAT_ADDRESS_RATE_LIMIT", default="60/m")
CHAT_MESSAGE_RATE_LIMIT = env.str("CHAT_MESSAGE_RATE_LIMIT", default="30/m")
CHAT_MESSAGE_MAX_CHARS = env.int("CHAT_MESSAGE_MAX_CHARS", default=2000)
CHAT_AGENT_SEEN_SECONDS = env.int("CHAT_AGENT_SEEN_SECONDS", default=90)
# Frames (messages, typing, hello, ping) one chat socket may send in 10 seconds before it is
# closed: far above what a person types, a cap on what a script costs the server.
CHAT_SOCKET_FRAME_LIMIT = env.int("CHAT_SOCKET_FRAME_LIMIT", default=60)
# An agent's desk socket checks again, on a ping at most this often, that its agent is still an
# active agent (deactivated or taken out of the group, the socket is closed). Each check reads the
# database; the desk pings every 30 s.
CHAT_DESK_RECHECK_SECONDS = env.int("CHAT_DESK_RECHECK_SECONDS", default=60)
# A live chat whose customer's page was not heard from (socket, heartbeat, message) for this
# long is ended by the worker as left by the customer; its ticket goes on by email. Keep it well
# over a minute: the page pings every 30 s and "last seen" is written once a minute at most.
CHAT_ABANDON_SECONDS = env.int("CHAT_ABANDON_SECONDS", default=600)
# A contact form post is a few kilobytes; refuse bodies far past that before parsing them.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=256 * 1024)

# Emails are written with the ticket and sent by the worker: manage.py run_worker.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env.str("EMAIL_HOST", default="localhost"),
            "port": env.int("EMAIL_PORT", default=25),
            "username": env.str("EMAIL_HOST_USER", default=""),
            "password": env.str("EMAIL_HOST_PASSWORD", default=""),
            # STARTTLS on the submission port (587), or TLS from the first byte (465).
            "use_tls": env.bool("EMAIL_USE_TLS", default=False),
            "use_ssl": env.bool("EMAIL_USE_SSL", default=False),
            "timeout": 10,
        },
    }
}
if MAILERS["default"]["OPTIONS"]["use_tls"] and MAILERS["default"]["OPTIONS"]["use_ssl"]:
    raise ImproperlyConfigured("Set EMAIL_USE_TLS or EMAIL_USE_SSL, not both.")
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Sekvens kundeservice <kundeservice@etn.no>"
)
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="kundeservice@etn.no")
# The Reply-To of our emails to customers, naming the ticket with a signature, so a reply lands
# in its thread whatever the client does to headers: {local} and {domain} of SUPPORT_EMAIL, and
# {token} (reference and signature). The mailbox must take plus addresses ("subaddressing").
REPLY_ADDRESS_FORMAT = env.str("REPLY_ADDRESS_FORMAT", default="{local}+{token}@{domain}")
# The portal's public address, for links in emails: customers must never get localhost links.
site_url = env.url("SITE_URL", default=None, schemes={"http", "https"}, require_tld=False)
if site_url is None and not DEBUG:
    raise ImproperlyConfigured("Set SITE_URL (e.g. https://hjelp.sekvens.app) when DJANGO_DEBUG=0.")
SITE_URL = site_url.geturl().rstrip("/") if site_url else "http://127.0.0.1:8000"
# Closed or resolved tickets older than this are anonymised by manage.py purge_tickets.
TICKET_RETENTION_DAYS = env.int("TICKET_RETENTION_DAYS", default=365)
# The agents' desk. Resolved tickets with no answer from the customer close after this many days.
TICKET_AUTOCLOSE_DAYS = env.int("TICKET_AUTOCLOSE_DAYS", default=7)
# A reply written on the desk waits this long in the outbox, with an "Angre" (undo) button.
REPLY_UNDO_SECONDS = env.int("REPLY_UNDO_SECONDS", default=30)

# A resolved ticket's customer is asked for a rating; the link works once, for this many days,
# and a ticket resolved again within them is not asked again.
RATING_LINK_DAYS = env.int("RATING_LINK_DAYS", default=14)
# Opening hours, in which response targets count: ISO weekdays (1 = Monday) and the hours, in the
# support team's time zone; Norwegian public holidays (the holidays package) are closed.
SUPPORT_WEEKDAYS = env.list("SUPPORT_WEEKDAYS", default=[1, 2, 3, 4, 5], subcast=int)
SUPPORT_OPENS = env.time("SUPPORT_OPENS", default=time(8))
SUPPORT_CLOSES = env.time("SUPPORT_CLOSES", default=time(16))
SUPPORT_TIME_ZONE = env.str("SUPPORT_TIME_ZONE", default="Europe/Oslo")
# Response targets per priority in business hours: the first response, and the resolution.
SLA_FIRST_RESPONSE_HOURS = env.dict(
    "SLA_FIRST_RESPONSE_HOURS",
    default={"urgent": 1.0, "high": 4.0, "normal": 8.0, "low": 16.0},
    subcast_values=float,
)
SLA_RESOLUTION_HOURS = env.dict(
    "SLA_RESOLUTION_HOURS",
    default={"urgent": 8.0, "high": 16.0, "normal": 40.0, "low": 80.0},
    subcast_values=float,
)
# Seconds the worker waits before sending a failed email again; doubled per failure, up to 1 h.
EMAIL_RETRY_SECONDS = env.int("EMAIL_RETRY_SECONDS", default=30)

# Email in, besides the mail server's pipe (manage.py receive_mail): an IMAP mailbox polled by
# manage.py fetch_mail and the worker, imaps://user:password@host:993/INBOX (user and password
# URL-encoded; imap:// is plain IMAP, upgraded with STARTTLS when the server offers it, and
# refused unless that or the host is loopback). Filed mail moves to INBOUND_IMAP_DONE_FOLDER,
# mail that can never be filed to INBOUND_IMAP_FAILED_FOLDER; both are made when missing.
# A mail past this many bytes is no customer's reply: the pipe refuses it (the mail server bounces
# it), the IMAP poller moves it to the failed folder.
INBOUND_MAX_BYTES = env.int("INBOUND_MAX_BYTES", default=25 * 1024 * 1024)
imap_url = env.url("INBOUND_IMAP_URL", default=None, schemes={"imap", "imaps"}, require_tld=False)
INBOUND_IMAP = None
if imap_url is not None:
    INBOUND_IMAP = {
        "host": imap_url.hostname or "",
        "port": imap_url.port or (993 if imap_url.scheme == "imaps" else 143),
        "ssl": imap_url.scheme == "imaps",
        "username": unquote(imap_url.username or ""),
        "password": unquote(imap_url.password or ""),
        "folder": unquote(imap_url.path.strip("/")) or "INBOX",
    }
    if not INBOUND_IMAP["host"] or not INBOUND_IMAP["username"]:
        raise ImproperlyConfigured(
            "INBOUND_IMAP_URL needs a user and a host: imaps://user:password@host/INBOX."
        )
INBOUND_IMAP_DONE_FOLDER = env.str("INBOUND_IMAP_DONE_FOLDER", default="Behandlet")
INBOUND_IMAP_FAILED_FOLDER = env.str("INBOUND_IMAP_FAILED_FOLDER", default="Feilet")
# Seconds between two polls of the mailbox by the worker.
INBOUND_POLL_SECONDS = env.int("INBOUND_POLL_SECONDS", default=60)
# A provider's inbound webhook (django-anymail), for the provider named here (mailgun, postmark,
# sendgrid, amazon_ses, ...), mounted at /epost/inn/<provider>/ only when ANYMAIL_WEBHOOK_SECRET
# ("user:password", the basic auth the provider is given) is set too. Mailgun's signature is also
# checked, with MAILGUN_WEBHOOK_SIGNING_KEY; Postmark's and SendGrid's sign nothing.
INBOUND_ESP = env.str("INBOUND_ESP", default="").strip().lower()
ANYMAIL = {
    "WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", default="") or None,
    "MAILGUN_WEBHOOK_SIGNING_KEY": env.str("MAILGUN_WEBHOOK_SIGNING_KEY", default="") or None,
}
ANYMAIL = {name: value for name, value in ANYMAIL.items() if value}

# Everything worth knowing goes to stderr, with its level and logger, where systemd's journal or
# the container's log collector picks it up: request errors (a 500's traceback), the email
# worker, and the app's own loggers.
LOG_LEVEL = env.log_level("LOG_LEVEL", default=logging.INFO)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "django.tasks": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
        "django_tasks_db": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
        **{
            app: {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False}
            for app in ["faq", "tickets", "sekvens_help"]
        },
    },
}
# Errors also go to Sentry when a DSN is given; events carry no personal data (no user, cookies,
# addresses or request bodies), and Sentry's own Django integration is switched on by the SDK.
if sentry_dsn := env.str("SENTRY_DSN", default=""):
    import sentry_sdk

    sentry_sdk.init(
        dsn=sentry_dsn,
        send_default_pii=False,
        environment=env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Admin logins: this many failures for one username from one address lock that pair out for
# LOGIN_LOCKOUT_MINUTES; the same username from another address can still log in, so one robot
# cannot lock the editors out. LOGIN_USERNAME_FAILURE_LIMIT failures from all addresses together
# lock the username out everywhere (see staffauth.lockout), to slow a guesser with many addresses.
# A superuser unlocks early under "Axes" in the admin.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], ["username"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/lockout.html"
# Failures are kept (until the cool-off ends); successful logins are not, being personal data
# that the admin's own history does not need.
AXES_DISABLE_ACCESS_LOG = True
AXES_CLIENT_IP_CALLABLE = "sekvens_help.clients.client_ip"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", _("Norwegian Bokmål")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# collectstatic writes hashed, compressed copies that whitenoise serves with year-long cache
# headers: on in production, off in development and the tests, where nothing is collected.
if env.bool("DJANGO_STATIC_MANIFEST", default=not DEBUG):
    STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"
# Bound to DJANGO_DEBUG as the settings load: pytest turns DEBUG off only afterwards, and every
# test client would then scan STATIC_ROOT, which nothing has collected into.
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")

# Files attached to tickets' messages (tickets/attachments.py). Never under MEDIA_ROOT and never
# behind a URL of their own: only the staff view and the customer's ticket page hand them out,
# through tickets.attachments.attachment_response. ATTACHMENTS_STORAGE=s3 keeps them in an
# S3-compatible bucket instead (django-storages), private, its keys from AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY (or the instance's role).
ATTACHMENTS_ROOT = env.path("ATTACHMENTS_ROOT", default=VAR_DIR / "attachments")
ATTACHMENTS_STORAGE = env.str("ATTACHMENTS_STORAGE", default="filesystem")
if ATTACHMENTS_STORAGE == "filesystem":
    STORAGES["attachments"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": ATTACHMENTS_ROOT,
            "file_permissions_mode": 0o640,
            "directory_permissions_mode": 0o750,
        },
    }
elif ATTACHMENTS_STORAGE == "s3":
    STORAGES["attachments"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "location": env.str("AWS_LOCATION", default=""),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    raise ImproperlyConfigured(
        f'ATTACHMENTS_STORAGE: "{ATTACHMENTS_STORAGE}" is neither "filesystem" nor "s3".'
    )
# What may be attached, sniffed from the content (filetype), never taken from a name or a
# browser: photos and PDF. HEIC is taken but not decoded (Pillow cannot), so it has no thumbnail.
ATTACHMENT_TYPES = env.list(
    "ATTACHMENT_TYPES",
    default=["image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "application/pdf"],
)
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_MAX_COUNT = env.int("ATTACHMENT_MAX_COUNT", default=5)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The help page served at "/" is the imported CMS page with this slug (the file's stem).
HELP_PAGE_SLUG = env.str("HELP_PAGE_SLUG", default="hjelp-og-support")
# How long browsers and proxies may serve the anonymous help page without asking (seconds), and
# for how long after that they may serve it while they ask: an editor's change shows within
# HELP_PAGE_MAX_AGE (a proxy asks once, in the background, during the next window).
HELP_PAGE_MAX_AGE = env.int("HELP_PAGE_MAX_AGE", default=60)
HELP_PAGE_STALE_WHILE_REVALIDATE = env.int("HELP_PAGE_STALE_WHILE_REVALIDATE", default=600)
# How long each process keeps the page's row (its content version) before reading it again, so
# a warm / costs no query: a change made in another process (worker) is served after at most
# this long. The Cache-Control max-age sent is HELP_PAGE_MAX_AGE less this, so an editor's change
# still shows everywhere within HELP_PAGE_MAX_AGE. 0 reads the row on every request.
HELP_PAGE_VERSION_SECONDS = env.float(
    "HELP_PAGE_VERSION_SECONDS", default=1.0, validate=environs.validate.Range(min=0)
)
# Where the importer looks for images a page references as /images/NAME.
HELP_PAGE_IMAGES_DIR = BASE_DIR / "fixtures" / "images"
# Largest image an editor may upload into an answer, in bytes.
FAQ_IMAGE_MAX_BYTES = env.int("FAQ_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)

# The Markdown editor previews through the same renderer and sanitiser the public page uses,
# and uploads go through our own staff-only view that checks the file with Pillow.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "faq.models.markdown_render"
MARKDOWNX_URLS_PATH = f"/{ADMIN_URL}faq/faqentry/markdownx/markdownify/"
MARKDOWNX_UPLOAD_URLS_PATH = f"/{ADMIN_URL}faq/faqentry/markdownx/upload/"
MARKDOWNX_MEDIA_PATH = "faq/uploads/"
MARKDOWNX_UPLOAD_MAX_SIZE = FAQ_IMAGE_MAX_BYTES
MARKDOWNX_UPLOAD_CONTENT_TYPES = ["image/jpeg", "image/png", "image/webp"]
MARKDOWNX_IMAGE_MAX_SIZE = {"size": (1600, 1600), "quality": 85}

# Editors' images and the suggestion statistics.
# Largest image, in pixels, an editor may upload or the importer takes; checked from the image's
# header before it is decoded (a 40-megapixel RGBA picture takes 160 MB to decode).
FAQ_IMAGE_MAX_PIXELS = env.int("FAQ_IMAGE_MAX_PIXELS", default=40_000_000)
# The record of FAQ suggestions shown is deleted after this many days by manage.py
# purge_suggestions.
SUGGESTION_RETENTION_DAYS = env.int("SUGGESTION_RETENTION_DAYS", default=365)
# The editors' review queue ("Til gjennomgang") flags an entry whose helpful share (percent) is
# below FAQ_REVIEW_HELPFUL_SHARE once it has FAQ_REVIEW_MIN_VOTES votes, and one not changed for
# FAQ_REVIEW_STALE_DAYS days.
FAQ_REVIEW_HELPFUL_SHARE = env.int("FAQ_REVIEW_HELPFUL_SHARE", default=50)
FAQ_REVIEW_MIN_VOTES = env.int("FAQ_REVIEW_MIN_VOTES", default=10)
FAQ_REVIEW_STALE_DAYS = env.int("FAQ_REVIEW_STALE_DAYS", default=365)
# The search log's counts per query and day (faq.search_log) are deleted after this many days by
# manage.py purge_search_log; an address may add at most SEARCH_LOG_RATE_LIMIT of them.
SEARCH_LOG_RETENTION_DAYS = env.int("SEARCH_LOG_RETENTION_DAYS", default=365)
SEARCH_LOG_RATE_LIMIT = env.str("SEARCH_LOG_RATE_LIMIT", default="60/m")

# The contact form's daily limits, and the email worker's.
# Confirmations one address may be sent in 24 hours, and form tickets everyone may send in 24
# hours; past either the form answers 429.
CONFIRMATION_DAILY_LIMIT = env.int("CONFIRMATION_DAILY_LIMIT", default=5)
CONTACT_DAILY_CAP = env.int("CONTACT_DAILY_CAP", default=2000)
# An email claimed by a worker this many seconds ago and still unsent lost its worker (killed
# mid-send): it is taken again. Far over the SMTP timeout (10 s a step), so a slow send is never
# sent twice.
EMAIL_TASK_STALE_SECONDS = env.int("EMAIL_TASK_STALE_SECONDS", default=300)
# An email still unsent this many hours after it was written is marked failed, not retried.
EMAIL_MAX_AGE_HOURS = env.int("EMAIL_MAX_AGE_HOURS", default=72)
# Finished task rows older than this are deleted by the worker (prune_db_task_results), hourly.
TASK_RESULT_RETENTION_DAYS = env.int("TASK_RESULT_RETENTION_DAYS", default=7)

# Staff logins: two factors, a working day's session.
# Staff confirm a password login with a code from an authenticator app (or a recovery code);
# on by default in production, off in development and the tests, which turn it on themselves.
STAFF_REQUIRE_2FA = env.bool("STAFF_REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = "Sekvens Hjelp"
# The device pages in the admin show no secret key or QR code: only setup shows them, once.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Only staff log in, so every session is a staff one: it lasts a working day.
STAFF_SESSION_HOURS = env.int("STAFF_SESSION_HOURS", default=10)
SESSION_COOKIE_AGE = STAFF_SESSION_HOURS * 3600
# Browsers keep a __Host- cookie only if it is Secure, has Path=/ and no Domain (Django's
# defaults), so neither plain http nor another subdomain can set or replace it.
if not DEBUG:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
LOGIN_USERNAME_FAILURE_LIMIT = env.int("LOGIN_USERNAME_FAILURE_LIMIT", default=20)
AXES_HANDLER = "staffauth.lockout.LoginLockoutHandler"
