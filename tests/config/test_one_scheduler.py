"""Exactly one scheduler: two Celery beat processes (two nodes) on one Redis send each periodic task once per
interval, not twice (RedBeat's lock: the second beat is a hot standby); when the leader is SIGKILLed, the
standby takes over within the lock timeout."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = getattr(settings, "REDIS_URL", "")
BROKER = getattr(settings, "HUB_TEST_REAL_BROKER_URL", "")
LOCK_SECONDS = 3

pytestmark = pytest.mark.skipif(
    not REDIS_URL.startswith("redis") or not BROKER.startswith(("redis", "amqp")),
    reason="RedBeat needs REDIS_URL and a broker server (as in CI)",
)
SENT = re.compile(r"Sending due task sweep-deliveries")


def _beat(prefix: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "CELERY_BROKER_URL": BROKER,
        "REDIS_URL": REDIS_URL,
        "HUB_REDBEAT_KEY_PREFIX": prefix,
        "HUB_BEAT_LOCK_SECONDS": str(LOCK_SECONDS),
        "HUB_SWEEP_SECONDS": "1",
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _sends(log: Path) -> int:
    return len(SENT.findall(log.read_text(errors="replace")))


def test_two_beats_send_each_periodic_task_once_and_the_standby_takes_over():
    import redis

    prefix = f"test:redbeat:{uuid.uuid4().hex[:8]}:"
    logs = [Path(tempfile.mkstemp(prefix="beat-", suffix=".log")[1]) for _ in range(2)]
    beats = [_beat(prefix, log) for log in logs]
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sum(_sends(log) for log in logs) < 5:
            time.sleep(0.2)
        time.sleep(2)
        counts = [_sends(log) for log in logs]
        assert sum(counts) >= 5, [log.read_text(errors="replace")[-2000:] for log in logs]
        assert min(counts) == 0, f"both beats sent the sweep: {counts}"  # one leader, one standby
        leader = counts.index(max(counts))
        standby = 1 - leader
        elapsed = time.monotonic()
        first = _sends(logs[leader])
        time.sleep(3)
        sent_in_3s = _sends(logs[leader]) - first
        assert 2 <= sent_in_3s <= 4, sent_in_3s  # once per second, not twice

        os.killpg(beats[leader].pid, signal.SIGKILL)  # the leader's node dies: its lock is never released
        beats[leader].wait(timeout=5)
        killed = time.monotonic()
        while time.monotonic() - killed < LOCK_SECONDS + 10 and _sends(logs[standby]) == 0:
            time.sleep(0.2)
        assert _sends(logs[standby]) > 0, logs[standby].read_text(errors="replace")[-2000:]
        assert time.monotonic() - killed <= LOCK_SECONDS + 10, time.monotonic() - elapsed
    finally:
        for beat in beats:
            if beat.poll() is None:
                os.killpg(beat.pid, signal.SIGKILL)
                beat.wait(timeout=5)
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()
