"""Settings of the throw-away django-helpdesk project bench/cases_vs_helpdesk.py serves beside servicecycle.

It runs in its own virtualenv (var/bench/helpdesk-venv), never in servicecycle's. Values come from the
environment the bench sets: HD_DATABASE_NAME, HD_DATABASE_HOST, HD_DATABASE_PORT, HD_DATABASE_USER, HD_VAR_DIR.
Production-like: DEBUG off, persistent database connections as servicecycle's settings have.
"""

import os
from pathlib import Path

VAR_DIR = Path(os.environ.get("HD_VAR_DIR", "/tmp/hdbench"))
SECRET_KEY = "bench-only-helpdesk-secret-key-not-for-production"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",  # helpdesk's maintenance screens
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",  # helpdesk builds links in mail from the current Site
    "django.contrib.humanize",  # elapsed times in its templates
    "rest_framework",
    "rest_framework.authtoken",  # a bearer-like token for its API, as servicecycle's API has
    "helpdesk",
]
SITE_ID = 1

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hdbench.urls"
WSGI_APPLICATION = "hdbench.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("HD_DATABASE_NAME", "bench_helpdesk"),
        "HOST": os.environ.get("HD_DATABASE_HOST", "127.0.0.1"),
        "PORT": os.environ.get("HD_DATABASE_PORT", "5432"),
        "USER": os.environ.get("HD_DATABASE_USER", "postgres"),
        "PASSWORD": os.environ.get("HD_DATABASE_PASSWORD", ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/tickets/"

# Mail is rendered as in production but not delivered (servicecycle queues its mail for a worker instead).
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}

HELPDESK_TEAMS_MODE_ENABLED = False  # pinax-teams is optional; servicecycle's teams are not measured either
HELPDESK_API_ENABLED = True
HELPDESK_ACTIVATE_API_ENDPOINT = True  # the name older releases read
HELPDESK_REDIRECT_TO_LOGIN_BY_DEFAULT = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
