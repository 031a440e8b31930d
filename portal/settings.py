"""Portico's one settings module, configured by environment variables.

Development (the default, what `make run` and the tests use) needs no
variables at all. Production sets DJANGO_ENV=production and must then provide
DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL and DJANGO_EMAIL_URL;
the process refuses to start without them.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTICO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw not in ("true", "false"):
        raise ImproperlyConfigured(f"{name} must be 'true' or 'false', got {raw!r}")
    return raw == "true"


def env_int(name: str, *, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None


def env_list(name: str, *, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",")]
    if not all(items):
        raise ImproperlyConfigured(f"{name} must be a comma-separated list, got {raw!r}")
    return items


ENVIRONMENT = os.environ.get("DJANGO_ENV", "development")
if ENVIRONMENT not in ("development", "production"):
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be 'development' or 'production', got {ENVIRONMENT!r}"
    )
PRODUCTION = ENVIRONMENT == "production"

if PRODUCTION:
    missing = [
        name
        for name in (
            "DJANGO_SECRET_KEY",
            "DJANGO_ALLOWED_HOSTS",
            "DATABASE_URL",
            "DJANGO_EMAIL_URL",
        )
        if not os.environ.get(name)
    ]
    if missing:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs these environment variables: " + ", ".join(missing)
        )


def secret_key() -> str:
    """DJANGO_SECRET_KEY, or in development a key generated once under var/."""
    if key := os.environ.get("DJANGO_SECRET_KEY"):
        if len(key) < 50:
            raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters long")
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        # Written with O_EXCL so that two processes starting at once keep one key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


DEBUG = env_bool("DJANGO_DEBUG", default=False)
SECRET_KEY = secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
for origin in CSRF_TRUSTED_ORIGINS:
    if not origin.startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            f"DJANGO_CSRF_TRUSTED_ORIGINS entries start with http:// or https://, got {origin!r}"
        )

INSTALLED_APPS = [
    "portal.apps.AdminConfig",  # django.contrib.admin, on Portico's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "crispy_forms",
    "crispy_bootstrap5",
    # The task queue's table; before portal, whose admin takes its page away.
    "django_tasks_db",
    "audit",
    "portal",
    "groups",
    "sso",
    "products",
    "apis",
    "subscriptions",
    "content",
    "reviews",
    "management_api",
    "scim",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Each request's own memo of the viewer's groups (portal/sight.py).
    "portal.sight.SightMemoMiddleware",
    # Who makes the changes a request writes: the activity record's actor.
    "audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: a console action that started background work says so.
    "portal.jobs.AnnounceJobsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: turns a paused sign-in into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"

# Which listener this process is: the portal (every page), or the key check's
# own (portal/gateway_urls.py), which needs no sessions, users or CSRF.
PORTICO_LISTENER = os.environ.get("PORTICO_LISTENER", "portal")
if PORTICO_LISTENER not in ("portal", "gateway"):
    raise ImproperlyConfigured(
        f"PORTICO_LISTENER must be 'portal' or 'gateway', got {PORTICO_LISTENER!r}"
    )
if PORTICO_LISTENER == "gateway":
    ROOT_URLCONF = "portal.gateway_urls"
    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]
    # This process serves neither the admin nor sign-in, so the middleware
    # those need is left out on purpose.
    SILENCED_SYSTEM_CHECKS = ["admin.E408", "admin.E409", "admin.E410", "axes.W002"]
# When set, the key check answers only requests carrying it in the
# X-Portico-Gateway-Secret header (nginx adds it), so the check is no oracle
# for whoever reaches Portico's host.
PORTICO_GATEWAY_SECRET = os.environ.get("PORTICO_GATEWAY_SECRET", "")
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.roles",
                "portal.context_processors.console_section",
                "portal.context_processors.portal_preview",
                "portal.context_processors.sign_up",
                "sso.context_processors.identity_provider",
                "content.context_processors.branding",
                "content.context_processors.portal_menus",
            ],
        },
    },
]


def database_config(url: str) -> dict:
    """Parse DATABASE_URL and add the options each engine needs under load."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in environ.Env.DB_SCHEMES:
        raise ImproperlyConfigured(
            "DATABASE_URL must look like postgres://user:password@host:5432/name or "
            f"sqlite:////absolute/path.sqlite3, got {url!r}"
        )
    try:
        config = environ.Env.db_url_config(url)
    except (ImproperlyConfigured, KeyError, ValueError) as error:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {error}") from None
    engine = config.get("ENGINE", "")
    if engine.endswith("sqlite3"):
        # WAL lets readers run beside one writer; IMMEDIATE takes the write
        # lock when a transaction starts, because a deferred transaction
        # that later upgrades its lock fails at once ("database is locked")
        # whatever the timeout.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        name = Path(config["NAME"])
        config["TEST"] = {"NAME": str(name.with_name(f"test_{name.name}"))}
        # Opening a connection runs the PRAGMAs above; keep it for the worker.
        config["CONN_MAX_AGE"] = env_int("DJANGO_CONN_MAX_AGE", default=600)
    elif engine.endswith("postgresql"):
        # A new connection per request caps throughput; keep them open.
        config["CONN_MAX_AGE"] = env_int("DJANGO_CONN_MAX_AGE", default=600)
        config["CONN_HEALTH_CHECKS"] = True
    return config


