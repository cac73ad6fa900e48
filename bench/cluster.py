"""Cluster run (``make cluster``, hand-run, root): several hub nodes behind haproxy on one PostgreSQL (through
PgBouncer in transaction pooling mode) and one broker, a node SIGKILLed mid-run and restarted; then the checks
of ``make chaos`` (bench/chaos.py): every payout moved money exactly once, every bet confirmed or refunded,
balances add up; and the per-partner caps held across the nodes, measured at the partner.

Topology (all made by this script and removed at the end, whatever happens):

* a bridge ``<P>br0`` (``CLUSTER_NET``.1/24, default 10.208.0.1) in the host and one network namespace per node
  (``<P>n1`` … with a veth into the bridge, ``CLUSTER_NET``.11, .12 …); P = ``CLUSTER_PREFIX`` (h8);
* in the host: PgBouncer (``pool_mode = transaction``) on the bridge address in front of PostgreSQL (which
  keeps listening on 127.0.0.1 only): every process of the run but this script (nodes and sandbox) reaches
  PostgreSQL through it, in at most CLUSTER_PG_POOL (20) server connections for the hub's database and
  CLUSTER_PG_SANDBOX_POOL (8) for the sandbox's (PostgreSQL's max_connections may be shared); haproxy: the hub's load balancer on 127.0.0.1 (``/readyz`` checks) and TCP
  forwarders on the bridge address to the broker and Redis, and the sandbox partner (gunicorn) on the bridge;
* in each namespace: gunicorn (the hub web), a Celery worker, Celery beat, and a socat sidecar that makes the
  sandbox reachable as ``http://127.0.0.1:<port>`` (partner URLs may be plain http only to loopback).

Scenario: CLUSTER_ROUNDS (2000) TraderHero rounds by CLUSTER_PLAYERS (16) players through the load balancer,
faults at the sandbox as in make chaos (about a third of wins and refunds fail; two outage phases open the
breaker); at a third of the rounds every process of node 1 is SIGKILLed, it is started again at two thirds.
Broker: CLUSTER_BROKER=redis (default) or rabbitmq (a vhost of its own on 127.0.0.1:5672, deleted after).

Costs during play, printed with the summary: CPU per round (and per bet request, the bulkhead's refusals
included) of the nodes' web, worker and beat processes, of the PostgreSQL backends serving the run's databases
(sampled every second from ``pg_stat_activity`` and ``/proc/<pid>/stat``), of haproxy, PgBouncer and the
sandbox; transactions, rows and blocks per round from ``pg_stat_database``; the most backends seen at once.

Prints one summary line; exit 0 when every check holds, 1 otherwise. Ports CLUSTER_PORT_BASE (9800) … +19,
Redis db CLUSTER_REDIS_DB (8), databases ``hub_cluster<BENCH_DB_SUFFIX>`` (+ ``_sandbox``): two runs on one
machine need their own CLUSTER_PREFIX, CLUSTER_NET, CLUSTER_PORT_BASE, CLUSTER_REDIS_DB and BENCH_DB_SUFFIX.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from decimal import Decimal

import httpx

from . import hubctl
from .chaos import PHASE_SECONDS, Play, attempt_failures, verify
from .common import BIN, ROOT, Stack, Watchdog, _cleanup_all, log

PREFIX = os.environ.get("CLUSTER_PREFIX", "h8")
NET = os.environ.get("CLUSTER_NET", "10.208.0")
HOST_IP = f"{NET}.1"
NODES = int(os.environ.get("CLUSTER_NODES", "2"))
ROUNDS = int(os.environ.get("CLUSTER_ROUNDS", "2000"))
PLAYERS = int(os.environ.get("CLUSTER_PLAYERS", "16"))
BROKER = os.environ.get("CLUSTER_BROKER", "redis")
BASE = int(os.environ.get("CLUSTER_PORT_BASE", "9800"))
REDIS_DB = int(os.environ.get("CLUSTER_REDIS_DB", "8"))
DRAIN_SECONDS = float(os.environ.get("CLUSTER_DRAIN_SECONDS", "240"))
SEED = int(os.environ.get("CLUSTER_SEED", "11"))
PLAY_BUDGET = float(os.environ.get("CLUSTER_PLAY_SECONDS", "1200"))
LB_PORT, SANDBOX_PORT, PGB_PORT, BROKER_PORT, REDIS_PORT, STATS_PORT = (
    BASE,
    BASE + 1,
    BASE + 11,
    BASE + 12,
    BASE + 13,
    BASE + 15,
)
NODE_PORT = 8000
# PostgreSQL server connections the whole run may hold (through PgBouncer): the hub's database, the sandbox's.
PG_HUB_POOL = int(os.environ.get("CLUSTER_PG_POOL", "20"))
PG_SANDBOX_POOL = int(os.environ.get("CLUSTER_PG_SANDBOX_POOL", "8"))
PAYOUT_CAP = 6  # HUB_PARTNER_MAX_IN_FLIGHT
WEB_WORKERS, WEB_THREADS = 2, 8  # per node: the bulkhead's default thread guard is half of each worker's threads
BETS_BOUND = NODES * WEB_WORKERS * (WEB_THREADS // 2)  # bets of one partner in flight, all nodes (no cluster cap)
BREAKER_FAILURES = 5
OUTAGE_PHASES = {2, 3}
START_BALANCE = Decimal("100000.00")
SLUG = f"{PREFIX}-cluster"
STALL = 4.0  # < the hub's 5 s wallet timeout: the partner's count of calls in flight is the hub's
VHOST = f"{PREFIX}_cluster"
INFLIGHT_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"

_made: dict[str, list] = {"netns": [], "links": [], "files": [], "vhost": []}


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, capture_output=True, text=True)
    if check and result.returncode:
        raise RuntimeError(f"{' '.join(argv)}: {result.stderr.strip()}")
    return result


def node_name(i: int) -> str:
    return f"{PREFIX}n{i}"


def node_ip(i: int) -> str:
    return f"{NET}.{10 + i}"


def network_up() -> None:
    bridge = f"{PREFIX}br0"
    network_down()  # leftovers of an interrupted run
    sh("ip", "link", "add", bridge, "type", "bridge")
    _made["links"].append(bridge)
    sh("ip", "addr", "add", f"{HOST_IP}/24", "dev", bridge)
    sh("ip", "link", "set", bridge, "up")
    for i in range(1, NODES + 1):
        ns, veth = node_name(i), f"{PREFIX}v{i}"
        sh("ip", "netns", "add", ns)
        _made["netns"].append(ns)
        sh("ip", "link", "add", veth, "type", "veth", "peer", "name", f"{veth}p")
        sh("ip", "link", "set", f"{veth}p", "netns", ns)
        sh("ip", "link", "set", veth, "master", bridge, "up")
        sh("ip", "-n", ns, "addr", "add", f"{node_ip(i)}/24", "dev", f"{veth}p")
        sh("ip", "-n", ns, "link", "set", f"{veth}p", "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", ns, "route", "add", "default", "via", HOST_IP)


def network_down() -> None:
    for i in range(1, NODES + 1):
        sh("ip", "netns", "del", node_name(i), check=False)  # takes its veth (and the peer) along
    sh("ip", "link", "del", f"{PREFIX}br0", check=False)


def rabbit_vhost(create: bool) -> None:
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    sh(ctl, "delete_vhost", VHOST, check=False)
    if create:
        sh(ctl, "add_vhost", VHOST)
        sh(ctl, "set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")


def cleanup() -> None:
    _cleanup_all()  # every process this run started (process groups, SIGKILL)
    network_down()
    if BROKER == "rabbitmq":
        rabbit_vhost(False)


def write_configs(stack: Stack, broker_target: str) -> tuple[str, str]:
    run_dir = stack.var_dir / "cluster"
    run_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(stack.var_dir, 0o755)
    os.chmod(run_dir, 0o777)  # PgBouncer drops root for the postgres user
    pgb = run_dir / "pgbouncer.ini"
    # Every process of the run but this script reaches PostgreSQL through PgBouncer: the nodes' web, worker and
    # beat, and the sandbox partner. PostgreSQL's max_connections (100 here) may be shared with other users, so
    # the run holds at most PG_HUB_POOL + PG_SANDBOX_POOL server connections (max_user_connections: all of
    # them log in as postgres), plus this script's own one or two; a client beyond the pool waits in PgBouncer.
    pgb.write_text(
        f"""[databases]
{stack.hub_db} = host=127.0.0.1 port=5432 user=postgres pool_size={PG_HUB_POOL} max_db_connections={PG_HUB_POOL}
{stack.sandbox_db} = host=127.0.0.1 port=5432 user=postgres pool_size={PG_SANDBOX_POOL} max_db_connections={PG_SANDBOX_POOL}

