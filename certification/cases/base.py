"""The certification cases' machinery: the ``Case`` registry, the ``Context`` every case runs in and the checks
the groups' modules share (``certification/cases/``: one module per group of cases).

A case gets a ``Context`` (the driver for the protocol, the test player, the currency, the money model) and
returns ``(passed, expected, actual)``. Every money call goes through the context, which records the exchange
and keeps a *model*: the balance a correct wallet would hold after every answer it gave (a 200 bet debits once
per transaction id, a refund credits its bet once, free rounds move nothing). Cases are money-neutral for the
test player when the wallet is correct: every bet is refunded or won back in the same case; the runner also
restores the starting balance after each case (``Context.restore``) so a broken wallet cannot drain or grow it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..drivers import Exchange

IGSP = "igsp"
PUBLIC = "public_api"
BOTH = (IGSP, PUBLIC)

Result = tuple[bool, str, str]


@dataclass(frozen=True)
class Case:
    id: str
    group: str
    title: str
    fix: str
    protocols: tuple[str, ...]
    run: Callable[[Context], Result]


CASES: list[Case] = []
GROUPS = (
    "signature",
    "balance",
    "bet",
    "win",
    "refund",
    "idempotency",
    "funds",
    "unknown",
    "currency",
    "precision",
    "large",
    "unicode",
    "timing",
    "free_rounds",
    "sequence",
)


def case(id: str, group: str, title: str, fix: str, protocols: tuple[str, ...] = BOTH):
    if group not in GROUPS:
        raise ValueError(f"unknown case group {group!r}")

    def register(fn: Callable[[Context], Result]) -> Callable[[Context], Result]:
        CASES.append(Case(id, group, title, fix, protocols, fn))
        return fn

    return register


def cases_for(protocol: str, groups: list[str] | None = None) -> list[Case]:
    return [c for c in CASES if protocol in c.protocols and (not groups or c.group in groups)]


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Context:
    driver: Any
    protocol: str
    player_id: str
    currency: str
    session_id: str
    game_id: str
    places: int
    budget_seconds: float
    exchanges: list[Exchange] = field(default_factory=list)
    all_ms: list[int] = field(default_factory=list)
    baseline: Decimal | None = None
    model: Decimal | None = None
    model_broken: str = ""  # why the model could not follow (a money call without an answer)
    applied: dict[str, Decimal] = field(default_factory=dict)  # tx id → movement a correct wallet made
    refunded_bets: set[str] = field(default_factory=set)
    adjustments: list[dict] = field(default_factory=list)
    last_balance: Decimal | None = None

    # ------------------------------------------------------------- helpers --
    @property
    def unit(self) -> Decimal:
        return Decimal(1).scaleb(-self.places)

    def record(self, exchange: Exchange) -> Exchange:
        self.exchanges.append(exchange)
        self.all_ms.append(exchange.ms)
        self.last_balance = None  # any call may move money: only a read right after tells the balance
        return exchange

    def read(self) -> Decimal | None:
        exchange = self.record(self.driver.balance(self))
        self.last_balance = self.driver.balance_of(exchange)
        return self.last_balance

    def balance_call(self, **kw) -> Exchange:
        return self.record(self.driver.balance(self, **kw))

    def watch(self) -> Delta:
        """``with ctx.watch() as delta:`` reads the balance before and after the calls in the block."""
        return Delta(self)

    def _follow(self, exchange: Exchange, tx: str, movement: Decimal) -> None:
        if exchange.status is None:
            self.model_broken = self.model_broken or f"{exchange.action} {tx} got no answer ({exchange.error})"
            return
        if exchange.ok and tx not in self.applied:
            self.applied[tx] = movement
            if self.model is not None:
                self.model += movement

    def bet(self, amount: Decimal, *, tx: str | None = None, round_id: str | None = None, free=False, **kw):
        tx = tx or new_id()
        exchange = self.record(
            self.driver.bet(self, tx=tx, amount=amount, round_id=round_id or new_id(), free=free, **kw)
        )
        if not kw.get("player_id") and not kw.get("currency"):  # another player's or currency's wallet: not ours
            self._follow(exchange, tx, Decimal(0) if free else -amount)
        return exchange, tx

    def win(self, amount: Decimal, *, tx: str | None = None, round_id: str | None = None, free=False, **kw):
        tx = tx or new_id()
        exchange = self.record(
            self.driver.win(self, tx=tx, amount=amount, round_id=round_id or new_id(), free=free, **kw)
        )
        self._follow(exchange, tx, Decimal(0) if free and self.protocol == PUBLIC else amount)
        return exchange, tx

    def refund(self, bet_tx: str, amount: Decimal, *, tx: str | None = None, round_id: str | None = None, **kw):
        tx = tx or new_id()
        exchange = self.record(
            self.driver.refund(self, tx=tx, bet_tx=bet_tx, amount=amount, round_id=round_id or new_id(), **kw)
        )
        movement = Decimal(0)
        if exchange.ok and tx not in self.applied and bet_tx not in self.refunded_bets:
            bet_movement = self.applied.get(bet_tx)
            if bet_movement is not None and bet_movement < 0:
                movement = -bet_movement
                self.refunded_bets.add(bet_tx)
            elif bet_movement is None:
                self.refunded_bets.add(bet_tx)  # refunded before the bet: the bet must not debit later
        self._follow(exchange, tx, movement)
        return exchange, tx

    def restore(self) -> Decimal | None:
        """Bring the test player back to the starting balance (only a broken wallet needs it)."""
        if self.baseline is None:
            return None
        current = self.last_balance if self.last_balance is not None else self.read()
        if current is None or current == self.baseline:
            return current
        diff = self.baseline - current
        round_id = new_id()
        if diff < 0:
            ex, _tx = self.bet(-diff, round_id=round_id)
            self.win(Decimal(0), round_id=round_id)
        else:
            self.bet(Decimal(0), round_id=round_id)
            ex, _tx = self.win(diff, round_id=round_id)
        self.adjustments.append({"movement": str(diff), "ok": ex.ok})
        return self.read()


# ----------------------------------------------------------------- checks --


def show(exchange: Exchange) -> str:
    if exchange.status is None:
        return f"no answer ({exchange.error})"
    body = exchange.response_body[:200]
    return f"HTTP {exchange.status} {body}"


def ok_with_balance(ctx: Context, exchange: Exchange) -> tuple[bool, str]:
    if not exchange.ok:
        return False, show(exchange)
    if ctx.driver.balance_of(exchange) is None:
        return False, f"HTTP 200 without a valid balance: {exchange.response_body[:200]}"
    return True, show(exchange)


def delta_text(before, after) -> str:
    if before is None or after is None:
        return "balance unreadable"
    return f"balance {before} → {after} (Δ {after - before})"


def refused(exchange: Exchange) -> bool:
    return exchange.status is not None and 400 <= exchange.status < 500


@dataclass
class Delta:
    """A block of calls between two balance reads: ``before`` (read on entering), ``after`` (read on leaving the
    block normally) and ``exchange``, the call the case judges (set in the block)."""

    ctx: Context
    exchange: Exchange = field(init=False)  # the block sets it
    before: Decimal | None = None
    after: Decimal | None = None

    def __enter__(self) -> Delta:
        self.before = self.ctx.read()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is None:
            self.after = self.ctx.read()

    def moved(self, amount: Decimal = Decimal(0)) -> bool:
        """Both reads answered and the balance moved by exactly ``amount`` (0: it did not move)."""
        return self.before is not None and self.after == self.before + amount

    @property
    def actual(self) -> str:
        """The judged call's answer and the balance's move, as a result's *actual*."""
        return f"{show(self.exchange)}; {delta_text(self.before, self.after)}"


