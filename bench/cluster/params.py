"""The cluster run's parameters (environment, see bench/cluster/__init__.py) and the names and ports derived from
them."""

from __future__ import annotations

import os
from decimal import Decimal

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
