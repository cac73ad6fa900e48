"""Chaos run (``make chaos``): 1,000 TraderHero rounds through the real Session API while the partner's
wallet misbehaves and the hub is SIGKILLed twice; then check that money moved exactly once.

What runs (all on 127.0.0.1, fresh databases ``hub_chaos`` / ``hub_chaos_sandbox`` on the local
PostgreSQL, Redis db 14 as the broker): the hub web (gunicorn), a Celery worker, Celery beat (the
delivery sweeper every 2 s) and the sandbox partner (gunicorn, ``HUB_ROOT_URLCONF=sandbox.urls``).

Faults at the sandbox (the mode of stalls and drops flips between ``before`` and ``after`` every few
seconds, so both happen): ~1/3 of win and refund calls fail (5xx, 6 s stalls past the hub's 5 s
timeout, dropped connections), ~10 % of bets likewise. Some bets answer 502: expected. During phases
CHAOS_OUTAGE_PHASES (default 2,3: ~12 s from second 12) every win and refund fails: the partner's
circuit breaker opens, the pump pauses, then probes and drains.

The hub (web + worker + beat, not the sandbox, PostgreSQL or Redis) is SIGKILLed at ~1/3 and ~2/3 of
the rounds and started again on the same database and broker. Then the faults are cleared and the
run waits (at most CHAOS_DRAIN_SECONDS, default 240) until nothing is pending, and verifies:

* the sandbox moved money at most once per tx id; every hub win moved money exactly once there;
  every hub refund was answered, and reversed its bet exactly when that bet had moved money;
* every bet declined for a 5xx/timeout/connection error has a refund, and the refund is confirmed;
  no bet, win or refund is left pending; every confirmed bet's round was paid (a win, possibly 0);
* per player, the sandbox balance minus the starting balance equals the hub's ledger
  (confirmed wins - confirmed bets + confirmed refunds of confirmed bets), and the sandbox's own
  movements add up to its balance; no money movement at the sandbox is unknown to the hub.

Prints ONE summary line (details only on failure); exit 0 when everything holds, 1 otherwise.
Environment: CHAOS_ROUNDS (1000), CHAOS_PLAYERS (8), CHAOS_HUB_PORT (18100), CHAOS_SANDBOX_PORT
(18101), CHAOS_REDIS_DB (14), CHAOS_DRAIN_SECONDS (240), CHAOS_WORKER_CONCURRENCY (4), CHAOS_SEED (7), BENCH_PG_URL, BENCH_REDIS_URL.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from decimal import Decimal

import httpx

from . import hubctl
from .common import Stack, Watchdog, flush_redis_db, log

ROUNDS = int(os.environ.get("CHAOS_ROUNDS", "1000"))
PLAYERS = int(os.environ.get("CHAOS_PLAYERS", "8"))
DRAIN_SECONDS = float(os.environ.get("CHAOS_DRAIN_SECONDS", "240"))
WORKER_CONCURRENCY = int(os.environ.get("CHAOS_WORKER_CONCURRENCY", "4"))
SEED = int(os.environ.get("CHAOS_SEED", "7"))
START_BALANCE = Decimal("100000.00")
SLUG = "chaos"
PHASE_SECONDS = 6.0
OUTAGE_PHASES = {int(p) for p in os.environ.get("CHAOS_OUTAGE_PHASES", "2,3").split(",") if p.strip()}
STALL_SECONDS = 6.0  # > the hub's 5 s wallet timeout


def fault_phase(phase: int) -> dict:
    """~1/3 of wins and refunds fail, ~10 % of bets; stall/drop modes flip every phase. In the outage
    phases the partner's payout side is down: every win and refund answers 500 (the breaker opens)."""
    a, b = ("before", "after") if phase % 2 == 0 else ("after", "before")
    if phase in OUTAGE_PHASES:
        return {"win": {"error_rate": 1.0}, "refund": {"error_rate": 1.0}, "bet": {"error_rate": 0.04}}
    return {
        "win": {
            "error_rate": 0.13,
            "stall_rate": 0.10,
            "stall_seconds": STALL_SECONDS,
            "stall_mode": b,
            "drop_rate": 0.10,
            "drop_mode": a,
        },
        "refund": {
            "error_rate": 0.13,
            "stall_rate": 0.10,
            "stall_seconds": STALL_SECONDS,
            "stall_mode": a,
            "drop_rate": 0.10,
            "drop_mode": b,
        },
        "bet": {
            "error_rate": 0.04,
            "stall_rate": 0.03,
            "stall_seconds": STALL_SECONDS,
            "stall_mode": a,
            "drop_rate": 0.03,
            "drop_mode": b,
        },
    }


