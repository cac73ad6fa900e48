"""Shared fixtures and helpers: partners with keys, signed clients for both protocols, threads run together."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

# ------------------------------------------------------------- db flush --
# A transactional test (transactional_db, live_server) ends with Django's flush of every table, then post_migrate
# re-creates the content types and permissions the flush removed. On PostgreSQL the flush is one ``TRUNCATE`` of
# ~50 tables (~280 indexes), new files for each: ~1-2 s a test, and the re-creation ~0.3 s more (on SQLite too),
# most of the suite's time. Here the flush leaves the same state faster:
# - the content types and permissions are kept: post_migrate would re-create exactly those rows (by natural key;
#   no test adds or removes one), so it now finds them all and writes nothing;
# - on PostgreSQL the other tables are emptied by ``DELETE`` (a test's few rows: milliseconds), with constraints
#   deferred to the flush's commit (every foreign key is DEFERRABLE), by when every table is empty. Sequences are
#   not reset, as with Django's TRUNCATE; row triggers fire, so the ledger's guard rows go with their rows, and
#   the tables those triggers write (the /metrics running totals) are emptied last, after the rows whose DELETE
#   wrote their -1 deltas (else the next test starts with negative totals).
# A flush that resets sequences or cascades (``available_apps``, which skips post_migrate) stays Django's own.
from django.db.backends.postgresql.base import DatabaseOperations as _PgOperations
from django.db.backends.sqlite3.base import DatabaseOperations as _SqliteOperations
from rest_framework.test import APIClient

from core import signing
from tenants import services
from tenants.models import CredentialPurpose

_KEPT_BY_FLUSH = frozenset({"django_content_type", "auth_permission"})
_WRITTEN_BY_TRIGGERS = ("wallet_metrictally",)  # emptied after every other table


def _faster_flush(ops_class, *, delete: bool):
    original = ops_class.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade:
            return original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        tables = [table for table in tables if table not in _KEPT_BY_FLUSH]
        if not delete or not tables:
            return original(self, style, tables)
        tables = sorted(tables, key=lambda table: table in _WRITTEN_BY_TRIGGERS)
        return ["SET CONSTRAINTS ALL DEFERRED;"] + [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};" for table in tables
        ]

    ops_class.sql_flush = sql_flush


_faster_flush(_PgOperations, delete=True)
_faster_flush(_SqliteOperations, delete=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item):
    """A live server's requests (and their after-response callbacks) finish before the teardown flush."""
    if "live_server" in getattr(item, "fixturenames", ()):
        from tests.live_requests import wait_idle

        wait_idle()
    yield


class _FrozenClock:
    def __init__(self, at: float):
        self.at = at

    def time(self) -> float:
        return self.at


@pytest.fixture(autouse=True)
def _rate_limit_windows_hold_still(monkeypatch):
    """The fixed-window rate limits (``core.ratelimit``) see one instant for the whole test: a test that counts
    requests up to a limit would otherwise pass its window's end on a slow machine and find the count reset (the
    lookup throttle test answered 200 where 429 was due, in a loaded CI run)."""
    import time

    from core import ratelimit

    monkeypatch.setattr(ratelimit, "time", _FrozenClock(time.time()))


@pytest.fixture(autouse=True)
def _admin_key_throttle_reset():
    """Failed X-Admin-Key attempts are counted per client address in the cache, which outlives a test."""
    from core.api.authentication import admin_key_throttle_reset

    for ip in ("127.0.0.1", "::1"):
        admin_key_throttle_reset(ip)


def cache_clear() -> None:
    """Empty this test run's Django cache. Under xdist only this worker's keys (its KEY_PREFIX, see
    config/settings/test.py): Redis' FLUSHDB would also empty the other worker's keys and the Celery queues."""
    from django.core.cache import cache
    from django.core.cache.backends.redis import RedisCache

    if not cache.key_prefix or not isinstance(cache, RedisCache):
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def igsp_partner(db):
    """An active IGSP partner; ``.secret`` and ``.api_key`` are its plaintext key pair."""
    result = services.partner_onboard(
        name="Lucky Platform",
        actor="test",
        igsp=True,
        public_api=False,
        default_currency="EUR",
        allowed_currencies=["USD"],
        igsp_hooks_url="https://hooks.lucky.example/igsp",
    )
    issued = result.credentials[CredentialPurpose.IGSP]
    partner = result.partner
    partner.api_key = issued.credential.public_id
    partner.secret = issued.secret
    partner.credential = issued.credential
    return partner


@pytest.fixture
def public_partner(db):
    """An active Public API partner with one ExtCID; ``.api_key`` signs Core API calls."""
    result = services.partner_onboard(
        name="Swipe Aggregator",
        actor="test",
        igsp=False,
        public_api=True,
        default_currency="USD",
        ext_clients=[{"ext_cid": "brand-one", "base_url": "https://wallet.brand-one.example/api"}],
    )
    partner = result.partner
    partner.api_key = result.credentials[CredentialPurpose.CORE_API].secret
    partner.integration_key = result.credentials[CredentialPurpose.INTEGRATION_API].secret
    partner.core_credential = result.credentials[CredentialPurpose.CORE_API].credential
    partner.ext_cid = "brand-one"
    return partner


