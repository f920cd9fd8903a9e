"""Django settings, all taken from the environment through :mod:`yanpiao.config`."""

import os
from pathlib import Path

from csp.constants import NONCE

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
    "yanpiao.accounts",  # first: its createsuperuser replaces django.contrib.auth's
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # its Swagger UI files and page, served locally
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "yanpiao.security",
    "yanpiao.registry",
    "yanpiao.risk",
    "yanpiao.verification",
    "yanpiao.alerts",
    "yanpiao.history",
    "yanpiao.certificates",
    "yanpiao.feedback",
    "yanpiao.support",
    "yanpiao.batches",
    "django_tasks",
    "django_tasks_db",
    "yanpiao.demo",
    "yanpiao.web",
    "yanpiao.guard",
]

MIDDLEWARE = [
    "yanpiao.observability.middleware.RequestIdMiddleware",  # first: request id, access log, metrics
    "django.middleware.security.SecurityMiddleware",
    "yanpiao.guard.middleware.GuardMiddleware",  # the request guard: blocked addresses and accounts refused
    "yanpiao.api.errors.ErrorShapeMiddleware",  # under /api/, every error in the API's shape
    "yanpiao.web.unavailable.DatabaseUnavailableMiddleware",  # 503 while the database is unreachable
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # the language: the visitor's choice, else Accept-Language
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "yanpiao.accounts.middleware.StaffSessionMiddleware",
    "yanpiao.accounts.twofactor.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "yanpiao.web.middleware.NotVisibleMiddleware",  # the access layer's refusals are 404s
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
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
                "django.template.context_processors.i18n",
                "yanpiao.web.navigation.links",
            ],
        },
    },
]

DATABASES = {"default": config.database(HOME)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- accounts and passwords (OWASP ASVS level 2) ---------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: counts failures and refuses locked-out log-ins
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",  # Argon2id
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    # ASVS 6.2: at least 8 characters, 64 and more allowed, no composition rules, common ones refused.
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
AXES_FAILURE_LIMIT = config.integer("YANPIAO_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = config.integer("YANPIAO_LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
# Per account (existing or not) *and* address, and per address: failures from one address never
# lock the account's owner out elsewhere (ASVS 6.3), and one address cannot go on guessing.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = False  # the log-in view clears only the account's own failures
AXES_VERBOSE = False
AXES_USERNAME_CALLABLE = "yanpiao.accounts.services.lockout_key"  # blind index: no address in plaintext
AXES_LOCKOUT_CALLABLE = "yanpiao.accounts.views.locked_out"  # one answer, account or not
AXES_CLIENT_IP_CALLABLE = "yanpiao.security.clients.address"  # the lock-out and the throttles count alike
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
OTP_TOTP_ISSUER = "验票 Yanpiao"
# Sessions: staff sessions end after 30 idle minutes and 12 hours in all (accounts middleware).
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
YANPIAO_STAFF_IDLE_SECONDS = 30 * 60
YANPIAO_STAFF_ABSOLUTE_SECONDS = 12 * 3600
# Mail: SMTP when YANPIAO_SMTP_HOST is set; otherwise written to YANPIAO_HOME/outbox/ and logged.
EMAIL_HOST = config.os.environ.get("YANPIAO_SMTP_HOST", "")
EMAIL_PORT = config.integer("YANPIAO_SMTP_PORT", 25, minimum=1)
EMAIL_HOST_USER = config.os.environ.get("YANPIAO_SMTP_USER", "")
EMAIL_HOST_PASSWORD = config.os.environ.get("YANPIAO_SMTP_PASSWORD", "")
EMAIL_USE_TLS = config.boolean("YANPIAO_SMTP_STARTTLS", default=False)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "yanpiao.accounts.outbox.OutboxEmailBackend"
)
DEFAULT_FROM_EMAIL = config.os.environ.get("YANPIAO_MAIL_FROM", "验票 Yanpiao <noreply@yanpiao.localhost>")
# The contact page (/help/contact/): the support hotline and the support address.
YANPIAO_SUPPORT_HOTLINE = config.os.environ.get("YANPIAO_SUPPORT_HOTLINE", "").strip() or "12366"
YANPIAO_SUPPORT_EMAIL = (
    config.os.environ.get("YANPIAO_SUPPORT_EMAIL", "").strip() or "support@yanpiao.localhost"
)
# Faults (docs/operations.md): a kept connection is checked before a request uses it, so the site
# recovers by itself after the database restarts (a 503 while it is down: yanpiao.web.unavailable).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The cache on the Redis of YANPIAO_REDIS_URL, degrading to none while Redis is away (yanpiao.cache);
# each process's memory without it.  Sessions stay in the database (read through the cache with
# Redis), so a lost cache loses no session.
from yanpiao import cache as _cache  # noqa: E402 (imports no settings)

CACHES = _cache.caches(os.environ.get("YANPIAO_REDIS_URL", "").strip())
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if os.environ.get("YANPIAO_REDIS_URL", "").strip()
    else "django.contrib.sessions.backends.db"
)
YANPIAO_SMS_BACKEND = "yanpiao.accounts.outbox.OutboxSmsBackend"
# Tickets (yanpiao.support.sla): staff's first answer is due this many hours after a ticket is opened.
YANPIAO_TICKET_SLA_HOURS = config.integer("YANPIAO_TICKET_SLA_HOURS", 24, minimum=1)
# Observability (yanpiao.observability, docs/observability.md): log lines as JSON on stderr
# (YANPIAO_LOG_FORMAT=text: readable), the networks besides loopback that may read /metrics
# (YANPIAO_METRICS_ALLOW, CIDRs), and how many days the verification history and the log files
# under YANPIAO_HOME/logs are kept (183, six months, by default and at least).  The counters of
# every process of this machine add up in PROMETHEUS_MULTIPROC_DIR (YANPIAO_HOME/metrics), set
# here, before anything imports prometheus_client.
from yanpiao.observability import settings as _observability  # noqa: E402 (needs only config)

