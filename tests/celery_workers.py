"""Real Celery workers for tests: a worker process on a private queue of its own, over a broker shared between
processes (``CELERY_BROKER_URL=redis://…`` or amqp, as in CI; ``BROKER`` is empty on the embedded default), and the
helpers around it: the publisher pointed at that broker, waiting until the worker consumes, deleting the queue."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[1]
BROKER = getattr(settings, "HUB_TEST_REAL_BROKER_URL", "")
if not BROKER.startswith(("redis://", "rediss://", "amqp://", "amqps://")):
    BROKER = ""  # the embedded default (filesystem://) is not shared between processes


def start_worker(queue: str, broker: str, *, concurrency: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    """A worker process (threads pool, as the Procfile runs it) consuming only ``queue``, under a node name of its
    own (its control queue too), on this test database; ``env`` adds settings."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "threads",
            "--concurrency",
            str(concurrency),
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker,
            "HUB_ALLOW_HTTP_LOOPBACK": "1",
            **(env or {}),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def database_url() -> str:
    cfg = connection.settings_dict
    if cfg["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{cfg['NAME']}"
    auth = cfg["USER"] + (f":{cfg['PASSWORD']}" if cfg["PASSWORD"] else "")
    return f"postgres://{auth}@{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}/{cfg['NAME']}"


def reset_broker_pools() -> None:
    """Drop the publisher's cached connections so a changed broker_url takes effect."""
    from kombu import pools

    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    pools.reset()  # kombu's per-URL producer pools would hand out the pool closed above


def wait_consuming(proc: subprocess.Popen, node: str, timeout: float = 90.0) -> None:
    """Until the worker answers a ping over the broker: it has declared its queue and consumes it (its start
    takes seconds on a loaded machine, which the tests' own waits should not have to cover)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the worker exited ({proc.returncode}): {proc.stdout.read().decode()[-2000:]}")
        if celery_app.control.ping(destination=[node], timeout=1.0):
            return
    raise AssertionError(f"the worker {node} did not answer a ping within {timeout:.0f}s")


def delete_queue(broker: str, queue: str) -> None:
    """RabbitMQ keeps a durable queue (and its exchange) after its consumer is gone: remove the test's."""
    from kombu import Connection

    try:
        with Connection(broker, connect_timeout=2) as conn:
            channel = conn.default_channel
            channel.queue_delete(queue)
            if broker.startswith("amqp"):
                channel.exchange_delete(queue)
    except Exception:  # noqa: S110 - best effort: a left-over empty queue harms nothing
        pass
