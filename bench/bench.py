"""Benchmarks (``make bench``): the delivery engine's drain rate and the latency a bet adds.

Runs the real stack on 127.0.0.1 with fresh databases ``hub_bench`` / ``hub_bench_sandbox`` on the
local PostgreSQL and Redis db 15 as the broker; the sandbox partner has no faults.

(a) Delivery drain. 10,000 real pending wins (sessions via ``wallet.services.session_create``,
    rounds and win Transactions bulk-inserted through the ORM exactly as ``win_record`` writes them)
    while no worker runs; the partner's delivery pump is kicked once (what the wins' commits do);
    then the Celery worker starts and the run measures the time until none is pending →
    deliveries/s. BENCH_CONFIGS (default ``prefork:2``) names the worker setting; several entries
    are compared on BENCH_PROBE_WINS (1,500) wins first and the best drains the full 10,000
    (time-boxed so the whole run ends in ~8.5 min: when the box ends first, the steady rate and the
    projected drain time are reported). The same setting then drains against a null partner
    (bench/nullpartner.py: no Django, no DB) to isolate the hub's own cost. CPU time per delivery
    of the worker, the partner and PostgreSQL is read from /proc (independent of machine load).
    Also measured: the sandbox's own capacity for win hooks (32 concurrent clients, no hub), and an
    in-process run of ``wallet.delivery.pump`` (queries and CPU per delivery, time per claim and
    per bulk record; cProfile top functions in var/bench/profile-deliver.txt).
(b) Bet latency. TraderHero IGSP sessions; N (BENCH_BETS, default 2,000; time-boxed) sequential
    ``POST /igsp/v1/sessions/<id>/bet`` through the hub, interleaved one for one with signed bet
    hooks sent straight to the sandbox (same body shape and size as the hub's). p50/p90/p99 of
    both and the difference (= what the hub adds). Then C concurrent clients (BENCH_CONCURRENCY,
    default ``4,8``) for BENCH_CONCURRENT_SECONDS (12) each, through the hub and then straight to
    the sandbox → sustained bets/s. An in-process run of the bet service counts the hub's queries
    per bet (cProfile in var/bench/profile-bet.txt). No Celery worker runs during (b): the
    TraderHero settle tasks just wait in the broker, so only the bet path is measured. Both databases
    are VACUUM (ANALYZE)d after (a), so autovacuum of (a)'s rows does not run during (b).

This module runs the parts in order on one stack: (a) is bench/delivery_drain.py (with bench/sandbox_hooks.py, the
sandbox called without the hub), (b) bench/bet_latency.py, (c) bench/bets.py, then (d), (l), (m) as their own
processes (bench/suites.py); bench/report.py prints the table.

Prints a compact table and writes everything to var/bench-results.json. Plans for ~8.5 min
(BENCH_TARGET_SECONDS=510), bounded by a 9.5 min watchdog. Environment: BENCH_HUB_PORT (18200),
BENCH_SANDBOX_PORT (18201), BENCH_NULL_PORT (18202), BENCH_REDIS_DB (15), BENCH_WINS (10000),
BENCH_PG_URL, BENCH_REDIS_URL, BENCH_PARTS (``a,b``; ``a`` alone gives the full drain ~7 min, enough
to drain all 10,000 on a small machine; a single BENCH_CONFIGS entry skips the probes).
"""

from __future__ import annotations

import gc
import json
import os
import platform
import sys
import time

from . import bets, hubctl, suites
from .bet_latency import bet_latency, concurrent_bets, profile_bets
from .common import (
    PG_ADMIN_URL,
    ROOT,
    Stack,
    Watchdog,
    flush_redis_db,
    host_probe,
    log,
    set_hooks_url,
    steal_seconds,
    vacuum_analyze,
    wait_tcp,
)
from .delivery_drain import drain_run, make_sessions, profile_deliveries, retire_leftovers
from .goals import Goal, print_goals
from .report import print_table
from .sandbox_hooks import SLUG, sandbox_capacity

