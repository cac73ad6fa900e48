"""A clean stop of ``make run``: honcho with the real Procfile (gunicorn web, a real Celery worker, beat, the
sandbox partner) is sent SIGTERM while the worker has deliveries in flight against a stalling partner. Every
process of the tree must be gone within 10 s and every port free (the next ``make run`` must start), and the
deliveries cut by the stop must complete later, each moving money exactly once (leases: a cut delivery is only
a delay)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection

from wallet import delivery, services
from wallet.models import Transaction, TxStatus

ROOT = Path(__file__).resolve().parents[2]
HONCHO = Path(sys.executable).with_name("honcho")
BROKER = getattr(settings, "HUB_TEST_REAL_BROKER_URL", "") or "filesystem://"
STOP_BUDGET = 10.0
LEASE_SECONDS = 8  # the worker's lease: the cut deliveries become due again this long after their claim

pytestmark = pytest.mark.skipif(not HONCHO.exists(), reason="honcho is not installed next to this Python")


def _database_url() -> str:
    cfg = connection.settings_dict
    if cfg["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{cfg['NAME']}"
    auth = cfg["USER"] + (f":{cfg['PASSWORD']}" if cfg["PASSWORD"] else "")
    return f"postgres://{auth}@{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}/{cfg['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _proc_stat(pid: int) -> tuple[int, str, str] | None:
    """(parent pid, state, start time) of a live process, None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0], fields[19]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def _tree(root: int) -> dict[int, str]:
    """Every live descendant of ``root`` (and root), keyed by pid, valued by start time."""
    parents: dict[int, int] = {}
    starts: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _proc_stat(int(entry))) is not None:
            parents[int(entry)], starts[int(entry)] = stat[0], stat[2]
    found, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in found:
                found.add(pid)
                frontier.append(pid)
    return {pid: starts[pid] for pid in found if pid in starts}


def _alive(pids: dict[int, str]) -> dict[int, str]:
    """The processes of ``pids`` still running (a zombie has exited; a reused pid is another process)."""
    out = {}
    for pid, start in pids.items():
        stat = _proc_stat(pid)
        if stat is not None and stat[2] == start and stat[1] != "Z":
            out[pid] = _cmdline(pid)
    return out


def _wait(predicate, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} after {timeout}s; honcho said:\n{log.read_text(errors='replace')[-3000:]}")


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_sigterm_stops_every_process_of_make_run_and_cut_deliveries_complete_later_once(wired, game):
    hub_port, sandbox_port = _free_port(), _free_port()
    ref = f"s-{uuid.uuid4().hex[:8]}"
    session = services.session_create(
        protocol="igsp", partner=wired.partner, game=game, player_id="stop-1", currency="USD", partner_session_ref=ref
    ).session
    wired.sandbox.set_balance(wired.slug, "stop-1", "USD", "100.00")
    # The partner applies each win, then holds its answer past the moment we stop the hub.
    wired.faults(win={"stall_rate": 1.0, "stall_seconds": 20, "stall_mode": "after"})
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER,
        "HUB_VAR_DIR": str(settings.VAR_DIR),  # the filesystem broker's folder, shared with this process
        "HUB_PORT": str(hub_port),
        "HUB_SANDBOX_PORT": str(sandbox_port),
        "HUB_ALLOW_HTTP_LOOPBACK": "1",
        "HUB_WALLET_TIMEOUT_SECONDS": "3",
        "HUB_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
        "LOG_LEVEL": "WARNING",
    }
    log = Path(tempfile.mkstemp(prefix="honcho-", suffix=".log")[1])
    with log.open("wb") as out:
        honcho = subprocess.Popen(
            [str(HONCHO), "start", "-f", "Procfile", "--no-prefix"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    tree: dict[int, str] = {}
    try:
        _wait(lambda: _healthy(f"http://127.0.0.1:{hub_port}/healthz"), 30, "web not up", log)
        _wait(lambda: _healthy(f"http://127.0.0.1:{sandbox_port}/healthz"), 30, "sandbox not up", log)
        wins = []
        for _ in range(3):
            bet = services.bet_place(session=session, amount=Decimal("1.00"))
            wins.append(services.win_record(round=bet.round, amount=Decimal("2.50")))  # kicks the worker's pump

        def applied() -> int:
            return sum(1 for t in wired.ledger()["transactions"] if t["action"] == "win" and t["moved"])

        _wait(lambda: applied() == 3, 30, "the worker did not send the wins", log)
        tree = _tree(honcho.pid)
        assert any("celery" in _cmdline(pid) and " worker" in _cmdline(pid) for pid in tree), tree

        stopped_at = time.monotonic()
        honcho.send_signal(signal.SIGTERM)  # what `make run` passes on (and Ctrl-C's SIGINT alike)
        while _alive(tree) and time.monotonic() - stopped_at < STOP_BUDGET + 5:
            time.sleep(0.1)
        took = time.monotonic() - stopped_at
        left = _alive(tree)
        assert not left, f"still running {took:.1f}s after SIGTERM: {left}"
        assert took <= STOP_BUDGET, f"still running {took:.1f}s after SIGTERM: {left}"
        busy = [p for p in (hub_port, sandbox_port) if not _port_free(p)]
        assert not busy, f"ports still held after the stop: {busy}"
        # ... and the stop reached each process as one signal to its own process: the worker's tasks were not
        # killed under it (honcho signals whole process groups: a prefork pool's children died of SIGTERM
        # mid-task while the main process hung in billiard's Pool._help_stuff_finish until the SIGKILL).
        said = log.read_text(errors="replace")
        assert "exited with 'signal 15 (SIGTERM)'" not in said, said[-3000:]
    finally:
        for pid in _alive(tree) or {honcho.pid: ""}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        honcho.wait(timeout=5)

    # Cut mid-call: the wins are still pending (the partner applied them, the hub never heard back).
    assert Transaction.objects.filter(pk__in=[w.pk for w in wins], status=TxStatus.PENDING).count() == 3
    wired.sandbox.clear_faults(wired.slug)
    time.sleep(max(0.0, LEASE_SECONDS - (time.monotonic() - stopped_at)) + 0.5)
    for win in wins:  # the next worker after the lease: here, one delivery per row in this process
        assert delivery.deliver(win.pk) == "delivered", Transaction.objects.get(pk=win.pk).last_error
    movements = wired.ledger()["summary"]["movements_by_tx"]
    assert [movements.get(str(w.pk)) for w in wins] == [1, 1, 1]
    account = wired.sandbox.get_account(wired.slug, "stop-1", "USD")
    assert Decimal(account["balance"]) == Decimal("100.00") - 3 + Decimal("7.50")
