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

Prints a compact table and writes everything to var/bench-results.json. Plans for ~8.5 min
(BENCH_TARGET_SECONDS=510), bounded by a 9.5 min watchdog. Environment: BENCH_HUB_PORT (18200),
BENCH_SANDBOX_PORT (18201), BENCH_NULL_PORT (18202), BENCH_REDIS_DB (15), BENCH_WINS (10000),
BENCH_PG_URL, BENCH_REDIS_URL, BENCH_PARTS (``a,b``; ``a`` alone gives the full drain ~7 min, enough
to drain all 10,000 on a small machine; a single BENCH_CONFIGS entry skips the probes).
"""

from __future__ import annotations

import cProfile
import gc
import io
import json
import os
import platform
import pstats
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from decimal import Decimal

import httpx

from . import bets, hubctl, suites
from .common import (
    PG_ADMIN_URL,
    ROOT,
    Stack,
    Watchdog,
    cpu_seconds,
    flush_redis_db,
    host_probe,
    log,
    machine_busy_seconds,
    steal_seconds,
    vacuum_analyze,
)
from .goals import Goal, print_goals

WINS = int(os.environ.get("BENCH_WINS", "10000"))
PROBE_WINS = int(os.environ.get("BENCH_PROBE_WINS", "1500"))
CONFIGS = [c.strip() for c in os.environ.get("BENCH_CONFIGS", "prefork:2").split(",") if c.strip()]
BETS = int(os.environ.get("BENCH_BETS", "2000"))
CONCURRENCY = [int(c) for c in os.environ.get("BENCH_CONCURRENCY", "4,8").split(",") if c.strip()]
CONCURRENT_SECONDS = float(os.environ.get("BENCH_CONCURRENT_SECONDS", "12"))
PARTS = {p.strip() for p in os.environ.get("BENCH_PARTS", "a,b,c,d,l,m").split(",") if p.strip()}
SLUG = "bench"
PLAYERS = 50
TIME_BUDGET = 9 * 60 + 30
TARGET_SECONDS = float(os.environ.get("BENCH_TARGET_SECONDS", "510"))
RESULTS_PATH = ROOT / "var" / "bench-results.json"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary_ms(samples: list[float]) -> dict:
    ms = [s * 1000 for s in samples]
    return {
        "n": len(ms),
        "p50": round(pct(ms, 0.50), 2),
        "p90": round(pct(ms, 0.90), 2),
        "p99": round(pct(ms, 0.99), 2),
        "mean": round(statistics.fmean(ms), 2) if ms else None,
        "max": round(max(ms), 2) if ms else None,
    }


# ------------------------------------------------------------------ setup --


def make_sessions(wired, n: int) -> list:
    from games.models import Game
    from tenants.models import Partner
    from wallet import services

    partner = Partner.objects.get(pk=wired.partner_id)
    game = Game.objects.get(pk=wired.game_id)
    return [
        services.session_create(
            protocol="igsp",
            partner=partner,
            game=game,
            player_id=f"bench-p{i}",
            player_name=f"P{i}",
            currency="USD",
            partner_session_ref=f"bench-{uuid.uuid4().hex[:12]}",
        ).session
        for i in range(n)
    ]


def insert_pending_wins(sessions: list, n: int) -> list[str]:
    """Rounds + pending win Transactions, as win_record writes them (without enqueueing)."""
    from django.db import transaction
    from django.utils import timezone

    from wallet.models import Round, RoundStatus, Transaction, TxKind, TxStatus

    now = timezone.now()
    rounds, txs = [], []
    for i in range(n):
        session = sessions[i % len(sessions)]
        rnd = Round(
            id=uuid.uuid4(),
            session_id=session.pk,
            partner_id=session.partner_id,
            status=RoundStatus.SETTLED,
            settled_at=now,
        )
        rounds.append(rnd)
        txs.append(
            Transaction(
                id=uuid.uuid4(),
                round_id=rnd.id,
                session_id=session.pk,
                partner_id=session.partner_id,
                kind=TxKind.WIN,
                amount=Decimal(1 + i % 500) / 100,
                currency="USD",
                tx_type="regular",
                finished=True,
                status=TxStatus.PENDING,
                next_attempt_at=now,
            )
        )
    with transaction.atomic():
        Round.objects.bulk_create(rounds, batch_size=2000)
        Transaction.objects.bulk_create(txs, batch_size=2000)
    return [str(t.id) for t in txs]


def enqueue(partner_id) -> float:
    """What the wins' commits do: kick the partner's delivery pump (one message for the whole backlog)."""
    from wallet import outbox

    started = time.perf_counter()
    assert outbox.kick(partner_id, ensure_row=True), "the pump flag was taken"
    return time.perf_counter() - started


def pending_count() -> int:
    from wallet.models import Transaction, TxKind, TxStatus

    return Transaction.objects.filter(status=TxStatus.PENDING, kind=TxKind.WIN).count()


def retire_leftovers() -> int:
    """Wins a previous (time-boxed) run left pending are taken out of the way (status resolved)."""
    from wallet.models import Transaction, TxKind, TxStatus

    return Transaction.objects.filter(status=TxStatus.PENDING, kind=TxKind.WIN).update(
        status=TxStatus.RESOLVED, resolution_note="bench: left over by a time-boxed run"
    )


def reset_delivery_state() -> None:
    from wallet.models import PartnerDeliveryState

    PartnerDeliveryState.objects.all().delete()


# ------------------------------------------------------ sandbox capacity --


def sandbox_win_body(wired, player: str, amount: Decimal) -> bytes:
    from core.api.renderers import dumps_exact

    return dumps_exact(
        {
            "action": "win",
            "player_id": player,
            "amount": amount,
            "currency": "USD",
            "game_id": wired.game_id,
            "transaction_id": str(uuid.uuid4()),
            "session_id": f"bench-{uuid.uuid4().hex[:12]}",
            "type": "win",
            "round_id": str(uuid.uuid4()),
            "finished": True,
        }
    )


def sandbox_bet_body(wired, player: str, amount: Decimal, session_ref: str) -> bytes:
    from core.api.renderers import dumps_exact

    return dumps_exact(
        {
            "action": "bet",
            "player_id": player,
            "amount": amount,
            "currency": "USD",
            "game_id": wired.game_id,
            "transaction_id": str(uuid.uuid4()),
            "session_id": session_ref,
            "type": "bet",
            "round_id": str(uuid.uuid4()),
            "finished": False,
        }
    )


def signed(wired, body: bytes) -> dict:
    from core import signing

    headers = signing.igsp_headers(wired.igsp_api_key, wired.igsp_secret, body)
    headers["Content-Type"] = "application/json"
    return headers


def sandbox_capacity(stack: Stack, wired, *, clients: int = 16, total: int = 3000) -> dict:
    url = f"{stack.sandbox_url}/t/{SLUG}/igsp/hooks"
    counter = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    errors = Counter()

    def run(i: int) -> None:
        with httpx.Client(timeout=10) as client:
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                body = sandbox_win_body(wired, f"cap-p{i}", Decimal("1.00"))
                t = time.perf_counter()
                try:
                    r = client.post(url, content=body, headers=signed(wired, body))
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                dt = time.perf_counter() - t
                with lock:
                    latencies.append(dt)
                    if not ok:
                        errors["error"] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": total,
        "seconds": round(elapsed, 2),
        "wins_per_s": round(total / elapsed, 1),
        "errors": sum(errors.values()),
        "latency_ms": summary_ms(latencies),
    }


# ------------------------------------------------------------ profiling --


def counting_db_wrapper(timers: Counter, counts: Counter):
    """A ``connection.execute_wrapper`` that adds up time ("db") and statements ("db", "sql_<VERB>")."""

    def db_wrapper(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timers["db"] += time.perf_counter() - t
            counts["db"] += 1
            counts[f"sql_{sql.lstrip().split(' ', 1)[0].upper()}"] += 1

    return db_wrapper


def pump_steps() -> set[tuple[object, str]]:
    """The pump's steps the profile times, as (module, name): the modules the pump looks them up in."""
    from wallet.delivery import attempts, breaker, lease

    return {(lease, "claim_batch"), (attempts, "record"), (breaker, "gate")}


