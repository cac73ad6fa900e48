"""The cluster run's load: the sandbox's faults per phase (as make chaos) and one player's betting loop through
the load balancer."""

from __future__ import annotations

import random
import time
from collections import Counter
from decimal import Decimal

import httpx

from .. import hubctl
from ..chaos import Play
from .params import (
    OUTAGE_PHASES,
    STALL,
)


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