class Play:
    """Shared state of the player threads."""

    def __init__(self, rounds: int):
        self.rounds = rounds
        self.lock = threading.Lock()
        self.answered = 0  # bet requests that got an HTTP answer
        self.issued = 0  # tickets taken (answered + in flight)
        self.statuses: Counter = Counter()
        self.transport_errors: Counter = Counter()
        self.unexpected: list[str] = []
        self.stop = threading.Event()
        self.answered_event = threading.Condition(self.lock)

    def take(self) -> bool:
        with self.lock:
            if self.issued >= self.rounds or self.stop.is_set():
                return False
            self.issued += 1
            return True

    def release(self) -> None:
        with self.lock:
            self.issued -= 1

    def record(self, status: int, text: str) -> None:
        with self.lock:
            self.answered += 1
            self.statuses[status] += 1
            if status not in (201, 502) and len(self.unexpected) < 20:
                self.unexpected.append(f"{status} {text[:200]}")
            self.answered_event.notify_all()


def player_loop(stack: Stack, session: hubctl.PlayerSession, play: Play, seed: int) -> None:
    rng = random.Random(seed)
    url = f"{stack.hub_url}/igsp/v1/sessions/{session.session_id}/bet"
    headers = {"X-Casino-Key": session.key, "Content-Type": "application/json"}
    client = httpx.Client(timeout=httpx.Timeout(30.0, connect=2.0))
    try:
        while play.take():
            amount = Decimal(rng.randint(10, 5000)) / 100  # 0.10 .. 50.00
            body = hubctl.bet_body(rng.choice(["up", "down"]), amount)
            try:
                response = client.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:  # the hub is down (or was killed under this request)
                with play.lock:
                    play.transport_errors[type(exc).__name__] += 1
                play.release()  # not a round: try again once the hub answers
                time.sleep(0.25)
                continue
            play.record(response.status_code, response.text)
    finally:
        client.close()


def faults_rotator(sb, play: Play) -> None:
    phase = 0
    while not play.stop.wait(PHASE_SECONDS):
        phase += 1
        try:
            sb.set_faults(SLUG, fault_phase(phase), seed=SEED + phase)
        except Exception as exc:  # noqa: BLE001
            log(f"could not rotate faults: {exc}")


def start_hub(stack: Stack) -> None:
    stack.start_web(workers=2, threads=8)
    stack.start_worker(concurrency=WORKER_CONCURRENCY)
    stack.start_beat()
    stack.wait_hub_ready()


def kill_hub(stack: Stack) -> None:
    for name in ("web", "worker", "beat"):
        stack.kill(name)


def killer(stack: Stack, play: Play, kills: list, failures: list) -> None:
    try:
        _killer(stack, play, kills)
    except Exception as exc:  # noqa: BLE001 - e.g. the hub did not come back: end the run, report it
        failures.append(f"kill/restart failed: {type(exc).__name__}: {exc}")
        log(failures[-1])
        play.stop.set()


def _killer(stack: Stack, play: Play, kills: list) -> None:
    for fraction in (1 / 3, 2 / 3):
        target = int(play.rounds * fraction)
        with play.lock:
            while play.answered < target and not play.stop.is_set():
                play.answered_event.wait(1)
        if play.stop.is_set():
            return
        log(f"SIGKILL hub (web, worker, beat) after {target} rounds")
        kill_hub(stack)
        kills.append(time.monotonic())
        time.sleep(2)
        start_hub(stack)
        log("hub back up")


# ------------------------------------------------------------------ checks --


def attempt_failures(wired) -> str:
    """Failed delivery attempts by cause (evidence that every fault kind was exercised)."""
    from wallet.models import AttemptOutcome, DeliveryAttempt

    causes: Counter = Counter()
    for error, status in (
        DeliveryAttempt.objects.filter(partner_id=wired.partner_id)
        .exclude(outcome=AttemptOutcome.OK)
        .values_list("error", "http_status")
    ):
        causes[
            "timeout" if error.startswith("timeout") else "conn" if error.startswith("connection") else f"http{status}"
        ] += 1
    return ",".join(f"{k}:{v}" for k, v in sorted(causes.items())) or "none"