def profile_deliveries(sessions: list, n: int = 2000) -> dict:
    """The delivery pump in this process (no Celery): queries, CPU and wall time per delivery."""
    from django.db import connection

    from core import signing
    from tenants import crypto
    from wallet import delivery
    from wallet.models import PartnerDeliveryState

    timers: Counter = Counter()
    counts: Counter = Counter()
    lock = threading.Lock()

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                with lock:
                    timers[name] += time.perf_counter() - t
                    counts[name] += 1

        return wrapper

    db_wrapper = counting_db_wrapper(timers, counts)

    def run_pump() -> Counter:
        token = uuid.uuid4()
        PartnerDeliveryState.objects.update_or_create(
            partner_id=sessions[0].partner_id, defaults={"pump_token": token, "pump_until": None}
        )
        return delivery.pump(sessions[0].partner_id, token, max_seconds=600)

    originals = (crypto.decrypt_secret, signing.igsp_headers)
    crypto.decrypt_secret = timed("fernet_decrypt", crypto.decrypt_secret)
    signing.igsp_headers = timed("hmac_sign", signing.igsp_headers)
    steps = pump_steps()
    step_originals = {(mod, name): getattr(mod, name) for mod, name in steps}
    for (mod, name), fn in step_originals.items():
        setattr(mod, name, timed(f"step:{name}", fn))
    try:
        insert_pending_wins(sessions, 100)
        run_pump()  # warm-up
        timers.clear()
        counts.clear()
        insert_pending_wins(sessions, n)
        with connection.execute_wrapper(db_wrapper):
            started, cpu_started = time.perf_counter(), time.process_time()
            results = run_pump()
            total, cpu_total = time.perf_counter() - started, time.process_time() - cpu_started
        snap_t, snap_c = Counter(timers), Counter(counts)
        insert_pending_wins(sessions, 500)
        profiler = cProfile.Profile()
        profiler.enable()
        run_pump()
        profiler.disable()
    finally:
        crypto.decrypt_secret, signing.igsp_headers = originals
        for (mod, name), fn in step_originals.items():
            setattr(mod, name, fn)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(25)
    prof_path = ROOT / "var" / "bench" / "profile-deliver.txt"
    prof_path.parent.mkdir(parents=True, exist_ok=True)
    prof_path.write_text(out.getvalue())
    m = max(1, results["delivered"])
    return {
        "deliveries": results["delivered"],
        "results": dict(results),
        "per_s": round(m / total, 1),
        "cpu_ms_per_delivery": round(cpu_total / m * 1000, 3),
        "queries_per_delivery": round(snap_c["db"] / m, 3),
        "sql_per_delivery": {k[4:]: round(v / m, 3) for k, v in snap_c.items() if k.startswith("sql_")},
        "wall_ms_per_call": {
            k[5:]: round(v / max(1, snap_c[k]) * 1000, 2) for k, v in snap_t.items() if k.startswith("step:")
        },
        "calls": {k[5:]: snap_c[k] for k in snap_c if k.startswith("step:")},
        "fernet_decrypts": snap_c["fernet_decrypt"],
        "cprofile": str(prof_path.relative_to(ROOT)),
    }


