"""Signed IGSP hook calls straight to the sandbox partner, without the hub: the bodies the hub's own hooks client
sends (bench/bench.py parts a and b compare the hub against them), and the sandbox's own capacity for win hooks.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from decimal import Decimal

import httpx

from .common import Stack, summary_ms

SLUG = "bench"  # the benchmark partner's slug (its sandbox tenant)


def sandbox_win_body(wired, player: str, amount: Decimal) -> bytes:
    from core.api.renderers import dumps_exact

    return dumps_exact(
        {
            "action": "win",
            "player_id": player,
            "amount": amount,
            "currency": "USD",
            "game_id": wired.game_id,
            "transaction_id": str(uuid.uuid4()),
            "session_id": f"bench-{uuid.uuid4().hex[:12]}",
            "type": "win",
            "round_id": str(uuid.uuid4()),
            "finished": True,
        }
    )


def sandbox_bet_body(wired, player: str, amount: Decimal, session_ref: str) -> bytes:
    from core.api.renderers import dumps_exact

    return dumps_exact(
        {
            "action": "bet",
            "player_id": player,
            "amount": amount,
            "currency": "USD",
            "game_id": wired.game_id,
            "transaction_id": str(uuid.uuid4()),
            "session_id": session_ref,
            "type": "bet",
            "round_id": str(uuid.uuid4()),
            "finished": False,
        }
    )


def signed(wired, body: bytes) -> dict:
    from core import signing

    headers = signing.igsp_headers(wired.igsp_api_key, wired.igsp_secret, body)
    headers["Content-Type"] = "application/json"
    return headers


def sandbox_capacity(stack: Stack, wired, *, clients: int = 16, total: int = 3000) -> dict:
    url = f"{stack.sandbox_url}/t/{SLUG}/igsp/hooks"
    counter = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    errors = Counter()

    def run(i: int) -> None:
        with httpx.Client(timeout=10) as client:
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                body = sandbox_win_body(wired, f"cap-p{i}", Decimal("1.00"))
                t = time.perf_counter()
                try:
                    r = client.post(url, content=body, headers=signed(wired, body))
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                dt = time.perf_counter() - t
                with lock:
                    latencies.append(dt)
                    if not ok:
                        errors["error"] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": total,
        "seconds": round(elapsed, 2),
        "wins_per_s": round(total / elapsed, 1),
        "errors": sum(errors.values()),
        "latency_ms": summary_ms(latencies),
    }