[pgbouncer]
listen_addr = {HOST_IP}
listen_port = {PGB_PORT}
unix_socket_dir =
auth_type = any
pool_mode = transaction
max_client_conn = 1000
default_pool_size = {PG_HUB_POOL}
max_user_connections = {PG_HUB_POOL + PG_SANDBOX_POOL}
reserve_pool_size = 0
ignore_startup_parameters = extra_float_digits,options
server_reset_query =
logfile = {run_dir}/pgbouncer.log
"""
    )
    servers = "\n".join(
        f"  server n{i} {node_ip(i)}:{NODE_PORT} check inter 1s fall 2 rise 2" for i in range(1, NODES + 1)
    )
    ha = run_dir / "haproxy.cfg"
    ha.write_text(
        f"""global
  maxconn 4000
defaults
  timeout connect 2s
  timeout client 60s
  timeout server 60s
frontend hub
  mode http
  bind 127.0.0.1:{LB_PORT}
  default_backend nodes
backend nodes
  mode http
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  retry-on conn-failure empty-response
  option redispatch
{servers}
listen broker
  mode tcp
  bind {HOST_IP}:{BROKER_PORT}
  timeout client 1h
  timeout server 1h
  server b {broker_target}
listen redis
  mode tcp
  bind {HOST_IP}:{REDIS_PORT}
  timeout client 1h
  timeout server 1h
  server r 127.0.0.1:6379
