"""Commerce Portal settings, read once from the environment.

The names in the settings table of README.md are a contract with operators and
tests. Without CODAT_API_KEY the embedded Codat sandbox is used, and only then
(with DEBUG on) do the usual secrets get development defaults.
"""

import base64
import hashlib
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from commerce_portal.client_ip import axes_ip_settings

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(BASE_DIR / ".env")

# --- Codat -------------------------------------------------------------------
CODAT_API_KEY = env.str("CODAT_API_KEY", default="")
CODAT_SANDBOX_ENABLED = not CODAT_API_KEY
# The app that emulates Codat when there is no key: installed, mounted under /sandbox/
# and plugged in as CODAT_TRANSPORT from this one name. Product code never imports it.
CODAT_SANDBOX_APP = "codat_sandbox" if CODAT_SANDBOX_ENABLED else ""
CODAT_SANDBOX_API_KEY = env.str("CODAT_SANDBOX_API_KEY", default="sandbox")
# In sandbox mode a relative base URL means "this app's own /sandbox/codat",
# answered in-process by CODAT_TRANSPORT (see integrations.codat.factory).
CODAT_BASE_URL = env.str(
    "CODAT_BASE_URL",
    default="/sandbox/codat" if CODAT_SANDBOX_ENABLED else "https://api.codat.io",
)
# A dotted path to an httpx transport class, the way Django names EMAIL_BACKEND; empty
# means the network. The sandbox plugs in here: product code never imports it.
CODAT_TRANSPORT = env.str(
    "CODAT_TRANSPORT",
    default=f"{CODAT_SANDBOX_APP}.transport.SandboxTransport" if CODAT_SANDBOX_APP else "",
)
CODAT_CONNECTOR_KEY = env.str(
    "CODAT_CONNECTOR_KEY", default="lqai" if CODAT_SANDBOX_ENABLED else ""
)
CODAT_CONNECTOR_TYPE = env.str("CODAT_CONNECTOR_TYPE", default="commerce")
# Codat's id for your client (a UUID): reading the Sync Flow's visible accounts needs it.
# The sandbox answers to this fixed one.
CODAT_SANDBOX_CLIENT_ID = "c0da7c11-e4d0-4b5a-9d1e-5a4db0c0ffee"
CODAT_CLIENT_ID = env.str(
    "CODAT_CLIENT_ID", default=CODAT_SANDBOX_CLIENT_ID if CODAT_SANDBOX_ENABLED else ""
)
CODAT_SYNC_FLOW_ALLOWED_HOSTS = env.list(
    "CODAT_SYNC_FLOW_ALLOWED_HOSTS", default=["sync-flow.codat.io"]
)
CODAT_SYNC_FLOW_CODE_TTL = env.float("CODAT_SYNC_FLOW_CODE_TTL", default=30.0)
# A deliberately public demo of the sandbox (DEBUG off) must say so.
CODAT_SANDBOX_DEMO = env.bool("CODAT_SANDBOX_DEMO", default=False)
CODAT_CONNECT_TIMEOUT = env.float("CODAT_CONNECT_TIMEOUT", default=3.0)
CODAT_READ_TIMEOUT = env.float("CODAT_READ_TIMEOUT", default=10.0)
CODAT_MAX_RETRIES = env.int("CODAT_MAX_RETRIES", default=2)
CODAT_RETRY_AFTER_CAP = env.float("CODAT_RETRY_AFTER_CAP", default=3.0)
# The largest JSON answer read from Codat (bytes, counted while streaming); larger is an error.
CODAT_MAX_RESPONSE_BYTES = env.int("CODAT_MAX_RESPONSE_BYTES", default=4 * 1024 * 1024)
# The most a merchant waits on a hand-off (both mints, retries included); under gunicorn's timeout.
CODAT_HANDOFF_TIMEOUT = env.float("CODAT_HANDOFF_TIMEOUT", default=20.0)
# Hand-offs waiting on Codat at once, per process: half of gunicorn's threads, so that a slow
# Codat leaves the other half to /healthz and ordinary pages. Past it: the 503 page at once.
CODAT_HANDOFF_CONCURRENCY = env.int(
    "CODAT_HANDOFF_CONCURRENCY", default=max(1, env.int("GUNICORN_THREADS", default=8) // 2)
)
CODAT_LOGO_HOSTS = env.list("CODAT_LOGO_HOSTS", default=["static.codat.io"])

# --- Branding cache ------------------------------------------------------------
CODAT_BRANDING_TTL = env.int("CODAT_BRANDING_TTL", default=24 * 60 * 60)
CODAT_BRANDING_COLD_WAIT = env.float("CODAT_BRANDING_COLD_WAIT", default=1.5)

# --- Connection snapshots --------------------------------------------------------
# Each refresh costs 5 Codat calls. Codat allows 1,000 a day per connected company (plus
# 1,000): a snapshot at most 10 minutes old keeps even a merchant who never leaves the
# page well inside that, and webhooks and the return from the Sync Flow refresh at once.
CODAT_CONNECTION_TTL = env.int("CODAT_CONNECTION_TTL", default=10 * 60)
# While a sync is running, its snapshot is asked about again this soon (staff are waiting on it).
CODAT_CONNECTION_SYNCING_TTL = env.int("CODAT_CONNECTION_SYNCING_TTL", default=60)
# The longest date range staff may ask Codat to sync, in days (see README, "Sync a date range").
CODAT_SYNC_RANGE_MAX_DAYS = env.int("CODAT_SYNC_RANGE_MAX_DAYS", default=31)
# The most a page waits for a snapshot that was never fetched (or on the return from Codat).
CODAT_CONNECTION_COLD_WAIT = env.float("CODAT_CONNECTION_COLD_WAIT", default=3.0)
CODAT_LOGO_MAX_BYTES = env.int("CODAT_LOGO_MAX_BYTES", default=512 * 1024)

# --- Product -----------------------------------------------------------------
PARTNER_NAME = env.str("PARTNER_NAME", default="Sandbox POS")
PARTNER_BRAND_COLOR = env.str("PARTNER_BRAND_COLOR", default="#1f5fbf")
LINK_RATE_LIMIT = env.str("LINK_RATE_LIMIT", default="10/m")
SIGN_IN_LINK_TTL = env.int("SIGN_IN_LINK_TTL", default=72 * 60 * 60)

# --- Codat webhooks ------------------------------------------------------------------
# The sandbox signs its webhooks with a secret derived from its API key, so that a demo
# with its own key has its own webhook secret too.
CODAT_SANDBOX_WEBHOOK_SECRET = "whsec_" + base64.b64encode(
    hashlib.sha256(b"codat-sandbox-webhooks:" + CODAT_SANDBOX_API_KEY.encode()).digest()
).decode()
# Every secret Codat may sign with: several while a secret is being rotated.
CODAT_WEBHOOK_SECRETS = env.list(
    "CODAT_WEBHOOK_SECRETS", default=[CODAT_SANDBOX_WEBHOOK_SECRET] if CODAT_SANDBOX_ENABLED else []
)
CODAT_WEBHOOK_MAX_BYTES = env.int("CODAT_WEBHOOK_MAX_BYTES", default=256 * 1024)
# Where the sandbox delivers its webhooks (default: this app's /webhooks/codat/ on the origin
# the change was made from), and whether it delivers them at all.
CODAT_SANDBOX_WEBHOOK_URL = env.str("CODAT_SANDBOX_WEBHOOK_URL", default="")
CODAT_SANDBOX_WEBHOOK_DELIVERY = env.bool("CODAT_SANDBOX_WEBHOOK_DELIVERY", default=True)
# The portal's public origin for links in emails (https://portal.example). Empty: the
# origin Codat delivered the webhook to, which is the portal's own public address.
PORTAL_URL = env.str("PORTAL_URL", default="")

# --- Email -------------------------------------------------------------------------
# django-environ URLs: smtp://user:password@host:587/?tls=True, consolemail://
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)  # django-environ's documented idiom: EMAIL_BACKEND, EMAIL_HOST, ...
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)  # a stuck mail server must not hold a worker
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Commerce Portal <no-reply@localhost>")