def profile_bets(stack: Stack, wired, n: int = 200) -> dict:
    """The bet service in this process (as the web view calls it): queries and time per bet."""
    from django.db import connection

    from games import play
    from wallet import transport

    sessions = make_sessions(wired, 1)
    session = type(sessions[0]).objects.select_related("partner", "ext_client", "game").get(pk=sessions[0].pk)
    timers: Counter = Counter()
    counts: Counter = Counter()

    db_wrapper = counting_db_wrapper(timers, counts)

    original = transport.send

    def send(*args, **kwargs):
        t = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            timers["http"] += time.perf_counter() - t

    transport.send = send
    try:
        for _ in range(20):
            play.bet_jackpot(session=session, direction="up", amount=Decimal("1.00"))
        timers.clear()
        counts.clear()
        with connection.execute_wrapper(db_wrapper):
            started = time.perf_counter()
            for _ in range(n):
                play.bet_jackpot(session=session, direction="up", amount=Decimal("1.00"))
            total = time.perf_counter() - started
        snap_t, snap_c = Counter(timers), Counter(counts)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(100):
            play.bet_jackpot(session=session, direction="up", amount=Decimal("1.00"))
        profiler.disable()
    finally:
        transport.send = original
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    prof_path = ROOT / "var" / "bench" / "profile-bet.txt"
    prof_path.write_text(out.getvalue())
    timers, counts = snap_t, snap_c
    return {
        "bets": n,
        "cprofile": str(prof_path.relative_to(ROOT)),
        "queries_per_bet": round(counts["db"] / n, 2),
        "ms_per_bet": {
            "total": round(total / n * 1000, 2),
            "db": round(timers["db"] / n * 1000, 2),
            "http_to_sandbox": round(timers["http"] / n * 1000, 2),
            "other_python": round((total - timers["db"] - timers["http"]) / n * 1000, 2),
        },
    }


