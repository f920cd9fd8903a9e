"""Django settings, all taken from the environment through :mod:`yanpiao.config`."""

import os

from yanpiao import config

ENV = config.environment()
PRODUCTION = ENV == "production"
HOME = config.home()

SECRET_KEY = config.secret_key(HOME, ENV)
DEBUG = config.boolean("YANPIAO_DEBUG", default=False)
ALLOWED_HOSTS = [
    host.strip()
    for host in config.os.environ.get("YANPIAO_ALLOWED_HOSTS", "" if PRODUCTION else "*").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "yanpiao.accounts",
    "yanpiao.registry",
    "yanpiao.verification",
    "yanpiao.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "yanpiao.urls"
WSGI_APPLICATION = "yanpiao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

DATABASES = {"default": config.database(HOME)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"

# Verification: how many years back the registry answers (the national platform: 5).
YANPIAO_MAX_INVOICE_AGE_YEARS = config.integer("YANPIAO_MAX_INVOICE_AGE_YEARS", 5, minimum=1)

# Import: processes that check the records of a big file while this one writes (0: none).
YANPIAO_IMPORT_WORKERS = config.integer("YANPIAO_IMPORT_WORKERS", min(os.cpu_count() or 1, 4))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"yanpiao": {"level": "INFO"}},
}