def worker_task_results(stack: Stack) -> str:
    """Delivery pump runs and their summed outcomes, from the worker log (stale duplicates: not_owner)."""
    import ast
    import re

    counts: Counter = Counter()
    path = stack.log_dir / "worker.log"
    if path.exists():
        for match in re.finditer(
            r"wallet\.deliver_partner\[[^\]]+\] succeeded in [0-9.]+s: (\{[^}]*\})", path.read_text(errors="replace")
        ):
            counts["pump_runs"] += 1
            counts.update(ast.literal_eval(match.group(1)))
    return ",".join(f"{k}:{v}" for k, v in counts.most_common()) or "n/a"


def wait_drained(stack: Stack, deadline: float) -> dict:
    import redis

    from games.models import JackpotRound, JackpotRoundStatus
    from wallet.models import Transaction, TxKind, TxStatus

    broker = redis.Redis.from_url(stack.broker_url)
    next_report = time.monotonic() + 15
    while True:
        state = {
            "pending_deliveries": Transaction.objects.filter(
                status=TxStatus.PENDING, kind__in=[TxKind.WIN, TxKind.REFUND]
            ).count(),
            "pending_bets": Transaction.objects.filter(status=TxStatus.PENDING, kind=TxKind.BET).count(),
            "open_rounds": JackpotRound.objects.filter(status=JackpotRoundStatus.OPEN).count(),
        }
        if not any(state.values()) or time.monotonic() > deadline:
            broker.close()
            return state
        if time.monotonic() > next_report:
            next_report += 15
            log(f"draining: {state}, broker queue {broker.llen('celery')}")
        time.sleep(1)