listen stats
  mode http
  bind 127.0.0.1:{STATS_PORT}
  stats enable
  stats uri /
"""
    )
    return str(pgb), str(ha)


def node_env(stack: Stack, broker_url: str) -> dict:
    return stack.env(
        DATABASE_URL=f"postgres://postgres@{HOST_IP}:{PGB_PORT}/{stack.hub_db}",
        HUB_DB_PGBOUNCER="1",
        CELERY_BROKER_URL=broker_url,
        REDIS_URL=f"redis://{HOST_IP}:{REDIS_PORT}/{REDIS_DB}",
        HUB_PUBLIC_URL=f"http://127.0.0.1:{LB_PORT}",
        HUB_NUM_PROXIES="1",
        HUB_REDBEAT_KEY_PREFIX=f"{PREFIX}:cluster:redbeat:",
        HUB_WEB_THREADS=str(WEB_THREADS),
    )


def start_node(stack: Stack, i: int, env: dict) -> None:
    ns = ["ip", "netns", "exec", node_name(i)]
    stack._spawn(
        f"n{i}-socat",
        [*ns, "socat", f"TCP-LISTEN:{SANDBOX_PORT},bind=127.0.0.1,fork,reuseaddr", f"TCP:{HOST_IP}:{SANDBOX_PORT}"],
        env,
    )
    gunicorn = [str(BIN / "gunicorn"), "config.wsgi", "-c", "config/gunicorn.py", "--no-control-socket"]
    stack._spawn(
        f"n{i}-web",
        [
            *ns,
            *gunicorn,
            "--bind",
            f"0.0.0.0:{NODE_PORT}",
            "--workers",
            str(WEB_WORKERS),
            "--threads",
            str(WEB_THREADS),
            "--access-logfile",
            "/dev/null",
        ],
        env,
    )
    celery = [str(BIN / "celery"), "-A", "config"]
    stack._spawn(
        f"n{i}-worker",
        [
            *ns,
            *celery,
            "worker",
            "-Q",
            "celery",
            "--pool",
            "threads",
            "--concurrency",
            "4",
            "-n",
            f"n{i}@%h",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
        ],
        env,
    )
    stack._spawn(
        f"n{i}-certification",
        [
            *ns,
            *celery,
            "worker",
            "-Q",
            "certification",
            "--pool",
            "threads",
            "--concurrency",
            "1",
            "-n",
            f"n{i}-certification@%h",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
        ],
        env,
    )
    schedule = stack.var_dir / f"n{i}-celerybeat-schedule"
    for path in stack.var_dir.glob(f"n{i}-celerybeat-schedule*"):
        path.unlink()
    stack._spawn(f"n{i}-beat", [*ns, *celery, "beat", "--loglevel", "INFO", "-s", str(schedule)], env)


def wait_port(host: str, port: int, what: str, timeout: float = 20) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} not listening on {host}:{port} after {timeout}s")


def node_ready(i: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = sh(
            "ip",
            "netns",
            "exec",
            node_name(i),
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            f"http://127.0.0.1:{NODE_PORT}/readyz",
            check=False,
        )
        if result.stdout.strip() == "200":
            return
        time.sleep(0.5)
    raise RuntimeError(f"node {i} not ready after {timeout}s")


def kill_node(stack: Stack, i: int) -> None:
    for what in ("web", "worker", "certification", "beat", "socat"):
        stack.kill(f"n{i}-{what}")


def fault_phase(phase: int) -> dict:
    """As make chaos: ~1/3 of wins and refunds fail (5xx, drops, slow answers), ~10 % of bets; the outage
    phases fail every payout (the breaker opens). Stalls stay under the hub's timeout (see STALL)."""
    a, b = ("before", "after") if phase % 2 == 0 else ("after", "before")
    if phase in OUTAGE_PHASES:
        return {"win": {"error_rate": 1.0}, "refund": {"error_rate": 1.0}, "bet": {"error_rate": 0.04}}
    payout = {"error_rate": 0.20, "stall_rate": 0.10, "stall_seconds": STALL, "drop_rate": 0.13}
    return {
        "win": {**payout, "stall_mode": b, "drop_mode": a},
        "refund": {**payout, "stall_mode": a, "drop_mode": b},
        "bet": {
            "error_rate": 0.04,
            "stall_rate": 0.03,
            "stall_seconds": STALL,
            "stall_mode": a,
            "drop_rate": 0.03,
            "drop_mode": b,
        },
    }