# ---------------------------------------------------------------- drain --


def drain_run(
    stack: Stack,
    sessions: list,
    *,
    config: str,
    n: int,
    timeout: float,
    partner: str = "sandbox",
    loglevel: str = "INFO",
) -> dict:
    from django.db.models import Max, Min

    from wallet.models import Transaction

    pool, concurrency = config.split(":")
    flush_redis_db(stack.redis_db)
    retire_leftovers()
    reset_delivery_state()
    ids = insert_pending_wins(sessions, n)
    enqueue_seconds = enqueue(sessions[0].partner_id)
    started = time.monotonic()
    stack.start_worker(pool=pool, concurrency=int(concurrency), name="worker", loglevel=loglevel)
    if loglevel == "INFO":
        stack.wait_worker_ready("worker", timeout=30)
    else:  # no "ready." line below INFO: wait for the first delivery
        limit = time.monotonic() + 30
        while pending_count() == n and time.monotonic() < limit:
            time.sleep(0.1)
    partner_proc = "sandbox" if partner == "sandbox" else "nullpartner"
    cpu0 = {
        "worker": stack.cpu("worker"),
        "partner": stack.cpu(partner_proc),
        "postgres": cpu_seconds(user_name="postgres"),
        "machine": machine_busy_seconds(),
    }
    done0 = n - pending_count()
    last_pending, last_change, rescues = n, time.monotonic(), 0
    pending = n
    while True:
        pending = pending_count()
        now = time.monotonic()
        if pending == 0 or now - started > timeout:
            break
        if pending != last_pending:
            last_pending, last_change = pending, now
        elif now - last_change > 4:  # no beat runs here: do the sweeper's job if the pump stalled
            from wallet import delivery

            delivery.sweep()
            rescues += 1
            last_change = now
        time.sleep(0.2)
    wall = time.monotonic() - started
    cpu1 = {
        "worker": stack.cpu("worker"),
        "partner": stack.cpu(partner_proc),
        "postgres": cpu_seconds(user_name="postgres"),
        "machine": machine_busy_seconds(),
    }
    stack.kill("worker")
    agg = Transaction.objects.filter(pk__in=ids, status="confirmed").aggregate(
        first=Min("confirmed_at"), last=Max("confirmed_at")
    )
    delivered = n - pending
    span = (agg["last"] - agg["first"]).total_seconds() if agg["first"] and agg["last"] else 0.0
    result = {
        "config": config,
        "partner": partner,
        "worker_loglevel": loglevel,
        "wins": n,
        "delivered": delivered,
        "drained": pending == 0,
        "wall_s_incl_worker_start": round(wall, 2),
        "enqueue_s": round(enqueue_seconds, 2),
        "first_to_last_s": round(span, 2),
        "deliveries_per_s": round(delivered / span, 1) if span else 0.0,
        "wall_deliveries_per_s": round(delivered / wall, 1),
        "sweeper_rescues": rescues,
    }
    measured = delivered - done0  # deliveries while the CPU counters ran (the worker was ready)
    if measured > 0:
        result["cpu_ms_per_delivery"] = {
            "hub_worker": round((cpu1["worker"] - cpu0["worker"]) / measured * 1000, 2),
            f"{partner}_partner": round((cpu1["partner"] - cpu0["partner"]) / measured * 1000, 2),
            # live postgres backends only (recycled connections drop out): a lower bound, all databases
            "postgres_approx": round((cpu1["postgres"] - cpu0["postgres"]) / measured * 1000, 2),
            # every core, every process (PostgreSQL, Redis, this script's polling included)
            "machine_total": round((cpu1["machine"] - cpu0["machine"]) / measured * 1000, 2),
        }
    if not result["drained"] and result["deliveries_per_s"]:
        result["projected_drain_s"] = round(n / result["deliveries_per_s"], 1)
    log(
        f"  {config:>11} → {partner}: {result['deliveries_per_s']:7.1f}/s steady, {result['wall_deliveries_per_s']:7.1f}/s wall "
        f"({delivered}/{n} in {wall:.1f}s)"
    )
    return result


