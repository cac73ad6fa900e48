"""What the cluster run costs: CPU of the nodes' processes by role, of PostgreSQL's backends serving the run
(sampled), and the database's counters."""

from __future__ import annotations

import os
import threading
from collections import Counter

from ..common import Stack


def node_cpu(stack: Stack) -> dict[str, float]:
    """CPU seconds of the live node processes, by role (web, worker, beat), summed over nodes."""
    out: Counter = Counter()
    for name in list(stack.procs):
        if name.startswith("n") and "-" in name:
            out[name.split("-", 1)[1]] += stack.cpu(name)
    return dict(out)


def proc_cpu(pid: int) -> float | None:
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

        from ..common import PG_ADMIN_URL

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
                    cpu = proc_cpu(pid)
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

    from ..common import PG_ADMIN_URL

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit + xact_rollback, tup_inserted + tup_updated + tup_deleted, tup_returned + tup_fetched,"
            " blks_hit + blks_read FROM pg_stat_database WHERE datname = %s",
            (name,),
        ).fetchone()
    return dict(zip(("xacts", "rows_written", "rows_read", "blocks"), row, strict=True))
