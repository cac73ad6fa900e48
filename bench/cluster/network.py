"""The cluster's topology: the bridge and one network namespace per node, PgBouncer's and haproxy's configs, a
node's processes (web, worker, certification worker, beat, a socat sidecar to the sandbox) started, awaited and
SIGKILLed, and the cleanup that removes all of it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from ..common import BIN, Stack, cleanup_all
from .params import (
    BROKER,
    BROKER_PORT,
    HOST_IP,
    LB_PORT,
    NET,
    NODE_PORT,
    NODES,
    PG_HUB_POOL,
    PG_SANDBOX_POOL,
    PGB_PORT,
    PREFIX,
    REDIS_DB,
    REDIS_PORT,
    SANDBOX_PORT,
    STATS_PORT,
    VHOST,
    WEB_THREADS,
    WEB_WORKERS,
)

MADE: dict[str, list] = {"netns": [], "links": [], "files": [], "vhost": []}  # what this run made


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
    MADE["links"].append(bridge)
    sh("ip", "addr", "add", f"{HOST_IP}/24", "dev", bridge)
    sh("ip", "link", "set", bridge, "up")
    for i in range(1, NODES + 1):
        ns, veth = node_name(i), f"{PREFIX}v{i}"
        sh("ip", "netns", "add", ns)
        MADE["netns"].append(ns)
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
    cleanup_all()  # every process this run started (process groups, SIGKILL)
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