# ----------------------------------------------------------------- bets --


def bet_latency(stack: Stack, wired, n: int, deadline: float) -> dict:
    """Sequential, interleaved: one bet through the hub, one signed bet hook straight to the sandbox."""
    from sandbox.client import SandboxClient

    hooks_url = f"{stack.sandbox_url}/t/{SLUG}/igsp/hooks"
    with httpx.Client(timeout=30) as client, SandboxClient(stack.sandbox_url) as sb:
        session = hubctl.create_session(client, stack, wired, player_id="lat-hub", balance="1000000000.00")
        sb.set_balance(SLUG, "lat-hub", "USD", "1000000000.00")
        sb.set_balance(SLUG, "lat-direct", "USD", "1000000000.00")
        bet_url = f"{stack.hub_url}/igsp/v1/sessions/{session.session_id}/bet"
        hub_headers = {"X-Casino-Key": session.key, "Content-Type": "application/json"}
        hub_lat, sb_lat, errors = [], [], Counter()
        body = hubctl.bet_body("up", Decimal("1.00"))
        for i in range(n + 100):
            if time.monotonic() > deadline:
                break
            t = time.perf_counter()
            r = client.post(bet_url, content=body, headers=hub_headers)
            dt = time.perf_counter() - t
            if r.status_code != 201:
                errors[f"hub {r.status_code}"] += 1
            elif i >= 100:
                hub_lat.append(dt)
            hook = sandbox_bet_body(wired, "lat-direct", Decimal("1.00"), session.partner_ref)
            t = time.perf_counter()
            r = client.post(hooks_url, content=hook, headers=signed(wired, hook))
            dt = time.perf_counter() - t
            if r.status_code != 200:
                errors[f"sandbox {r.status_code}"] += 1
            elif i >= 100:
                sb_lat.append(dt)
    hub, sbx = summary_ms(hub_lat), summary_ms(sb_lat)
    return {
        "requested": n,
        "time_boxed": len(hub_lat) < n,
        "hub_bet": hub,
        "sandbox_bet_hook": sbx,
        "added_by_hub_ms": {
            "p50": round(hub["p50"] - sbx["p50"], 2),
            "p99": round(hub["p99"] - sbx["p99"], 2),
            "mean": round(hub["mean"] - sbx["mean"], 2),
        },
        "hook_body_bytes": len(sandbox_bet_body(wired, "lat-direct", Decimal("1.00"), "bench-000000000000")),
        "errors": dict(errors),
    }


