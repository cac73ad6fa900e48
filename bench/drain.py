"""Payout drain: ``python -m bench.drain`` or part ``d`` of ``make bench``.

BENCH_WINS (10,000) pending wins, written while no worker runs, drained by the Celery worker setting
BENCH_DRAIN_CONFIG (default ``prefork:2``) through the partner's delivery pump (``wallet.delivery``):

1. to ``../shared/perf/wallet.py``, the lean partner wallet, under uvicorn (its header's command; the
   interpreter is BENCH_WALLET_PYTHON, default the yardstick's small venv, PERF_VENV (/tmp/perf-venv), made
   with pip when missing as part ``c`` does; the directory is PERF_DIR or ``../shared/perf`` found from the
   checkout), port BENCH_WALLET_PORT (18203);
2. to the null partner (bench/nullpartner.py), port BENCH_NULL_PORT (18202).

Everything runs on this machine (2 cores: hub worker, partner, PostgreSQL, Redis). The rate is the
steady one (first to last confirmation) of ``bench.delivery_drain.drain_run``. The per-partner cap is checked
over the whole drain: the most calls that overlapped in time, from the attempts the engine recorded
(``started_at`` + ``duration_ms``, a sweep line in SQL); the peak must stay ≤ the cap (``HUB_PARTNER_MAX_IN_FLIGHT``, 32, unless BENCH_DRAIN_CAP sets it).

BENCH_DRAIN_PYSPY=1 also records (BENCH_DRAIN_PYSPY_GIL=1: only samples holding the GIL, the worker's Python CPU) a py-spy profile of the worker (children included) during the
``../shared/perf/wallet.py`` drain: var/bench/drain-pyspy.txt, collapsed stacks (flamegraph.pl and
speedscope read them; py-spy is a hand-run tool: ``.venv/bin/pip install py-spy``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .common import BIN, ROOT, Stack, log, perf_dir, perf_venv
from .goals import Goal, print_goals

WINS = int(os.environ.get("BENCH_WINS", "10000"))
CONFIG = os.environ.get("BENCH_DRAIN_CONFIG", "prefork:2")
BENCH_WALLET_PYTHON = os.environ.get("BENCH_WALLET_PYTHON", "")  # default: the yardstick's venv (made when missing)
TARGET_WALLET = 1000.0
TARGET_NULL = 1500.0


def peak_in_flight(partner_id, since) -> int:
    """The most delivery calls to the partner that overlapped in time, from the attempts the engine wrote
    (``DeliveryAttempt.started_at`` and ``duration_ms``: the HTTP call): a sweep line over their starts
    and ends, an end sorting before a start at the same instant."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT coalesce(max(n), 0) FROM (
              SELECT sum(d) OVER (ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS n FROM (
                SELECT started_at AS t, 1 AS d FROM wallet_deliveryattempt WHERE partner_id = %s AND started_at >= %s
                UNION ALL
                SELECT started_at + duration_ms * interval '1 millisecond', -1 FROM wallet_deliveryattempt
                 WHERE partner_id = %s AND started_at >= %s) e) s""",
            [partner_id, since, partner_id, since],
        )
        return int(cursor.fetchone()[0])


def _pyspy(stack: Stack, seconds: int) -> subprocess.Popen | None:
    tool = shutil.which("py-spy") or str(BIN / "py-spy")
    if os.environ.get("BENCH_DRAIN_PYSPY") != "1" or not Path(tool).exists():
        return None
    out = ROOT / "var" / "bench" / "drain-pyspy.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    pid = stack.procs["worker"].pid
    return subprocess.Popen(
        [
            tool,
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "-d",
            str(seconds),
            "-o",
            str(out),
            "--format",
            "raw",
            "--nonblocking",
            *(["--gil"] if os.environ.get("BENCH_DRAIN_PYSPY_GIL") == "1" else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def drain_to(stack: Stack, sessions: list, port: int, *, partner: str, timeout: float, cap: int) -> dict:
    from .delivery_drain import drain_run

    spy: list = []
    if partner == "wallet":  # the flame graph: started once the worker is up (drain_run starts it)
        original = stack.start_worker

        def start_worker(**kwargs):
            original(**kwargs)
            proc = _pyspy(stack, int(min(timeout, 30)))
            if proc:
                spy.append(proc)

        stack.start_worker = start_worker  # type: ignore[method-assign]
    from django.utils import timezone

    since = timezone.now()
    try:
        result = drain_run(stack, sessions, config=CONFIG, n=WINS, timeout=timeout, partner=partner)
    finally:
        stack.__dict__.pop("start_worker", None)
    for proc in spy:
        proc.wait(timeout=60)
        result["pyspy_collapsed_stacks"] = "var/bench/drain-pyspy.txt"
    result["peak_in_flight"] = peak_in_flight(sessions[0].partner_id, since)
    result["cap"] = cap
    return result


def run(stack: Stack, wired, sessions: list, *, null_port: int, timeout: float = 60.0) -> tuple[dict, list[Goal]]:
    """Both drains on a prepared stack (the sandbox may be running; it is idle)."""
    from django.conf import settings

    from .common import set_hooks_url, wait_tcp

    cap = int(os.environ.get("BENCH_DRAIN_CAP", settings.HUB_PARTNER_MAX_IN_FLIGHT))
    if "BENCH_DRAIN_CAP" in os.environ:
        from tenants.models import Partner

        Partner.objects.filter(pk=wired.partner_id).update(max_in_flight=cap)
    results: dict = {}
    wallet_port = int(os.environ.get("BENCH_WALLET_PORT", "18203"))
    try:
        wallet_py = perf_dir() / "wallet.py"
        wallet_python = BENCH_WALLET_PYTHON or str(perf_venv() / "bin" / "python")
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        wallet_py, wallet_python = None, f"({exc})"
    if wallet_py is not None and wallet_py.exists() and Path(wallet_python).exists():
        log(f"(d) drain {WINS} wins to perf/wallet.py (uvicorn :{wallet_port})")
        stack._spawn(
            "perfwallet",
            [
                wallet_python,
                "-m",
                "uvicorn",
                "wallet:app",
                "--port",
                str(wallet_port),
                "--no-access-log",
                "--log-level",
                "warning",
                "--app-dir",
                str(wallet_py.parent),
            ],
            stack.env(),
        )
        wait_tcp(wallet_port)
        set_hooks_url(wired, f"http://127.0.0.1:{wallet_port}/hooks")
        results["wallet"] = drain_to(stack, sessions, wallet_port, partner="wallet", timeout=timeout, cap=cap)
        stack.kill("perfwallet")
    else:
        log(f"(d) skipping perf/wallet.py: {wallet_python} or {wallet_py} missing (see ../shared/perf/README.md)")
    log(f"(d) drain {WINS} wins to the null partner (:{null_port})")
    import sys

    stack._spawn("nullpartner", [sys.executable, "-m", "bench.nullpartner", str(null_port)], stack.env())
    wait_tcp(null_port)
    set_hooks_url(wired, f"http://127.0.0.1:{null_port}/hooks")
    results["null"] = drain_to(stack, sessions, null_port, partner="null", timeout=timeout, cap=cap)
    stack.kill("nullpartner")
    set_hooks_url(wired, f"{stack.sandbox_url}/t/{wired.slug}/igsp/hooks")
    return results, goals(results)


def goals(r: dict) -> list[Goal]:
    rows = []
    for key, name, target in (("wallet", "perf/wallet.py", TARGET_WALLET), ("null", "null partner", TARGET_NULL)):
        run = r.get(key)
        if not run:
            rows.append(Goal(f"Payout drain to {name}", f"≥ {target:,.0f} wins/s, cap respected", "not run"))
            continue
        rate, peak, cap = run["deliveries_per_s"], run["peak_in_flight"], run["cap"]
        cpu = run.get("cpu_ms_per_delivery", {}).get("hub_worker")
        rows.append(
            Goal(
                f"Payout drain to {name}",
                f"≥ {target:,.0f} wins/s, cap respected",
                f"{rate:,.0f}/s ({run['delivered']}/{run['wins']} wins, {run['config']}, worker {cpu} ms CPU/win; "
                f"peak {peak} calls in flight, cap {cap})",
                rate >= target and run["drained"] and peak <= cap,
            )
        )
    return rows


def main() -> int:
    import json

    from . import hubctl
    from .common import Watchdog
    from .delivery_drain import make_sessions

    Watchdog(9 * 60).arm()
    stack = Stack(
        "drain",
        hub_port=int(os.environ.get("BENCH_HUB_PORT", "18200")),
        sandbox_port=int(os.environ.get("BENCH_SANDBOX_PORT", "18201")),
        redis_db=int(os.environ.get("BENCH_REDIS_DB", "15")),
    )
    stack.prepare()
    hubctl.setup(stack)
    stack.start_sandbox(workers=1, threads=4)
    wired = hubctl.onboard(stack, slug="drain", default_balance="1000000.00")
    sessions = make_sessions(wired, 50)
    stack.kill("sandbox")  # only needed to wire the partner: idle CPU is still CPU
    results, rows = run(stack, wired, sessions, null_port=int(os.environ.get("BENCH_NULL_PORT", "18202")))
    stack.stop_all()
    path = ROOT / "var" / "bench-drain.json"
    path.write_text(json.dumps({"drain": results, "goals": [g.as_dict() for g in rows]}, indent=2, default=str))
    print_goals(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
