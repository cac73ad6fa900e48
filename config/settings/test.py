"""Test settings: same code paths as production, fast hashing, loopback http allowed."""

import os

from .base import *
from .base import CACHES, CELERY_BROKER_URL, DATABASES, VAR_DIR, env

# Celery reads CELERY_BROKER_URL from the environment before its settings; tests
# publish to an in-memory broker (tests drive deliveries themselves) and keep
# the real broker URL for readiness checks and the tests that run a real worker.
HUB_TEST_REAL_BROKER_URL = os.environ.pop("CELERY_BROKER_URL", "") or CELERY_BROKER_URL
CELERY_BROKER_URL = HUB_TEST_REAL_BROKER_URL
CELERY_TASK_ALWAYS_EAGER = False
HUB_WALLET_TIMEOUT_SECONDS = 1.0
HUB_DELIVERY_LEASE_SECONDS = 5
# The live server answers each request on a new thread: persistent connections would outlive them.
DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file (not :memory:) so a real worker process can share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test_hub_{os.getpid()}.sqlite3")}

# Under pytest-xdist (``make test`` runs two workers) each worker has its own test database, and here its own
# cache keys in the shared Redis db: the metrics snapshot, throttles, lockouts and the replay store are per run.
if os.environ.get("PYTEST_XDIST_WORKER"):
    CACHES["default"]["KEY_PREFIX"] = f"test-{os.environ['PYTEST_XDIST_WORKER']}"

DEBUG = False
HUB_ALLOW_HTTP_LOOPBACK = True
# Tests create live partners freely; the certification tests turn the go-live gate on.
HUB_CERTIFICATION_GATE = False
HUB_ADMIN_API_KEY = "test-admin-key"
# No error tracking from the suite, even with SENTRY_DSN exported (its own tests start Sentry against a local receiver).
SENTRY_DSN = ""
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUB_JACKPOT_ROUND_SECONDS = env.int("HUB_JACKPOT_ROUND_SECONDS", default=0)
# Tests change a session or its partner and read it back within the same second: the session cache's own tests
# turn it on (tests/integration_hub/session_api/test_hot_routes.py).
HUB_SESSION_CACHE_SECONDS = env.float("HUB_SESSION_CACHE_SECONDS", default=0)
HUB_BATCH_SECONDS = env.float("HUB_BATCH_SECONDS", default=0)  # after each response; tests of batching set it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