def verify(wired, ledger: dict, players: list[str], play: Play) -> tuple[list[str], dict]:
    from wallet.models import Round, Transaction, TxKind, TxStatus

    problems: list[str] = []
    stats: Counter = Counter()
    hub = list(
        Transaction.objects.filter(partner_id=wired.partner_id).values(
            "id", "kind", "status", "amount", "refunds_id", "round_id", "session__player_id", "last_error", "attempts"
        )
    )
    by_id = {str(t["id"]): t for t in hub}
    refund_of = {str(t["refunds_id"]): t for t in hub if t["kind"] == TxKind.REFUND}
    sbx = {t["tx_id"]: t for t in ledger["transactions"]}

    # 1. at most one movement per tx id at the sandbox
    max_moves = ledger["summary"]["max_movements_per_tx"]
    if max_moves > 1:
        twice = [k for k, v in ledger["summary"]["movements_by_tx"].items() if v > 1]
        problems.append(f"sandbox moved money more than once for {len(twice)} tx ids: {twice[:5]}")

    hub_net: dict[str, Decimal] = defaultdict(Decimal)
    for t in hub:
        tx_id, kind, status, amount = str(t["id"]), t["kind"], t["status"], t["amount"]
        player = t["session__player_id"]
        s = sbx.get(tx_id)
        stats[f"{kind}_{status}"] += 1
        stats[f"attempts_{kind}"] += t["attempts"]
        if kind == TxKind.WIN:
            if status != TxStatus.CONFIRMED:
                problems.append(f"win {tx_id} is {status} (last error: {t['last_error']})")
            elif s is None or s["action"] != "win" or not s["moved"] or Decimal(s["amount"]) != amount:
                problems.append(f"win {tx_id} ({amount}) did not move money exactly once at the sandbox: {s}")
            else:
                hub_net[player] += amount
        elif kind == TxKind.REFUND:
            bet_id = str(t["refunds_id"])
            bet_hub = by_id.get(bet_id)
            bet_sbx = sbx.get(bet_id)
            if status != TxStatus.CONFIRMED:
                problems.append(f"refund {tx_id} of bet {bet_id} is {status} (last error: {t['last_error']})")
                continue
            if s is None or s["action"] != "refund" or s["response_status"] != 200:
                problems.append(f"refund {tx_id} confirmed by the hub but not answered 200 by the sandbox: {s}")
                continue
            bet_moved = bool(bet_sbx and bet_sbx["action"] == "bet" and bet_sbx["moved"])
            if bet_moved and not (s["moved"] and bet_sbx["refunded_by"] == tx_id):
                problems.append(f"refund {tx_id}: its bet {bet_id} moved money but the refund did not reverse it")
            if not bet_moved and s["moved"]:
                problems.append(f"refund {tx_id} moved money although its bet {bet_id} never did")
            if s["moved"] and Decimal(s["delta"]) != amount:
                problems.append(f"refund {tx_id} moved {s['delta']} instead of {amount}")
            stats["refund_moved" if s["moved"] else "refund_nothing_to_reverse"] += 1
            if bet_hub is not None and bet_hub["status"] == TxStatus.CONFIRMED:
                hub_net[player] += amount  # a confirmed bet the game refused afterwards
        elif kind == TxKind.BET:
            if status == TxStatus.CONFIRMED:
                if s is None or not s["moved"] or Decimal(s["amount"]) != amount:
                    problems.append(f"confirmed bet {tx_id} did not debit the sandbox exactly once: {s}")
                hub_net[player] -= amount
            elif status == TxStatus.DECLINED:
                refund = refund_of.get(tx_id)
                if refund is None:
                    if not (t["last_error"] or "").startswith("HTTP 4"):
                        problems.append(f"bet {tx_id} declined ({t['last_error']!r}) without a refund")
                    if s is not None and s["moved"]:
                        problems.append(f"declined bet {tx_id} debited the sandbox and was never refunded")
                else:
                    stats["bet_declined_refunded"] += 1
            else:
                problems.append(f"bet {tx_id} still {status}")

    # every sandbox movement is known to the hub
    for tx_id, s in sbx.items():
        if s["moved"] and tx_id not in by_id:
            problems.append(f"sandbox moved money for a tx id the hub does not know: {s}")

    # every confirmed bet's round was paid (win written, possibly zero)
    unpaid = (
        Round.objects.filter(
            partner_id=wired.partner_id, transactions__kind=TxKind.BET, transactions__status=TxStatus.CONFIRMED
        )
        .exclude(transactions__kind=TxKind.WIN)
        .exclude(transactions__kind=TxKind.REFUND)
        .count()
    )
    if unpaid:
        problems.append(f"{unpaid} rounds with a confirmed bet have neither a win nor a refund")

    # per player: balances
    accounts = {a["player_id"]: a for a in ledger["summary"]["per_player"]}
    for player in players:
        acct = accounts.get(player)
        if acct is None:
            problems.append(f"player {player}: no sandbox account")
            continue
        sb_delta = Decimal(acct["balance"]) - START_BALANCE
        if sb_delta != Decimal(acct["net"]):
            problems.append(f"player {player}: sandbox balance moved {sb_delta} but its movements sum to {acct['net']}")
        if sb_delta != hub_net[player]:
            problems.append(
                f"player {player}: sandbox balance moved {sb_delta}, the hub's ledger says {hub_net[player]}"
            )
    stats["players_matched"] = len(players)
    stats["sandbox_replays"] = sum(1 for t in ledger["transactions"] if t["replays"])

    # client view: every 502 is a declined-and-refunded bet (plus bets orphaned by the kills)
    if play.statuses.get(502, 0) > stats["bet_declined_refunded"]:
        problems.append(
            f"{play.statuses[502]} bets answered 502 but only {stats['bet_declined_refunded']} "
            "were declined and refunded"
        )
    if play.unexpected:
        problems.append(f"unexpected bet answers: {play.unexpected[:5]}")
    return problems, stats


# -------------------------------------------------------------------- main --


