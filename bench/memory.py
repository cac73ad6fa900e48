"""Memory under a long mixed load: ``python -m bench.memory`` or part ``m`` of ``make bench``.

The hub web (gunicorn, 2 workers × 8 threads, as ``Stack.start_web``), a Celery worker (prefork:2) and
beat run against the null partner (bench/nullpartner.py) as the casino wallet. BENCH_MEMORY_CLIENTS (4)
clients loop for BENCH_MEMORY_SECONDS (600), each with a TraderHero session and a prediction-market
session of its own (new sessions every 200 loops): a TraderHero bet (settled by the worker: a win or
a loss, the win delivered by the pump), a state poll, a market bet and its cash-out (a win through the
hooks), a market state poll.

The resident size (VmRSS) of every web and Celery process (masters and children) is read from /proc
after a warm-up of BENCH_MEMORY_WARMUP (30) seconds of the same load (imports, pools and caches filled:
the "before"), and at the end (the "after"); also at start-up, for reference. Goal: each process grows
< 10 % from before to after. A process that was replaced meanwhile (new pid) is reported as such.
Shorter trial: BENCH_MEMORY_SECONDS=60.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import Counter

import httpx

from .common import ROOT, Stack, log
from .goals import Goal, print_goals

SECONDS = float(os.environ.get("BENCH_MEMORY_SECONDS", "600"))
WARMUP = float(os.environ.get("BENCH_MEMORY_WARMUP", "30"))
CLIENTS = int(os.environ.get("BENCH_MEMORY_CLIENTS", "4"))
LIMIT = 0.10


def _group_rss(pgid: int) -> dict[int, tuple[str, int]]:
    """pid → (command, VmRSS kB) of every process in the group."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) != pgid:
                continue
            with open(f"/proc/{entry}/status") as fh:
                rss = next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
            out[int(entry)] = (cmd[:80], rss)
        except (OSError, ValueError, StopIteration):
            continue
    return out


def snapshot(stack: Stack) -> dict[str, dict[int, int]]:
    return {
        name: {pid: rss for pid, (_, rss) in _group_rss(stack.procs[name].pid).items()} for name in ("web", "worker")
    }


class Load:
    def __init__(self, stack: Stack, wired) -> None:
        self.stack, self.wired = stack, wired
        self.counts: Counter = Counter()
        self.errors: Counter = Counter()
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def _sessions(self, client: httpx.Client, i: int, n: int):
        from . import hubctl

        th = hubctl.create_session(client, self.stack, self.wired, player_id=f"mem-{i}-{n}", balance="1000000.00")
        mk = self._market_session(client, f"mem-m-{i}-{n}")
        return th, mk

    def _market_session(self, client: httpx.Client, player: str):
        from . import hubctl

        game_id = self.wired.game_id
        self.wired.game_id = "prediction-markets"
        try:
            return hubctl.create_session(client, self.stack, self.wired, player_id=player, balance="1000000.00")
        finally:
            self.wired.game_id = game_id

    def client(self, i: int) -> None:
        base = f"{self.stack.hub_url}/igsp/v1/sessions"
        local, bad = Counter(), Counter()
        with httpx.Client(timeout=30) as client:
            loops, generation, market_id = 0, 0, None
            th, mk = self._sessions(client, i, generation)
            while not self.stop.is_set():
                if loops and loops % 200 == 0:
                    generation += 1
                    th, mk = self._sessions(client, i, generation)
                loops += 1
                th_h = {"X-Casino-Key": th.key, "Content-Type": "application/json"}
                mk_h = {"X-Casino-Key": mk.key, "Content-Type": "application/json"}
                steps = [("th_bet", "POST", f"{base}/{th.session_id}/bet", th_h, b'{"direction":"up","amount":"1.00"}')]
                steps.append(("th_state", "GET", f"{base}/{th.session_id}/state", th_h, None))
                if market_id is None:
                    r = client.get(f"{base}/{mk.session_id}/state", headers=mk_h)
                    market_id = next(m["id"] for m in r.json()["markets"] if m["status"] == "open")
                body = json.dumps({"marketId": market_id, "outcome": "YES", "amount": "1.00"}).encode()
                for name, method, url, headers, content in steps:
                    r = client.request(method, url, headers=headers, content=content)
                    (local if r.status_code < 400 else bad)[
                        name if r.status_code < 400 else f"{name} {r.status_code}"
                    ] += 1
                r = client.post(f"{base}/{mk.session_id}/bet", headers=mk_h, content=body)
                if r.status_code == 201:
                    local["market_bet"] += 1
                    bet_id = r.json().get("betId")
                    c = client.post(f"{base}/{mk.session_id}/cash-out", headers=mk_h, json={"betId": bet_id})
                    (local if c.status_code < 400 else bad)[
                        "cash_out" if c.status_code < 400 else f"cash_out {c.status_code}"
                    ] += 1
                else:
                    bad[f"market_bet {r.status_code}"] += 1
                    market_id = None  # the market may have closed: pick another
                r = client.get(f"{base}/{mk.session_id}/state", headers=mk_h)
                (local if r.status_code < 400 else bad)[
                    "market_state" if r.status_code < 400 else f"market_state {r.status_code}"
                ] += 1
                if loops % 20 == 0:
                    with self.lock:
                        self.counts.update(local)
                        self.errors.update(bad)
                    local, bad = Counter(), Counter()
        with self.lock:
            self.counts.update(local)
            self.errors.update(bad)


