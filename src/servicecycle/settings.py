"""servicecycle settings: one file, every deployment value read from the environment (12-factor).

Environment variables: DATABASE_URL, SECRET_KEY, ALLOWED_HOSTS, DEBUG, EMAIL_URL, SITE_URL, CACHE_URL, TIME_ZONE,
SECURE_COOKIES, DEFAULT_FROM_EMAIL, LOG_LEVEL, LOG_FORMAT, METRICS_TOKEN. See docs/deploy.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("SERVICECYCLE_VAR_DIR", PROJECT_DIR / "var"))

env = environ.Env()

DEBUG: bool = env.bool("DEBUG", default=False)

SUPPORTED_DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql", "pgsql")


def _database_from_url(url: str) -> dict[str, Any]:
    """Parse DATABASE_URL and fail with a message that names the variable and what is wrong."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in SUPPORTED_DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"DATABASE_URL is not a valid database URL ({url!r}): expected "
            "sqlite:///path/to/file.sqlite3 or postgres://user:password@host:port/database"
        )
    try:
        config = env.db_url_config(url)
    except Exception as exc:  # django-environ raises several kinds; one clear message for all
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL ({url!r}): {exc}") from exc
    if scheme != "sqlite" and not config.get("NAME"):
        raise ImproperlyConfigured(f"DATABASE_URL names no database ({url!r}): add /database_name at the end")
    if scheme == "sqlite" and config.get("NAME") in ("", None):
        raise ImproperlyConfigured(f"DATABASE_URL names no SQLite file ({url!r})")
    return config


DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'servicecycle.sqlite3'}")
_default_db: dict[str, Any] = _database_from_url(DATABASE_URL)
if _default_db["ENGINE"] == "django.db.backends.sqlite3":
    _default_db["OPTIONS"] = {
        **_default_db.get("OPTIONS", {}),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    _default_db["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    _default_db["CONN_HEALTH_CHECKS"] = True
    # The pages read a case or a promise with its related rows in one query of 8 to 12 joins, always written
    # from the filtered table outwards, and PostgreSQL spent 3-5 ms planning each (trying every join order,
    # join_collapse_limit 8 by default) for 0.2 ms of execution. At 4 it keeps the written order beyond groups
    # of four: promise pages 25-30 % faster (docs/performance.md). 0 leaves the server's own setting.
    _join_collapse_limit = env.int("DATABASE_JOIN_COLLAPSE_LIMIT", default=4)
    if _join_collapse_limit > 0:
        _options = _default_db.setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} -c join_collapse_limit={_join_collapse_limit}".strip()
DATABASES = {"default": _default_db}

_secret = env.str("SECRET_KEY", default="")
if not _secret:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is not set: set it in the environment (or DEBUG=1 for development)")
    _secret = "insecure-development-key-only-for-DEBUG-mode"  # noqa: S105
SECRET_KEY = _secret

ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_htmx",
    "template_partials",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "django_prometheus",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "servicecycle.core",
    "servicecycle.accounts",
    "servicecycle.catalog",
    "servicecycle.cycles",
    "servicecycle.cases",
    "servicecycle.promises",
    "servicecycle.surveys",
    "servicecycle.strategy",
    "servicecycle.people",
    "servicecycle.analytics",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # first: times the whole stack
    "servicecycle.core.request_id.RequestIdMiddleware",
    "servicecycle.core.health.OperationsEndpointsMiddleware",  # /healthz /readyz /metrics, before host and HTTPS
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "servicecycle.accounts.two_step.TwoStepMiddleware",  # password accepted, code still owed: only the code page
    "servicecycle.core.middleware.OrganizationTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "servicecycle.core.middleware.DomainErrorMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",  # a view's @ratelimit(block=True) answers 429 via RATELIMIT_VIEW
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",  # last: per-view latency and status
]

ROOT_URLCONF = "servicecycle.urls"
WSGI_APPLICATION = "servicecycle.wsgi.application"

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
                "servicecycle.core.context_processors.navigation",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed-login lockout (django-axes): 5 failures per user name and address, locked for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "servicecycle.core.views.locked_out"
AXES_VERBOSE = False

# Sessions: server side, HTTP only, expire after 8 idle hours.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
if SECURE_COOKIES:
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Content-Security-Policy: scripts only from our own static files (no inline scripts anywhere); inline style
# attributes carry team colours. Chart pages add 'unsafe-eval' for Vega (core.views_helpers.allow_charts).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian")), ("ms", _("Malay")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["servicecycle.formats"]  # English and Malay date and time formats (see the modules)
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("TIME_ZONE", default="UTC")

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploads (case attachments) go to an S3-compatible bucket when S3_BUCKET is set (pip install ".[s3]"); the
# credentials come from the usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables. Objects stay private:
# people get a file only through the app, which checks their permission and streams it.
S3_BUCKET = env.str("S3_BUCKET", default="")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "location": env.str("S3_PREFIX", default="media"),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
        },
    }
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
# mailboxes read into cases, comma-separated "<organization slug>=<url>" with url maildir:///path or
# imaps://user:password@host:993/INBOX, optionally ?address=<the address customers write to>&service=<id>
CASE_MAILBOXES: list[str] = env.list("CASE_MAILBOXES", default=[])
CASE_MAIL_EVERY_SECONDS = env.int("CASE_MAIL_EVERY_SECONDS", default=120)
CASE_MAIL_MAX_BYTES = env.int("CASE_MAIL_MAX_BYTES", default=25 * 1024 * 1024)
# senders (addresses or @domains) whose mail goes to the quarantine instead of becoming cases
CASE_MAIL_BLOCKED_SENDERS: list[str] = env.list("CASE_MAIL_BLOCKED_SENDERS", default=[])
# files customers (and staff) attach to cases: the largest accepted file, and how many at once
CASE_ATTACHMENT_MAX_BYTES = env.int("CASE_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
CASE_ATTACHMENT_MAX_FILES = env.int("CASE_ATTACHMENT_MAX_FILES", default=5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
for _key, _value in _email.items():
    if _key != "EMAIL_BACKEND":
        globals()[_key] = _value
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="servicecycle <noreply@localhost>")
# the address people reach the app at, for links in mail (status links, notifications)
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")

# Shared by every process for rate limits: set CACHE_URL=redis://127.0.0.1:6379/0 when running several workers.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
RATELIMIT_USE_CACHE = "default"
OTP_TOTP_ISSUER = "servicecycle"
RATELIMIT_VIEW = "servicecycle.core.views.rate_limited"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# a task running longer than this is taken for abandoned (its worker died) and queued again; see core/periodic.py
TASK_LEASE_SECONDS = env.int("TASK_LEASE_SECONDS", default=600)
WORKER_BEAT_SECONDS = env.float("WORKER_BEAT_SECONDS", default=30.0)

# per signed-in user (per address before sign-in); answers 429 with Retry-After beyond it
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="1200/m")

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 200

# /metrics answers loopback and private addresses; anyone else needs "Authorization: Bearer <METRICS_TOKEN>".
METRICS_TOKEN: str = env.str("METRICS_TOKEN", default="")

# One JSON object per line for log collectors, or plain lines for a terminal; both carry the request id.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "servicecycle.core.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "servicecycle.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
