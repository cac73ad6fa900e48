"""A flood of certification runs against a wallet that never answers leaves another partner's payouts on time:
real Celery workers (the payout worker on the default queue, the certification worker on its own), a real
broker, real HTTP. On a hub that queued runs with the payouts, the one payout thread sat behind each stalled run.

Runs on a broker shared between processes (``CELERY_BROKER_URL=redis://…``, as in CI), skipped without one."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from certification.models import CertificationRun, RunStatus
from config.celery import app as celery_app
from core import signing
from tenants import services as tenant_services
from tenants.models import CredentialPurpose
from tests.celery_workers import BROKER, delete_queue, reset_broker_pools, start_worker, wait_consuming
from tests.conftest import wire_partner
from tests.wallet.delivery.test_worker import wait_confirmed
from wallet import services

from .conftest import PLAYER

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not BROKER, reason="needs a broker shared between processes (CELERY_BROKER_URL=redis://…)"),
]


def _worker(queue: str) -> subprocess.Popen:
    return start_worker(queue, BROKER, concurrency=1, env={"HUB_WALLET_TIMEOUT_SECONDS": "2"})


@pytest.fixture
def stalling_wallet():
    """A hooks URL that takes every connection and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hooks"
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture
def workers(live_hub, settings):
    payouts, certification = f"test-{uuid.uuid4().hex[:8]}", f"test-cert-{uuid.uuid4().hex[:8]}"
    procs = [_worker(payouts), _worker(certification)]
    original = (celery_app.conf.broker_url, celery_app.conf.task_default_queue)
    celery_app.conf.broker_url, celery_app.conf.task_default_queue = BROKER, payouts
    settings.HUB_CERTIFICATION_QUEUE = certification  # read by config.celery.route at each publish
    reset_broker_pools()
    try:
        for proc, queue in zip(procs, (payouts, certification), strict=True):
            wait_consuming(proc, f"{queue}@{socket.gethostname()}")
        yield procs
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_default_queue = original
        reset_broker_pools()
        for proc in procs:
            proc.kill()
            proc.wait(timeout=10)
        for queue in (payouts, certification):
            delete_queue(BROKER, queue)


def test_a_flood_of_runs_against_a_stalling_wallet_leaves_another_partners_payouts_on_time(
    sandbox, live_hub, game, stalling_wallet, workers, settings
):
    settings.HUB_CERTIFICATION_BUDGET_SECONDS = 10.0  # the runner waits 20 s for each call
    flooder = wire_partner(sandbox, live_hub)
    flooder.partner = tenant_services.partner_update(
        partner=flooder.partner, actor="test", igsp_hooks_url=stalling_wallet, certification_test_players=[PLAYER]
    )
    payee = wire_partner(sandbox, live_hub)

    creds = flooder.credentials[CredentialPurpose.IGSP]
    body = json.dumps({"player_id": PLAYER, "currency": "USD"}).encode()
    base = timezone.now()
    answers = []
    for i in range(8):
        now = base - timedelta(seconds=i)  # no two alike: not replays
        headers = signing.igsp_headers(creds.credential.public_id, creds.secret, body, now=now)
        answers.append(
            httpx.post(
                f"{live_hub.url}/igsp/v1/certification/runs",
                content=body,
                headers={**headers, "Content-Type": "application/json"},
                timeout=10,
            ).status_code
        )
    assert answers == [202] + [409] * 7
    run = CertificationRun.objects.get(partner=flooder.partner)
    deadline = time.monotonic() + 30
    while CertificationRun.objects.get(pk=run.pk).status == RunStatus.QUEUED and time.monotonic() < deadline:
        time.sleep(0.2)
    assert CertificationRun.objects.get(pk=run.pk).status == RunStatus.RUNNING  # the certification worker has it

    ref = f"s-{uuid.uuid4().hex[:8]}"
    session = services.session_create(
        protocol="igsp", partner=payee.partner, game=game, player_id="pay-1", currency="USD", partner_session_ref=ref
    ).session
    payee.sandbox.set_balance(payee.slug, "pay-1", "USD", "20.00")
    bet = services.bet_place(session=session, amount=Decimal("2.00"))
    started = time.monotonic()
    win = services.win_record(round=bet.round, amount=Decimal("5.00"))
    wait_confirmed(win.pk, timeout=6)  # the stalled run holds the certification worker, not the payout one
    assert time.monotonic() - started < 6
    assert CertificationRun.objects.get(pk=run.pk).status == RunStatus.RUNNING
    account = payee.sandbox.get_account(payee.slug, "pay-1", "USD")
    assert Decimal(account["balance"]) == Decimal("20.00") - 2 + 5
