"""Settings for Sekvens Hjelp. Every deploy-time value comes from an environment variable."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SEKVENS_VAR_DIR", BASE_DIR / "var"))

DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY when DJANGO_DEBUG=0.")

ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
# Origins (https://hjelp.sekvens.app) allowed to POST, when a proxy terminates TLS.
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]
# The admin's path: moving it off /admin/ keeps most login robots away.
ADMIN_URL = os.environ.get("DJANGO_ADMIN_URL", "admin/").strip("/") + "/"

# Production is HTTPS only; development runs on plain http://127.0.0.1, so these follow DEBUG.
SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "0" if DEBUG else "1") == "1"
# Behind a proxy that terminates TLS, the header it sets to "https" (e.g. HTTP_X_FORWARDED_PROTO);
# only safe when the proxy always sets or strips that header, so clients cannot fake it.
if proxy_ssl_header := os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (proxy_ssl_header, "https")
SECURE_HSTS_SECONDS = int(
    os.environ.get("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
# Asking browsers to build HTTPS-only into their lists is for the domain's owner to decide, and
# slow to undo: off until asked for (check --deploy warns with security.W021 meanwhile).
SECURE_HSTS_PRELOAD = os.environ.get("DJANGO_SECURE_HSTS_PRELOAD", "0") == "1"
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
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: runserver leaves static files to whitenoise, as in production.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "bootstrap",
    "crispy_forms",
    "crispy_bootstrap5",
    "markdownx",
    "adminsortable2",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "faq",
    "tickets",
    "staffauth",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
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

if database_url := os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(database_url)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            # WAL lets readers go on while one process writes; IMMEDIATE takes the write lock at
            # the start of a transaction, and the timeout makes concurrent writers wait for it
            # instead of failing with "database is locked".
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
# Keep connections between requests (seconds); a new connection per request costs more than a page.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DJANGO_CONN_MAX_AGE", 60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared by every web process: the rate limit counts here.
if redis_url := os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "sekvens_cache",
        }
    }
# django-ratelimit flags the database cache because its increment is not atomic: under a burst from
# one address a submission or two past the limit may get through. Redis (REDIS_URL) is exact.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
RATELIMIT_USE_CACHE = "default"
# Behind a proxy every request comes from the proxy: name the header it puts the client's
# address in (e.g. HTTP_X_REAL_IP), or the whole world shares one limit.
RATELIMIT_IP_META_KEY = os.environ.get("RATELIMIT_IP_META_KEY") or None
# Tickets one address may send: "COUNT/PERIOD", PERIOD like 10m, 1h.
CONTACT_RATE_LIMIT = os.environ.get("CONTACT_RATE_LIMIT", "5/10m")
# A contact form post is a few kilobytes; refuse bodies far past that before parsing them.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", 256 * 1024))

# Emails are written with the ticket and sent by the worker: manage.py db_worker.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": int(os.environ.get("EMAIL_PORT", 25)),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": os.environ.get("EMAIL_USE_TLS", "0") == "1",
            "timeout": 10,
        },
    }
}
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Sekvens kundeservice <kundeservice@etn.no>"
)
SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL", "kundeservice@etn.no")
# The portal's public address, for links in emails.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Closed tickets older than this are anonymised by manage.py purge_tickets.
TICKET_RETENTION_DAYS = int(os.environ.get("TICKET_RETENTION_DAYS", 365))
# Seconds the worker waits before sending a failed email again; doubled per failure, up to 1 h.
EMAIL_RETRY_SECONDS = int(os.environ.get("EMAIL_RETRY_SECONDS", 30))

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
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", 30)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], ["username"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/lockout.html"
# Failures are kept (until the cool-off ends); successful logins are not, being personal data
# that the admin's own history does not need.
AXES_DISABLE_ACCESS_LOG = True


def _client_ip(request):
    """The client's address, from the header the rate limit reads behind a proxy."""
    return request.META.get(RATELIMIT_IP_META_KEY or "REMOTE_ADDR")


AXES_CLIENT_IP_CALLABLE = _client_ip

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
if os.environ.get("DJANGO_STATIC_MANIFEST", "0" if DEBUG else "1") == "1":
    STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"
# Bound to DJANGO_DEBUG as the settings load: pytest turns DEBUG off only afterwards, and every
# test client would then scan STATIC_ROOT, which nothing has collected into.
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The help page served at "/" is the imported CMS page with this slug (the file's stem).
HELP_PAGE_SLUG = os.environ.get("HELP_PAGE_SLUG", "hjelp-og-support")
# Where the importer looks for images a page references as /images/NAME.
HELP_PAGE_IMAGES_DIR = BASE_DIR / "fixtures" / "images"
# Largest image an editor may upload into an answer, in bytes.
FAQ_IMAGE_MAX_BYTES = int(os.environ.get("FAQ_IMAGE_MAX_BYTES", 5 * 1024 * 1024))

# The Markdown editor previews through the same renderer and sanitiser the public page uses,
# and uploads go through our own staff-only view that checks the file with Pillow.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "faq.rendering.markdown_render"
MARKDOWNX_URLS_PATH = f"/{ADMIN_URL}faq/faqentry/markdownx/markdownify/"
MARKDOWNX_UPLOAD_URLS_PATH = f"/{ADMIN_URL}faq/faqentry/markdownx/upload/"
MARKDOWNX_MEDIA_PATH = "faq/uploads/"
MARKDOWNX_UPLOAD_MAX_SIZE = FAQ_IMAGE_MAX_BYTES
MARKDOWNX_UPLOAD_CONTENT_TYPES = ["image/jpeg", "image/png", "image/webp"]
MARKDOWNX_IMAGE_MAX_SIZE = {"size": (1600, 1600), "quality": 85}

# Settings for staff two-factor login
# Staff confirm a password login with a code from an authenticator app (or a recovery code);
# on by default in production, off in development and the tests, which turn it on themselves.
STAFF_REQUIRE_2FA = os.environ.get("STAFF_REQUIRE_2FA", "0" if DEBUG else "1") == "1"
OTP_TOTP_ISSUER = "Sekvens Hjelp"
# The device pages in the admin show no secret key or QR code: only setup shows them, once.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Only staff log in, so every session is a staff one: it lasts a working day.
STAFF_SESSION_HOURS = int(os.environ.get("STAFF_SESSION_HOURS", 10))
SESSION_COOKIE_AGE = STAFF_SESSION_HOURS * 3600
# Browsers keep a __Host- cookie only if it is Secure, has Path=/ and no Domain (Django's
# defaults), so neither plain http nor another subdomain can set or replace it.
if not DEBUG:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
LOGIN_USERNAME_FAILURE_LIMIT = int(os.environ.get("LOGIN_USERNAME_FAILURE_LIMIT", 20))
AXES_HANDLER = "staffauth.lockout.LoginLockoutHandler"
