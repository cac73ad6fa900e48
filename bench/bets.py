"""Bench part ``c``: the bet paths against the physical yardstick, in one run.

The hub's ``POST /igsp/v1/sessions/<id>/bet`` and the limit server (``../shared/perf/limit_server.py``: the
least work a correct bet must do) are loaded one after the other with wrk at 1, 4 and 16 connections, against
the same lean wallet (``../shared/perf/wallet.py`` under uvicorn: answers 200 at once) and the same
PostgreSQL (the run's hub database), BENCH_BETS_ROUNDS times (A B A B damps the host's drift); the best
figure of the rounds counts, as in ``../shared/perf/compare_bets.py``. Paths:

- TraderHero bet (16 sessions, one per connection);
- market bet, every client on the same market and currency (16 sessions; the body alternates YES and NO so
  the price stays near 0.5 for the whole run);
- the framework's floor: the TraderHero URL without a session key, answered 401 by DRF's permission check
  after the whole middleware stack and DRF's request handling (no database, no wallet): what this stack costs
  per request before any bet work, next to the limit's whole bet;
- a popular market: the same market bet at c=1 on a market holding 100,000 open positions (built with one
  ``INSERT … SELECT generate_series``, the book's q moved to match) against a fresh market, interleaved.

Goals (``bench/goals.py``): TraderHero ≥ 0.5× the limit's throughput at c=16 and p50 ≤ 2× at c=1; market
≥ 0.35× and ≤ 3×; 0 errors; the popular market's p50 ≤ 1.2× the fresh one's.

Needs Debian's ``wrk`` and a small venv with uvicorn, gunicorn, psycopg and rfc8785 for the yardstick
(PERF_VENV, default /tmp/perf-venv: created with pip when missing). PERF_DIR (default: the first of
``../../shared/perf`` and ``../shared/perf`` from the checkout), BENCH_BETS_SECONDS (8) per point,
BENCH_BETS_ROUNDS (2), BENCH_WALLET_PORT / BENCH_LIMIT_PORT (hub port + 3 / + 4),
BENCH_POPULAR_POSITIONS (100000). BENCH_PYSPY=1 records py-spy flame graphs of one web worker during the
c=16 runs (collapsed stacks in var/bench/flame-*.txt; ``pip install -r requirements-bench.txt`` first);
BENCH_PYSPY=gil samples only the thread holding the interpreter.
Run alone: ``BENCH_PARTS=c make bench``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from .common import ROOT, Stack, log, perf_dir, perf_venv
from .goals import Goal

SECS = float(os.environ.get("BENCH_BETS_SECONDS", "8"))
ROUNDS = int(os.environ.get("BENCH_BETS_ROUNDS", "2"))
POPULAR_POSITIONS = int(os.environ.get("BENCH_POPULAR_POSITIONS", "100000"))
CONNECTIONS = (1, 4, 16)
SESSIONS = 16
PYSPY = os.environ.get("BENCH_PYSPY", "") not in ("", "0")
# BENCH_PYSPY=gil samples only the thread holding the interpreter (where a worker's CPU goes, idle waits left out)
PYSPY_GIL = os.environ.get("BENCH_PYSPY", "") == "gil"


def estimated_seconds() -> float:
    """What part ``c`` plans to take (the bench's watchdog adds it to its budget)."""
    per_round = 4 * len(CONNECTIONS) * (SECS + 0.3) + 4 * 2  # hub TraderHero, market, floor; limit; warm-ups
    return ROUNDS * per_round + 2 * ROUNDS * 2 * (SECS + 0.3) + 60  # popular vs fresh; set-up


# ------------------------------------------------------------------- wrk --

LUA = """
local targets = {%s}
local bodies = {%s}
local n = 0
request = function()
  n = n %% #targets + 1
  local t = targets[n]
  local headers = {["Content-Type"] = "application/json"}
  if t[2] ~= "" then headers["X-Casino-Key"] = t[2] end
  return wrk.format("POST", t[1], headers, bodies[n %% #bodies + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  local bad = e.status + e.connect + e.read + e.write + e.timeout
  io.write(string.format("rps=%%.1f p50_ms=%%.3f p99_ms=%%.3f errors=%%d requests=%%d\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    bad, summary.requests))
end
"""


def lua_file(targets: list[tuple[str, str]], bodies: list[str]) -> str:
    fd, path = tempfile.mkstemp(suffix=".lua", prefix="bench-bets-")
    with os.fdopen(fd, "w") as f:
        f.write(
            LUA
            % (
                ", ".join(f'{{"{path}", "{key}"}}' for path, key in targets),
                ", ".join(f"'{b}'" for b in bodies),
            )
        )
    return path


def wrk(url: str, lua: str, conns: int, secs: float) -> dict:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{conns}", f"-d{max(1, round(secs))}s", "--timeout", "10s", "-s", lua, url],
        capture_output=True,
        text=True,
    ).stdout
    line = out.strip().splitlines()[-1] if out.strip() else ""
    try:
        result = {k: float(v) for k, v in (kv.split("=") for kv in line.split())}
    except ValueError:
        raise RuntimeError(f"wrk printed no summary: {out[-500:]}") from None
    result["c"] = conns
    return result


