"""Replayed IGSP signed requests act once, over real HTTP.

A signed non-GET request whose signature was already accepted inside the clock-skew window is refused
with the IGSP 401; the seen-signature store is shared by every web process (Redis when configured, the
database on the embedded default), expires its entries after twice the window and survives a restart.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection

from core import signing
from core.errors import AUTH_FAILED_MESSAGE
from tests.conftest import run_together
from wallet.models import GameSession

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
IGSP_401 = {"error": "unauthorized", "message": AUTH_FAILED_MESSAGE, "status": 401}


@pytest.fixture
def http(live_server):
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        yield client


def signed_request(partner, body: dict | None, *, when: datetime | None = None) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode() if body is not None else b""
    headers = signing.igsp_headers(partner.api_key, partner.secret, raw, now=when)
    return raw, {**headers, "Content-Type": "application/json"}


def session_body(**over) -> dict:
    return {
        "game_id": "traderhero-jackpot",
        "player_id": "player-1",
        "player_name": "Fox",
        "currency": "EUR",
        "session_id": "sess-replay-1",
        "balance": 100.00,
        **over,
    }


def balance_hook(amount, **over) -> dict:
    return {
        "action": "balance",
        "player_id": "player-1",
        "currency": "EUR",
        "amount": amount,
        "session_id": "sess-replay-1",
        **over,
    }


def test_a_replayed_balance_hook_is_refused_with_the_igsp_401_and_changes_nothing(http, igsp_partner, game):
    raw, headers = signed_request(igsp_partner, session_body())
    created = http.post("/igsp/v1/sessions", content=raw, headers=headers)
    assert created.status_code == 201, created.text
    session = GameSession.objects.get(partner=igsp_partner)
    now = datetime.now(UTC)
    captured_raw, captured = signed_request(igsp_partner, balance_hook(10), when=now + timedelta(seconds=5))
    assert http.post("/igsp/v1/hooks", content=captured_raw, headers=captured).status_code == 200
    newer_raw, newer = signed_request(igsp_partner, balance_hook(20), when=now + timedelta(seconds=6))
    assert http.post("/igsp/v1/hooks", content=newer_raw, headers=newer).status_code == 200

    replayed = http.post("/igsp/v1/hooks", content=captured_raw, headers=captured)

    assert replayed.status_code == 401
    assert replayed.json() == IGSP_401
    assert replayed.headers["WWW-Authenticate"] == 'HMAC-SHA256 realm="igsp"'
    session.refresh_from_db()
    assert str(session.last_balance) == "20.00000000"


def test_a_replayed_session_create_is_401_not_a_second_session_nor_409(http, igsp_partner, game):
    raw, headers = signed_request(igsp_partner, session_body())
    assert http.post("/igsp/v1/sessions", content=raw, headers=headers).status_code == 201

    replayed = http.post("/igsp/v1/sessions", content=raw, headers=headers)

    assert replayed.status_code == 401
    assert replayed.json() == IGSP_401
    assert GameSession.objects.filter(partner=igsp_partner).count() == 1


def test_a_retry_re_signed_with_a_new_timestamp_is_accepted(http, igsp_partner):
    now = datetime.now(UTC)
    body = balance_hook(5, session_id="nope")
    first_raw, first = signed_request(igsp_partner, body, when=now - timedelta(seconds=1))
    retry_raw, retry = signed_request(igsp_partner, body, when=now)
    assert first_raw == retry_raw
    assert first["X-Signature"] != retry["X-Signature"]

    assert http.post("/igsp/v1/hooks", content=first_raw, headers=first).status_code == 200
    assert http.post("/igsp/v1/hooks", content=retry_raw, headers=retry).status_code == 200


def test_a_replay_with_the_signature_in_upper_case_is_refused(http, igsp_partner):
    raw, headers = signed_request(igsp_partner, balance_hook(5, session_id="nope"))
    assert http.post("/igsp/v1/hooks", content=raw, headers=headers).status_code == 200

    upper = {**headers, "X-Signature": headers["X-Signature"].upper()}
    shouted = http.post("/igsp/v1/hooks", content=raw, headers=upper)

    assert shouted.status_code == 401
    assert shouted.json() == IGSP_401


def test_a_request_that_fails_verification_does_not_use_up_the_signature(http, igsp_partner):
    """Unauthenticated traffic never writes to the store: a forged body carrying a genuine signature
    (seen on the wire before the genuine request lands) must not lock the genuine request out."""
    raw, headers = signed_request(igsp_partner, balance_hook(5, session_id="nope"))
    forged = raw.replace(b"5", b"9")
    assert http.post("/igsp/v1/hooks", content=forged, headers=headers).status_code == 401
    nobody = {**headers, "Authorization": "Bearer gp_live_nobody"}
    unknown_key = http.post("/igsp/v1/hooks", content=raw, headers=nobody)
    assert unknown_key.status_code == 401

    assert http.post("/igsp/v1/hooks", content=raw, headers=headers).status_code == 200


def test_signed_gets_are_not_one_shot(http, igsp_partner, games_catalog):
    _, headers = signed_request(igsp_partner, None)
    for _ in range(2):
        assert http.get("/igsp/v1/games", headers=headers).status_code == 200


def test_the_store_answers_first_use_once_and_keeps_entries_for_twice_the_window(db, settings):
    from integration_hub import replay

    settings.HUB_CLOCK_SKEW_SECONDS = 300
    key_id, other_key, sig = str(uuid.uuid4()), str(uuid.uuid4()), "ab" * 32  # fresh: Redis outlives test runs

    assert replay.signature_first_use(key_id=key_id, signature=sig) is True
    assert replay.signature_first_use(key_id=key_id, signature=sig.upper()) is False
    assert replay.signature_first_use(key_id=other_key, signature=sig) is True

    if settings.REDIS_URL:
        from django.core.cache import cache

        ttl = cache._cache.get_client(write=False).ttl(cache.make_and_validate_key(replay.store_key(key_id, sig)))
        assert 590 <= ttl <= 600
    else:
        from tenants.models import SeenSignature

        row = SeenSignature.objects.get(digest=replay.digest(key_id, sig))
        left = (row.expires_at - datetime.now(UTC)).total_seconds()
        assert 590 <= left <= 600
        SeenSignature.objects.filter(pk=row.pk).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        assert replay.seen_signatures_purge() == 1
        assert SeenSignature.objects.filter(digest=replay.digest(other_key, sig)).exists()


def test_the_same_signed_request_sent_concurrently_acts_once(live_server, igsp_partner, game):
    raw, headers = signed_request(igsp_partner, session_body(session_id="sess-race"))
    with ExitStack() as stack:  # the clients are built before the threads start: sending is all they do together
        clients = [stack.enter_context(httpx.Client(base_url=live_server.url, timeout=30)) for _ in range(8)]
        codes = sorted(
            run_together(8, lambda i: clients[i].post("/igsp/v1/sessions", content=raw, headers=headers).status_code)
        )

    assert codes == [201] + [401] * 7
    assert GameSession.objects.filter(partner=igsp_partner).count() == 1


# ------------------------------------------------------------- two processes --


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    cfg = connection.settings_dict
    if cfg["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{cfg['NAME']}"
    auth = cfg["USER"] + (f":{cfg['PASSWORD']}" if cfg["PASSWORD"] else "")
    return f"postgres://{auth}@{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}/{cfg['NAME']}"


class HubProcess:
    """One gunicorn process of the hub, on its own port, against the test database (and Redis, if set)."""

    def __init__(self, log_dir: Path, name: str):
        self.log_path = log_dir / f"{name}.log"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self) -> HubProcess:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.test",
                "DATABASE_URL": _database_url(),
                "CELERY_BROKER_URL": "memory://",
                "LOG_LEVEL": "WARNING",
            }
        )
        if settings.REDIS_URL:
            env["REDIS_URL"] = settings.REDIS_URL
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    str(gunicorn),
                    "config.wsgi",
                    "-k",
                    "gthread",
                    "--threads",
                    "4",
                    "--workers",
                    "1",
                    "-b",
                    f"127.0.0.1:{self.port}",
                    "--graceful-timeout",
                    "2",
                    "--no-control-socket",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"hub process did not start: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


@pytest.fixture
def two_hubs(tmp_path):
    hubs = [HubProcess(tmp_path, "a"), HubProcess(tmp_path, "b")]
    try:
        yield [hub.start() for hub in hubs]
    finally:
        for hub in hubs:
            hub.stop()


@pytest.mark.slow
def test_two_web_processes_share_the_store_and_a_restart_forgets_nothing(igsp_partner, game, two_hubs):
    a, b = two_hubs
    raw, headers = signed_request(igsp_partner, balance_hook(5, session_id="nope"))
    other_raw, other = signed_request(igsp_partner, balance_hook(6, session_id="nope"))

    assert httpx.post(f"{a.url}/igsp/v1/hooks", content=raw, headers=headers, timeout=10).status_code == 200
    on_b = httpx.post(f"{b.url}/igsp/v1/hooks", content=raw, headers=headers, timeout=10)
    assert on_b.status_code == 401
    assert on_b.json() == IGSP_401
    assert httpx.post(f"{b.url}/igsp/v1/hooks", content=other_raw, headers=other, timeout=10).status_code == 200

    a.stop()
    a.start()

    for hub, (body, sent) in ((a, (raw, headers)), (a, (other_raw, other)), (b, (other_raw, other))):
        again = httpx.post(f"{hub.url}/igsp/v1/hooks", content=body, headers=sent, timeout=10)
        assert again.status_code == 401
        assert again.json() == IGSP_401


def test_beat_purges_expired_entries_of_the_database_store(db, settings):
    from integration_hub import replay
    from integration_hub.tasks import purge_seen_signatures
    from tenants.models import SeenSignature

    beat = {"task": "integration_hub.purge_seen_signatures", "schedule": 300.0, "options": {"expires": 300}}
    assert beat in settings.CELERY_BEAT_SCHEDULE.values()
    now = datetime.now(UTC)
    SeenSignature.objects.create(digest=replay.digest("k", "old"), expires_at=now - timedelta(seconds=1))
    SeenSignature.objects.create(digest=replay.digest("k", "live"), expires_at=now + timedelta(seconds=600))

    assert purge_seen_signatures() == 1

    assert list(SeenSignature.objects.values_list("digest", flat=True)) == [replay.digest("k", "live")]


def test_an_expired_entry_not_purged_yet_does_not_block_a_first_use(db, settings):
    from integration_hub import replay
    from tenants.models import SeenSignature

    settings.REDIS_URL = ""  # the database store
    SeenSignature.objects.create(digest=replay.digest("k", "sig"), expires_at=datetime.now(UTC))

    assert replay.signature_first_use(key_id="k", signature="sig") is True
    assert replay.signature_first_use(key_id="k", signature="sig") is False