# Where "contact support" points, on every page that says it (commerce_portal.context_processors).
# Both unset: pages say "your POS provider".
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="")
SUPPORT_URL = env.str("SUPPORT_URL", default="")
# The partner's privacy notice, linked beside "what is shared" on the selection page; unset: no link.
PRIVACY_URL = env.str("PRIVACY_URL", default="")

# --- Django core ---------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=CODAT_SANDBOX_ENABLED)
_dev_defaults = CODAT_SANDBOX_ENABLED and DEBUG

_required = {
    "SECRET_KEY": env.str("SECRET_KEY", default=""),
    "ALLOWED_HOSTS": env.list("ALLOWED_HOSTS", default=[]),
    "CSRF_TRUSTED_ORIGINS": env.list("CSRF_TRUSTED_ORIGINS", default=[]),
}
if _dev_defaults:
    _required["SECRET_KEY"] = _required["SECRET_KEY"] or "dev-only-insecure-key-sandbox"
    _required["ALLOWED_HOSTS"] = _required["ALLOWED_HOSTS"] or [
        "localhost",
        "127.0.0.1",
        "[::1]",
    ]
_missing = [name for name, value in _required.items() if not value]
if _missing and not _dev_defaults:
    raise ImproperlyConfigured(
        "Commerce Portal cannot start with DEBUG off until these are set in the "
        f"environment: {', '.join(_missing)}."
    )