YANPIAO_LOG_FORMAT = _observability.log_format()
LOGGING_CONFIG = "yanpiao.observability.logs.configure"
YANPIAO_METRICS_ALLOW = _observability.metrics_allow()
YANPIAO_METRICS_DIR = _observability.metrics_directory(HOME)
YANPIAO_HISTORY_RETENTION_DAYS = _observability.retention_days("YANPIAO_HISTORY_RETENTION_DAYS")
YANPIAO_LOG_RETENTION_DAYS = _observability.retention_days("YANPIAO_LOG_RETENTION_DAYS")
YANPIAO_OUTBOX = HOME / "outbox"
# Reads outside a transaction to a PostgreSQL streaming replica when YANPIAO_REPLICA_URL is set
# (yanpiao.dbrouter); writes and every query of a transaction stay on DATABASE_URL's primary.
from yanpiao import dbrouter as _dbrouter  # noqa: E402 (needs no Django)

YANPIAO_REPLICA_URL = os.environ.get("YANPIAO_REPLICA_URL", "").strip()
if YANPIAO_REPLICA_URL:
    try:
        DATABASES[_dbrouter.REPLICA] = _dbrouter.replica_database(YANPIAO_REPLICA_URL, DATABASES["default"])
    except ValueError as _error:
        raise config.ConfigError(str(_error)) from None
DATABASE_ROUTERS = ["yanpiao.dbrouter.ReplicaRouter"]
# Links in mail and text messages start with this, never with a request's Host (required in production).
YANPIAO_SITE_URL = config.site_url(ENV)
# Mail, text messages and reset requests run after the response (yanpiao.accounts.delivery):
# "thread" (in the web process), "command" (`yanpiao deliver --loop`), "inline" (tests).
YANPIAO_DELIVERY = config.os.environ.get("YANPIAO_DELIVERY", "thread").strip() or "thread"
if YANPIAO_DELIVERY not in ("thread", "command", "inline"):
    raise config.ConfigError(f"YANPIAO_DELIVERY must be thread, command or inline, not {YANPIAO_DELIVERY!r}")
