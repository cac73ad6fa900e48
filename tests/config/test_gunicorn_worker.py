"""The web worker (config/gunicorn_worker.py) under a real gunicorn started with ``-c config/gunicorn.py``: a
kept-alive connection's requests are served one after the other on the thread that answered the first, and a
connection waiting for a thread is not starved by one that keeps sending."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.integration_hub.test_replay import _free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = {**os.environ, "HUB_PORT": str(port), "HUB_WEB_WORKERS": "1", "HUB_WEB_THREADS": "1"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(tmp_path / "gunicorn.log", "ab")  # noqa: SIM115 - gunicorn writes to it until the teardown closes it
    proc = subprocess.Popen(
        [str(gunicorn), "-c", "config/gunicorn.py", "tests.config.slow_wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            conn.getresponse().read()
            conn.close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail((tmp_path / "gunicorn.log").read_text()[-2000:])
            time.sleep(0.1)
    yield port
    proc.terminate()
    proc.wait(timeout=15)
    log.close()


def _get(conn: http.client.HTTPConnection, ms: int = 0) -> str:
    conn.request("GET", f"/?ms={ms}")
    response = conn.getresponse()
    assert response.status == 200
    return response.read().decode()


def test_the_configured_worker_is_the_hubs():
    from config import gunicorn as conf

    assert conf.worker_class == "config.gunicorn_worker.KeepAliveThreadWorker"


def test_a_kept_alive_connection_is_served_request_after_request(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
    threads = {_get(conn) for _ in range(50)}
    assert len(threads) == 1  # one thread (HUB_WEB_THREADS=1), one connection, every answer
    conn.close()


def test_a_connection_that_keeps_sending_does_not_starve_one_waiting_for_the_thread(server):
    """One thread; connection A sends 20 ms requests back to back, B asks once meanwhile: B is answered after at
    most A's request in progress and its own, not after A's run of kept-alive requests."""
    stop = threading.Event()
    served = [0]

    def keep_sending():
        a = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
        while not stop.is_set():
            _get(a, 20)
            served[0] += 1
        a.close()

    sender = threading.Thread(target=keep_sending)
    sender.start()
    try:
        time.sleep(0.3)
        b = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
        started = time.monotonic()
        _get(b, 0)
        waited = time.monotonic() - started
        b.close()
    finally:
        stop.set()
        sender.join(timeout=10)
    assert served[0] >= 5
    assert waited < 0.5, waited  # lingering on A would have held the thread for up to 100 × 20 ms