# ---------------------------------------------------------------- set-up --


def onboard_perf_partner(stack: Stack, hooks_url: str):
    """An IGSP partner whose hooks are the lean wallet (the web's thread guard is lifted by the bench's
    HUB_PARTNER_MAX_BETS_IN_FLIGHT, as the yardstick does: its one partner has every c=16 connection)."""
    from tenants import services
    from tenants.models import Partner

    result = services.partner_onboard(
        name="perf partner",
        actor="bench:perf",
        igsp=True,
        public_api=False,
        default_currency="USD",
        allowed_currencies=["EUR"],
        igsp_hooks_url=hooks_url,
    )
    return Partner.objects.get(pk=result.partner.pk)


def make_sessions(partner, game_slug: str, n: int, tag: str) -> list[tuple[str, str]]:
    from catalog.models import Game
    from integration_hub.session_api.launch import SESSION_KEY_PREFIX
    from wallet import services

    game = Game.objects.get(slug=game_slug)
    targets = []
    for i in range(n):
        new = services.session_create(
            protocol="igsp",
            key_prefix=SESSION_KEY_PREFIX,
            partner=partner,
            game=game,
            player_id=f"perf-{tag}-{i}",
            player_name=f"P{i}",
            currency="USD",
            partner_session_ref=f"perf-{tag}-{uuid.uuid4().hex[:10]}",
            balance=Decimal("1000"),
        )
        targets.append((f"/igsp/v1/sessions/{new.session.pk}/bet", new.key))
    return targets


def new_market(title: str):
    from datetime import timedelta

    from django.utils import timezone

    from games.markets import lifecycle

    return lifecycle.market_create(title=title, b=Decimal("10000"), close_at=timezone.now() + timedelta(days=30))


def fill_market(market, n: int) -> float:
    """``n`` open USD positions on ``market`` (half YES, half NO, 0.5 shares each), inserted by PostgreSQL
    itself; the USD book's q moved by what they hold, as the bets would have moved it."""
    from django.db import connection, transaction

    from games.models import MarketBook, Position

    started = time.perf_counter()
    shares = Decimal("0.5")
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO {Position._meta.db_table}
                (id, market_id, session_id, round_id, outcome, stake, shares, currency, demo, status, created_at)
            SELECT gen_random_uuid(), %s, gen_random_uuid(), gen_random_uuid(),
                   CASE WHEN g %% 2 = 0 THEN 'YES' ELSE 'NO' END, 0.25, %s, 'USD', false, 'open',
                   now() - (g || ' milliseconds')::interval
            FROM generate_series(1, %s) AS g
            """,
            [market.pk, shares, n],
        )
        yes = shares * (n // 2)  # even g
        no = shares * (n - n // 2)
        MarketBook.objects.update_or_create(
            market=market,
            currency="USD",
            demo=False,
            defaults={"q_yes": market.q_yes + yes, "q_no": market.q_no + no},
        )
        cur.execute(f"ANALYZE {Position._meta.db_table}")
    return time.perf_counter() - started


def market_bodies(market_id) -> list[str]:
    return [json.dumps({"marketId": str(market_id), "outcome": o, "amount": "1.00"}) for o in ("YES", "NO")]


# --------------------------------------------------------------- profile --


def web_worker_pids(stack: Stack) -> list[int]:
    proc = stack.procs.get("web")
    if proc is None:
        return []
    out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def pyspy(stack: Stack, name: str, secs: float) -> subprocess.Popen | None:
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    pids = web_worker_pids(stack)
    if not PYSPY or not pids or not Path(exe).exists():
        return None
    out = ROOT / "var" / "bench" / f"flame-{name}.txt"  # collapsed stacks: flamegraph.pl or speedscope draw them
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [exe, "record", "-p", str(pids[0]), "-d", str(int(secs)), "-r", "200", "-f", "raw", "-o", str(out)]
        + (["--gil"] if PYSPY_GIL else []),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# ------------------------------------------------------------- in-process --


def in_process(paths: dict[str, tuple[tuple[str, str], list[str]]], n: int = 60) -> dict:
    """Each path's request through the whole Django stack in this process (``django.test.Client``: middleware,
    DRF, the lean wallet over HTTP): statements and CPU ms (this process) per bet. CPU time moves much less
    with the host's load than wall time does, so these compare two checkouts even on a busy machine."""
    from django.db import connection
    from django.test import Client

    client = Client()
    out = {}
    for name, ((path, key), bodies) in paths.items():
        out[name] = _in_process_path(client, connection, name, path, key, bodies, n)
        log(f"(c) in-process {name:>10}: {out[name]}")
    return out