def concurrent_bets(stack: Stack, wired, clients: int, seconds: float, *, direct: bool = False) -> dict:
    from sandbox.client import SandboxClient

    hooks_url = f"{stack.sandbox_url}/t/{SLUG}/igsp/hooks"
    sessions = []
    with httpx.Client(timeout=30) as client, SandboxClient(stack.sandbox_url) as sb:
        for i in range(clients):
            player = f"conc{clients}-{'d' if direct else 'h'}{i}"
            sb.set_balance(SLUG, player, "USD", "1000000000.00")
            sessions.append(hubctl.create_session(client, stack, wired, player_id=player, balance="1000000000.00"))
    lat: list[float] = []
    errors = Counter()
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def run(session) -> None:
        local, bad = [], Counter()
        body = hubctl.bet_body("down", Decimal("1.00"))
        with httpx.Client(timeout=30) as client:
            headers = {"X-Casino-Key": session.key, "Content-Type": "application/json"}
            url = f"{stack.hub_url}/igsp/v1/sessions/{session.session_id}/bet"
            while time.perf_counter() < stop_at:
                if direct:
                    hook = sandbox_bet_body(wired, session.player_id, Decimal("1.00"), session.partner_ref)
                    t = time.perf_counter()
                    r = client.post(hooks_url, content=hook, headers=signed(wired, hook))
                    ok = r.status_code == 200
                else:
                    t = time.perf_counter()
                    r = client.post(url, content=body, headers=headers)
                    ok = r.status_code == 201
                dt = time.perf_counter() - t
                if ok:
                    local.append(dt)
                else:
                    bad[r.status_code] += 1
        with lock:
            lat.extend(local)
            errors.update(bad)

    threads = [threading.Thread(target=run, args=(s,)) for s in sessions]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {
        "target": "sandbox hook" if direct else "hub bet",
        "clients": clients,
        "seconds": round(elapsed, 1),
        "ok": len(lat),
        "per_s": round(len(lat) / elapsed, 1),
        "latency_ms": summary_ms(lat),
        "errors": {str(k): v for k, v in errors.items()},
    }


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
    print_table(results)
    print_goals(goals)
    return 0


def wait_tcp(port: int, timeout: float = 10) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def set_hooks_url(wired, url: str) -> None:
    from tenants.models import Partner

    Partner.objects.filter(pk=wired.partner_id).update(igsp_hooks_url=url)


def cpu_text(run: dict) -> str:
    cpu = run.get("cpu_ms_per_delivery")
    if not cpu:
        return "n/a"
    return "  ".join(f"{k} {v}" for k, v in cpu.items())


def sandbox_ceiling(run: dict, cpus: int) -> str:
    """Deliveries/s this machine could sustain if the hub's worker cost nothing: all cores divided by the
    CPU everything but the worker spent per delivery (the sandbox, PostgreSQL for both databases, …)."""
    cpu = run.get("cpu_ms_per_delivery") or {}
    rest = cpu.get("machine_total", 0) - cpu.get("hub_worker", 0)
    if rest <= 0:
        return "n/a"
    return f"{cpus * 1000 / rest:.0f}/s ({rest:.2f} ms CPU per delivery outside the hub worker)"