def growth(before: dict, after: dict) -> list[dict]:
    rows = []
    for name in before:
        for pid, rss0 in sorted(before[name].items()):
            rss1 = after.get(name, {}).get(pid)
            rows.append(
                {
                    "process": name,
                    "pid": pid,
                    "before_kb": rss0,
                    "after_kb": rss1,
                    "growth": None if rss1 is None else round((rss1 - rss0) / rss0, 4),
                }
            )
    return rows


def run(*, seconds: float = SECONDS) -> tuple[dict, list[Goal]]:
    from . import hubctl
    from .common import set_hooks_url, wait_tcp

    null_port = int(os.environ.get("BENCH_NULL_PORT", "18202"))
    stack = Stack(
        "memory",
        hub_port=int(os.environ.get("BENCH_HUB_PORT", "18200")),
        sandbox_port=int(os.environ.get("BENCH_SANDBOX_PORT", "18201")),
        redis_db=int(os.environ.get("BENCH_REDIS_DB", "15")),
    )
    stack.prepare()
    hubctl.setup(stack)
    stack.start_sandbox(workers=1, threads=4)
    wired = hubctl.onboard(stack, slug="memory", default_balance="1000000000.00")
    stack.kill("sandbox")
    stack._spawn("nullpartner", [sys.executable, "-m", "bench.nullpartner", str(null_port)], stack.env())
    wait_tcp(null_port)
    set_hooks_url(wired, f"http://127.0.0.1:{null_port}/hooks")
    stack.start_web(workers=2, threads=8)
    stack.start_worker(pool="prefork", concurrency=2, name="worker", loglevel="WARNING")
    stack.start_beat()
    stack.wait_hub_ready()
    time.sleep(3)
    cold = snapshot(stack)
    load = Load(stack, wired)
    threads = [threading.Thread(target=load.client, args=(i,), daemon=True) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    log(f"(m) warm-up {WARMUP:.0f} s, then {seconds:.0f} s of mixed load, {CLIENTS} clients")
    time.sleep(WARMUP)
    before, counted = snapshot(stack), Counter(load.counts)
    t0 = time.monotonic()
    time.sleep(seconds)
    after = snapshot(stack)
    elapsed = time.monotonic() - t0
    load.stop.set()
    for t in threads:
        t.join(timeout=60)
    done = load.counts - counted
    results = {
        "seconds": round(elapsed, 1),
        "warmup_seconds": WARMUP,
        "clients": CLIENTS,
        "requests": dict(done),
        "requests_per_s": round(sum(done.values()) / elapsed, 1),
        "errors": dict(load.errors),
        "cold": {k: dict(v) for k, v in cold.items()},
        "processes": growth(before, after),
    }
    stack.stop_all()
    return results, goals(results)


def goals(r: dict) -> list[Goal]:
    rows = []
    for name in ("web", "worker"):
        procs = [p for p in r["processes"] if p["process"] == name]
        if not procs:
            continue
        worst = max(procs, key=lambda p: float("inf") if p["growth"] is None else p["growth"])
        text = ", ".join(
            f"{p['before_kb'] / 1024:.0f}→{'gone' if p['after_kb'] is None else f'{p["after_kb"] / 1024:.0f}'} MB"
            for p in procs
        )
        rows.append(
            Goal(
                f"Memory: {name} processes, {r['seconds'] / 60:.0f} min mixed load",
                "each grows < 10 %",
                f"worst {'replaced' if worst['growth'] is None else f'{worst["growth"]:+.1%}'} ({text}; "
                f"{r['requests_per_s']:.0f} req/s)",
                all(p["growth"] is not None and p["growth"] < LIMIT for p in procs),
            )
        )
    return rows


def main() -> int:
    results, rows = run()
    path = ROOT / "var" / "bench-memory.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"memory": results, "goals": [g.as_dict() for g in rows]}, indent=2, default=str))
    print_goals(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