SECRET_KEY = _required["SECRET_KEY"]
ALLOWED_HOSTS = _required["ALLOWED_HOSTS"]
CSRF_TRUSTED_ORIGINS = _required["CSRF_TRUSTED_ORIGINS"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "commerce_portal",
    "merchants",
    "integrations",
    "staff",
]
if CODAT_SANDBOX_APP:
    INSTALLED_APPS.append(CODAT_SANDBOX_APP)

MIDDLEWARE = [
    "commerce_portal.request_context.RequestContextMiddleware",
    "commerce_portal.health.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last: inside CommonMiddleware, so APPEND_SLASH still redirects before a 404 is shown.
    "commerce_portal.not_found.DesignedNotFoundMiddleware",
]
if CODAT_SANDBOX_APP:
    MIDDLEWARE.append(f"{CODAT_SANDBOX_APP}.middleware.PublicOriginMiddleware")

ROOT_URLCONF = "commerce_portal.urls"
WSGI_APPLICATION = "commerce_portal.wsgi.application"

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
                "csp.context_processors.nonce",
                "commerce_portal.context_processors.partner",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent workers and threads write (branding cache, link attempts):
    # WAL, a busy timeout and immediate transactions avoid "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file, not shared-cache memory, so that threaded tests see real locking.
    DATABASES["default"]["TEST"] = {
        "NAME": env.str("TEST_DATABASE_NAME", default=str(BASE_DIR / ".test-db.sqlite3"))
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # A database that drops packets must fail a request (or /readyz) fast, not hang it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://commerce-portal")}
CACHES["default"]["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX", default="commerce-portal")
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "commerce_portal.redis_cache.RedisCache"  # one client per pool, not per call
if "redis" in CACHES["default"]["BACKEND"].lower():
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 2, "socket_timeout": 2}
    )

# Every page reads the session: from the shared cache (written through to the database) when there
# is one, a Redis GET instead of a query. Never from per-process memory: a session ended in one
# worker would live on in the others.
SHARED_CACHE = "redis" in CACHES["default"]["BACKEND"].lower()
SESSION_ENGINE = f"django.contrib.sessions.backends.{'cached_db' if SHARED_CACHE else 'db'}"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before a password is checked
    "integrations.auth.MerchantPageBackend",  # last: checks passwords; loads the merchant with the user
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "integrations:select"
LOGOUT_REDIRECT_URL = "login"
# Where a login that belongs to no merchant lands: the first area whose permission it holds.
NON_MERCHANT_HOMES = [("staff.view_merchant_status", "staff:merchants")]
# What /readyz reports without failing on: name → dotted path of a function(database_ok) -> dict.
READINESS_REPORTS = {
    "codat": "integrations.health.codat_readiness",
    "codat_webhooks": "integrations.health.webhook_readiness",
}

# Background work (webhook processing, email, "refresh all"): Django's Tasks framework through
# the django-tasks backport, queued in the database; `manage.py db_worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Failed-login throttling, per account and address; staff unlock in the admin.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# How many reverse proxies stand in front of gunicorn (nginx alone: 1), so that lock-outs key on
# the client's address and not the proxy's; 0 trusts REMOTE_ADDR only. Checked by E010.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
vars().update(axes_ip_settings(PROXY_COUNT))

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The IANA zone the staff area shows times in (UTC is on hover): one per deployment, since a
# POS support team works from one place. Merchants' pages keep TIME_ZONE.
STAFF_TIME_ZONE = env.str("STAFF_TIME_ZONE", default=TIME_ZONE)

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security ----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The POS may embed the portal: CSP frame-ancestors decides who may frame it.
FRAME_ANCESTORS = env.list("FRAME_ANCESTORS", default=[])
# X_FRAME_OPTIONS stays DENY even then: browsers that enforce frame-ancestors ignore
# X-Frame-Options ("Ignoring 'x-frame-options' because of 'frame-ancestors'"), and those
# that cannot read CSP refuse to frame the portal at all.
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Only a signal: the domain joins browsers' preload list when its owner submits it.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    if FRAME_ANCESTORS:
        SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "None"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        # Browsers apply form-action to the redirect that answers a form post:
        # the hand-off's redirect to Codat's Sync Flow must be allowed here.
        "form-action": ["'self'"] + [f"https://{host}" for host in CODAT_SYNC_FLOW_ALLOWED_HOSTS],
        "frame-ancestors": FRAME_ANCESTORS or ["'none'"],
    }
}

# --- Logging -----------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "commerce_portal.logging.RequestContextFilter"},
        "redact": {"()": "commerce_portal.logging.RedactSecretsFilter"},
    },
    "formatters": {
        "text": {
            "()": "commerce_portal.logging.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # httpx logs full URLs at INFO; our client logs each call itself.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "django.server": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}