WINS = int(os.environ.get("BENCH_WINS", "10000"))
PROBE_WINS = int(os.environ.get("BENCH_PROBE_WINS", "1500"))
CONFIGS = [c.strip() for c in os.environ.get("BENCH_CONFIGS", "prefork:2").split(",") if c.strip()]
BETS = int(os.environ.get("BENCH_BETS", "2000"))
CONCURRENCY = [int(c) for c in os.environ.get("BENCH_CONCURRENCY", "4,8").split(",") if c.strip()]
CONCURRENT_SECONDS = float(os.environ.get("BENCH_CONCURRENT_SECONDS", "12"))
PARTS = {p.strip() for p in os.environ.get("BENCH_PARTS", "a,b,c,d,l,m").split(",") if p.strip()}
PLAYERS = 50
TIME_BUDGET = 9 * 60 + 30
TARGET_SECONDS = float(os.environ.get("BENCH_TARGET_SECONDS", "510"))
RESULTS_PATH = ROOT / "var" / "bench-results.json"


# ----------------------------------------------------------------- main --


def main() -> int:
    t_start = time.monotonic()
    Watchdog(TIME_BUDGET + (round(bets.estimated_seconds()) if "c" in PARTS else 0)).arm()
    goals: list[Goal] = []  # each part's goal rows (bench/goals.py), printed after the table

    def left() -> float:  # planned: finish in ~8.5 min; the watchdog (9.5 min) is the hard stop
        return TARGET_SECONDS - (time.monotonic() - t_start)

    stack = Stack(
        "bench",
        hub_port=int(os.environ.get("BENCH_HUB_PORT", "18200")),
        sandbox_port=int(os.environ.get("BENCH_SANDBOX_PORT", "18201")),
        redis_db=int(os.environ.get("BENCH_REDIS_DB", "15")),
        # What a bet costs, as the yardstick measures it: one partner holds every c=16 connection, so the web's
        # per-process thread guard (half of a worker's threads by default) is lifted for it.
        extra_env={"HUB_PARTNER_MAX_BETS_IN_FLIGHT": "64"},
    )
    null_port = int(os.environ.get("BENCH_NULL_PORT", "18202"))
    load_before = os.getloadavg()
    probe_before, steal_before = host_probe(PG_ADMIN_URL), steal_seconds()
    stack.prepare()
    hubctl.setup(stack)
    stack.start_sandbox(workers=2, threads=16)
    wired = hubctl.onboard(stack, slug=SLUG, default_balance="1000000.00")
    results: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "loadavg_at_start": [round(x, 2) for x in load_before],
            "host_probe_at_start": probe_before,
        },
        "stack": {
            "sandbox": "gunicorn gthread 2 workers x 16 threads",
            "hub_web": "gunicorn gthread 2 x 8",
            "db": "PostgreSQL (local)",
            "broker": "Redis (local)",
        },
    }

    # ---- (a) delivery drain  (budget: everything but ~235 s kept for the null-partner run and (b))
    if "a" in PARTS:
        log("(a) sandbox capacity for win hooks (no hub)")
        results["sandbox_win_capacity"] = sandbox_capacity(stack, wired, clients=32, total=3000)
        sessions = make_sessions(wired, PLAYERS)
        log("(a) in-process profile of the delivery pump (wallet.delivery.pump)")
        results["deliver_profile"] = profile_deliveries(sessions)
        probes = []
        if len(CONFIGS) > 1:
            log(f"(a) probes: {PROBE_WINS} wins per worker setting")
            for config in CONFIGS:
                if left() < 300:
                    log(f"  skipping {config}: time budget")
                    continue
                probes.append(drain_run(stack, sessions, config=config, n=PROBE_WINS, timeout=20))
        results["drain_probes"] = probes
        best = max(probes, key=lambda r: r["deliveries_per_s"])["config"] if probes else CONFIGS[0]
        results["best_config"] = best
        budget = max(30.0, left() - (300 if "b" in PARTS else 60))  # (b) + null run + enqueue ≈ 300 s
        log(f"(a) full drain: {WINS} wins with {best} (time box {budget:.0f} s)")
        results["drain_full"] = drain_run(stack, sessions, config=best, n=WINS, timeout=budget)

        log("(a) the same engine against a null partner (no Django, no DB: the hub's own cost)")
        stack._spawn("nullpartner", [sys.executable, "-m", "bench.nullpartner", str(null_port)], stack.env())
        wait_tcp(null_port)
        set_hooks_url(wired, f"http://127.0.0.1:{null_port}/hooks")
        results["drain_null_partner"] = drain_run(
            stack,
            sessions,
            config=best,
            n=WINS,
            timeout=max(15.0, min(60.0, left() - (190 if "b" in PARTS else 30))),
            partner="null",
        )
        set_hooks_url(wired, f"{stack.sandbox_url}/t/{SLUG}/igsp/hooks")
        stack.kill("nullpartner")
        retire_leftovers()

    # ---- (b) bet latency
    if "b" in PARTS:
        flush_redis_db(stack.redis_db)
        if "a" in PARTS:  # (a) left 10,000 updated rows: clean them up now rather than during (b)
            for name in (stack.hub_db, stack.sandbox_db):
                vacuum_analyze(name)
        # This process measures the latencies: what (a) left on its heap must not turn into GC pauses inside
        # the timed requests.
        gc.collect()
        gc.freeze()
        stack.start_web(workers=2, threads=8)
        stack.wait_hub_ready()
        log("(b) in-process profile of one bet")
        results["bet_profile"] = profile_bets(stack, wired)
        conc_time = len(CONCURRENCY) * (2 * CONCURRENT_SECONDS + 4)
        seq_deadline = time.monotonic() + max(20.0, min(170.0, left() - conc_time - 10))
        log(
            f"(b) up to {BETS} sequential bets, hub vs sandbox hook, interleaved "
            f"(time box {seq_deadline - time.monotonic():.0f} s)"
        )
        results["bet_latency"] = bet_latency(stack, wired, BETS, seq_deadline)
        conc = []
        for clients in CONCURRENCY:
            if left() < 2 * CONCURRENT_SECONDS + 4:
                break
            log(f"(b) {clients} concurrent clients for {CONCURRENT_SECONDS:.0f}s (hub, then sandbox direct)")
            conc.append(concurrent_bets(stack, wired, clients, CONCURRENT_SECONDS))
            conc.append(concurrent_bets(stack, wired, clients, CONCURRENT_SECONDS, direct=True))
        results["concurrent_bets"] = conc

    # ---- (c) bets against the limit server (bench/bets.py): its own web, lean wallet and yardstick
    if "c" in PARTS:
        stack.kill("web")
        flush_redis_db(stack.redis_db)
        results["bets_vs_limit"], part_goals = bets.run(
            stack,
            wallet_port=int(os.environ.get("BENCH_WALLET_PORT", str(stack.hub_port + 3))),
            limit_port=int(os.environ.get("BENCH_LIMIT_PORT", str(stack.hub_port + 4))),
        )
        goals += part_goals
    results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["total_seconds"] = round(time.monotonic() - t_start, 1)
    # Steal: time the hypervisor ran other guests while this one had work (a noisy host slows every figure).
    results["machine"]["steal_percent"] = round(
        100 * (steal_seconds() - steal_before) / (results["total_seconds"] * (os.cpu_count() or 1)), 1
    )
    stack.stop_all()
    results["machine"]["host_probe_at_end"] = host_probe(PG_ADMIN_URL)
    flush_redis_db(stack.redis_db)  # leftover settle tasks of (b); the databases stay for inspection
    goals += suites.run(PARTS, results)  # (d) drain, (l) ledger growth, (m) memory: bench/suites.py

    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    results["goals"] = [g.as_dict() for g in goals]
    RESULTS_PATH.write_text(json.dumps(results, indent=2, default=str))
    print_table(results, RESULTS_PATH)
    print_goals(goals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