# Limits per hour (0: none), shared by every process: per client address and per destination
# (the e-mail address or phone number) for sign-ups and reset requests, and wrong codes or
# links per client address.
YANPIAO_SIGNUP_ADDRESS_LIMIT = config.integer("YANPIAO_SIGNUP_ADDRESS_LIMIT", 10)
YANPIAO_SIGNUP_DESTINATION_LIMIT = config.integer("YANPIAO_SIGNUP_DESTINATION_LIMIT", 3)
YANPIAO_RESET_ADDRESS_LIMIT = config.integer("YANPIAO_RESET_ADDRESS_LIMIT", 10)
YANPIAO_RESET_DESTINATION_LIMIT = config.integer("YANPIAO_RESET_DESTINATION_LIMIT", 5)
YANPIAO_CODE_GUESS_LIMIT = config.integer("YANPIAO_CODE_GUESS_LIMIT", 20)

# --- transport and browser security -----------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "style-src": ["'self'", NONCE],
        "script-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a reverse proxy: the scheme from X-Forwarded-Proto, the client from X-Forwarded-For.
YANPIAO_BEHIND_PROXY = config.boolean("YANPIAO_BEHIND_PROXY", default=False)
if PRODUCTION:
    SECURE_SSL_REDIRECT = config.boolean("YANPIAO_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if YANPIAO_BEHIND_PROXY else None

# Chinese unless the visitor asks for English (the switch in the header, or Accept-Language).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"

# Background tasks (batches) through Django's tasks API: the database backend by default, so a
# worker needs nothing but the database (`yanpiao worker`); RQ on the Redis at YANPIAO_REDIS_URL
# (redis://host:6379/0) when set.  The chunks of a batch are claimed in the database either way.
_TASK_QUEUES = ["default", "batches"]
# What every worker looks at now and then: each a schedule() that queues its task when it is due.
YANPIAO_PERIODIC_TASKS = [
    "yanpiao.risk.tasks.schedule",
    "yanpiao.support.sla.schedule",
    "yanpiao.observability.retention.schedule",
    "yanpiao.security.audit.schedule",
    "yanpiao.partitions.schedule",
]
YANPIAO_REDIS_URL = os.environ.get("YANPIAO_REDIS_URL", "").strip()
if YANPIAO_REDIS_URL:
    INSTALLED_APPS.append("django_rq")
    # No time limit: a batch's task takes chunks until none is left (each chunk has its lease).
    RQ_QUEUES = {name: {"URL": YANPIAO_REDIS_URL, "DEFAULT_TIMEOUT": -1} for name in _TASK_QUEUES}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": _TASK_QUEUES}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": _TASK_QUEUES}}
# The largest batch file one may upload (bytes); uploads past Django's memory limit go to a temporary file.
YANPIAO_BATCH_MAX_BYTES = config.integer("YANPIAO_BATCH_MAX_BYTES", 200 * 1024**2, minimum=1)
# Rows per chunk of a batch, and how long a worker's claim on a chunk holds before another may take it.
YANPIAO_BATCH_CHUNK_ROWS = config.integer("YANPIAO_BATCH_CHUNK_ROWS", 2000, minimum=1)
# Audit log: parallel hash chains (lanes) writers spread over (0: 16 on PostgreSQL, 1 on SQLite).
YANPIAO_AUDIT_LANES = config.integer("YANPIAO_AUDIT_LANES", 0)
if YANPIAO_AUDIT_LANES > 256:
    raise config.ConfigError(f"YANPIAO_AUDIT_LANES must be at most 256, not {YANPIAO_AUDIT_LANES}")
# PostgreSQL: lanes a connection may hold for its life (numbered after the shared ones), so that an
# entry costs one statement.  0 behind a pooler that shares server connections between clients
# (PgBouncer in transaction mode): a session lock would outlive its client.
YANPIAO_AUDIT_HELD_LANES = config.integer("YANPIAO_AUDIT_HELD_LANES", 32)
if YANPIAO_AUDIT_LANES + YANPIAO_AUDIT_HELD_LANES > 256:
    raise config.ConfigError("YANPIAO_AUDIT_LANES and YANPIAO_AUDIT_HELD_LANES must add up to at most 256")