def gateway_database_config(config: dict) -> dict:
    """The key check listener's database options: prepared lookups, no health check.

    On PostgreSQL, psycopg 3 binds parameters client-side by default, so the
    server plans the lookup on every call (0.29 ms planning, 0.03 ms running
    it); a threshold lets the check prepare its lookup once per connection
    (the portal's queries keep client-side binding, which never prepares).
    The health check's SELECT 1 before each request's first query is left
    out: the check closes a broken connection and retries once instead.
    """
    if not config["ENGINE"].endswith("postgresql"):
        return config
    options = dict(config.get("OPTIONS", {}))
    # A pooler in transaction mode (PgBouncer before 1.21, or without
    # max_prepared_statements) can't keep a connection's prepared
    # statements: PORTICO_GATEWAY_PREPARE=false turns them off.
    if env_bool("PORTICO_GATEWAY_PREPARE", default=True):
        options.setdefault("prepare_threshold", 0)
    return {**config, "CONN_HEALTH_CHECKS": False, "OPTIONS": options}


DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'portico.sqlite3'}"
DATABASES = {"default": database_config(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)}
if PORTICO_LISTENER == "gateway":
    DATABASES["default"] = gateway_database_config(DATABASES["default"])
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)

# The caches. "default" keeps what any node may rebuild (an OpenID provider's
# metadata, an API's rendered reference); "shared" keeps what every node must
# see alike (the rate limits' counters). With REDIS_URL, both are in Redis and
# sessions are read through it; without, "default" is this process's memory,
# "shared" a table in the database (made by portal's migrations), and sessions
# are in the database. Either way any node reads any session.
PORTICO_SHARED_CACHE_TABLE = "portico_shared_cache"


