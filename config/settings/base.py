"""Base settings shared by every environment (django-environ, 12-factor).

Environment overrides live in ``dev.py``, ``test.py`` and ``production.py``.
Every variable is documented in ``.env.example`` and in `docs/operations.md`.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("HUB_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
# A local .env is read when present (never committed); real environment wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEV_INSECURE_SECRET_KEY = "django-insecure-dev-only-key-do-not-use-in-production"  # noqa: S105 - the dev default production refuses
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_INSECURE_SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["*"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

HUB_PORT = env.int("HUB_PORT", default=8000)
HUB_PUBLIC_URL = env.str("HUB_PUBLIC_URL", default=f"http://127.0.0.1:{HUB_PORT}").rstrip("/")
HUB_ADMIN_EMAIL = env.str("HUB_ADMIN_EMAIL", default="admin@example.com")
HUB_ADMIN_PASSWORD = env.str("HUB_ADMIN_PASSWORD", default="admin")
HUB_ADMIN_API_KEY = env.str("HUB_ADMIN_API_KEY", default="")
HUB_ALLOW_HTTP_LOOPBACK = env.bool("HUB_ALLOW_HTTP_LOOPBACK", default=False)
HUB_KEY_GRACE_SECONDS = env.int("HUB_KEY_GRACE_SECONDS", default=24 * 3600)
HUB_CLOCK_SKEW_SECONDS = env.int("HUB_CLOCK_SKEW_SECONDS", default=300)
# Certification runner (certification/): the answer-time budget per call, the code version a run certifies
# (default: the git commit), and the go-live gate (a partner goes live only after a passing run of this version).
HUB_CERTIFICATION_BUDGET_SECONDS = env.float("HUB_CERTIFICATION_BUDGET_SECONDS", default=5.0)
HUB_VERSION = env.str("HUB_VERSION", default="")
HUB_CERTIFICATION_GATE = env.bool("HUB_CERTIFICATION_GATE", default=True)
# Runs a partner may start itself (API, portal) per UTC day (one queued or running per protocol at any time), the age
# after which a run no worker finished ends as an error, and the Celery queue its own workers consume.
HUB_CERTIFICATION_RUNS_PER_DAY = env.int("HUB_CERTIFICATION_RUNS_PER_DAY", default=20)
HUB_CERTIFICATION_STALE_SECONDS = env.int("HUB_CERTIFICATION_STALE_SECONDS", default=3600)
HUB_CERTIFICATION_QUEUE = env.str("HUB_CERTIFICATION_QUEUE", default="certification")
# "Retry now" (admin, portal) on one delivery at most this often.
HUB_RETRY_NOW_INTERVAL_SECONDS = env.int("HUB_RETRY_NOW_INTERVAL_SECONDS", default=60)
HUB_LAST_USED_RESOLUTION_SECONDS = env.int("HUB_LAST_USED_RESOLUTION_SECONDS", default=60)
HUB_NUM_PROXIES = env.int("HUB_NUM_PROXIES", default=0)
# Warn (keys page, partner page, registration API, onboard command) about partners with no inbound IP
# allowlist; on by default in production.
HUB_WARN_EMPTY_IP_ALLOWLIST = env.bool("HUB_WARN_EMPTY_IP_ALLOWLIST", default=False)
HUB_SESSION_TTL_SECONDS = env.int("HUB_SESSION_TTL_SECONDS", default=4 * 3600)
# How long a process may answer the game page from a session it read (wallet/session_cache.py): a session closed
# elsewhere, or its partner suspended, is refused at most this much later. At most 1 s; 0 reads it every request.
HUB_SESSION_CACHE_SECONDS = env.float("HUB_SESSION_CACHE_SECONDS", default=1.0)
HUB_STUCK_AFTER = env.int("HUB_STUCK_AFTER", default=3600)
HUB_JACKPOT_ROUND_SECONDS = env.int("HUB_JACKPOT_ROUND_SECONDS", default=3)
# Work a bet hands off in batches (core/batching.py): timed rounds' settle tasks and the call log's rows, gathered
# for this long (seconds) by one thread per process; 0: one by one, after each response. A round's settle task goes
# out due when the last round of its batch is, so a round settles up to this late (0.2 of a 3 s round): a shorter
# wait publishes more often, and each publish costs a web worker's CPU (docs/performance.md).
HUB_BATCH_SECONDS = env.float("HUB_BATCH_SECONDS", default=0.2)
# How long a signed round-details link (/rounds/<token>) stays valid.
HUB_ROUND_DETAILS_TTL_SECONDS = env.int("HUB_ROUND_DETAILS_TTL_SECONDS", default=900)
# Partner queries (both protocols' lookups, the reconciliation report, the portal): since/until span at most this many
# days (without them a listing covers the last this many days), and per-partner rates ("N/s|min|hour|day"; 429 beyond,
# with Retry-After). The portal's endpoint health figures are computed at most this often per partner.
HUB_LOOKUP_MAX_RANGE_DAYS = env.int("HUB_LOOKUP_MAX_RANGE_DAYS", default=31)
HUB_LOOKUP_RATE = env.str("HUB_LOOKUP_RATE", default="120/min")  # transactions and round details, per partner
HUB_REPORT_RATE = env.str("HUB_REPORT_RATE", default="20/min")  # reconciliation reports, per partner
HUB_PORTAL_RATE = env.str("HUB_PORTAL_RATE", default="120/min")  # portal pages, per partner
HUB_PORTAL_HEALTH_CACHE_SECONDS = env.int("HUB_PORTAL_HEALTH_CACHE_SECONDS", default=30)
HUB_DEMO_SESSIONS_RATE = env.str("HUB_DEMO_SESSIONS_RATE", default="30/min")  # public demo sessions per client IP
HUB_CASHOUT_LIMIT_PER_DAY = env.int("HUB_CASHOUT_LIMIT_PER_DAY", default=10)  # per player per UTC day; 0: none

# Prediction markets (games/markets/limits.py reads these; the only place their defaults are written).
HUB_MARKET_MARGIN = Decimal(env.str("HUB_MARKET_MARGIN", default="0.05"))  # the house's margin, in [0, 1)
# Stake limits: currency → (min, max); "*" is every other currency (required: `manage.py check` says so).
# Roughly $0.10–$500 a stake. Crypto units get their own: the fiat fallback would let a player stake 500 BTC.
# Rough values, meant to be replaced in production (an override replaces the table as a whole).
HUB_MARKET_STAKE_LIMITS: dict[str, tuple[Decimal, Decimal]] = {
    "*": (Decimal("0.10"), Decimal("500")),
    "USD": (Decimal("0.10"), Decimal("500")),
    "EUR": (Decimal("0.10"), Decimal("500")),
    "GBP": (Decimal("0.10"), Decimal("500")),
    "USDT": (Decimal("0.10"), Decimal("500")),
    "USDC": (Decimal("0.10"), Decimal("500")),
    "BTC": (Decimal("0.000001"), Decimal("0.005")),
    "mBTC": (Decimal("0.001"), Decimal("5")),
    "uBTC": (Decimal("1"), Decimal("5000")),
    "ETH": (Decimal("0.00003"), Decimal("0.15")),
    "mETH": (Decimal("0.03"), Decimal("150")),
    "LTC": (Decimal("0.001"), Decimal("5")),
    "mLTC": (Decimal("1"), Decimal("5000")),
    "DOGE": (Decimal("0.5"), Decimal("2500")),
    "TRX": (Decimal("0.5"), Decimal("2000")),
    "SOL": (Decimal("0.0005"), Decimal("2.5")),
    "BNB": (Decimal("0.0002"), Decimal("0.8")),
    "TON": (Decimal("0.02"), Decimal("100")),
}
# The most a market may pay out on one outcome, per currency: an amount, or currency → amount with "*";
# None = 100 maximum stakes of the currency (50,000 USD).
HUB_MARKET_MAX_EXPOSURE: Decimal | dict[str, Decimal] | None = None
HUB_METRICS_TOKEN = env.str("HUB_METRICS_TOKEN", default="")  # optional bearer token for /metrics
HUB_SANDBOX_PORT = env.int("HUB_SANDBOX_PORT", default=8001)
HUB_SANDBOX_URL = env.str("HUB_SANDBOX_URL", default=f"http://127.0.0.1:{HUB_SANDBOX_PORT}").rstrip("/")
HUB_SANDBOX_CONTROL_TOKEN = env.str("HUB_SANDBOX_CONTROL_TOKEN", default="")  # X-Sandbox-Token; empty: none


def _derive_dev_fernet_key(secret: str) -> str:
    digest = hashlib.sha256(("fernet:" + secret).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


# Master keys for secrets at rest (MultiFernet): the first encrypts, all decrypt.
# Rotate by putting a new key first, running `manage.py reencrypt_secrets`,
# then dropping the old key.
HUB_FERNET_KEYS = env.list("HUB_FERNET_KEYS", default=[]) or [_derive_dev_fernet_key(SECRET_KEY)]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "integration_hub",
    "tenants",
    "catalog",
    "wallet",
    "games",
    "freerounds",
    "certification",
    "sandbox",
    "pages",
    "portal",
    "alerts",
    "contractwatch",
]

MIDDLEWARE = [
    # The game page's hot routes, answered before the rest (integration_hub/session_api/hot.py; under gunicorn the
    # WSGI wrapper in config/wsgi.py answers them before Django's handler).
    "integration_hub.session_api.hot.HotRoutesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The sandbox partner runs as its own process with HUB_ROOT_URLCONF=sandbox.urls.
ROOT_URLCONF = env.str("HUB_ROOT_URLCONF", default="config.urls")
if ROOT_URLCONF == "sandbox.urls":
    # The partner double serves signed JSON only: no sessions, cookies, CSRF, messages or static files.
    MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
    # make cluster: count the partner's calls in flight per action, at the partner (shared by its processes).
    SANDBOX_INFLIGHT_REDIS_URL = env.str("SANDBOX_INFLIGHT_REDIS_URL", default="")
    if SANDBOX_INFLIGHT_REDIS_URL:
        MIDDLEWARE.append("sandbox.inflight.InflightMiddleware")
    SILENCED_SYSTEM_CHECKS = ["admin.E408", "admin.E409", "admin.E410"]  # no admin is served here
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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

# --- Database -------------------------------------------------------------
# Embedded default: SQLite in WAL mode (web, worker and beat share it).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'hub.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    # A "SELECT 1" before each request's first query: the hub survives a database restart without
    # a failed request; the sandbox partner (a test double) skips the round trip.
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", ROOT_URLCONF != "sandbox.urls")
    # Behind PgBouncer in transaction pooling mode (HUB_DB_PGBOUNCER=1): no server-side cursors (a named
    # cursor would outlive its transaction's server connection) and no prepared statements (psycopg 3 prepares
    # a query after 5 runs, on a server connection the next transaction may not get; PgBouncer < 1.21 cannot
    # track them). The hub keeps no other session state (no SET, advisory locks, LISTEN or temp tables).
    if env.bool("HUB_DB_PGBOUNCER", default=False):
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
    else:
        # The hot path's fixed statements (``core.db``: the session look-up, the bet's rows, its confirmation)
        # ask psycopg to prepare them on their first run. The threshold is never reached by anything else:
        # Django's own cursors bind on the client and never prepare.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 2**31 - 1)
        # Those prepared statements run their generic plan: with the default (``auto``) PostgreSQL re-plans an
        # UPDATE of the partitioned ledger at every bind, because a generic plan over all partitions looks
        # dearer than the custom one, and that planning cost as much CPU as running the UPDATE. The generic plan
        # prunes the partitions at run time. Only prepared statements (and PL/pgSQL's) have plans to cache:
        # Django's own queries bind on the client and are planned each time as before.
        options = DATABASES["default"]["OPTIONS"].get("options", "")
        if "plan_cache_mode" not in options:
            DATABASES["default"]["OPTIONS"]["options"] = f"{options} -c plan_cache_mode=force_generic_plan".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------
# Embedded default: kombu's filesystem transport (no server needed).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery-queue"
    (_queue_dir / "processed").mkdir(parents=True, exist_ok=True)
    (_queue_dir / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
# Certification runs wait on partners' wallets for minutes: they go to a queue of their own (config.celery.route),
# consumed by their own workers (Procfile "certification"), never by the workers that pump payouts.
CELERY_TASK_ROUTES = ["config.celery.route"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
_SWEEP_SECONDS = env.int("HUB_SWEEP_SECONDS", default=5)
_ALERTS_SECONDS = env.int("HUB_ALERTS_EVALUATE_SECONDS", default=30)
# The /metrics running totals' delta rows are folded into one row per series this often (wallet/tallies.py).
_FOLD_SECONDS = env.int("HUB_METRICS_FOLD_SECONDS", default=10)
# Each periodic message expires after its own interval: on a worker slower than the schedule (an overloaded
# node, a backlog after an outage) the next run replaces it instead of queueing behind it, so sweeps never pile
# up in front of the delivery pumps (seen in make cluster: 35 s sweeps every 2 s starved every pump).
CELERY_BEAT_SCHEDULE: dict = {
    "retire-expired-credentials": {
        "task": "tenants.retire_expired_credentials",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    "settle-due-jackpot-rounds": {"task": "games.settle_due_jackpot_rounds", "schedule": 2, "options": {"expires": 2}},
    "sweep-deliveries": {
        "task": "wallet.sweep_deliveries",
        "schedule": _SWEEP_SECONDS,
        "options": {"expires": _SWEEP_SECONDS},
    },
    "purge-seen-signatures": {
        "task": "integration_hub.purge_seen_signatures",
        "schedule": 300.0,
        "options": {"expires": 300},
    },
    "purge-call-log": {"task": "wallet.purge_call_log", "schedule": 3600.0, "options": {"expires": 3600}},
    "evaluate-alerts": {
        "task": "alerts.evaluate",
        "schedule": _ALERTS_SECONDS,
        "options": {"expires": _ALERTS_SECONDS},
    },
    "evaluate-contract-watch": {
        "task": "contractwatch.evaluate",
        "schedule": _ALERTS_SECONDS,
        "options": {"expires": _ALERTS_SECONDS},
    },
    "fold-metric-tallies": {
        "task": "wallet.fold_metric_tallies",
        "schedule": _FOLD_SECONDS,
        "options": {"expires": _FOLD_SECONDS},
    },
    "maintain-ledger-partitions": {
        "task": "wallet.maintain_ledger_partitions",
        "schedule": 6 * 3600.0,
        "options": {"expires": 3600},
    },
}
# Exactly one scheduler however many nodes run beat: with REDIS_URL, RedBeat keeps the schedule in Redis and
# only the beat holding its lock sends periodic tasks (the others wait as hot standbys and take over within
# HUB_BEAT_LOCK_SECONDS of the leader's death). Whatever the broker (Redis or RabbitMQ). Without REDIS_URL (the
# embedded default, one machine) the file scheduler: run one beat.
if REDIS_URL:
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = REDIS_URL
    CELERY_REDBEAT_KEY_PREFIX = env.str("HUB_REDBEAT_KEY_PREFIX", default="hub:redbeat:")
    CELERY_REDBEAT_LOCK_TIMEOUT = env.int("HUB_BEAT_LOCK_SECONDS", default=30)
    CELERY_BEAT_MAX_LOOP_INTERVAL = min(5, CELERY_REDBEAT_LOCK_TIMEOUT // 3 or 1)  # renews the lock in time
# The delivery log's bet and balance calls (wallet.calllog.WalletCall) are kept this many days.
HUB_CALL_LOG_DAYS = env.int("HUB_CALL_LOG_DAYS", default=30)
# Alerts (alerts/services.py): emails go to the partner's account manager and to these addresses (ops).
HUB_ALERT_EMAILS = env.list("HUB_ALERT_EMAILS", default=[])
# Each alert email and each alert webhook call is its own task (alerts.send_notification, on the default queue),
# bounded by this many seconds (the whole webhook call; the SMTP connection's timeout): a partner whose webhook
# hangs holds one worker thread that long, and delays no other partner's alert.
HUB_ALERT_TIMEOUT_SECONDS = env.float("HUB_ALERT_TIMEOUT_SECONDS", default=5.0)
EMAIL_TIMEOUT = env.float("DJANGO_EMAIL_TIMEOUT", default=HUB_ALERT_TIMEOUT_SECONDS)  # the SMTP connection
# A notification no worker has taken this long after it was written (a lost broker message) is published again
# by the next alerts.evaluate.
HUB_ALERT_REPUBLISH_SECONDS = env.int("HUB_ALERT_REPUBLISH_SECONDS", default=120)
# The contract watch (contractwatch/): the share of wallet answers checked against the protocol's contract on the
# batch threads (1.0: every answer; 0: off); an incident opens when a partner's wallet gave at least
# HUB_CONTRACT_DRIFT_VIOLATIONS answers that break it within HUB_CONTRACT_DRIFT_MINUTES, and resolves once its
# answers conformed for HUB_CONTRACT_RESOLVE_MINUTES. Per-minute counts are kept HUB_CONTRACT_WATCH_KEEP_MINUTES.
HUB_CONTRACT_WATCH_SAMPLE = env.float("HUB_CONTRACT_WATCH_SAMPLE", default=1.0)
HUB_CONTRACT_DRIFT_VIOLATIONS = env.int("HUB_CONTRACT_DRIFT_VIOLATIONS", default=10)
HUB_CONTRACT_DRIFT_MINUTES = env.int("HUB_CONTRACT_DRIFT_MINUTES", default=10)
HUB_CONTRACT_RESOLVE_MINUTES = env.int("HUB_CONTRACT_RESOLVE_MINUTES", default=30)
HUB_CONTRACT_WATCH_KEEP_MINUTES = env.int("HUB_CONTRACT_WATCH_KEEP_MINUTES", default=24 * 60)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="hub@localhost")
# Mail goes through Django's mailer (SMTP on localhost:25 unless configured: Django's MAILERS setting); a mail
# server that refuses is logged, never fatal.
HUB_WALLET_TIMEOUT_SECONDS = env.int("HUB_WALLET_TIMEOUT_SECONDS", default=5)
HUB_RETRY_BASE_SECONDS = env.int("HUB_RETRY_BASE_SECONDS", default=5)
HUB_RETRY_MAX_SECONDS = env.int("HUB_RETRY_MAX_SECONDS", default=600)
HUB_DELIVERY_LEASE_SECONDS = env.int("HUB_DELIVERY_LEASE_SECONDS", default=30)
HUB_PARTNER_MAX_IN_FLIGHT = env.int("HUB_PARTNER_MAX_IN_FLIGHT", default=32)
# The bet bulkhead (wallet.bulkhead): a partner's bet calls in flight in one web process, at most
# HUB_PARTNER_BET_THREAD_SHARE of its HUB_WEB_THREADS (the same variable config/gunicorn.py reads), or
# HUB_PARTNER_MAX_BETS_IN_FLIGHT bets when set. A cluster-wide cap is the partner's own admin setting only.
HUB_WEB_THREADS = env.int("HUB_WEB_THREADS", default=8)
HUB_PARTNER_BET_THREAD_SHARE = env.float("HUB_PARTNER_BET_THREAD_SHARE", default=0.5)
HUB_PARTNER_MAX_BETS_IN_FLIGHT = env.int("HUB_PARTNER_MAX_BETS_IN_FLIGHT", default=None)
HUB_BREAKER_FAILURES = env.int("HUB_BREAKER_FAILURES", default=5)
HUB_BREAKER_COOLDOWN_SECONDS = env.int("HUB_BREAKER_COOLDOWN_SECONDS", default=10)
HUB_ORPHAN_BET_SECONDS = env.int("HUB_ORPHAN_BET_SECONDS", default=60)
HUB_SWEEP_GRACE_SECONDS = env.int("HUB_SWEEP_GRACE_SECONDS", default=HUB_DELIVERY_LEASE_SECONDS)
# The per-partner delivery pump: hands its worker slot over after this long (other partners' turn).
HUB_PUMP_MAX_SECONDS = env.float("HUB_PUMP_MAX_SECONDS", default=60.0)
# The ledger's monthly partitions (PostgreSQL; wallet/partitions.py): months created ahead, how long delivery
# attempts are kept (older ones are archived as gzip CSV under HUB_ARCHIVE_DIR, then dropped; transactions
# are kept for ever).
HUB_LEDGER_PARTITIONS_AHEAD = env.int("HUB_LEDGER_PARTITIONS_AHEAD", default=3)
HUB_ATTEMPT_RETENTION_DAYS = env.int("HUB_ATTEMPT_RETENTION_DAYS", default=90)
HUB_ARCHIVE_DIR = env.str("HUB_ARCHIVE_DIR", default=str(VAR_DIR / "archive"))
# Outbound signing keys cached per process (seconds; 0 disables).
HUB_SIGNING_KEY_CACHE_SECONDS = env.float("HUB_SIGNING_KEY_CACHE_SECONDS", default=2.0)

# --- Auth / i18n / static -------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
# The player-facing pages speak every locale GET /games advertises (games/locales.py maps each to one of these);
# their catalogs are locale/<dir>/LC_MESSAGES/django.po (docs/development.md, "Translations"). The admin stays in English.
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGES = [
    ("en", "English"),
    ("pt-br", "Português (Brasil)"),
    ("es", "Español"),
    ("es-mx", "Español (México)"),
    ("ru", "Русский"),
    ("zh-hant", "繁體中文"),
    ("ko", "한국어"),
    ("th", "ไทย"),
    ("vi", "Tiếng Việt"),
    ("hi", "हिन्दी"),
    ("ja", "日本語"),
    ("fr", "Français"),
    ("tr", "Türkçe"),
    ("de", "Deutsch"),
    ("id", "Bahasa Indonesia"),
    ("uz", "Oʻzbekcha"),
]
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- DRF / OpenAPI ---------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["core.api.renderers.DecimalJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.DecimalJSONParser"],
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "NUM_PROXIES": HUB_NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Integration hub",
    "DESCRIPTION": "Game provider integration hub: IGSP provider API and Public API (Core API).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Logging ----------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="console")  # console | json
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "core.logging.RedactSecretsFilter"}},
    "formatters": {
        "console": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "default": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT if LOG_FORMAT in ("console", "json") else "console",
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["default"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- Error tracking (optional; config/sentry.py) ----------------------------------
# Sentry, only when SENTRY_DSN is set (started once Django is set up, in every process: web, workers, beat,
# manage.py); every event and breadcrumb is redacted as the logs are before it leaves. The release is the hub's
# version (HUB_VERSION, else the git commit); no tracing unless the sample rate is > 0; the frames' local variables
# (redacted too) only when SENTRY_LOCAL_VARIABLES is on.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="development")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
SENTRY_LOCAL_VARIABLES = env.bool("SENTRY_LOCAL_VARIABLES", default=False)

# --- Production-safe defaults ------------------------------------------------
# Set to True by settings/production.py only (not an environment variable): /metrics then needs its token,
# seed_demo refuses to run.
HUB_PRODUCTION = False
# HTTPS. Off here, on by default in production (each overridable there, see docs/operations.md, "Production").
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
# Probes and in-cluster scrapes may speak plain http to the process (a redirect protects nothing already sent).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# X-Forwarded-Proto says "https" only when a trusted proxy set it; without one, a client could forge it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HUB_NUM_PROXIES > 0 else None
# Failed admin logins (django-axes) and failed X-Admin-Key attempts, per client address (core.net):
# after HUB_AUTH_FAILURE_LIMIT failures the address is refused (429) for HUB_AUTH_LOCKOUT_SECONDS.
HUB_AUTH_FAILURE_LIMIT = env.int("HUB_AUTH_FAILURE_LIMIT", default=5)
HUB_AUTH_LOCKOUT_SECONDS = env.int("HUB_AUTH_LOCKOUT_SECONDS", default=15 * 60)
INSTALLED_APPS.append("axes")
if ROOT_URLCONF != "sandbox.urls":
    MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last, as django-axes asks
else:
    SILENCED_SYSTEM_CHECKS.append("axes.W002")  # the sandbox partner serves no login
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = HUB_AUTH_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=HUB_AUTH_LOCKOUT_SECONDS)
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner at every start; lockouts are still logged (addresses masked)
# /metrics: the database-backed metrics are computed at most once per this many seconds (a snapshot in the
# cache, shared by every process when REDIS_URL is set); 0 computes them on every scrape.
HUB_METRICS_CACHE_SECONDS = env.int("HUB_METRICS_CACHE_SECONDS", default=15)
# Outbound calls to partners (core.net, wallet.transport): private ranges an on-premises install
# may reach (CIDRs, comma-separated; default none: partner URLs must be public), and the largest answer read.
HUB_OUTBOUND_ALLOWED_NETWORKS = env.list("HUB_OUTBOUND_ALLOWED_NETWORKS", default=[])
for _cidr in HUB_OUTBOUND_ALLOWED_NETWORKS:
    ipaddress.ip_network(_cidr.strip(), strict=False)  # a typo fails at start, not at the first call
HUB_WALLET_MAX_RESPONSE_BYTES = env.int("HUB_WALLET_MAX_RESPONSE_BYTES", default=64 * 1024)