# Alerts (yanpiao.alerts): one alert per kind and subject in each window of this many hours; a
# reason raises one from this score up (the model's from its own threshold).
YANPIAO_ALERT_WINDOW_HOURS = config.integer("YANPIAO_ALERT_WINDOW_HOURS", 24, minimum=1)
YANPIAO_ALERT_THRESHOLD = config.integer("YANPIAO_ALERT_THRESHOLD", 70, minimum=0)
YANPIAO_ALERT_MODEL_THRESHOLD = config.integer("YANPIAO_ALERT_MODEL_THRESHOLD", 90, minimum=0)
# Surveys (yanpiao.support.surveys): invitations mailed and texted per minute, at most.
YANPIAO_SURVEY_SENDS_PER_MINUTE = config.integer("YANPIAO_SURVEY_SENDS_PER_MINUTE", 60, minimum=1)
# The request guard (yanpiao.guard, docs/operations.md): what it counts per address or account in
# windows of YANPIAO_GUARD_WINDOW_MINUTES, and how long a block lasts.  YANPIAO_GUARD_ALLOW: the
# trusted networks (CIDRs, comma-separated), never counted nor blocked.
YANPIAO_GUARD_ENABLED = config.boolean("YANPIAO_GUARD_ENABLED", default=True)
YANPIAO_GUARD_ALLOW = [
    cidr.strip() for cidr in os.environ.get("YANPIAO_GUARD_ALLOW", "").split(",") if cidr.strip()
]
for _cidr in YANPIAO_GUARD_ALLOW:
    from ipaddress import ip_network

    try:
        ip_network(_cidr, strict=False)
    except ValueError:
        raise config.ConfigError(f"YANPIAO_GUARD_ALLOW: {_cidr!r} is not a network (CIDR)") from None
YANPIAO_GUARD_BLOCK_MINUTES = config.integer("YANPIAO_GUARD_BLOCK_MINUTES", 15, minimum=1)
YANPIAO_GUARD_WINDOW_MINUTES = config.integer("YANPIAO_GUARD_WINDOW_MINUTES", 10, minimum=1)
YANPIAO_GUARD_NOT_FOUND_PAGES = config.integer("YANPIAO_GUARD_NOT_FOUND_PAGES", 40, minimum=1)
YANPIAO_GUARD_PROBE_PATHS = config.integer("YANPIAO_GUARD_PROBE_PATHS", 3, minimum=1)
YANPIAO_GUARD_PAYLOAD_PROBES = config.integer("YANPIAO_GUARD_PAYLOAD_PROBES", 3, minimum=1)
YANPIAO_GUARD_ENUMERATION_NOT_FOUND = config.integer("YANPIAO_GUARD_ENUMERATION_NOT_FOUND", 50, minimum=1)
YANPIAO_GUARD_ENUMERATION_SHARE = config.integer("YANPIAO_GUARD_ENUMERATION_SHARE", 80, minimum=1)  # percent
YANPIAO_GUARD_LOGIN_ACCOUNTS = config.integer("YANPIAO_GUARD_LOGIN_ACCOUNTS", 10, minimum=2)
YANPIAO_GUARD_FIELD_MAX_CHARS = config.integer("YANPIAO_GUARD_FIELD_MAX_CHARS", 20000, minimum=100)
YANPIAO_GUARD_INSPECT_BYTES = config.integer("YANPIAO_GUARD_INSPECT_BYTES", 65536, minimum=0)
YANPIAO_GUARD_CACHE_SECONDS = config.integer("YANPIAO_GUARD_CACHE_SECONDS", 2)
YANPIAO_BATCH_LEASE_SECONDS = config.integer("YANPIAO_BATCH_LEASE_SECONDS", 600, minimum=1)

