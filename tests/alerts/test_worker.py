"""A partner whose alert webhook hangs delays no other partner's alert, on a real Celery worker (threads pool, as
the Procfile starts it) over a real broker, with real HTTP receivers. On the old hub the beat task sent every alert
in turn, so the second partner's waited for the first one's timeout.

Runs on a broker shared between processes (``CELERY_BROKER_URL=redis://…``, as in CI), skipped without one."""

from __future__ import annotations

import socket
import time
import uuid

import pytest

from alerts import services as alerts
from alerts.models import Incident, Notification
from config.celery import app as celery_app
from tests.celery_workers import BROKER, delete_queue, reset_broker_pools, start_worker, wait_consuming

from .conftest import alert_partner

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not BROKER, reason="needs a broker shared between processes (CELERY_BROKER_URL=redis://…)"),
]


@pytest.fixture
def alert_worker():
    queue = f"test-alerts-{uuid.uuid4().hex[:8]}"
    proc = start_worker(queue, BROKER, concurrency=4, env={"HUB_ALERT_TIMEOUT_SECONDS": "2"})
    original = (celery_app.conf.broker_url, celery_app.conf.task_default_queue)
    celery_app.conf.broker_url, celery_app.conf.task_default_queue = BROKER, queue
    reset_broker_pools()
    try:
        wait_consuming(proc, f"{queue}@{socket.gethostname()}")
        yield proc
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_default_queue = original
        reset_broker_pools()
        proc.kill()
        proc.wait(timeout=10)
        delete_queue(BROKER, queue)


def test_on_a_real_worker_a_hanging_webhook_does_not_delay_another_partners_alert(hook_server, alert_worker):
    hanging_url, hanging_got = hook_server(delay=30)
    fast_url, fast_got = hook_server()
    hanging, _, _ = alert_partner("A hanging partner", hanging_url)
    fast, _, _ = alert_partner("B fast partner", fast_url)

    started = time.monotonic()
    alerts.notify_certification_failed(partner=hanging, run_id="run-1", summary="failed")  # published first
    alerts.notify_certification_failed(partner=fast, run_id="run-2", summary="failed")
    assert time.monotonic() - started < 1.0  # publishing waits on no webhook

    deadline = time.monotonic() + 15
    while not fast_got and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fast_got, "the fast partner's alert waited"
    assert fast_got[0][0] - started < 2.0, "the fast partner's alert waited"
    # The hanging call went out alongside (the two tasks ran side by side; which connected first is a race).
    deadline = time.monotonic() + 2
    while not hanging_got and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hanging_got
    assert hanging_got[0][0] - started < 2.0

    # The hanging one gives up after its own timeout (2 s here), recorded; each notification sent once.
    deadline = time.monotonic() + 15
    while Notification.objects.filter(finished_at__isnull=True).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    result = Incident.objects.get(partner=hanging).webhook_result
    assert result.startswith("opened: "), result
    assert "HTTP" not in result, result
    assert Incident.objects.get(partner=fast).webhook_result == "opened: HTTP 204"
    assert len(hanging_got) == 1
    assert len(fast_got) == 1
