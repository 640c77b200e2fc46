"""Settings of the ISCM Review Portal: one module, driven by environment variables.

Every value that differs between a laptop, CI and production comes from the
environment through the small helpers below. They fail loudly on a value they
cannot read, so a typo in a deployment stops the process at start instead of
silently falling back to a default.
"""

import datetime
import os
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Constants only (no Django imports): the request size follows the form's text limits.
from submissions.validators import largest_form_request_bytes

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Turn a DATABASE_URL (sqlite:///path or postgres://user:pw@host:port/name) into
    a DATABASES entry. Only the two databases the portal supports are accepted."""
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query))
    if parts.scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as dj-database-url reads them.
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not path:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no SQLite file.")
        path = path if os.path.isabs(path) else str(BASE_DIR / path)
        # SQLite creates the file but not its folder (var/ is not in git).
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            # IMMEDIATE: a writing transaction takes the write lock when it begins, so
            # concurrent writers wait their turn (SQLite has no SELECT … FOR UPDATE)
            # instead of failing half-way with "database is locked".
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    if parts.scheme in {"postgres", "postgresql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no database.")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": unquote(parts.hostname or ""),
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
            # Parallel query off unless DATABASE_PARALLEL_WORKERS says otherwise: the
            # start of its workers (17 ms measured for the filtered list's selection at
            # 20,000 inputs, which took 9 ms alone) costs the short queries of a page more
            # than it gains them. An `options` in the URL's query string replaces this.
            "OPTIONS": {
                "options": "-c max_parallel_workers_per_gather="
                f"{env_int('DATABASE_PARALLEL_WORKERS', 0)}",
                **options,
            },
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parts.scheme!r} is not supported: use sqlite:/// or postgres://."
    )


LOCMEM_CACHE = "django.core.cache.backends.locmem.LocMemCache"
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"


def cache_from_url(url: str | None) -> dict:
    """Turn a CACHE_URL into the default CACHES entry. Unset (or locmem://): each
    process's own memory, Django's default. redis://[:password@]host:port/db, or
    rediss:// for TLS: one Redis shared by every web process and worker (Django's
    RedisCache; the `redis` package), redis-py's query options allowed, e.g.
    ?socket_timeout=5. Messages never repeat the URL: it may hold a password."""
    if not url:
        return {"BACKEND": LOCMEM_CACHE}
    parts = urlsplit(url)
    if parts.scheme == "locmem":
        return {"BACKEND": LOCMEM_CACHE}
    if parts.scheme in {"redis", "rediss"}:
        try:
            parts.port  # noqa: B018 — urlsplit checks the port only when asked
        except ValueError:
            message = "CACHE_URL names a Redis port that is not a number."
            raise ImproperlyConfigured(message) from None
        if not parts.hostname:
            raise ImproperlyConfigured(
                "CACHE_URL names no Redis host (e.g. redis://127.0.0.1:6379/1)."
            )
        database = parts.path.strip("/")
        if database and not database.isdigit():
            raise ImproperlyConfigured(
                f"CACHE_URL names Redis database {database!r}: use a number, as in "
                "redis://127.0.0.1:6379/1."
            )
        return {
            "BACKEND": REDIS_CACHE,
            "LOCATION": url,
            # A Redis that stops answering fails a request within seconds instead of
            # holding the web process until gunicorn's timeout (the URL's own wins).
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    said = f"scheme {parts.scheme!r} is not supported" if parts.scheme else "has no scheme"
    raise ImproperlyConfigured(
        f"CACHE_URL {said}: use redis://host:6379/1, rediss:// (Redis over TLS) or "
        "leave it unset (each process's memory)."
    )


# --- Core -------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        # No default secret in code: a production process must be given its own key.
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off. Set the SECRET_KEY environment "
            "variable (for example: python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(50))')."
        )
    # Development without a key (e.g. a one-off manage.py command): a random key for
    # this process only. `make run` generates and keeps a stable one in var/.
    SECRET_KEY = secrets.token_urlsafe(50)
# Earlier keys, still accepted while a rotated key settles in (sessions, signed links,
# recovery codes): comma-separated, newest first. Drop them once the change is done.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The address people reach the portal at, for links in e-mails. Required in
# production: a default would send everyone links to somebody's laptop.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000" if DEBUG else None)
if not SITE_URL:
    raise ImproperlyConfigured(
        "SITE_URL is required when DEBUG is off (e.g. https://iscm-portal.example.org)."
    )
SITE_URL = SITE_URL.rstrip("/")

# How long facet counts and result pages of the public list stay cached (seconds; 0
# turns caching off). The cache key holds the newest workflow event, so a publication
# is visible at once; the time only bounds edits to reference data. The cache is
# CACHE_URL's (below): per process by default, or one Redis for a fleet.
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 300)

# A compiling worker writes a heartbeat every PACKAGE_HEARTBEAT_SECONDS; a running
# package without one for PACKAGE_COMPILE_TIMEOUT seconds is marked failed
# (reviews/packages.py::fail_stale_packages).
PACKAGE_HEARTBEAT_SECONDS = env_int("PACKAGE_HEARTBEAT_SECONDS", 10)
PACKAGE_COMPILE_TIMEOUT = env_int("PACKAGE_COMPILE_TIMEOUT", 300)
# A package no worker has started after this many seconds is failed too (retryable).
PACKAGE_QUEUE_TIMEOUT = env_int("PACKAGE_QUEUE_TIMEOUT", 3600)
# The workers' own recovery (reviews/recovery.py, run by every db_worker's heartbeat
# thread): a running package or synthesis draft without a heartbeat for
# PACKAGE_STALE_SECONDS is taken over (a package is compiled again once, then failed;
# a draft is failed), and the task row of a worker not seen for WORKER_STALE_SECONDS
# is reaped. PACKAGE_COMPILE_TIMEOUT above stays the cron's safety net.
PACKAGE_STALE_SECONDS = env_int("PACKAGE_STALE_SECONDS", 60)
WORKER_STALE_SECONDS = env_int("WORKER_STALE_SECONDS", 90)
# A compile runs in a child process of the worker (reviews/package_child.py), which
# exits with its memory when the package is done; off only in tests, to compile in
# process.
PACKAGE_COMPILE_IN_CHILD = env_bool("PACKAGE_COMPILE_IN_CHILD", True)

# Every task worker refreshes its WorkerHeartbeat row this often (iscm_portal/workers.py);
# /healthz fails its "worker" check when no worker was seen for WORKER_SEEN_SECONDS.
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 30)
WORKER_SEEN_SECONDS = env_int("WORKER_SEEN_SECONDS", 300)

INSTALLED_APPS = [
    "iscm_portal",
    "submissions",
    "reviews",
    "accounts",
    "public",
    # Before the admin, so its admin classes can show the translated fields' tabs.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cache-Control: private on a signed-in person's responses (and wherever a session is
    # in play). Before SessionMiddleware, so it sees the response the others made.
    "iscm_portal.cache_headers.PrivateCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CsrfViewMiddleware, which is the first to read the form: a request too big
    # (or unreadable) to parse gets the form's page with a message instead of a bare 400.
    "iscm_portal.middleware.OversizedRequestMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    # A signed-in person's own interface language wins over the browser's.
    "accounts.middleware.PersonLanguageMiddleware",
    # IOM staff (and anyone who enrolled) reach nothing but the second-factor pages
    # until this session has passed it.
    "accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: it turns a sign-in refused by django-axes into the "locked" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "iscm_portal.urls"
WSGI_APPLICATION = "iscm_portal.wsgi.application"
ASGI_APPLICATION = "iscm_portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "iscm_portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(env_str("DATABASE_URL", "sqlite:///var/db.sqlite3")),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Per process by default (`make run` needs nothing); on many machines one Redis, so a
# page computed by one web process serves the others. An entry is right for every
# process: public pages key theirs on database state (public/browse.py, `generation()`),
# so no process ever has to tell another to forget one.
CACHES = {"default": cache_from_url(env_str("CACHE_URL"))}

# --- Accounts -----------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# django-axes first: it refuses a locked account or address before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A session ends 12 hours after sign-in (SESSION_COOKIE_AGE), also when the browser
# stays open; signing out ends it at once.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)

# Accounts (accounts/): invitation links expire after INVITATION_DAYS, e-mail change
# confirmations after EMAIL_CHANGE_DAYS. Authenticator apps show OTP_TOTP_ISSUER.
INVITATION_DAYS = env_int("INVITATION_DAYS", 7)
EMAIL_CHANGE_DAYS = env_int("EMAIL_CHANGE_DAYS", 3)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "ISCM Review Portal")
RECOVERY_CODE_COUNT = 10

# --- Internationalisation -----------------------------------------------------------

LANGUAGE_CODE = "en"
# The six official languages of the United Nations, in the UN's own (English
# alphabetical) order. Arabic pages are laid out right to left (LANGUAGE_BIDI).
LANGUAGES = [
    ("ar", _("Arabic")),
    ("zh-hans", _("Chinese")),
    ("en", _("English")),
    ("fr", _("French")),
    ("ru", _("Russian")),
    ("es", _("Spanish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date style per language, the locale's (iscm_portal/formats/ fills what Django's
# English and Arabic formats lack); templates use `|date` and `|date:"DATETIME_FORMAT"`.
FORMAT_MODULE_PATH = ["iscm_portal.formats"]
# Reference data (submissions/translation.py) in the six languages: English is the
# source and the fallback, marked lang="en" where shown in place of a translation.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = tuple(code for code, _name in LANGUAGES)
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
# Model fields are declared in submissions/translation.py only.
MODELTRANSLATION_AUTO_POPULATE = False
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Files --------------------------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))

STORAGES = {
    # Uploaded files go through Django's storage API so object storage can be plugged
    # in by naming another backend here; nothing else in the code touches MEDIA_ROOT.
    "default": {
        "BACKEND": env_str(
            "DEFAULT_FILE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        ),
    },
    "staticfiles": {
        # Hashed names need `collectstatic`; in development runserver serves the
        # files as they are.
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}

# Attachments of written inputs: how many per input and how large each may be.
ATTACHMENT_MAX_COUNT = env_int("ATTACHMENT_MAX_COUNT", 10)
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads spool to a temporary file
# Form data (not files) a request may carry: the largest valid content save, derived from
# the text limits (submissions/validators.py), so a form valid field by field is never refused
# whole. A bigger request gets the form's page with a message (OversizedRequestMiddleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = largest_form_request_bytes()

# --- E-mail -------------------------------------------------------------------------

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds to wait for the relay: one that takes the connection and never answers is a
# failed attempt (retried later, submissions/outbox.py), not a worker stuck for ever.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ISCM Review Portal <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background tasks ---------------------------------------------------------------

# The django-tasks backport of Django 6's tasks API; the database backend needs no
# broker, and every worker (`manage.py db_worker`) shares only the database.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Forms and pages ----------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security -----------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # no script of ours reads it: forms carry the token
SESSION_COOKIE_SAMESITE = "Lax"

# Behind a TLS-terminating proxy, name the header it sets, e.g.
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https. Only set it when the proxy
# always sets (and overwrites) that header: otherwise a client could claim https.
_proxy_ssl_header = env_list("SECURE_PROXY_SSL_HEADER", [])
if _proxy_ssl_header and len(_proxy_ssl_header) != 2:
    raise ImproperlyConfigured(
        "SECURE_PROXY_SSL_HEADER takes a header and a value, e.g. HTTP_X_FORWARDED_PROTO,https."
    )
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) or None

# Production (DEBUG off) is HTTPS only: redirect, secure cookies, HSTS. Each can be
# turned off by its variable (the benchmarks serve plain http on 127.0.0.1).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# A load balancer probes the web process itself, over plain http: /healthz answers it
# instead of redirecting to https (it reads no session and sets no cookie).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy (django-csp): our own files only, no inline script or style
# (templates carry none: tests/test_no_inline_script.py), data: images for Bootstrap's
# SVG icons, no framing, forms post to us only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Failed sign-ins (django-axes, see accounts/throttling.py): after AXES_FAILURE_LIMIT
# failures for one account from one address, that account waits AXES_COOLOFF_MINUTES
# at that address (elsewhere it signs in, and others at the address are not affected);
# after AXES_ACCOUNT_FAILURE_LIMIT failures for one account from any addresses within
# AXES_COOLOFF_MINUTES, it waits from everywhere. The address is the client's as
# `accounts.throttling.client_ip` reads it (TRUSTED_PROXY_COUNT).
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_ACCOUNT_FAILURE_LIMIT = env_int("AXES_ACCOUNT_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # the pair, not each alone
AXES_HANDLER = "accounts.throttling.PortalAxesHandler"
AXES_USERNAME_CALLABLE = "accounts.throttling.username_for_throttling"
# A try during a lock is not counted: the time the page names stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.throttling.locked_out"
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_ip"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
# How many proxies in front of the app append to X-Forwarded-For (0: use the socket's
# address). Counting from the right, so a client cannot forge its address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"skip_health_probes": {"()": "iscm_portal.log_filters.SkipHealthProbes"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # /healthz's 503s are not logged as request errors at every probe: it logs its
        # own warning naming what fails (iscm_portal/health.py).
        "django.request": {"filters": ["skip_health_probes"]},
        # WeasyPrint reports every layout step at INFO; only its warnings matter here.
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