# The risk model (yanpiao.risk.learning): an isolation forest of this many trees, each grown on
# this many sampled invoices (chosen by measurement: docs/risk.md#the-model), and how old the
# active model may grow before a worker retrains it.
YANPIAO_RISK_MODEL_TREES = config.integer("YANPIAO_RISK_MODEL_TREES", 100, minimum=1)
YANPIAO_RISK_MODEL_SAMPLES = config.integer("YANPIAO_RISK_MODEL_SAMPLES", 1024, minimum=2)
YANPIAO_RISK_MODEL_SEED = config.integer("YANPIAO_RISK_MODEL_SEED", 1)
YANPIAO_RISK_RETRAIN_HOURS = config.integer("YANPIAO_RISK_RETRAIN_HOURS", 24, minimum=1)

# Verification: how many years back the registry answers (the national platform: 5).
YANPIAO_MAX_INVOICE_AGE_YEARS = config.integer("YANPIAO_MAX_INVOICE_AGE_YEARS", 5, minimum=1)
# Risk assessment of every check (docs/risk.md): off with YANPIAO_RISK_ENABLED=false; each rule's
# threshold and weight from YANPIAO_RISK_<NAME> (the names and defaults: yanpiao.risk.settings.DEFAULTS).
YANPIAO_RISK_ENABLED = config.boolean("YANPIAO_RISK_ENABLED", default=True)
from yanpiao.risk import settings as _risk_settings  # noqa: E402 (needs only config)

YANPIAO_RISK_RULES = _risk_settings.from_environment()
# How often one may verify (yanpiao.verification.throttling); 0 turns a limit off.
YANPIAO_CHECKS_PER_INVOICE_PER_DAY = config.integer("YANPIAO_CHECKS_PER_INVOICE_PER_DAY", 5)
YANPIAO_ANONYMOUS_CHECKS_PER_MINUTE = config.integer("YANPIAO_ANONYMOUS_CHECKS_PER_MINUTE", 20)
# API calls a minute (yanpiao.api.callers): per token or account, and per address without either.
YANPIAO_API_REQUESTS_PER_MINUTE = config.integer("YANPIAO_API_REQUESTS_PER_MINUTE", 600)
YANPIAO_API_ANONYMOUS_REQUESTS_PER_MINUTE = config.integer("YANPIAO_API_ANONYMOUS_REQUESTS_PER_MINUTE", 60)
YANPIAO_ANONYMOUS_CHECKS_PER_DAY = config.integer("YANPIAO_ANONYMOUS_CHECKS_PER_DAY", 500)

# Intake: limits against hostile documents and the budget of work of one read, as a JSON object of
# fields of yanpiao.intake.limits.Limits ({"max_seconds": 8}); the others keep their defaults.
try:
    import json as _json

    from yanpiao.intake.limits import Limits as _Limits

    YANPIAO_INTAKE_LIMITS = _json.loads(config.os.environ.get("YANPIAO_INTAKE_LIMITS", "").strip() or "{}")
    _Limits.from_mapping(YANPIAO_INTAKE_LIMITS)
except (ValueError, TypeError, AttributeError) as _error:
    raise config.ConfigError(
        f"YANPIAO_INTAKE_LIMITS must be a JSON object of intake limits: {_error}"
    ) from None

# Audit log: a signed checkpoint every N entries (0: only on `yanpiao audit checkpoint`).
YANPIAO_AUDIT_CHECKPOINT_EVERY = config.integer("YANPIAO_AUDIT_CHECKPOINT_EVERY", 1000)
# ... and one once the last is older than this many seconds, at the next entry (0: not by time).
YANPIAO_AUDIT_CHECKPOINT_SECONDS = config.integer("YANPIAO_AUDIT_CHECKPOINT_SECONDS", 3600)

# Import: processes that check the records of a big file while this one writes (0: none).
YANPIAO_IMPORT_WORKERS = config.integer("YANPIAO_IMPORT_WORKERS", min(os.cpu_count() or 1, 4))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "yanpiao.observability.logs.StderrHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"yanpiao": {"level": "INFO"}},
}
