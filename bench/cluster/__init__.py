"""Cluster run (``make cluster``: ``python -m bench.cluster``, hand-run, root): several hub nodes behind haproxy on
one PostgreSQL (through PgBouncer in transaction pooling mode) and one broker, a node SIGKILLed mid-run and
restarted; then the checks of ``make chaos`` (bench/chaos.py): every payout moved money exactly once, every bet
confirmed or refunded, balances add up; and the per-partner caps held across the nodes, measured at the partner.

The run's modules: ``params.py`` (the environment), ``network.py`` (namespaces, PgBouncer, haproxy, the nodes'
processes), ``load.py`` (faults and players), ``costs.py`` (CPU and database counters), ``__main__.py`` (the run).

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
