"""``python -m bench.cluster`` (``make cluster``): builds the cluster, plays the rounds with node 1 killed and
restarted, drains, checks and prints the summary (bench/cluster/__init__.py)."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import Counter

import httpx

from .. import hubctl
from ..chaos import PHASE_SECONDS, Play, attempt_failures, verify
from ..common import BIN, ROOT, Stack, Watchdog, log
from .costs import PgSampler, db_counters, node_cpu
from .load import fault_phase, player_loop
from .network import (
    MADE,
    cleanup,
    kill_node,
    network_up,
    node_env,
    node_ready,
    rabbit_vhost,
    start_node,
    wait_port,
    write_configs,
)
from .params import (
    BETS_BOUND,
    BREAKER_FAILURES,
    BROKER,
    BROKER_PORT,
    DRAIN_SECONDS,
    HOST_IP,
    INFLIGHT_URL,
    LB_PORT,
    NODE_PORT,
    NODES,
    OUTAGE_PHASES,
    PAYOUT_CAP,
    PG_HUB_POOL,
    PG_SANDBOX_POOL,
    PGB_PORT,
    PLAY_BUDGET,
    PLAYERS,
    REDIS_DB,
    ROUNDS,
    SANDBOX_PORT,
    SEED,
    SLUG,
    START_BALANCE,
    VHOST,
)


def main() -> int:
    if os.geteuid() != 0:
        print("make cluster needs root (ip netns)")
        return 2
    started = time.monotonic()
    Watchdog(
        int(os.environ.get("CLUSTER_WATCHDOG_SECONDS", "1800"))
    ).arm()  # its handler is replaced below by one that also removes the namespaces
    import atexit
    import signal

    atexit.register(cleanup)

    def on_signal(signum, frame):
        log(f"{signal.Signals(signum).name}: removing every process, namespace and config this run made")
        cleanup()
        os._exit(3 if signum == signal.SIGALRM else 130)

    for sig in (signal.SIGALRM, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    stack = Stack(
        "cluster",
        hub_port=NODE_PORT + 99,  # unused by the nodes (each listens in its own namespace)
        sandbox_port=SANDBOX_PORT,
        redis_db=REDIS_DB,
        extra_env={
            "HUB_JACKPOT_ROUND_SECONDS": "0",
            "HUB_RETRY_BASE_SECONDS": "1",
            "HUB_RETRY_MAX_SECONDS": "5",
            "HUB_SWEEP_SECONDS": "2",
            "HUB_BREAKER_FAILURES": str(BREAKER_FAILURES),
            "HUB_BREAKER_COOLDOWN_SECONDS": "2",
            "HUB_DELIVERY_LEASE_SECONDS": "15",
            "HUB_ORPHAN_BET_SECONDS": "20",
            "HUB_PARTNER_MAX_IN_FLIGHT": str(PAYOUT_CAP),
            "HUB_SANDBOX_URL": f"http://127.0.0.1:{SANDBOX_PORT}",
        },
    )
    if BROKER == "rabbitmq":
        rabbit_vhost(True)
        MADE["vhost"].append(VHOST)
        node_broker = f"amqp://guest:guest@{HOST_IP}:{BROKER_PORT}/{VHOST}"
        stack.broker_url = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"
        broker_target = "127.0.0.1:5672"
    else:
        node_broker = f"redis://{HOST_IP}:{BROKER_PORT}/{REDIS_DB}"
        broker_target = "127.0.0.1:6379"
    network_up()
    stack.prepare()
    hubctl.setup(stack)
    from sandbox.client import SandboxClient

    pgb_ini, ha_cfg = write_configs(stack, broker_target)
    stack._spawn("pgbouncer", ["pgbouncer", "-u", "postgres", pgb_ini], stack.env())
    stack._spawn("haproxy", ["haproxy", "-db", "-f", ha_cfg], stack.env())
    wait_port(HOST_IP, PGB_PORT, "pgbouncer")
    sandbox_env = stack.env(
        sandbox=True,
        SANDBOX_INFLIGHT_REDIS_URL=INFLIGHT_URL,
        DATABASE_URL=f"postgres://postgres@{HOST_IP}:{PGB_PORT}/{stack.sandbox_db}",
        HUB_DB_PGBOUNCER="1",
    )
    stack._spawn(
        "sandbox",
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "-c",
            "config/gunicorn.py",
            "--bind",
            f"{HOST_IP}:{SANDBOX_PORT}",
            "--bind",
            f"127.0.0.1:{SANDBOX_PORT}",  # for this script; the nodes come over the bridge
            "--workers",
            "2",
            "--threads",
            "24",
            "--no-control-socket",
            "--access-logfile",
            "/dev/null",
        ],
        sandbox_env,
    )
    sandbox_url = f"http://{HOST_IP}:{SANDBOX_PORT}"
    stack.wait_http(f"{sandbox_url}/healthz", "sandbox")
    wired = hubctl.onboard(stack, slug=SLUG)  # hooks URL http://127.0.0.1:<port>: the nodes' socat sidecar
    sb = SandboxClient(sandbox_url)
    players = [f"cl-p{i}" for i in range(PLAYERS)]
    for player in players:
        sb.set_balance(SLUG, player, "USD", START_BALANCE)
    env = node_env(stack, node_broker)
    for i in range(1, NODES + 1):
        start_node(stack, i, env)
    for i in range(1, NODES + 1):
        node_ready(i)
    lb = f"http://127.0.0.1:{LB_PORT}"
    stack.hub_url = lb
    stack.wait_http(f"{lb}/readyz", "load balancer")
    with httpx.Client(timeout=10) as client:
        sessions = [
            hubctl.create_session(client, stack, wired, player_id=p, balance=str(START_BALANCE)) for p in players
        ]
    log(f"{NODES} nodes up ({time.monotonic() - started:.0f}s), broker {BROKER}; {ROUNDS} rounds, {PLAYERS} players")

    from sandbox import inflight

    sb.set_faults(SLUG, fault_phase(0), seed=SEED)
    play = Play(ROUNDS)
    busy: Counter = Counter()
    outage_calls: list[int] = []
    events: list[str] = []

    def rotator() -> None:
        phase = 0
        while not play.stop.wait(PHASE_SECONDS):
            phase += 1
            before = inflight.stats(SLUG, INFLIGHT_URL)["payout_calls"]
            if phase - 1 in OUTAGE_PHASES and phase not in OUTAGE_PHASES:
                outage_calls.append(before - outage_start[0])
            if phase in OUTAGE_PHASES and phase - 1 not in OUTAGE_PHASES:
                outage_start[0] = before
            try:
                sb.set_faults(SLUG, fault_phase(phase), seed=SEED + phase)
            except Exception as exc:  # noqa: BLE001
                log(f"could not rotate faults: {exc}")

    outage_start = [0]

    def killer() -> None:
        for fraction, action in ((1 / 3, "kill"), (2 / 3, "restart")):
            with play.lock:
                while play.answered < int(ROUNDS * fraction) and not play.stop.is_set():
                    play.answered_event.wait(1)
            if play.stop.is_set():
                return
            if action == "kill":
                log(f"SIGKILL every process of node 1 after {play.answered} rounds")
                for role, seconds in node_cpu(stack).items():
                    lost_cpu[role] += seconds
                kill_node(stack, 1)
                for role, seconds in node_cpu(stack).items():
                    lost_cpu[role] -= seconds  # node 2's part is still counted at the end
            else:
                log(f"restarting node 1 after {play.answered} rounds")
                start_node(stack, 1, env)
                node_ready(1)
                log("node 1 back up")
            events.append(action)

    threads = [
        threading.Thread(target=player_loop, args=(lb, s, play, busy, SEED * 1000 + i), daemon=True)
        for i, s in enumerate(sessions)
    ]
    helpers = [threading.Thread(target=rotator, daemon=True), threading.Thread(target=killer, daemon=True)]
    lost_cpu: Counter = Counter()  # node 1's CPU until its SIGKILL
    cpu0, db0 = node_cpu(stack), db_counters(stack.hub_db)
    host0 = {name: stack.cpu(name) for name in ("haproxy", "pgbouncer", "sandbox")}
    pg_sampler = PgSampler({"hub": stack.hub_db, "sandbox": stack.sandbox_db})
    pg_sampler.start()
    play_started = time.monotonic()
    for t in [*threads, *helpers]:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, PLAY_BUDGET - (time.monotonic() - started)))
    play.stop.set()
    helpers[1].join(timeout=120)
    play_seconds = time.monotonic() - play_started
    cpu1, db1 = node_cpu(stack), db_counters(stack.hub_db)
    pg_cpu = pg_sampler.stop()
    host1 = {name: stack.cpu(name) for name in host0}
    requests = play.answered + busy["partner_busy"]
    rounds = max(play.answered, 1)
    cost = {
        "web_cpu_ms_per_bet_request": round(
            1000 * (cpu1.get("web", 0) + lost_cpu["web"] - cpu0.get("web", 0)) / max(requests, 1), 1
        ),
        "web_cpu_ms_per_round": round(1000 * (cpu1.get("web", 0) + lost_cpu["web"] - cpu0.get("web", 0)) / rounds, 1),
        "worker_cpu_ms_per_round": round(
            1000 * (cpu1.get("worker", 0) + lost_cpu["worker"] - cpu0.get("worker", 0)) / rounds, 1
        ),
        "beat_cpu_ms_per_round": round(
            1000 * (cpu1.get("beat", 0) + lost_cpu["beat"] - cpu0.get("beat", 0)) / rounds, 1
        ),
        "pg_cpu_ms_per_round": round(1000 * pg_cpu.get("hub", 0) / rounds, 1),
        "pg_cpu_ms_per_round_sandbox": round(1000 * pg_cpu.get("sandbox", 0) / rounds, 1),
        **{
            f"{name}_cpu_ms_per_request": round(1000 * (host1[name] - host0[name]) / max(requests, 1), 2)
            for name in ("haproxy", "pgbouncer")
        },
        "sandbox_cpu_ms_per_round": round(1000 * (host1["sandbox"] - host0["sandbox"]) / rounds, 1),
        "bet_requests": requests,
        "pg_backends_max": dict(pg_sampler.max_backends),
        **{f"db_{k}_per_round": round((db1[k] - db0[k]) / rounds, 1) for k in db0},
    }
    log(f"costs during play (node 1 restarted: its workers' start-up CPU included): {cost}")
    log(
        f"rounds done in {play_seconds:.0f}s: {dict(play.statuses)}; busy {dict(busy)}; transport {dict(play.transport_errors)}"
    )
    sb.clear_faults(SLUG)
    if "restart" not in events:
        start_node(stack, 1, env)
        node_ready(1)

    from games.models import JackpotRound, JackpotRoundStatus
    from wallet.models import Transaction, TxKind, TxStatus

    drain_started = time.monotonic()
    while True:
        state = {
            "pending_deliveries": Transaction.objects.filter(
                status=TxStatus.PENDING, kind__in=[TxKind.WIN, TxKind.REFUND]
            ).count(),
            "pending_bets": Transaction.objects.filter(status=TxStatus.PENDING, kind=TxKind.BET).count(),
            "open_rounds": JackpotRound.objects.filter(status=JackpotRoundStatus.OPEN).count(),
        }
        if not any(state.values()) or time.monotonic() - drain_started > DRAIN_SECONDS:
            break
        time.sleep(1)
    drain_seconds = time.monotonic() - drain_started
    ledger = sb.ledger(SLUG)
    (stack.var_dir / "sandbox-ledger.json").write_text(json.dumps({"partner_id": wired.partner_id, "ledger": ledger}))
    problems, stats = verify(wired, ledger, players, play)
    measured = inflight.stats(SLUG, INFLIGHT_URL)
    if any(state.values()):
        problems.insert(0, f"not drained after {DRAIN_SECONDS:.0f}s: {state}")
    if events != ["kill", "restart"]:
        problems.append(f"node 1 events: {events}")
    if play.answered < ROUNDS:
        problems.append(f"only {play.answered} of {ROUNDS} rounds were answered")
    backends = cost["pg_backends_max"]
    if backends.get("hub", 0) > PG_HUB_POOL + 1 or backends.get("sandbox", 0) > PG_SANDBOX_POOL:
        problems.append(
            f"PostgreSQL backends {backends}: more than PgBouncer's pools ({PG_HUB_POOL} + this script, {PG_SANDBOX_POOL})"
        )
    if measured["bet_max"] > BETS_BOUND:
        problems.append(
            f"{measured['bet_max']} bets in flight at the partner at once (the thread guards' bound {BETS_BOUND}, all nodes)"
        )
    if measured["payout_max"] > PAYOUT_CAP:
        problems.append(f"{measured['payout_max']} payouts in flight at the partner at once (cap {PAYOUT_CAP})")
    # While the partner's payout side is down (two phases), the breaker holds the calls to a trickle: the
    # failures that open it, then one probe per cool-down (2 s, growing), across every node.
    outage_bound = PAYOUT_CAP + BREAKER_FAILURES + int(len(OUTAGE_PHASES) * PHASE_SECONDS / 2) + 4
    if outage_calls and outage_calls[0] > outage_bound:
        problems.append(f"{outage_calls[0]} payout calls during the outage (breaker bound {outage_bound})")
    summary = (
        f"broker={BROKER} nodes={NODES} rounds={play.answered} (201={play.statuses.get(201, 0)} "
        f"502={play.statuses.get(502, 0)} partner_busy_retried={busy['partner_busy']} lb_503={busy['lb_503']} "
        f"transport_errors={sum(play.transport_errors.values())}) node1={'+'.join(events)} "
        f"bets: confirmed={stats['bet_confirmed']} declined+refunded={stats['bet_declined_refunded']} "
        f"wins={stats['win_confirmed']} refunds={stats['refund_confirmed']} "
        f"delivery_attempts={stats['attempts_win'] + stats['attempts_refund']} failed_attempts[{attempt_failures(wired)}] "
        f"sandbox_movements={ledger['summary']['money_movements']} max_moves_per_tx={ledger['summary']['max_movements_per_tx']} "
        f"players_balanced={stats['players_matched']} at_partner: bet_max_in_flight={measured['bet_max']}/{BETS_BOUND} "
        f"payout_max_in_flight={measured['payout_max']}/{PAYOUT_CAP} payout_calls_in_outage={outage_calls[:1]} "
        f"(bound {outage_bound}) play={play_seconds:.0f}s ({play.answered / max(play_seconds, 1):.1f} rounds/s) "
        f"drain={drain_seconds:.0f}s total={time.monotonic() - started:.0f}s cost[{cost}]"
    )
    sb.close()
    cleanup()
    if problems:
        print(f"CLUSTER FAIL: {len(problems)} problem(s); {summary}")
        for problem in problems[:40]:
            print(f"  - {problem}")
        print(f"  logs: {stack.log_dir}")
        return 1
    print(f"CLUSTER OK: {summary}")
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