def unknown_player() -> str:
    """A player id no wallet knows."""
    return "cert-unknown-" + uuid.uuid4().hex[:10]


def undo_bet(ctx: Context, exchange: Exchange, tx: str, amount: Decimal) -> None:
    """A bet the wallet accepted where it had to refuse it: refund it so the player stays whole."""
    if exchange.ok:
        ctx.refund(tx, amount)


def undo_win(ctx: Context, exchange: Exchange, amount: Decimal) -> None:
    if exchange.ok and amount > 0:
        round_id = new_id()
        ctx.bet(amount, round_id=round_id)
        ctx.win(Decimal(0), round_id=round_id)


STAKE = Decimal("1.00")


def bet_and_refund(ctx: Context, amount: Decimal = STAKE, **kw) -> Delta:
    """A bet between two reads (``kw`` to the bet), refunded afterwards when the wallet took it."""
    with ctx.watch() as delta:
        delta.exchange, tx = ctx.bet(amount, **kw)
    if delta.exchange.ok:
        ctx.refund(tx, amount)
    return delta


def win_round(ctx: Context, amount: Decimal, **kw) -> Delta:
    """A bet, then its win between two reads (``kw`` to the win); the stake refunded when the win failed."""
    round_id = new_id()
    _bet, bet_tx = ctx.bet(amount, round_id=round_id)
    with ctx.watch() as delta:
        delta.exchange, _ = ctx.win(amount, round_id=round_id, **kw)
    if not delta.exchange.ok:
        ctx.refund(bet_tx, amount, round_id=round_id)  # the win failed: give the stake back
    return delta