def player_loop(lb_url: str, session: hubctl.PlayerSession, play: Play, busy: Counter, seed: int) -> None:
    rng = random.Random(seed)
    url = f"{lb_url}/igsp/v1/sessions/{session.session_id}/bet"
    headers = {"X-Casino-Key": session.key, "Content-Type": "application/json"}
    with httpx.Client(timeout=httpx.Timeout(30.0, connect=2.0)) as client:
        while play.take():
            body = hubctl.bet_body(rng.choice(["up", "down"]), Decimal(rng.randint(10, 5000)) / 100)
            try:
                response = client.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                with play.lock:
                    play.transport_errors[type(exc).__name__] += 1
                play.release()
                time.sleep(0.25)
                continue
            if response.status_code == 503 and "partner_busy" in response.text:
                with play.lock:
                    busy["partner_busy"] += 1
                play.release()  # the bulkhead refused it before writing anything: not a round, try again
                time.sleep(0.05)
                continue
            if response.status_code == 503:  # haproxy: no node up at this instant
                with play.lock:
                    busy["lb_503"] += 1
                play.release()
                time.sleep(0.25)
                continue
            play.record(response.status_code, response.text)


def node_cpu(stack: Stack) -> dict[str, float]:
    """CPU seconds of the live node processes, by role (web, worker, beat), summed over nodes."""
    out: Counter = Counter()
    for name in list(stack.procs):
        if name.startswith("n") and "-" in name:
            out[name.split("-", 1)[1]] += stack.cpu(name)
    return dict(out)


def _proc_cpu(pid: int) -> float | None:
    """utime + stime of a process in seconds (/proc/<pid>/stat), None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read().decode(errors="replace")
        fields = raw[raw.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class PgSampler(threading.Thread):
    """The PostgreSQL backends serving this run's databases (PgBouncer's server connections, this script's
    own), sampled every second from ``pg_stat_activity``: their CPU from ``/proc/<pid>/stat`` (a backend that
    appears after the start counts from zero; one that ends between two samples loses at most its last second)
    and the most backends seen at once per database. PostgreSQL's shared background processes (WAL writer,
    checkpointer, autovacuum) are not counted."""

    def __init__(self, databases: dict[str, str]):
        super().__init__(daemon=True)
        self.databases = databases  # label -> database name
        self.done = threading.Event()
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.label: dict[int, str] = {}
        self.max_backends: Counter = Counter()

    def run(self) -> None:
        import psycopg

        from .common import PG_ADMIN_URL

        by_name = {name: label for label, name in self.databases.items()}
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            (started,) = conn.execute("SELECT now()").fetchone()
            while True:
                rows = conn.execute(
                    "SELECT pid, datname, backend_start FROM pg_stat_activity WHERE datname = ANY(%s)",
                    (list(by_name),),
                ).fetchall()
                seen: Counter = Counter()
                for pid, datname, backend_start in rows:
                    cpu = _proc_cpu(pid)
                    if cpu is None:
                        continue
                    seen[by_name[datname]] += 1
                    if pid not in self.first:
                        self.first[pid] = cpu if backend_start < started else 0.0
                        self.label[pid] = by_name[datname]
                    self.last[pid] = cpu
                for label, count in seen.items():
                    self.max_backends[label] = max(self.max_backends[label], count)
                if self.done.is_set():
                    return
                self.done.wait(1)

    def stop(self) -> dict[str, float]:
        """CPU seconds by label since the start."""
        self.done.set()
        self.join(timeout=10)
        out: Counter = Counter()
        for pid, cpu in self.last.items():
            out[self.label[pid]] += cpu - self.first[pid]
        return dict(out)


def db_counters(name: str) -> dict[str, int]:
    import psycopg

    from .common import PG_ADMIN_URL

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit + xact_rollback, tup_inserted + tup_updated + tup_deleted, tup_returned + tup_fetched,"
            " blks_hit + blks_read FROM pg_stat_database WHERE datname = %s",
            (name,),
        ).fetchone()
    return dict(zip(("xacts", "rows_written", "rows_read", "blocks"), row, strict=True))


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

    def on_signal(signum, frame):  # noqa: ARG001
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
        _made["vhost"].append(VHOST)
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
