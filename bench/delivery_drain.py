"""Part ``a`` of ``make bench`` (bench/bench.py): the delivery drain. Pending wins written as ``win_record`` writes
them, the partner's pump kicked once, then a Celery worker drains them (``drain_run``); the pump in this process
for its queries and CPU per delivery (``profile_deliveries``). bench/drain.py (part ``d``) drains with the same
``drain_run`` to the perf wallet.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import threading
import time
import uuid
from collections import Counter
from decimal import Decimal

from .common import ROOT, Stack, counting_db_wrapper, cpu_seconds, flush_redis_db, log, machine_busy_seconds


def make_sessions(wired, n: int) -> list:
    from catalog.models import Game
    from integration_hub.session_api.launch import SESSION_KEY_PREFIX
    from tenants.models import Partner
    from wallet import services

    partner = Partner.objects.get(pk=wired.partner_id)
    game = Game.objects.get(pk=wired.game_id)
    return [
        services.session_create(
            protocol="igsp",
            key_prefix=SESSION_KEY_PREFIX,
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