def print_table(r: dict) -> None:
    rows: list[tuple[str, str]] = []
    if "drain_full" in r:
        cap, prof, full, null = (
            r["sandbox_win_capacity"],
            r["deliver_profile"],
            r["drain_full"],
            r["drain_null_partner"],
        )
        rows += [
            (f"(a) drain {full['wins']} pending wins", ""),
            (
                f"  sandbox alone, win hooks ({cap['clients']} clients)",
                f"{cap['wins_per_s']}/s  p50 {cap['latency_ms']['p50']} ms",
            ),
        ]
        for probe in r["drain_probes"]:
            rows.append(
                (
                    f"  probe {probe['wins']} wins, {probe['config']}",
                    f"{probe['deliveries_per_s']}/s steady ({probe['wall_deliveries_per_s']}/s wall)",
                )
            )
        rows += [
            (
                f"  FULL {full['wins']} wins, {full['config']}",
                f"{full['deliveries_per_s']}/s steady, {full['wall_deliveries_per_s']}/s wall "
                f"({full['delivered']} in {full['wall_s_incl_worker_start']} s"
                + ("" if full["drained"] else f", time-boxed; projected {full.get('projected_drain_s')} s for all")
                + f"; enqueue {full['enqueue_s']} s)",
            ),
            (
                f"  {null['wins']} wins, {null['config']}, null partner",
                f"{null['deliveries_per_s']}/s steady (hub engine alone)",
            ),
            ("  CPU ms per delivery (full run)", cpu_text(full)),
            ("  the sandbox side's ceiling on this machine", sandbox_ceiling(full, r["machine"]["cpus"])),
            ("  CPU ms per delivery (null partner)", cpu_text(null)),
            (
                f"  pump in-process, {prof['deliveries']} wins to the sandbox",
                f"{prof['per_s']}/s, {prof['queries_per_delivery']} queries and {prof['cpu_ms_per_delivery']} ms CPU"
                f" (this process) per delivery; {prof['fernet_decrypts']} Fernet decrypts",
            ),
            (
                "  in-process wall ms per call",
                "  ".join(f"{k} {v} (x{prof['calls'].get(k, 0)})" for k, v in prof["wall_ms_per_call"].items()),
            ),
        ]
    if "bet_latency" in r:
        lat, bp = r["bet_latency"], r["bet_profile"]
        rows += [
            ("(b) bet latency (sequential)", ""),
            (
                "  hub POST /bet",
                f"p50 {lat['hub_bet']['p50']} ms  p90 {lat['hub_bet']['p90']} ms  "
                f"p99 {lat['hub_bet']['p99']} ms  (n={lat['hub_bet']['n']})",
            ),
            (
                "  sandbox bet hook direct",
                f"p50 {lat['sandbox_bet_hook']['p50']} ms  p90 {lat['sandbox_bet_hook']['p90']} ms  "
                f"p99 {lat['sandbox_bet_hook']['p99']} ms",
            ),
            ("  added by the hub", f"p50 {lat['added_by_hub_ms']['p50']} ms  p99 {lat['added_by_hub_ms']['p99']} ms"),
            (
                "  one bet in-process",
                f"{bp['ms_per_bet']['total']} ms = db {bp['ms_per_bet']['db']} ({bp['queries_per_bet']} queries) + "
                f"http {bp['ms_per_bet']['http_to_sandbox']} + python {bp['ms_per_bet']['other_python']}",
            ),
        ]
        for c in r["concurrent_bets"]:
            rows.append(
                (
                    f"  {c['clients']} clients, {c['target']}",
                    f"{c['per_s']}/s  p50 {c['latency_ms']['p50']} ms  p99 {c['latency_ms']['p99']} ms"
                    + (f"  errors {c['errors']}" if c["errors"] else ""),
                )
            )
    if "bets_vs_limit" in r:
        rows += bets.table_rows(r["bets_vs_limit"])
    width = max((len(a) for a, _ in rows), default=10)
    print(
        f"bench results ({r['machine']['cpus']} CPUs, load avg {r['machine']['loadavg_at_start'][0]} → "
        f"{r['machine']['loadavg_at_end'][0]}, total {r['total_seconds']} s) → {RESULTS_PATH}"
    )
    m = r["machine"]
    probes = "  |  ".join(
        f"{when}: loop {p['python_loop_ms']} ms, SELECT 1 p50 {p['select1_p50_us']} µs (p99 {p['select1_p99_us']}), "
        f"commit p50 {p.get('commit_p50_us', '-')} µs"
        for when, p in (("start", m["host_probe_at_start"]), ("end", m["host_probe_at_end"]))
    )
    print(f"host: {probes}; CPU steal during the run {m['steal_percent']} %")
    for a, b in rows:
        print(f"{a:<{width}}  {b}")


if __name__ == "__main__":
    sys.exit(main())
