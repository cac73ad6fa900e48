"""The sandbox as its own process: gunicorn (gthread) with HUB_ROOT_URLCONF=sandbox.urls.

The process gets its own SQLite file (a fresh HUB_VAR_DIR) and is configured
only over HTTP with ``sandbox.client`` — exactly how the hub's demo, chaos runs
and benchmarks use it. Covers the ``gunicorn.socket`` path of dropped
connections, a control token, and concurrent identical requests against a
database with separate connections (works on either test backend).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from core import signing
from sandbox.client import SandboxClient, SandboxError
from tests.conftest import run_together

from .helpers import IGSP_KEY, IGSP_SECRET, INTEGRATION_KEY, encode, igsp_body, igsp_headers, uid

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "control-token-for-tests"
SLUG = "proc"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sandbox_process(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("sandbox-var")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "HUB_ROOT_URLCONF": "sandbox.urls",
            "HUB_VAR_DIR": str(var_dir),
            "HUB_SANDBOX_CONTROL_TOKEN": TOKEN,
            "LOG_LEVEL": "WARNING",
        }
    )
    # migrate (only the sandbox's tables) while gunicorn boots: both pay one Django start-up
    migrate = subprocess.Popen(
        [sys.executable, "manage.py", "migrate", "sandbox", "--noinput", "-v", "0"], cwd=ROOT, env=env
    )
    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(var_dir / "gunicorn.log", "wb")  # noqa: SIM115 - gunicorn writes to it until the teardown closes it
    proc = subprocess.Popen(
        [
            str(gunicorn),
            "config.wsgi",
            "-k",
            "gthread",
            "--threads",
            "16",
            "--workers",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "--graceful-timeout",
            "2",
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        assert migrate.wait(timeout=120) == 0, "migrate sandbox failed"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"sandbox did not start: {(var_dir / 'gunicorn.log').read_text()[-2000:]}")
            time.sleep(0.1)
        with SandboxClient(base_url, token=TOKEN) as sb:
            sb.configure_tenant(
                SLUG,
                igsp_api_key=IGSP_KEY,
                igsp_secret=IGSP_SECRET,
                integration_api_key=INTEGRATION_KEY,
                default_balance="1000.00",
            )
            yield base_url, sb
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def sb(sandbox_process):
    _base_url, client = sandbox_process
    client.clear_faults(SLUG)
    client.reset_ledger(SLUG)
    return client


def post_igsp(base_url: str, body, timeout: float = 5.0) -> httpx.Response:
    raw = encode(body)
    return httpx.post(
        f"{base_url}/t/{SLUG}/igsp/hooks",
        content=raw,
        timeout=timeout,
        headers={"Content-Type": "application/json", **igsp_headers(raw)},
    )


def test_control_api_needs_the_token(sandbox_process):
    base_url, _ = sandbox_process
    with SandboxClient(base_url, token="wrong") as other, pytest.raises(SandboxError) as excinfo:
        other.ledger(SLUG)
    assert excinfo.value.status == 401


def test_bet_and_ledger_over_http(sandbox_process, sb):
    base_url, _ = sandbox_process
    bet = igsp_body("bet", amount=Decimal("12.34"))

    response = post_igsp(base_url, bet)

    assert response.status_code == 200
    assert response.content.startswith(b'{"balance":987.66,')
    ledger = sb.ledger(SLUG)
    assert ledger["accounts"] == [{"player_id": "p1", "currency": "EUR", "balance": "987.66"}]
    assert ledger["summary"]["movements_by_tx"] == {bet["transaction_id"]: 1}


def test_drop_under_gunicorn(sandbox_process, sb):
    base_url, _ = sandbox_process
    sb.set_faults(SLUG, {"bet": {"drop_rate": 1, "drop_mode": "before"}, "win": {"drop_rate": 1, "drop_mode": "after"}})
    bet, win = igsp_body("bet"), igsp_body("win", amount=Decimal("5"))

    for body in (bet, win):
        started = time.monotonic()
        with pytest.raises(httpx.TransportError) as excinfo:
            post_igsp(base_url, body)
        assert not isinstance(excinfo.value, httpx.TimeoutException)
        assert time.monotonic() - started < 1.0

    moved = sb.ledger(SLUG)["summary"]["movements_by_tx"]
    assert moved == {win["transaction_id"]: 1}
    # still serving afterwards
    sb.clear_faults(SLUG)
    assert post_igsp(base_url, igsp_body("balance")).status_code == 200


def test_stall_under_gunicorn(sandbox_process, sb):
    base_url, _ = sandbox_process
    sb.set_faults(SLUG, {"win": {"stall_rate": 1, "stall_seconds": 1.5, "stall_mode": "after"}})
    win = igsp_body("win", amount=Decimal("1"))

    with pytest.raises(httpx.ReadTimeout):
        post_igsp(base_url, win, timeout=1.0)

    assert sb.ledger(SLUG)["summary"]["movements_by_tx"] == {win["transaction_id"]: 1}


def test_concurrent_identical_public_api_bets_under_gunicorn(sandbox_process, sb):
    base_url, _ = sandbox_process
    sb.register_session(SLUG, "sess-p", "dave", "USD", "100.00")
    body, signature = signing.public_sign_body(
        INTEGRATION_KEY, {"type": "regular", "sessionID": "sess-p", "amount": "9.99", "txID": uid(), "roundID": uid()}
    )
    headers = {"Content-Type": "application/json", "X-REQUEST-SIGN": signature}

    with ExitStack() as stack:  # the clients are built before the threads start: sending is all they do together
        clients = [stack.enter_context(httpx.Client(timeout=15)) for _ in range(10)]
        responses = run_together(
            10, lambda i: clients[i].post(f"{base_url}/t/{SLUG}/adapter/bet", content=body, headers=headers)
        )

    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    assert responses[0].json()["balance"] == "90.01"
    assert sb.get_account(SLUG, "dave", "USD")["balance"] == "90.01"
    assert sb.ledger(SLUG)["summary"]["money_movements"] == 1
