"""Part ``b`` of ``make bench`` (bench/bench.py): bet latency. Sequential bets through the hub interleaved one for
one with signed bet hooks straight to the sandbox (what the hub adds), then concurrent clients through the hub
and straight to the sandbox, and one bet in this process for its queries (``profile_bets``).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import threading
import time
from collections import Counter
from decimal import Decimal

import httpx

from . import hubctl
from .common import ROOT, Stack, counting_db_wrapper, summary_ms
from .delivery_drain import make_sessions
from .sandbox_hooks import SLUG, sandbox_bet_body, signed


def profile_bets(stack: Stack, wired, n: int = 200) -> dict:
    """The bet service in this process (as the web view calls it): queries and time per bet."""
    from django.db import connection

    from games import services as play
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
