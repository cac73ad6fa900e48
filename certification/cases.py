"""The certification cases: what a partner's wallet must do, one check each, with a one-line fix.

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

from .drivers import Exchange, Sign

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
    assert group in GROUPS, group

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

    def _record(self, exchange: Exchange) -> Exchange:
        self.exchanges.append(exchange)
        self.all_ms.append(exchange.ms)
        self.last_balance = None  # any call may move money: only a read right after tells the balance
        return exchange

    def read(self) -> Decimal | None:
        exchange = self._record(self.driver.balance(self))
        self.last_balance = self.driver.balance_of(exchange)
        return self.last_balance

    def balance_call(self, **kw) -> Exchange:
        return self._record(self.driver.balance(self, **kw))

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
        exchange = self._record(
            self.driver.bet(self, tx=tx, amount=amount, round_id=round_id or new_id(), free=free, **kw)
        )
        if not kw.get("player_id") and not kw.get("currency"):  # another player's or currency's wallet: not ours
            self._follow(exchange, tx, Decimal(0) if free else -amount)
        return exchange, tx

    def win(self, amount: Decimal, *, tx: str | None = None, round_id: str | None = None, free=False, **kw):
        tx = tx or new_id()
        exchange = self._record(
            self.driver.win(self, tx=tx, amount=amount, round_id=round_id or new_id(), free=free, **kw)
        )
        self._follow(exchange, tx, Decimal(0) if free and self.protocol == PUBLIC else amount)
        return exchange, tx

    def refund(self, bet_tx: str, amount: Decimal, *, tx: str | None = None, round_id: str | None = None, **kw):
        tx = tx or new_id()
        exchange = self._record(
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
            ex, tx = self.bet(-diff, round_id=round_id)
            self.win(Decimal(0), round_id=round_id)
        else:
            ex, tx = self.bet(Decimal(0), round_id=round_id)
            ex, tx = self.win(diff, round_id=round_id)
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


def _undo_bet(ctx: Context, exchange: Exchange, tx: str, amount: Decimal) -> None:
    """A bet the wallet accepted where it had to refuse it: refund it so the player stays whole."""
    if exchange.ok:
        ctx.refund(tx, amount)


def _undo_win(ctx: Context, exchange: Exchange, amount: Decimal) -> None:
    if exchange.ok and amount > 0:
        round_id = new_id()
        ctx.bet(amount, round_id=round_id)
        ctx.win(Decimal(0), round_id=round_id)


STAKE = Decimal("1.00")


# ------------------------------------------------------------- signature --

SIG_FIX = "Verify the signature of every call before acting on it, and answer 401 when it does not match."


@case(
    "sig_good",
    "signature",
    "A correctly signed balance call is accepted",
    "Sign-check with the key we issued: "
    "IGSP HMAC-SHA256(secret, raw body + X-Timestamp); Public API HMAC-SHA256(key, RFC 8785 canonical JSON).",
)
def sig_good(ctx: Context) -> Result:
    exchange = ctx.balance_call()
    passed, actual = ok_with_balance(ctx, exchange)
    return passed, "HTTP 200 with the balance", actual


def _refused_money(ctx: Context, action: str, sign: Sign) -> Result:
    before = ctx.read()
    if action == "bet":
        exchange, tx = ctx.bet(STAKE, sign=sign)
    elif action == "win":
        exchange, tx = ctx.win(STAKE, sign=sign)
    else:
        bet, bet_tx = ctx.bet(STAKE)
        before = ctx.read()
        exchange, tx = ctx.refund(bet_tx, STAKE, sign=sign)
    after = ctx.read()
    passed = refused(exchange) and before is not None and after == before
    if action == "bet":
        _undo_bet(ctx, exchange, tx, STAKE)
    elif action == "win":
        _undo_win(ctx, exchange, STAKE)
    else:
        ctx.refund(bet_tx, STAKE)
    return passed, "HTTP 401 (any 4xx), no money moved", f"{show(exchange)}; {delta_text(before, after)}"


def _sig_case(id: str, title: str, action: str, sign: Sign, protocols=BOTH, fix: str = SIG_FIX):
    case(id, "signature", title, fix, protocols)(lambda ctx: _refused_money(ctx, action, sign))


_sig_case("sig_bad_bet", "A bet with a wrong signature is refused", "bet", Sign.BAD)
_sig_case("sig_bad_win", "A win with a wrong signature is refused", "win", Sign.BAD)
_sig_case("sig_bad_refund", "A refund with a wrong signature is refused", "refund", Sign.BAD)
_sig_case(
    "sig_wrong_key",
    "A bet signed with another key is refused",
    "bet",
    Sign.WRONG_KEY,
    fix="Verify with the key we issued to you only (IGSP secret / Integration API key), not any key.",
)
_sig_case(
    "sig_tampered_body",
    "A bet whose body changed after signing is refused",
    "bet",
    Sign.TAMPERED,
    fix="Compute the HMAC over the raw body bytes exactly as received, before parsing it.",
)
_sig_case(
    "sig_missing",
    "A bet without a signature header is refused",
    "bet",
    Sign.MISSING,
    fix="Treat a missing X-Signature / X-REQUEST-SIGN header as a failed signature (401).",
)
_sig_case(
    "sig_stale_timestamp",
    "A bet signed 10 minutes ago (X-Timestamp) is refused",
    "bet",
    Sign.STALE,
    (IGSP,),
    fix="Refuse an X-Timestamp more than 5 minutes from your clock (either way), and keep your clock on NTP.",
)
_sig_case(
    "sig_future_timestamp",
    "A bet signed 10 minutes in the future is refused",
    "bet",
    Sign.FUTURE,
    (IGSP,),
    fix="Refuse an X-Timestamp more than 5 minutes ahead of your clock as well as behind it.",
)
_sig_case(
    "sig_unknown_key_id",
    "A bet with an unknown Bearer key id is refused",
    "bet",
    Sign.UNKNOWN_KEY_ID,
    (IGSP,),
    fix="Look the Bearer key id up among the keys we issued and refuse (401) any other.",
)


@case("sig_bad_balance", "signature", "A balance call with a wrong signature is refused", SIG_FIX)
def sig_bad_balance(ctx: Context) -> Result:
    exchange = ctx.balance_call(sign=Sign.BAD)
    return refused(exchange), "HTTP 401 (any 4xx)", show(exchange)


# --------------------------------------------------------------- balance --


@case("balance_ok", "balance", "Balance of the test player", "Answer 200 {balance} for the test player.")
def balance_ok(ctx: Context) -> Result:
    exchange = ctx.balance_call()
    passed, actual = ok_with_balance(ctx, exchange)
    return passed, "HTTP 200 with the balance", actual


@case(
    "balance_shape",
    "balance",
    "Balance answer matches the contract",
    "Answer exactly the contract's BalanceResponse (IGSP: balance as a JSON number; Public API: a decimal string).",
)
def balance_shape(ctx: Context) -> Result:
    exchange = ctx.balance_call()
    problems = exchange.shape_errors if exchange.ok else [show(exchange)]
    return not problems, "a BalanceResponse", "; ".join(problems) or "conforms"


@case(
    "balance_precision",
    "balance",
    "Balance carries at most the currency's decimals",
    "Render balances at the currency's precision (2 decimals for fiat), never as a float with noise.",
)
def balance_precision(ctx: Context) -> Result:
    value = ctx.read()
    if value is None:
        return False, "a balance", show(ctx.exchanges[-1])
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return places <= ctx.places, f"≤ {ctx.places} decimals", f"{value} ({places} decimals)"


@case(
    "balance_unknown_player",
    "balance",
    "Balance of an unknown player / session is refused",
    "Answer 4xx (Public API: 404 session_not_found with action refresh) for a player or session you do not know.",
)
def balance_unknown_player(ctx: Context) -> Result:
    exchange = ctx.balance_call(player_id="cert-unknown-" + uuid.uuid4().hex[:10])
    passed = refused(exchange)
    if ctx.protocol == PUBLIC:
        passed = passed and exchange.status == 404 and ctx.driver.error_code(exchange) == "session_not_found"
        return passed, "HTTP 404 code session_not_found", show(exchange)
    return passed, "HTTP 4xx", show(exchange)


# ------------------------------------------------------------ bet / win --


def _bet_and_refund(ctx: Context, amount: Decimal = STAKE, **kw) -> tuple[Exchange, Decimal | None, Decimal | None]:
    before = ctx.read()
    exchange, tx = ctx.bet(amount, **kw)
    after = ctx.read()
    if exchange.ok:
        ctx.refund(tx, amount)
    return exchange, before, after


@case("bet_debits", "bet", "A bet debits its amount once", "Debit exactly the bet amount and answer 200.")
def bet_debits(ctx: Context) -> Result:
    exchange, before, after = _bet_and_refund(ctx)
    passed = exchange.ok and before is not None and after == before - STAKE
    return passed, f"HTTP 200, balance −{STAKE}", f"{show(exchange)}; {delta_text(before, after)}"


@case(
    "bet_shape",
    "bet",
    "Bet answer matches the contract",
    "Answer the contract's bet response: balance and your own transaction id.",
)
def bet_shape(ctx: Context) -> Result:
    exchange, _, _ = _bet_and_refund(ctx)
    problems = exchange.shape_errors if exchange.ok else [show(exchange)]
    return not problems, "a bet response per the contract", "; ".join(problems) or "conforms"


@case(
    "bet_partner_tx_id",
    "bet",
    "Bet answer carries the partner's own transaction id",
    "Return your own id for the transaction (IGSP transaction_id / Public API txID); it is how support traces a bet.",
)
def bet_partner_tx_id(ctx: Context) -> Result:
    exchange, _, _ = _bet_and_refund(ctx)
    partner_tx = ctx.driver.partner_tx_of(exchange)
    return bool(exchange.ok and partner_tx), "a non-empty transaction id", partner_tx or show(exchange)


@case(
    "bet_balance_in_answer",
    "bet",
    "The balance in the bet answer is the balance after the bet",
    "Answer the balance after the debit, read in the same database transaction.",
)
def bet_balance_in_answer(ctx: Context) -> Result:
    exchange, before, after = _bet_and_refund(ctx)
    answered = ctx.driver.balance_of(exchange)
    passed = exchange.ok and answered is not None and answered == after
    return passed, f"balance in the answer = {after}", f"{answered} ({show(exchange)})"


def _win_round(ctx: Context, amount: Decimal, **kw) -> tuple[Exchange, Decimal | None, Decimal | None]:
    round_id = new_id()
    bet, bet_tx = ctx.bet(amount, round_id=round_id)
    before = ctx.read()
    exchange, _ = ctx.win(amount, round_id=round_id, **kw)
    after = ctx.read()
    if not exchange.ok:
        ctx.refund(bet_tx, amount, round_id=round_id)  # the win failed: give the stake back
    return exchange, before, after


@case("win_credits", "win", "A win credits its amount once", "Credit exactly the win amount and answer 200.")
def win_credits(ctx: Context) -> Result:
    exchange, before, after = _win_round(ctx, STAKE)
    passed = exchange.ok and before is not None and after == before + STAKE
    return passed, f"HTTP 200, balance +{STAKE}", f"{show(exchange)}; {delta_text(before, after)}"


@case(
    "win_shape",
    "win",
    "Win answer matches the contract",
    "Answer the contract's win response: balance and your own transaction id.",
)
def win_shape(ctx: Context) -> Result:
    exchange, _, _ = _win_round(ctx, STAKE)
    problems = exchange.shape_errors if exchange.ok else [show(exchange)]
    return not problems, "a win response per the contract", "; ".join(problems) or "conforms"


@case(
    "win_zero",
    "win",
    "A round lost (win of 0) is accepted",
    "Accept a win of amount 0: it closes a lost round; answer 200 with the unchanged balance.",
)
def win_zero(ctx: Context) -> Result:
    round_id = new_id()
    bet, bet_tx = ctx.bet(STAKE, round_id=round_id)
    before = ctx.read()
    exchange, _ = ctx.win(Decimal(0), round_id=round_id)
    after = ctx.read()
    ctx.refund(bet_tx, STAKE, round_id=round_id)
    passed = exchange.ok and before is not None and after == before
    return passed, "HTTP 200, balance unchanged", f"{show(exchange)}; {delta_text(before, after)}"


@case(
    "win_jackpot",
    "win",
    "A jackpot win (type jackpot) credits",
    "Accept every win type of the contract (win, jackpot, freespin, tournament, prize).",
    (IGSP,),
)
def win_jackpot(ctx: Context) -> Result:
    exchange, before, after = _win_round(ctx, STAKE, kind="jackpot")
    passed = exchange.ok and before is not None and after == before + STAKE
    return passed, f"HTTP 200, balance +{STAKE}", f"{show(exchange)}; {delta_text(before, after)}"


@case(
    "win_partner_tx_id",
    "win",
    "Win answer carries the partner's own transaction id",
    "Return your own id for the win (txID).",
    (PUBLIC,),
)
def win_partner_tx_id(ctx: Context) -> Result:
    exchange, _, _ = _win_round(ctx, STAKE)
    partner_tx = ctx.driver.partner_tx_of(exchange)
    return bool(exchange.ok and partner_tx), "a non-empty txID", partner_tx or show(exchange)


# ---------------------------------------------------------------- refund --


@case("refund_credits", "refund", "A refund credits the bet back", "Credit the referenced bet's amount back once.")
def refund_credits(ctx: Context) -> Result:
    bet, bet_tx = ctx.bet(STAKE)
    before = ctx.read()
    exchange, _ = ctx.refund(bet_tx, STAKE)
    after = ctx.read()
    passed = bet.ok and exchange.ok and before is not None and after == before + STAKE
    return passed, f"HTTP 200, balance +{STAKE}", f"{show(exchange)}; {delta_text(before, after)}"


@case("refund_shape", "refund", "Refund answer matches the contract", "Answer the contract's refund response.")
def refund_shape(ctx: Context) -> Result:
    bet, bet_tx = ctx.bet(STAKE)
    exchange, _ = ctx.refund(bet_tx, STAKE)
    problems = exchange.shape_errors if exchange.ok else [show(exchange)]
    return not problems, "a refund response per the contract", "; ".join(problems) or "conforms"


@case(
    "refund_unknown_bet",
    "refund",
    "A refund of a bet never seen answers 200 and moves nothing",
    "Answer 200 with "
    "the current balance for a refund whose bet you never saw (we retry refunds until 200), and move no money.",
)
def refund_unknown_bet(ctx: Context) -> Result:
    before = ctx.read()
    exchange, _ = ctx.refund(new_id(), STAKE)
    after = ctx.read()
    passed = exchange.ok and before is not None and after == before
    return passed, "HTTP 200, balance unchanged", f"{show(exchange)}; {delta_text(before, after)}"


@case(
    "refund_after_win",
    "refund",
    "A refund of a bet whose round was won is answered 200 and credits at most the bet",
    "Answer 200 to a refund of a settled bet; credit its amount at most once, never more.",
)
def refund_after_win(ctx: Context) -> Result:
    round_id = new_id()
    bet, bet_tx = ctx.bet(STAKE, round_id=round_id)
    ctx.win(STAKE, round_id=round_id)
    before = ctx.read()
    exchange, _ = ctx.refund(bet_tx, STAKE, round_id=round_id)
    after = ctx.read()
    if before is not None and after == before + STAKE:  # the wallet credited the bet back: take it again
        _undo_win(ctx, exchange, STAKE)
    passed = exchange.ok and before is not None and after in (before, before + STAKE)
    return passed, f"HTTP 200, balance +0 or +{STAKE}", f"{show(exchange)}; {delta_text(before, after)}"


@case(
    "refund_bet_after_refund",
    "refund",
    "A bet arriving after its refund does not debit",
    "Remember refunded "
    "transaction ids: a bet whose refund came first must not debit (answer 4xx or 200 without moving money).",
)
def refund_bet_after_refund(ctx: Context) -> Result:
    bet_tx = new_id()
    ctx.refund(bet_tx, STAKE)
    before = ctx.read()
    exchange, _ = ctx.bet(STAKE, tx=bet_tx)
    after = ctx.read()
    if exchange.ok and after is not None and before is not None and after < before:
        ctx.refund(bet_tx, STAKE)  # broken wallet: give the money back (a fresh refund id)
    passed = exchange.status is not None and before is not None and after == before
    return passed, "no debit (4xx, or 200 unchanged)", f"{show(exchange)}; {delta_text(before, after)}"


# ----------------------------------------------------------- idempotency --

IDEM_FIX = "Key every movement on our transaction id (a unique constraint), and answer a repeat with the first answer."


@case("idem_bet_twice", "idempotency", "The same bet sent twice debits once", IDEM_FIX)
def idem_bet_twice(ctx: Context) -> Result:
    before = ctx.read()
    tx, round_id = new_id(), new_id()
    first, _ = ctx.bet(STAKE, tx=tx, round_id=round_id)
    second, _ = ctx.bet(STAKE, tx=tx, round_id=round_id)
    after = ctx.read()
    ctx.refund(tx, STAKE)  # a wallet that debited twice is made whole by the runner's restore
    passed = first.ok and second.ok and before is not None and after == before - STAKE
    return passed, f"both HTTP 200, balance −{STAKE} once", f"{show(second)}; {delta_text(before, after)}"


@case(
    "idem_bet_same_answer",
    "idempotency",
    "A repeated bet answers the same transaction id",
    "Store the first answer per transaction id and return it unchanged for a repeat.",
)
def idem_bet_same_answer(ctx: Context) -> Result:
    tx, round_id = new_id(), new_id()
    first, _ = ctx.bet(STAKE, tx=tx, round_id=round_id)
    second, _ = ctx.bet(STAKE, tx=tx, round_id=round_id)
    ctx.refund(tx, STAKE)
    a, b = ctx.driver.partner_tx_of(first), ctx.driver.partner_tx_of(second)
    return bool(first.ok and second.ok and a and a == b), f"the same id twice ({a})", b or show(second)


@case("idem_win_twice", "idempotency", "The same win sent twice credits once", IDEM_FIX)
def idem_win_twice(ctx: Context) -> Result:
    round_id, tx = new_id(), new_id()
    ctx.bet(STAKE, round_id=round_id)
    before = ctx.read()
    first, _ = ctx.win(STAKE, tx=tx, round_id=round_id)
    second, _ = ctx.win(STAKE, tx=tx, round_id=round_id)
    after = ctx.read()
    passed = first.ok and second.ok and before is not None and after == before + STAKE
    return passed, f"both HTTP 200, balance +{STAKE} once", f"{show(second)}; {delta_text(before, after)}"


@case("idem_refund_twice", "idempotency", "The same refund sent twice credits once", IDEM_FIX)
def idem_refund_twice(ctx: Context) -> Result:
    bet, bet_tx = ctx.bet(STAKE)
    before = ctx.read()
    tx = new_id()
    first, _ = ctx.refund(bet_tx, STAKE, tx=tx)
    second, _ = ctx.refund(bet_tx, STAKE, tx=tx)
    after = ctx.read()
    passed = first.ok and second.ok and before is not None and after == before + STAKE
    return passed, f"both HTTP 200, balance +{STAKE} once", f"{show(second)}; {delta_text(before, after)}"


@case(
    "idem_two_refunds_one_bet",
    "idempotency",
    "Two refunds (different ids) of one bet credit it once",
    "Credit a bet back at most once whatever the refund's own id (unique per refunded bet); answer the second 200.",
)
def idem_two_refunds_one_bet(ctx: Context) -> Result:
    bet, bet_tx = ctx.bet(STAKE)
    before = ctx.read()
    first, _ = ctx.refund(bet_tx, STAKE)
    second, _ = ctx.refund(bet_tx, STAKE)
    after = ctx.read()
    passed = first.ok and second.ok and before is not None and after == before + STAKE
    return passed, f"both HTTP 200, balance +{STAKE} once", f"{show(second)}; {delta_text(before, after)}"


@case(
    "idem_win_same_answer",
    "idempotency",
    "A repeated win answers the same balance and id",
    "Store the first answer per transaction id and return it unchanged for a repeat.",
)
def idem_win_same_answer(ctx: Context) -> Result:
    round_id, tx = new_id(), new_id()
    ctx.bet(STAKE, round_id=round_id)
    first, _ = ctx.win(STAKE, tx=tx, round_id=round_id)
    second, _ = ctx.win(STAKE, tx=tx, round_id=round_id)
    same = first.ok and second.ok and first.response_body == second.response_body
    return same, first.response_body[:200], second.response_body[:200] if second.ok else show(second)


# ----------------------------------------------------------------- funds --


def _over_balance(ctx: Context) -> tuple[Exchange, Decimal | None, Decimal | None, Decimal]:
    before = ctx.read()
    amount = (before or Decimal(0)) + Decimal(1000)
    exchange, tx = ctx.bet(amount)
    after = ctx.read()
    _undo_bet(ctx, exchange, tx, amount)
    return exchange, before, after, amount


@case(
    "funds_insufficient_code",
    "funds",
    "A bet above the balance is refused with insufficient_funds",
    "Refuse with HTTP 400 and the documented code insufficient_funds (IGSP error / Public API code), never 500.",
)
def funds_insufficient_code(ctx: Context) -> Result:
    exchange, _, _, _ = _over_balance(ctx)
    passed = exchange.status == 400 and ctx.driver.error_code(exchange) == "insufficient_funds"
    return passed, "HTTP 400 insufficient_funds", show(exchange)


@case(
    "funds_insufficient_nothing_moved",
    "funds",
    "A refused bet moves no money",
    "Check the balance and debit in one locked update; a refused bet must leave the balance as it was.",
)
def funds_insufficient_nothing_moved(ctx: Context) -> Result:
    exchange, before, after, _ = _over_balance(ctx)
    return before is not None and after == before, "balance unchanged", delta_text(before, after)


@case(
    "funds_error_shape",
    "funds",
    "The refusal matches the contract's error shape",
    "Answer errors in the contract's error shape (IGSP {error, message}; Public API {message, code, action?}).",
)
def funds_error_shape(ctx: Context) -> Result:
    exchange, _, _, _ = _over_balance(ctx)
    problems = exchange.shape_errors if exchange.status and exchange.status >= 400 else [show(exchange)]
    return not problems, "an error response per the contract", "; ".join(problems) or "conforms"


# --------------------------------------------------------------- unknown --


@case(
    "unknown_player_bet",
    "unknown",
    "A bet for an unknown player / session is refused",
    "Refuse (4xx; Public API 404 session_not_found) a bet for a player or session you do not know; never create one.",
)
def unknown_player_bet(ctx: Context) -> Result:
    exchange, tx = ctx.bet(STAKE, player_id="cert-unknown-" + uuid.uuid4().hex[:10])
    passed = refused(exchange)
    if ctx.protocol == PUBLIC:
        passed = passed and exchange.status == 404 and ctx.driver.error_code(exchange) == "session_not_found"
    return passed, "HTTP 4xx" if ctx.protocol == IGSP else "HTTP 404 session_not_found", show(exchange)


@case(
    "unknown_session_refresh",
    "unknown",
    "An unknown session asks the game to refresh",
    "Add action: refresh to a 404 session_not_found, so the game offers the player a reload.",
    (PUBLIC,),
)
def unknown_session_refresh(ctx: Context) -> Result:
    exchange = ctx.balance_call(player_id="cert-unknown-" + uuid.uuid4().hex[:10])
    data = exchange.data if isinstance(exchange.data, dict) else {}
    return data.get("action") == "refresh", 'action "refresh"', show(exchange)


@case(
    "unknown_player_win",
    "unknown",
    "A win for an unknown player is refused",
    "Refuse a win for a player you do not know (4xx); never credit an account created on the fly.",
    (IGSP,),
)
def unknown_player_win(ctx: Context) -> Result:
    player = "cert-unknown-" + uuid.uuid4().hex[:10]
    payload = ctx.driver._money(ctx, new_id(), STAKE, {"type": "win", "round_id": new_id(), "finished": True}, player)
    exchange = ctx._record(ctx.driver.call("win", payload))
    return refused(exchange), "HTTP 4xx", show(exchange)


# -------------------------------------------------------------- currency --


@case(
    "currency_mismatch_bet",
    "currency",
    "A bet in another currency than the player's is refused",
    "Check the currency against the player's wallet; refuse (4xx) a mismatch, never convert or open a new wallet.",
    (IGSP,),
)
def currency_mismatch_bet(ctx: Context) -> Result:
    before = ctx.read()
    other = "XTS" if ctx.currency != "XTS" else "XXX"
    exchange, tx = ctx.bet(STAKE, currency=other)
    after = ctx.read()
    passed = refused(exchange) and before is not None and after == before
    return passed, "HTTP 4xx, no money moved", f"{show(exchange)}; {delta_text(before, after)}"


@case(
    "currency_mismatch_balance",
    "currency",
    "A balance call in another currency is refused",
    "Refuse (4xx) a balance call in a currency the player has no wallet in.",
    (IGSP,),
)
def currency_mismatch_balance(ctx: Context) -> Result:
    exchange = ctx.balance_call(currency="XTS" if ctx.currency != "XTS" else "XXX")
    return refused(exchange), "HTTP 4xx", show(exchange)


# ------------------------------------------------------------- precision --


@case(
    "precision_smallest_unit",
    "precision",
    "A bet of the currency's smallest unit debits exactly that",
    "Store amounts as decimals with the currency's precision; never round to fewer places.",
)
def precision_smallest_unit(ctx: Context) -> Result:
    exchange, before, after = _bet_and_refund(ctx, ctx.unit)
    passed = exchange.ok and before is not None and after == before - ctx.unit
    return passed, f"balance −{ctx.unit}", f"{show(exchange)}; {delta_text(before, after)}"


@case(
    "precision_fraction",
    "precision",
    "A win at full precision credits exactly",
    "Keep every decimal of the currency's precision (e.g. 1.23); parse amounts as decimals, never floats.",
)
def precision_fraction(ctx: Context) -> Result:
    amount = Decimal("1.23") if ctx.places >= 2 else Decimal(1)
    exchange, before, after = _win_round(ctx, amount)
    passed = exchange.ok and before is not None and after == before + amount
    return passed, f"balance +{amount}", f"{show(exchange)}; {delta_text(before, after)}"


@case(
    "precision_beyond_bet",
    "precision",
    "A bet with more decimals than the currency has is refused",
    "Refuse (400) an amount with more decimals than the currency's precision instead of rounding it.",
)
def precision_beyond_bet(ctx: Context) -> Result:
    amount = ctx.unit / 10
    before = ctx.read()
    exchange, tx = ctx.bet(amount)
    after = ctx.read()
    _undo_bet(ctx, exchange, tx, amount)
    passed = refused(exchange) and before is not None and after == before
    return passed, "HTTP 4xx, no money moved", f"{show(exchange)}; {delta_text(before, after)}"


@case(
    "precision_beyond_win",
    "precision",
    "A win with more decimals than the currency has is refused",
    "Refuse (400) a win amount beyond the currency's precision instead of rounding it.",
)
def precision_beyond_win(ctx: Context) -> Result:
    amount = Decimal(1) + ctx.unit / 2
    round_id = new_id()
    ctx.bet(STAKE, round_id=round_id)
    before = ctx.read()
    exchange, _ = ctx.win(amount, round_id=round_id)
    after = ctx.read()
    if exchange.ok:
        _undo_win(ctx, exchange, (after - before) if after is not None and before is not None else amount)
    else:
        ctx.win(STAKE, round_id=round_id)
    passed = refused(exchange) and before is not None and after == before
    return passed, "HTTP 4xx, no money moved", f"{show(exchange)}; {delta_text(before, after)}"


@case("precision_negative", "precision", "A negative amount is refused", "Refuse (400) negative amounts.")
def precision_negative(ctx: Context) -> Result:
    before = ctx.read()
    if ctx.protocol == IGSP:
        exchange, tx = ctx.bet(Decimal("-1.00"))
    else:
        body = ctx.driver._body(ctx, new_id(), Decimal(1), new_id(), False, None)
        body["amount"] = "-1.00"
        exchange = ctx._record(ctx.driver.post("bet", body))
    after = ctx.read()
    if after is not None and before is not None and after != before:
        ctx.restore()
    passed = refused(exchange) and before is not None and after == before
    return passed, "HTTP 4xx, no money moved", f"{show(exchange)}; {delta_text(before, after)}"


# ----------------------------------------------------------------- large --


@case(
    "large_win_exact",
    "large",
    "A large win (123456789.12) and its bet back are exact",
    "Store amounts in a decimal column wide enough for large wins (≥ 12 integer digits); never in a float.",
)
def large_win_exact(ctx: Context) -> Result:
    amount = Decimal("123456789.12") if ctx.places >= 2 else Decimal(123456789)
    round_id = new_id()
    ctx.bet(Decimal(0), round_id=round_id)
    before = ctx.read()
    exchange, _ = ctx.win(amount, round_id=round_id)
    after = ctx.read()
    ctx.bet(amount)  # take it back: a bet of the same amount
    passed = exchange.ok and before is not None and after == before + amount
    return passed, f"balance +{amount}", f"{show(exchange)}; {delta_text(before, after)}"


@case(
    "large_bet_refused",
    "large",
    "A bet far above the balance (10^11) is refused cleanly",
    "Refuse a huge bet with a 4xx (insufficient_funds), never a 500 or an overflow.",
)
def large_bet_refused(ctx: Context) -> Result:
    before = ctx.read()
    amount = Decimal("100000000000.00")
    exchange, tx = ctx.bet(amount)
    after = ctx.read()
    _undo_bet(ctx, exchange, tx, amount)
    passed = refused(exchange) and before is not None and after == before
    return passed, "HTTP 4xx, no money moved", f"{show(exchange)}; {delta_text(before, after)}"


# --------------------------------------------------------------- unicode --


@case(
    "unicode_session_and_game",
    "unicode",
    "Unicode session, game and round ids are handled",
    "Treat ids as UTF-8 strings end to end (columns, signature over the raw bytes).",
    (IGSP,),
)
def unicode_session_and_game(ctx: Context) -> Result:
    saved = ctx.session_id, ctx.game_id
    ctx.session_id, ctx.game_id = "séance-ü-€-🎰-" + uuid.uuid4().hex[:6], "jeu-ß-表-🎲"
    try:
        exchange, before, after = _bet_and_refund(ctx, round_id="tour-ñ-" + uuid.uuid4().hex[:6])
    finally:
        ctx.session_id, ctx.game_id = saved
    passed = exchange.ok and before is not None and after == before - STAKE
    return passed, f"HTTP 200, balance −{STAKE}", f"{show(exchange)}; {delta_text(before, after)}"


@case(
    "unicode_transaction_id",
    "unicode",
    "A Unicode transaction id is idempotent like any other",
    "Key on the exact transaction id string (UTF-8), not a normalised or truncated one.",
    (IGSP,),
)
def unicode_transaction_id(ctx: Context) -> Result:
    tx = "tx-ünï-😀-" + uuid.uuid4().hex
    before = ctx.read()
    first, _ = ctx.bet(STAKE, tx=tx)
    second, _ = ctx.bet(STAKE, tx=tx)
    after = ctx.read()
    ctx.refund(tx, STAKE)
    passed = first.ok and second.ok and before is not None and after == before - STAKE
    return passed, f"HTTP 200 twice, balance −{STAKE} once", f"{show(second)}; {delta_text(before, after)}"


@case("unicode_free_rounds_id", "unicode", "A Unicode frID is accepted", "Store frID as a UTF-8 string.", (PUBLIC,))
def unicode_free_rounds_id(ctx: Context) -> Result:
    before = ctx.read()
    exchange, _ = ctx.bet(STAKE, free=True, fr_id="bonus-ключ-🎁-" + uuid.uuid4().hex[:6])
    after = ctx.read()
    passed = exchange.ok and before is not None and after == before
    return passed, "HTTP 200, balance unchanged (free bet)", f"{show(exchange)}; {delta_text(before, after)}"


# ---------------------------------------------------------------- timing --


def _timing(ctx: Context, action: str) -> Result:
    ms: list[int] = []
    for _ in range(2):
        if action == "balance":
            ms.append(ctx.balance_call().ms)
            continue
        round_id = new_id()
        bet, bet_tx = ctx.bet(STAKE, round_id=round_id)
        if action == "bet":
            ms.append(bet.ms)
            ctx.refund(bet_tx, STAKE, round_id=round_id)
        elif action == "win":
            win, _ = ctx.win(STAKE, round_id=round_id)
            ms.append(win.ms)
        else:
            refund, _ = ctx.refund(bet_tx, STAKE, round_id=round_id)
            ms.append(refund.ms)
    budget = int(ctx.budget_seconds * 1000)
    return max(ms) <= budget, f"every {action} within {budget} ms", f"slowest {max(ms)} ms ({ms})"


for _action in ("balance", "bet", "win", "refund"):
    case(
        f"timing_{_action}",
        "timing",
        f"{_action.capitalize()} answers within the time budget",
        f"Answer {_action} within the 5 s budget (we decline a bet at 5 s): index your lookups, no remote calls "
        "inside the wallet lock.",
    )(lambda ctx, _a=_action: _timing(ctx, _a))


# ----------------------------------------------------------- free rounds --


@case(
    "free_bet_no_debit",
    "free_rounds",
    "A free-round bet moves no money",
    "A bet with type free (IGSP freespin) is paid by us: record it, do not debit the real balance.",
)
def free_bet_no_debit(ctx: Context) -> Result:
    before = ctx.read()
    exchange, _ = ctx.bet(STAKE, free=True, fr_id="cert-fr-" + uuid.uuid4().hex[:8])
    after = ctx.read()
    if exchange.ok and after is not None and before is not None and after < before:
        ctx.restore()
    passed = exchange.ok and before is not None and after == before
    return passed, "HTTP 200, balance unchanged", f"{show(exchange)}; {delta_text(before, after)}"


@case(
    "free_win_no_credit",
    "free_rounds",
    "A free-round win moves no money",
    "A win with type free is counted "
    "towards the bonus; the real balance moves only with the final regular win carrying frID.",
    (PUBLIC,),
)
def free_win_no_credit(ctx: Context) -> Result:
    fr_id, round_id = "cert-fr-" + uuid.uuid4().hex[:8], new_id()
    ctx.bet(STAKE, free=True, fr_id=fr_id, round_id=round_id)
    before = ctx.read()
    exchange, _ = ctx.win(STAKE, free=True, fr_id=fr_id, round_id=round_id)
    after = ctx.read()
    if exchange.ok and after is not None and before is not None and after > before:
        ctx.restore()
    passed = exchange.ok and before is not None and after == before
    return passed, "HTTP 200, balance unchanged", f"{show(exchange)}; {delta_text(before, after)}"


@case(
    "free_bonus_withdrawal",
    "free_rounds",
    "The bonus withdrawal (regular win with frID) credits",
    "Credit a type regular win that carries frID: it pays the free rounds' total.",
    (PUBLIC,),
)
def free_bonus_withdrawal(ctx: Context) -> Result:
    fr_id = "cert-fr-" + uuid.uuid4().hex[:8]
    before = ctx.read()
    exchange, _ = ctx.win(Decimal("2.50"), fr_id=fr_id)
    after = ctx.read()
    if exchange.ok:
        ctx.bet(Decimal("2.50"))  # take the bonus back
    passed = exchange.ok and before is not None and after == before + Decimal("2.50")
    return passed, "HTTP 200, balance +2.50", f"{show(exchange)}; {delta_text(before, after)}"


@case(
    "free_spin_win",
    "free_rounds",
    "A free-spin win (type freespin) credits",
    "Accept win type freespin and credit it: free-spin winnings are real money in IGSP.",
    (IGSP,),
)
def free_spin_win(ctx: Context) -> Result:
    round_id = new_id()
    ctx.bet(STAKE, free=True, round_id=round_id)
    before = ctx.read()
    exchange, _ = ctx.win(STAKE, free=True, round_id=round_id)
    after = ctx.read()
    if exchange.ok:
        ctx.bet(STAKE)
    passed = exchange.ok and before is not None and after == before + STAKE
    return passed, f"HTTP 200, balance +{STAKE}", f"{show(exchange)}; {delta_text(before, after)}"


# -------------------------------------------------------------- sequence --


@case(
    "sequence_balances_add_up",
    "sequence",
    "Every reported balance adds up over the whole run",
    "Every movement must show in the balance exactly once: no hidden credits on repeats, no rounding, nothing lost.",
)
def sequence_balances_add_up(ctx: Context) -> Result:
    actual = ctx.read()
    if ctx.model_broken:
        return False, f"balance {ctx.model}", f"cannot follow: {ctx.model_broken}"
    passed = actual is not None and actual == ctx.model
    return passed, f"balance {ctx.model} (start {ctx.baseline} + every answered movement)", f"balance {actual}"