def main() -> int:
    started = time.monotonic()
    Watchdog(9 * 60 + 30).arm()
    stack = Stack(
        "chaos",
        hub_port=int(os.environ.get("CHAOS_HUB_PORT", "18100")),
        sandbox_port=int(os.environ.get("CHAOS_SANDBOX_PORT", "18101")),
        redis_db=int(os.environ.get("CHAOS_REDIS_DB", "14")),
        extra_env={
            "HUB_JACKPOT_ROUND_SECONDS": "0",
            "HUB_RETRY_BASE_SECONDS": "1",
            "HUB_RETRY_MAX_SECONDS": "5",
            "HUB_SWEEP_SECONDS": "2",
            "HUB_BREAKER_COOLDOWN_SECONDS": "2",
            "HUB_DELIVERY_LEASE_SECONDS": "15",
            "HUB_ORPHAN_BET_SECONDS": "20",
        },
    )
    stack.prepare()
    hubctl.setup(stack)
    from sandbox.client import SandboxClient

    stack.start_sandbox(workers=2, threads=24)
    wired = hubctl.onboard(stack, slug=SLUG)
    sb = SandboxClient(stack.sandbox_url)
    players = [f"chaos-p{i}" for i in range(PLAYERS)]
    for player in players:
        sb.set_balance(SLUG, player, "USD", START_BALANCE)
    start_hub(stack)
    with httpx.Client(timeout=10) as client:
        sessions = [
            hubctl.create_session(client, stack, wired, player_id=p, balance=str(START_BALANCE)) for p in players
        ]
    log(f"stack up ({time.monotonic() - started:.0f}s); playing {ROUNDS} rounds with {PLAYERS} players")

    sb.set_faults(SLUG, fault_phase(0), seed=SEED)
    play = Play(ROUNDS)
    kills: list = []
    killer_failures: list[str] = []
    threads = [
        threading.Thread(target=player_loop, args=(stack, s, play, SEED * 1000 + i), daemon=True)
        for i, s in enumerate(sessions)
    ]
    rotator = threading.Thread(target=faults_rotator, args=(sb, play), daemon=True)
    killer_thread = threading.Thread(target=killer, args=(stack, play, kills, killer_failures), daemon=True)
    play_started = time.monotonic()
    for t in [*threads, rotator, killer_thread]:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, 420 - (time.monotonic() - started)))
    play.stop.set()
    killer_thread.join(timeout=90)
    play_seconds = time.monotonic() - play_started
    if any(t.is_alive() for t in threads):
        log("player threads did not finish in time")
    log(f"rounds done in {play_seconds:.0f}s: {dict(play.statuses)}; transport errors {dict(play.transport_errors)}")

    sb.clear_faults(SLUG)
    if not stack.running("web"):
        start_hub(stack)
    drain_started = time.monotonic()
    state = wait_drained(stack, drain_started + DRAIN_SECONDS)
    drain_seconds = time.monotonic() - drain_started
    log(f"drain: {drain_seconds:.0f}s, {state}")

    ledger = sb.ledger(SLUG)
    (stack.var_dir / "sandbox-ledger.json").write_text(
        json.dumps(
            {
                "partner_id": wired.partner_id,
                "players": players,
                "start_balance": str(START_BALANCE),
                "client_statuses": dict(play.statuses),
                "ledger": ledger,
            }
        )
    )  # for post-mortems
    problems, stats = verify(wired, ledger, players, play)
    if any(state.values()):
        problems.insert(0, f"not drained after {DRAIN_SECONDS:.0f}s: {state}")
    problems.extend(killer_failures)
    if len(kills) != 2:
        problems.append(f"the hub was killed {len(kills)} times instead of 2")
    if play.answered < ROUNDS:
        problems.append(f"only {play.answered} of {ROUNDS} rounds were answered")

    summary = (
        f"rounds={play.answered} (201={play.statuses.get(201, 0)} 502={play.statuses.get(502, 0)} "
        f"other={sum(v for k, v in play.statuses.items() if k not in (201, 502))} "
        f"transport_errors={sum(play.transport_errors.values())}) hub_kills={len(kills)} "
        f"bets: confirmed={stats['bet_confirmed']} declined+refunded={stats['bet_declined_refunded']} "
        f"wins={stats['win_confirmed']} refunds={stats['refund_confirmed']} "
        f"(reversed={stats['refund_moved']} nothing_to_reverse={stats['refund_nothing_to_reverse']}) "
        f"delivery_attempts={stats['attempts_win'] + stats['attempts_refund']} "
        f"failed_attempts[{attempt_failures(wired)}] worker_tasks[{worker_task_results(stack)}] "
        f"sandbox_movements={ledger['summary']['money_movements']} sandbox_replays={stats['sandbox_replays']} "
        f"max_moves_per_tx={ledger['summary']['max_movements_per_tx']} players_balanced={stats['players_matched']} "
        f"play={play_seconds:.0f}s drain={drain_seconds:.0f}s total={time.monotonic() - started:.0f}s"
    )
    sb.close()
    stack.stop_all()
    flush_redis_db(stack.redis_db)  # duplicate deliveries left in the queue; the databases stay for inspection
    if problems:
        print(f"CHAOS FAIL: {len(problems)} problem(s); {summary}")
        for problem in problems[:60]:
            print(f"  - {problem}")
        if len(problems) > 60:
            print(f"  … and {len(problems) - 60} more")
        print(f"  logs: {stack.log_dir}")
        return 1
    print(f"CHAOS OK: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