def redis_url(url: str) -> str:
    """REDIS_URL, checked: redis://, rediss:// (TLS) or unix:// (a socket's path)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        # Only the scheme is shown: the rest may hold a password.
        raise ImproperlyConfigured(
            "REDIS_URL must look like redis://[:password@]host:6379/0, rediss://... "
            f"or unix:///path/to/redis.sock, got a URL starting {parts.scheme + ':'!r}"
        )
    if parts.scheme == "unix" and not parts.path:
        raise ImproperlyConfigured("REDIS_URL (unix://) names no socket path")
    if parts.scheme != "unix":
        if not parts.hostname:
            raise ImproperlyConfigured("REDIS_URL names no Redis host")
        try:
            parts.port  # noqa: B018 -- raises on a malformed port
        except ValueError:
            raise ImproperlyConfigured("REDIS_URL has a malformed port") from None
    return url


def caches_config(url: str) -> dict:
    """CACHES for REDIS_URL (empty: no Redis)."""
    if not url:
        return {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "shared": {
                # Django's database cache, counting in one step (portal/cache.py).
                "BACKEND": "portal.cache.CountingDatabaseCache",
                "LOCATION": PORTICO_SHARED_CACHE_TABLE,
            },
        }
    redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_url(url),
        # An unreachable Redis fails a request in seconds, not minutes.
        "OPTIONS": {
            "socket_connect_timeout": env_int("PORTICO_REDIS_TIMEOUT", default=2),
            "socket_timeout": env_int("PORTICO_REDIS_TIMEOUT", default=2),
        },
    }
    return {
        "default": {**redis, "KEY_PREFIX": "portico"},
        "shared": {**redis, "KEY_PREFIX": "portico-shared"},
    }


REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = caches_config(REDIS_URL)
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)

AUTH_USER_MODEL = "portal.User"
# django-axes first: it refuses a paused sign-in before the password is hashed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "portal.backends.EmailBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:landing"
LOGOUT_REDIRECT_URL = None

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = CRISPY_TEMPLATE_PACK = "bootstrap5"
MESSAGE_TAGS = {40: "danger"}  # messages.ERROR → Bootstrap's alert-danger


def _email_timeout(query: str) -> int:
    raw = parse_qs(query).get("timeout", ["10"])[0]
    if not raw.isascii() or not raw.isdigit():
        raise ImproperlyConfigured(f"DJANGO_EMAIL_URL's timeout must be whole seconds, got {raw!r}")
    return int(raw)


def mailers_config(url: str) -> dict:
    """Turn DJANGO_EMAIL_URL into Django 6.1's MAILERS setting.

    console:// prints mail to the terminal; smtp://, smtp+tls:// (STARTTLS)
    and smtp+ssl:// send it, e.g. smtp+tls://user:password@mail.example.com:587.
    """
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    if parts.scheme not in ("smtp", "smtp+tls", "smtp+ssl"):
        raise ImproperlyConfigured(
            "DJANGO_EMAIL_URL must start with console://, smtp://, smtp+tls:// or "
            f"smtp+ssl://, got {parts.scheme!r}"
        )
    if not parts.hostname:
        raise ImproperlyConfigured("DJANGO_EMAIL_URL names no mail host")
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured("DJANGO_EMAIL_URL has a malformed port") from None
    options: dict = {
        "host": parts.hostname,
        "port": port or {"smtp": 25, "smtp+tls": 587, "smtp+ssl": 465}[parts.scheme],
        "use_tls": parts.scheme == "smtp+tls",
        "use_ssl": parts.scheme == "smtp+ssl",
        "timeout": _email_timeout(parts.query),
    }
    if parts.username:
        options["username"] = unquote(parts.username)
        options["password"] = unquote(parts.password or "")
    return {
        "default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}
    }


MAILERS = mailers_config(os.environ.get("DJANGO_EMAIL_URL") or "console://")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "Portico <portico@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Nothing is loaded from another host: every asset is served from /static/.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Behind a TLS proxy (nginx) that sets X-Forwarded-Proto and appends the
# client's address to X-Forwarded-For; only then are those headers trusted.
PORTICO_BEHIND_TLS_PROXY = env_bool("DJANGO_BEHIND_TLS_PROXY", default=False)

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    if PORTICO_BEHIND_TLS_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # django-axes notes every sign-in at INFO; failures (WARNING) are what matter.
    "loggers": {"axes": {"level": "WARNING"}},
}

# Portico's own settings.
PORTICO_PAGE_SIZE = 25
# A request's form fields, files apart. An OpenAPI document of up to 5 MB
# (apis.documents) is pasted into the console's import form, then carried
# again by the re-import preview's Confirm; the console says when it is too
# big instead of Django's bare 400. Form-encoding can make text about twice
# as long, hence the margin.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
# How long an invitation's link works, as Azure's do (days).
PORTICO_INVITATION_DAYS = env_int("PORTICO_INVITATION_DAYS", default=2)
# Where people reach Portico; links in emails start with it.
PORTICO_BASE_URL = os.environ.get("PORTICO_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
if not PORTICO_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"PORTICO_BASE_URL must start with http:// or https://, got {PORTICO_BASE_URL!r}"
    )
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
# Where API calls go: the gateway's public address, before each API's URL
# suffix. Empty: the address the portal itself was reached at.
# Sign-in with OpenID Connect (sso/). Each one set wins over the console's
# Settings › Identity provider; those left unset come from there.
PORTICO_OIDC = {
    key: os.environ.get(f"PORTICO_OIDC_{key.upper()}")
    for key in ("name", "issuer", "client_id", "client_secret", "scopes", "groups_claim")
}

PORTICO_GATEWAY_URL = os.environ.get("PORTICO_GATEWAY_URL", "").rstrip("/")
if PORTICO_GATEWAY_URL and not PORTICO_GATEWAY_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"PORTICO_GATEWAY_URL must start with http:// or https://, got {PORTICO_GATEWAY_URL!r}"
    )

# Sign-in throttling (portal/throttle.py, through django-axes).
PORTICO_SIGNIN_PAUSE_MINUTES = env_int("PORTICO_SIGNIN_PAUSE_MINUTES", default=15)
AXES_FAILURE_LIMIT = env_int("PORTICO_SIGNIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=PORTICO_SIGNIN_PAUSE_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "portal.throttle.attempted_email"
AXES_CLIENT_IP_CALLABLE = "portal.throttle.client_address"
AXES_LOCKOUT_CALLABLE = "portal.throttle.paused_response"
AXES_HTTP_RESPONSE_CODE = 429
# axes would wipe every count from the address on a success, so signing in to
# one's own account would reset the guesses at another's; portal.throttle
# forgets only the account's own failures instead.
AXES_RESET_ON_SUCCESS = False
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# Pauses are seen and lifted in the console (a user's page), not in the Django admin.
AXES_ENABLE_ADMIN = False
PORTICO_RESET_LIMIT_PER_ADDRESS = env_int("PORTICO_RESET_LIMIT_PER_ADDRESS", default=10)
PORTICO_RESET_LIMIT_PER_ACCOUNT = env_int("PORTICO_RESET_LIMIT_PER_ACCOUNT", default=3)

# The management API answers as one Azure API Management service, at
# /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ApiManagement/service/<name>/
PORTICO_AZURE_SUBSCRIPTION_ID = os.environ.get(
    "PORTICO_AZURE_SUBSCRIPTION_ID", "00000000-0000-0000-0000-000000000000"
)
PORTICO_AZURE_RESOURCE_GROUP = os.environ.get("PORTICO_AZURE_RESOURCE_GROUP", "portico")
PORTICO_AZURE_SERVICE_NAME = os.environ.get("PORTICO_AZURE_SERVICE_NAME", "portico")

# Sign-up: how long the emailed confirmation link works, and how many
# sign-ups an hour one client address, or one email address, may ask for.
PORTICO_SIGNUP_LINK_DAYS = env_int("PORTICO_SIGNUP_LINK_DAYS", default=2)
# The approvals inbox emails the administrators at most once in this many minutes.
PORTICO_APPROVALS_EMAIL_MINUTES = env_int("PORTICO_APPROVALS_EMAIL_MINUTES", default=5)
PORTICO_SIGNUP_LIMIT_PER_ADDRESS = env_int("PORTICO_SIGNUP_LIMIT_PER_ADDRESS", default=10)
PORTICO_SIGNUP_LIMIT_PER_ACCOUNT = env_int("PORTICO_SIGNUP_LIMIT_PER_ACCOUNT", default=3)

# Background work (portal/jobs.py) through Django's Tasks API. The default is
# the database backend (django-tasks-db): nothing to run but the worker
# (`manage.py portico_worker`, started by `make run`). With REDIS_URL set,
# RQ on Redis carries the tasks instead; the jobs' records stay in the database.
REDIS_URL = os.environ.get("REDIS_URL", "")
PORTICO_TASK_QUEUE = os.environ.get("PORTICO_TASK_QUEUE", "redis" if REDIS_URL else "database")
if PORTICO_TASK_QUEUE not in ("database", "redis"):
    raise ImproperlyConfigured(
        f"PORTICO_TASK_QUEUE must be 'database' or 'redis', got {PORTICO_TASK_QUEUE!r}"
    )
if PORTICO_TASK_QUEUE == "redis":
    if not REDIS_URL:
        raise ImproperlyConfigured("PORTICO_TASK_QUEUE=redis needs REDIS_URL")
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# How long a worker holds a job between two progress reports; past that,
# another worker may take the job over (its worker is presumed dead).
PORTICO_JOB_LEASE_SECONDS = env_int("PORTICO_JOB_LEASE_SECONDS", default=60)
# Finished jobs are kept this many days, then forgotten.
PORTICO_JOB_KEEP_DAYS = env_int("PORTICO_JOB_KEEP_DAYS", default=30)
# How many times a job is tried before it is Failed (and waits for Retry).
PORTICO_JOB_MAX_ATTEMPTS = env_int("PORTICO_JOB_MAX_ATTEMPTS", default=5)
# The first pause before a failed job is tried again; each next one is three times longer.
PORTICO_JOB_RETRY_SECONDS = env_int("PORTICO_JOB_RETRY_SECONDS", default=10)
# A job handed to the queue this long ago and still waiting is handed over again.
PORTICO_JOB_REQUEUE_MINUTES = env_int("PORTICO_JOB_REQUEUE_MINUTES", default=30)
# How often each worker's sweeper runs, and after how long without one a worker counts as gone.
PORTICO_WORKER_SWEEP_SECONDS = env_int("PORTICO_WORKER_SWEEP_SECONDS", default=15)
PORTICO_WORKER_SILENT_SECONDS = env_int("PORTICO_WORKER_SILENT_SECONDS", default=60)