def _in_process_path(client, connection, name: str, path: str, key: str, bodies: list[str], n: int) -> dict:
    statements = [0]

    def count(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    def post(i: int) -> None:
        r = client.post(path, bodies[i % len(bodies)], content_type="application/json", HTTP_X_CASINO_KEY=key)
        if r.status_code != 201:
            raise RuntimeError(f"{name}: {r.status_code} {r.content[:300]!r}")

    for i in range(5):
        post(i)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT 0")
        backend = cursor.fetchone()[0]
    with connection.execute_wrapper(count):
        cpu, wall, db = time.process_time(), time.perf_counter(), _cpu_ns(backend)
        for i in range(n):
            post(i)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        db = None if db is None or _cpu_ns(backend) is None else _cpu_ns(backend) - db
    return {
        "bets": n,
        "statements_per_bet": round(statements[0] / n, 1),
        "cpu_ms_per_bet": round(cpu / n * 1000, 2),
        "db_cpu_ms_per_bet": None if db is None else round(db / n / 1e6, 2),
        "wall_ms_per_bet": round(wall / n * 1000, 2),
    }


def _cpu_ns(pid: int) -> int | None:
    """CPU time a process has run, in ns (its first ``schedstat`` field; None where it cannot be read): the
    PostgreSQL backend serving this process's connection, for the database's CPU per bet."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) if pid else None
    except (OSError, ValueError, IndexError):
        return None


# ------------------------------------------------------------------ main --


def wait_answering(url: str, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers at {url}")


def run(stack: Stack, *, wallet_port: int, limit_port: int) -> tuple[dict, list[Goal]]:
    """Part ``c``. The caller has started nothing but the stack's databases (``prepare``/``hubctl.setup``);
    this starts the lean wallet, the limit server and the hub's web (stops them at the end)."""
    if not shutil.which("wrk"):
        log("(c) skipped: wrk is not installed (apt-get install wrk)")
        return {"skipped": "wrk missing"}, goal_rows(None)
    here, venv = perf_dir(), perf_venv()
    from catalog.models import Game

    env = stack.env()
    stack._spawn(
        "perfwallet",
        [
            str(venv / "bin/uvicorn"),
            "wallet:app",
            "--app-dir",
            str(here),
            "--port",
            str(wallet_port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        dict(env, WALLET_IGSP_SECRET="", WALLET_ADAPTER_KEY=""),
    )
    stack.wait_http(f"http://127.0.0.1:{wallet_port}/balance", "lean wallet")
    partner = onboard_perf_partner(stack, f"http://127.0.0.1:{wallet_port}/hooks")
    th_targets = make_sessions(partner, Game.TRADERHERO_JACKPOT, SESSIONS, "th")
    mk_targets = make_sessions(partner, Game.PREDICTION_MARKETS, SESSIONS, "mk")
    hot, fresh, popular = new_market("bench: hot"), new_market("bench: fresh"), new_market("bench: popular")
    fill_s = fill_market(popular, POPULAR_POSITIONS)
    log(f"(c) {POPULAR_POSITIONS} open positions on one market in {fill_s:.1f} s")

    luas = {
        "traderhero": lua_file(th_targets, ['{"direction":"up","amount":"1.00"}']),
        "market": lua_file(mk_targets, market_bodies(hot.pk)),
        "fresh": lua_file(mk_targets[:1], market_bodies(fresh.pk)),
        "popular": lua_file(mk_targets[1:2], market_bodies(popular.pk)),
        "limit": lua_file([("/bet", f"igsp_limit{i}") for i in range(SESSIONS)], ['{"amount":"1.00"}']),
        # The framework's floor: the same URL without a session key, answered 401 by DRF's permission check
        # after the whole middleware stack and DRF's request handling; no database, no wallet, no bet work.
        "floor": lua_file([(path, "") for path, _key in th_targets], ['{"direction":"up","amount":"1.00"}']),
    }
    from django.conf import settings

    db = settings.DATABASES["default"]
    stack._spawn(
        "limit",
        [
            str(venv / "bin/gunicorn"),
            "-w",
            "4",
            "-b",
            f"127.0.0.1:{limit_port}",
            "--chdir",
            str(here),
            "--access-logfile",
            "/dev/null",
            "limit_server:app",
        ],
        dict(
            env,
            LIMIT_DB=f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} dbname={db['NAME']}",
            LIMIT_WALLET=f"http://127.0.0.1:{wallet_port}/hooks",
            LIMIT_SESSIONS=str(SESSIONS),
        ),
    )
    # The hub's web exactly as the Procfile runs it (gunicorn gthread, HUB_WEB_WORKERS x HUB_WEB_THREADS).
    stack.start_web(
        workers=int(os.environ.get("HUB_WEB_WORKERS", "2")), threads=int(os.environ.get("HUB_WEB_THREADS", "8"))
    )
    stack.wait_hub_ready()
    wait_answering(f"http://127.0.0.1:{limit_port}/")  # 401 without a session key: up
    hub, limit = stack.hub_url, f"http://127.0.0.1:{limit_port}"
    # In-process first (the web workers idle): statements and CPU per bet, through the same sessions.
    profile = in_process(
        {
            "traderhero": (th_targets[0], ['{"direction":"up","amount":"1.00"}']),
            "market": (mk_targets[0], market_bodies(hot.pk)),
            "fresh": (mk_targets[1], market_bodies(fresh.pk)),
            "popular": (mk_targets[2], market_bodies(popular.pk)),
        }
    )

    points: dict[str, dict[int, list[dict]]] = {"traderhero": {}, "market": {}, "floor": {}, "limit": {}}
    popular_runs: dict[str, list[dict]] = {"fresh": [], "popular": []}
    try:
        for rnd in range(ROUNDS):
            for name, url in (("traderhero", hub), ("market", hub), ("floor", hub), ("limit", limit)):
                wrk(url, luas[name], 4, 2)  # warm-up: connections, the ORM's and the wallet pool's
                for c in CONNECTIONS:
                    profiled = c == 16 and rnd == 0 and name not in ("limit", "floor")
                    spy = pyspy(stack, f"{name}-c{c}", SECS - 1) if profiled else None
                    r = wrk(url, luas[name], c, SECS)
                    if spy is not None:
                        spy.wait(timeout=30)
                    if name == "floor":  # every answer is the 401, which wrk counts as a status error
                        r = dict(r, errors=0.0, answered_401=r["errors"])
                    points[name].setdefault(c, []).append(r)
                    log(
                        f"(c) round {rnd} {name:>10} c={c:<2} {r['rps']:7.1f}/s p50 {r['p50_ms']:6.2f} ms "
                        f"p99 {r['p99_ms']:6.2f} ms errors {int(r['errors'])}"
                    )
            for name in ("fresh", "popular"):
                r = wrk(hub, luas[name], 1, SECS)
                popular_runs[name].append(r)
                log(f"(c) round {rnd} {name:>10} market c=1 {r['rps']:7.1f}/s p50 {r['p50_ms']:6.2f} ms")
    finally:
        for path in luas.values():
            os.unlink(path)
        for name in ("web", "limit", "perfwallet"):
            stack.kill(name)
    results = summarize(points, popular_runs)
    results["in_process"] = profile
    results["popular_positions"] = POPULAR_POSITIONS
    results["popular_fill_seconds"] = round(fill_s, 1)
    results["seconds_per_point"], results["rounds"] = SECS, ROUNDS
    return results, goal_rows(results)


def summarize(points: dict, popular_runs: dict) -> dict:
    out: dict = {"points": {}, "ratios": {}}
    for name, by_c in points.items():
        out["points"][name] = {
            str(c): {
                "rps": max(r["rps"] for r in runs),
                "p50_ms": min(r["p50_ms"] for r in runs),
                "p99_ms": min(r["p99_ms"] for r in runs),
                "errors": int(sum(r["errors"] for r in runs)),
                "runs": runs,
            }
            for c, runs in by_c.items()
        }
    lim = out["points"]["limit"]
    for name in ("traderhero", "market", "floor"):
        out["ratios"][name] = {
            str(c): {
                "throughput": round(out["points"][name][str(c)]["rps"] / lim[str(c)]["rps"], 3),
                "p50": round(out["points"][name][str(c)]["p50_ms"] / lim[str(c)]["p50_ms"], 2),
            }
            for c in CONNECTIONS
        }
    out["popular_market"] = {
        name: {"p50_ms": min(r["p50_ms"] for r in runs), "rps": max(r["rps"] for r in runs), "runs": runs}
        for name, runs in popular_runs.items()
    }
    out["popular_market"]["p50_ratio"] = round(
        out["popular_market"]["popular"]["p50_ms"] / out["popular_market"]["fresh"]["p50_ms"], 2
    )
    return out


def goal_rows(r: dict | None) -> list[Goal]:
    specs = [
        ("traderhero", "TraderHero bet, c=16 throughput", 0.5, "throughput", "16"),
        ("traderhero", "TraderHero bet, c=1 p50", 2.0, "p50", "1"),
        ("market", "Market bet (one market), c=16 throughput", 0.35, "throughput", "16"),
        ("market", "Market bet (one market), c=1 p50", 3.0, "p50", "1"),
    ]
    goals = []
    for path, name, bound, kind, c in specs:
        target = f"≥ {bound}× the limit's" if kind == "throughput" else f"≤ {bound}× the limit's"
        if not r or "ratios" not in r:
            goals.append(Goal(name, target, "not run"))
            continue
        ratio = r["ratios"][path][c][kind]
        hub, lim = r["points"][path][c], r["points"]["limit"][c]
        if kind == "throughput":
            figure = f"{ratio:.2f}× (hub {hub['rps']:,.0f}/s, limit {lim['rps']:,.0f}/s)"
            met = ratio >= bound
        else:
            figure = f"{ratio:.2f}× (hub {hub['p50_ms']:.2f} ms, limit {lim['p50_ms']:.2f} ms)"
            met = ratio <= bound
        goals.append(Goal(name, target, figure, met))
    for path, label in (("traderhero", "TraderHero bet"), ("market", "Market bet (one market)")):
        if not r or "points" not in r:
            goals.append(Goal(f"{label}, errors", "0", "not run"))
            continue
        errors = sum(p["errors"] for p in r["points"][path].values())
        requests = sum(int(x["requests"]) for p in r["points"][path].values() for x in p["runs"])
        goals.append(Goal(f"{label}, errors", "0", f"{errors} of {requests:,} requests", errors == 0))
    if not r or "popular_market" not in r:
        goals.append(Goal("Popular market bet, c=1 p50", "≤ 1.2× a fresh market's", "not run"))
    else:
        pm = r["popular_market"]
        goals.append(
            Goal(
                f"Popular market ({r['popular_positions']:,} open positions) bet, c=1 p50",
                "≤ 1.2× a fresh market's",
                f"{pm['p50_ratio']:.2f}× ({pm['popular']['p50_ms']:.2f} ms vs {pm['fresh']['p50_ms']:.2f} ms)",
                pm["p50_ratio"] <= 1.2,
            )
        )
    return goals


def table_rows(r: dict) -> list[tuple[str, str]]:
    """The bench table's rows for part ``c``: hub and limit per path and connection count."""
    if "points" not in r:
        return [("(c) bets vs the limit server", r.get("skipped", "not run"))]
    rows = [("(c) bets vs the limit server (best of rounds)", f"{r['rounds']} rounds x {r['seconds_per_point']} s")]
    lim = r["points"]["limit"]
    for path in ("traderhero", "market", "floor"):
        for c in CONNECTIONS:
            h, l_, ratio = r["points"][path][str(c)], lim[str(c)], r["ratios"][path][str(c)]
            rows.append(
                (
                    f"  {path} c={c}",
                    f"hub {h['rps']:7.1f}/s p50 {h['p50_ms']:6.2f} ms | limit {l_['rps']:7.1f}/s p50 "
                    f"{l_['p50_ms']:5.2f} ms | throughput {ratio['throughput']:.2f}x p50 {ratio['p50']:.2f}x"
                    + (f" | errors {h['errors']}" if h["errors"] else ""),
                )
            )
    for name, p in r.get("in_process", {}).items():
        rows.append(
            (
                f"  in-process {name} bet",
                f"{p['statements_per_bet']} statements, {p['cpu_ms_per_bet']} ms CPU"
                + (f" + {p['db_cpu_ms_per_bet']} ms PostgreSQL" if p.get("db_cpu_ms_per_bet") is not None else "")
                + f", {p['wall_ms_per_bet']} ms wall",
            )
        )
    pm = r["popular_market"]
    rows.append(
        (
            f"  market with {r['popular_positions']:,} open positions, c=1",
            f"p50 {pm['popular']['p50_ms']:.2f} ms vs fresh {pm['fresh']['p50_ms']:.2f} ms ({pm['p50_ratio']:.2f}x)",
        )
    )
    return rows