def igsp_signed_headers(api_key: str, secret: str, body: bytes = b"", now=None) -> dict[str, str]:
    headers = signing.igsp_headers(api_key, secret, body, now=now)
    return {
        "HTTP_AUTHORIZATION": headers["Authorization"],
        "HTTP_X_TIMESTAMP": headers["X-Timestamp"],
        "HTTP_X_SIGNATURE": headers["X-Signature"],
    }


def public_signed(key: str, payload: dict) -> tuple[bytes, dict[str, str]]:
    body, sig = signing.public_sign_body(key, payload)
    return body, {"HTTP_X_REQUEST_SIGN": sig}


def dumps(value) -> bytes:
    return json.dumps(value).encode()


# --------------------------------------------------------------- threads --


def run_together[T](n: int, fn: Callable[[int], T], *, timeout: float = 60) -> list[T]:
    """Call ``fn(0)`` … ``fn(n - 1)`` on n threads released together by a barrier; their return values, in order.

    Each thread closes its own database connections when it is done. The first exception a thread raised is
    re-raised here, and a thread still running ``timeout`` seconds after the start fails the test.
    """
    barrier = threading.Barrier(n, timeout=timeout)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn(i)
        except BaseException as exc:  # re-raised by the calling thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,), name=f"run_together-{i}", daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    if hung := [thread.name for thread in threads if thread.is_alive()]:
        pytest.fail(f"{len(hung)} of {n} threads still running after {timeout} s: {', '.join(hung)}")
    if errors:
        if len(errors) > 1:
            errors[0].add_note(f"({len(errors) - 1} more of the {n} threads raised too)")
        raise errors[0]
    return results


# ---------------------------------------------------------------- celery --
# Tests publish tasks to an in-memory broker; deliveries are driven by the tests
# (or by a real worker in the tests that start one).
from config.celery import app as _celery_app  # noqa: E402

_celery_app.conf.broker_url = "memory://"


@pytest.fixture
def tasks_inline():
    """Tasks run where they are published (after commit), as a worker would run them: for tests that read what
    a task does (an alert's email and webhook are each a task of their own)."""
    before = _celery_app.conf.task_always_eager
    _celery_app.conf.task_always_eager = True
    yield
    _celery_app.conf.task_always_eager = before


# ------------------------------------------------------------------ games --


@pytest.fixture
def games_catalog(db):
    """The two games as the data migrations seed them (re-seeded after a transactional test flushed them)."""
    from importlib import import_module

    from django.apps import apps

    from catalog.models import Game, Provider
    from games import catalog

    if not Provider.objects.filter(pk=catalog.PROVIDER_ID).exists():
        import_module("games.migrations.0003_seed_catalog").seed(apps, None)
        import_module("games.migrations.0005_free_rounds_traderhero_only").forwards(apps, None)
    return {
        slug: Game.objects.get(slug=slug) for slug in (catalog.PREDICTION_MARKETS_SLUG, catalog.TRADERHERO_JACKPOT_SLUG)
    }


@pytest.fixture
def game(games_catalog):
    return games_catalog["traderhero-jackpot"]


# -------------------------------------------------- partner wired to sandbox --


@pytest.fixture
def live_hub(live_server, settings):
    """The hub and the sandbox partner served by one live server, over real HTTP."""
    settings.ROOT_URLCONF = "tests.urls_combined"
    return live_server


@pytest.fixture
def sandbox(live_hub):
    from sandbox.client import SandboxClient

    with SandboxClient(live_hub.url) as client:
        yield client


class Wired:
    """A partner speaking both protocols whose wallet is a sandbox tenant."""

    def __init__(self, partner, slug, sandbox, credentials):
        self.partner, self.slug, self.sandbox, self.credentials = partner, slug, sandbox, credentials
        self.ext_client = partner.ext_clients.get()

    def faults(self, **per_action):
        self.sandbox.set_faults(self.slug, per_action, seed=1)

    def ledger(self, player_id=None):
        return self.sandbox.ledger(self.slug, player_id)


def wire_partner(sandbox, live_hub) -> Wired:
    """A partner speaking both protocols whose wallet is a new sandbox tenant (1000.00 per player)."""
    import uuid as _uuid

    slug = "sb-" + _uuid.uuid4().hex[:8]
    result = services.partner_onboard(
        name=f"Sandbox {slug}",
        actor="test",
        igsp=True,
        public_api=True,
        default_currency="USD",
        allowed_currencies=["EUR", "BTC"],
        igsp_hooks_url=f"{live_hub.url}/t/{slug}/igsp/hooks",
        ext_clients=[{"ext_cid": slug, "base_url": f"{live_hub.url}/t/{slug}/adapter"}],
    )
    creds = result.credentials
    sandbox.configure_tenant(
        slug,
        igsp_api_key=creds[CredentialPurpose.IGSP].credential.public_id,
        igsp_secret=creds[CredentialPurpose.IGSP].secret,
        integration_api_key=creds[CredentialPurpose.INTEGRATION_API].secret,
        default_balance="1000.00",
    )
    return Wired(result.partner, slug, sandbox, creds)


@pytest.fixture
def wired(sandbox, live_hub, transactional_db):
    return wire_partner(sandbox, live_hub)


@pytest.fixture
def alert_receiver():
    """A partner's alert webhook: a real local HTTP receiver keeping what it got, ``(url, [(headers, body)])``."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    got: list[tuple[dict, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/alerts", got
    server.shutdown()
    server.server_close()
