"""The games' services: the player's actions behind the Session API (``integration_hub/session_api/views.py``): every stake, payout and refund
goes through the wallet services, so both protocols and demo sessions get the same game logic.

The edge parses the game page's bodies (``integration_hub/session_api/serializers.py``) and checks the session is
open; the functions here take typed arguments (``bet_market``, ``bet_jackpot``, ``cash_out_preview``,
``cash_out``, ``bet_get``, ``state``) and return domain results (the dataclasses below: models, Decimals,
quotes), which the edge's output serializers shape into the bodies ``integration_hub/openapi.py`` documents.
A TraderHero round due later is settled by ``games/traderhero/settlement.py`` (``jackpot_settle``, published
by task name through ``core.tasks.publish``)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from catalog.models import Game
from core.batching import Batcher
from core.errors import ApplicationError, NotFound
from core.tasks import publish
from wallet import currency as money
from wallet import services as wallet
from wallet.models import GameSession, Round, Transaction

from . import locales
from . import selectors as sel
from .markets import books, cashout, limits, trading
from .models import JackpotRound, JackpotRoundStatus, Market, Position, PositionStatus
from .traderhero import fairness as jackpot
from .traderhero import services as game_services
from .traderhero.settlement import settle_and_pay


def _balance_view(session: GameSession) -> tuple[Decimal | None, bool]:
    """Live balance for the page; the last known one (flagged stale) when the wallet is unreachable."""
    try:
        return wallet.session_balance(session=session), False
    except ApplicationError:
        fresh = GameSession.objects.values_list("last_balance", flat=True).get(pk=session.pk)
        return fresh, True


# ------------------------------------------------------------------ state --


@dataclass
class MarketQuote:
    """A market as a player in one currency sees it: the prices of its book (real or demo)."""

    market: Market
    yes_price: Decimal
    no_price: Decimal


def market_quote(market: Market, currency: str, demo: bool) -> MarketQuote:
    """The market as a player in ``currency`` sees it (each currency trades against its own book; demo
    sessions against the demo book)."""
    yes, no = books.book_prices(market, currency, demo=demo)
    return MarketQuote(market=market, yes_price=yes, no_price=no)


@dataclass
class PositionQuote:
    """A position and what cashing it out would pay now (None: not open, or no quote now)."""

    position: Position
    cash_out_value: Decimal | None


@dataclass
class StakeLimits:
    min_stake: Decimal
    max_stake: Decimal
    cash_outs_per_day: int
    margin: Decimal


@dataclass
class JackpotConfig:
    rtp: Decimal
    table: dict[str, Any]
    round_seconds: int
    min_stake: Decimal
    max_stake: Decimal
    directions: list[str]
    algorithm: int


@dataclass
class SessionState:
    """The launch page's bootstrap: ``markets``, ``positions`` and ``limits`` for prediction markets,
    ``jackpot`` and ``rounds`` for TraderHero (the other ones None)."""

    session: GameSession
    game: Game
    balance: Decimal | None
    balance_stale: bool
    markets: list[MarketQuote] | None = None
    positions: list[PositionQuote] | None = None
    limits: StakeLimits | None = None
    jackpot: JackpotConfig | None = None
    rounds: list[JackpotRound] | None = None
    config: dict[str, Any] | None = None  # the partner config the page needs (partner_config)
    free_rounds: dict[str, Any] | None = None  # TraderHero: the campaign played now and its rounds left


@dataclass
class MarketBetPlaced:
    position: Position
    market: MarketQuote
    outcome: str
    amount: Decimal
    bet: wallet.BetResult


@dataclass
class JackpotBetPlaced:
    round: JackpotRound
    bet: wallet.BetResult
    balance: Decimal | None
    free_round: bool


@dataclass
class CashOutPreview:
    position: Position
    cash_out_value: Decimal
    margin: Decimal
    original_stake: Decimal
    current_odds: Decimal
    current_price: Decimal
    shares: Decimal


@dataclass
class CashedOut:
    position: Position
    win: Transaction
    balance: Decimal | None


def cash_out_player_key(session: GameSession) -> str | None:
    """Whose daily cash-out limit a session's cash-outs count against: the partner's player. Demo play
    counts apart, never against the real player (a partner's demo game carries the real player's id):
    ``demo:<partner>:<player>``, and a partner-less demo session on its own (``None``: ``session:<id>``)."""
    if not session.partner_id:
        return None
    return (
        f"demo:{session.partner_id}:{session.player_id}"
        if session.is_demo
        else f"{session.partner_id}:{session.player_id}"
    )


def position_quote(
    position: Position, with_quote: bool = True, player_key: str | None = None, cashouts_today: int | None = None
) -> PositionQuote:
    """The position with a live cash-out quote when it is open (None when no quote can be given now), else the
    value it was cashed out for."""
    value = position.cash_out_value
    if with_quote and position.status == PositionStatus.OPEN:
        try:
            quote = cashout.position_cash_out_quote(
                position=position,
                places=money.precision(position.currency),
                player_key=player_key,
                cashouts_today=cashouts_today,
            )
            value = quote["cashOutValue"]
        except ApplicationError:
            value = None
    return PositionQuote(position=position, cash_out_value=value)


def jackpot_config(currency: str) -> JackpotConfig:
    low, high = limits.stake_limits(currency)
    rtp = game_services.jackpot_rtp()
    return JackpotConfig(
        rtp=rtp,
        table=jackpot.tier_table(rtp).as_dict(),
        round_seconds=round_seconds(),
        min_stake=low,
        max_stake=high,
        directions=list(jackpot.DIRECTIONS),
        algorithm=jackpot.ALGORITHM_VERSION,
    )


def round_seconds() -> int:
    return int(settings.HUB_JACKPOT_ROUND_SECONDS)


def partner_config(session: GameSession) -> dict:
    """The partner config the game page needs (seed 000: "session state and partner config"): where the deposit
    and lobby buttons go, the player's locale and UI language, how to show the currency, the stake limits."""
    low, high = limits.stake_limits(session.currency)
    partner = session.partner
    return {
        "partner": partner.name if partner is not None else None,
        "depositUrl": session.deposit_url or None,
        "lobbyUrl": session.return_url or None,
        "locale": locales.resolve_locale(session.language) or locales.SOURCE_LOCALE,
        "language": locales.ui_language(session.language),
        "currency": money.display(session.currency),
        "limits": {
            "minStake": money.money_str(low, session.currency),
            "maxStake": money.money_str(high, session.currency),
            "cashOutsPerDay": limits.cashout_limit_per_day(),
        },
    }


def state(*, session: GameSession) -> SessionState:
    balance, stale = _balance_view(session)
    game: Game = session.game
    body = SessionState(
        session=session, game=game, balance=balance, balance_stale=stale, config=partner_config(session)
    )
    if game.slug == Game.PREDICTION_MARKETS:
        low, high = limits.stake_limits(session.currency)
        body.markets = [
            market_quote(m, session.currency, session.is_demo)
            for m in books.with_books(list(sel.markets_list()), session.currency, demo=session.is_demo)
        ]
        # Up to 50 positions with live cash-out quotes: markets, books and today's cash-outs read once.
        positions = list(sel.positions_for_session(session_id=session.pk)[:50])
        books.with_books([p.market for p in positions], session.currency, demo=session.is_demo)
        key = cash_out_player_key(session)
        done = cashout.cashouts_today(key or f"session:{session.pk}")
        body.positions = [position_quote(p, player_key=key, cashouts_today=done) for p in positions]
        body.limits = StakeLimits(
            min_stake=low,
            max_stake=high,
            cash_outs_per_day=limits.cashout_limit_per_day(),
            margin=limits.market_margin(),
        )
    else:
        from freerounds import selectors as free_rounds

        body.jackpot = jackpot_config(session.currency)
        body.free_rounds = free_rounds.free_rounds_left_for_session(session)
        body.rounds = list(JackpotRound.objects.filter(session_id=session.pk).order_by("-created_at")[:20])
    return body


# ------------------------------------------------------------------- bets --


def session_country(session: GameSession) -> str:
    """The player's country (ISO 3166-1 alpha-2) the session was opened with: the Public API's ``user.country``,
    IGSP's optional ``country``; empty when the partner sent none."""
    return str((session.settings_snapshot or {}).get("country") or "").upper()


def country_is_restricted(game: Game, country: str | None) -> bool:
    if not country:
        return False
    return country.upper() in {str(c).upper() for c in (game.provider.restricted_countries or [])}


def check_country_allowed(session: GameSession) -> None:
    """Refuse play from a country our provider record publishes as ``restricted_countries`` (the IGSP providers
    list), when the session carries a country: 403 ``country_restricted``, before any money moves."""
    country = session_country(session)
    if country_is_restricted(session.game, country):
        raise ApplicationError(
            f"Play is not available in the player's country ({country}).", code="country_restricted", status_code=403
        )


def bet_market(*, session: GameSession, market_id: uuid.UUID | None, outcome: str, amount: Decimal) -> MarketBetPlaced:
    """Buy ``amount`` of ``outcome`` (YES|NO) in a market: the stake is debited through the wallet (which refuses
    a closed session) and the position opens in the bet's confirmation."""
    if session.game.slug != Game.PREDICTION_MARKETS:
        raise ApplicationError("This game takes no bets.", code="invalid_request")
    check_country_allowed(session)
    market = sel.market_get(market_id)
    if market is None:
        raise NotFound("marketId: market not found.", code="market_not_found")
    places = money.precision(session.currency)
    trading.market_quote_bet(
        market=market, outcome=outcome, amount=amount, currency=session.currency, demo=session.is_demo, places=places
    )  # validates before any money moves
    opened: dict[str, Position] = {}
    market_id = market.pk

    def on_confirm(rnd: Round, tx: Transaction) -> None:
        opened["position"] = trading.position_open(
            market_id=market_id,
            session_id=session.pk,
            round_id=rnd.pk,
            outcome=outcome,
            stake=amount,
            currency=session.currency,
            demo=session.is_demo,
            places=places,
            actor=f"session:{session.pk}",
            new_round=True,
        )

    # position_open refuses (market closed, exposure…) before it writes: no savepoint needed under the lock.
    result = wallet.bet_place(session=session, amount=amount, on_confirm=on_confirm, confirm_savepoint=False)
    position = opened["position"]
    market = position.market  # as locked and moved by the trade (its book attached): no re-read
    return MarketBetPlaced(
        position=position,
        market=market_quote(market, session.currency, session.is_demo),
        outcome=outcome,
        amount=amount,
        bet=result,
    )


def bet_jackpot(
    *, session: GameSession, direction: str, amount: Decimal | None, client_seed: str | None = None
) -> JackpotBetPlaced:
    """Open a TraderHero round betting ``amount`` on ``direction`` (up|down); in a free round the bet line's
    fixed stake is played instead (``amount`` may then be ``None``). With ``HUB_JACKPOT_ROUND_SECONDS`` 0 the
    round settles in the bet's own transaction, else a task settles it when it is due."""
    from freerounds import services as free_rounds

    if session.game.slug != Game.TRADERHERO_JACKPOT:
        raise ApplicationError("This game takes no bets.", code="invalid_request")
    check_country_allowed(session)
    if direction not in jackpot.DIRECTIONS:
        raise ApplicationError('direction: must be "up" or "down".', code="invalid_direction")
    campaign = free_rounds.campaign_for(session)
    if campaign is not None:  # a free round: the bet line's fixed stake, no real money
        amount, tx_type, fr_id = campaign.bet_amount, "free", campaign.ext_id
    else:
        if amount is None:
            raise ApplicationError("amount: a decimal amount is required.", code="invalid_amount")
        tx_type, fr_id = "regular", ""
        low, high = limits.stake_limits(session.currency)
        if amount < low:
            raise ApplicationError(f"amount: the minimum stake is {low} {session.currency}.", code="stake_too_low")
        if amount > high:
            raise ApplicationError(f"amount: the maximum stake is {high} {session.currency}.", code="stake_too_high")
    if client_seed is not None and not 0 < len(client_seed) <= 64:  # before any money moves, whoever calls
        raise ApplicationError("clientSeed: 1–64 characters.", code="invalid_client_seed")
    created: dict[str, JackpotRound] = {}
    settle_now = round_seconds() <= 0

    def round_fields(rnd: Round) -> dict[str, Any]:
        return {
            "session_id": session.pk,
            "round_id": rnd.pk,
            "direction": direction,
            "stake": amount,
            "currency": session.currency,
            "client_seed": client_seed,
            "places": money.precision(session.currency),
            "rtp": session.game.rtp,
        }

    def on_confirm(rnd: Round, tx: Transaction) -> None:
        if campaign is not None:
            free_rounds.free_round_take(campaign=campaign, session=session)
        jr = game_services.jackpot_round_open(**round_fields(rnd), new_round=True)
        if settle_now:  # the round plays out in the bet's own transaction: bet, outcome and win commit together
            jr = settle_and_pay(jr, rnd, force=True)
        created["round"] = jr

    if campaign is None and not settle_now:
        # A regular round played later is one row, built before the wallet call and inserted by the confirming
        # statement itself (wallet.bet_place's confirm_rows): no transaction of its own.
        def confirm_rows(rnd: Round) -> list[Any]:
            jr = game_services.jackpot_round_new(**round_fields(rnd))
            created["round"] = jr
            return [jr]

        result = wallet.bet_place(
            session=session, amount=amount, tx_type=tx_type, free_rounds_id=fr_id, confirm_rows=confirm_rows
        )
    else:
        # A free round (the campaign's count taken first) or one settled at once (the win written) may fail
        # after a write: its own savepoint.
        result = wallet.bet_place(
            session=session,
            amount=amount,
            tx_type=tx_type,
            free_rounds_id=fr_id,
            on_confirm=on_confirm,
            confirm_savepoint=True,
        )
    jr = created["round"]
    if not settle_now:
        item = (str(jr.pk), time.monotonic() + round_seconds())
        # Published off the request's thread, with the other rounds of the next HUB_BATCH_SECONDS (the periodic
        # sweep settles the round if the process dies before).
        transaction.on_commit(lambda: SETTLE_TASKS.add(item))
    balance = result.balance
    if jr.status == JackpotRoundStatus.SETTLED and session.is_demo:
        balance = wallet.session_balance(session=session)
    return JackpotBetPlaced(round=jr, bet=result, balance=balance, free_round=campaign is not None)


def _publish_settle_tasks(rounds: list[tuple[str, float]]) -> None:
    """One settle task for a batch of rounds, due when the last of them is (they opened within
    HUB_BATCH_SECONDS of each other). A broker error drops the batch: the periodic sweep settles due rounds."""
    due = max(at for _, at in rounds)
    publish("games.settle_jackpot_rounds", [bet_id for bet_id, _ in rounds], countdown=max(0.0, due - time.monotonic()))


SETTLE_TASKS: Batcher[tuple[str, float]] = Batcher(
    "settle-tasks", _publish_settle_tasks, max_delay=lambda: settings.HUB_BATCH_SECONDS
)


def bet_get(*, session: GameSession, bet_id: str) -> PositionQuote | JackpotRound:
    """One of the session's bets (a position or a TraderHero round); another session's id is not found."""
    if session.game.slug == Game.PREDICTION_MARKETS:
        position = sel.position_get(bet_id=bet_id, session_id=session.pk)
        if position is None:
            raise NotFound("Bet not found.", code="bet_not_found")
        return position_quote(position, player_key=cash_out_player_key(session))
    jr = sel.jackpot_round_get(bet_id=bet_id, session_id=session.pk)
    if jr is None:
        raise NotFound("Bet not found.", code="bet_not_found")
    return jr


# -------------------------------------------------------------- cash-out --


def _position_for(session: GameSession, bet_id: uuid.UUID | None) -> Position:
    if session.game.slug != Game.PREDICTION_MARKETS:
        raise ApplicationError("Cash-out is available in prediction markets only.", code="cash_out_unavailable")
    position = sel.position_get(bet_id=bet_id, session_id=session.pk)
    if position is None:
        raise NotFound("betId: bet not found.", code="bet_not_found")
    return position


def cash_out_preview(*, session: GameSession, bet_id: uuid.UUID | None) -> CashOutPreview:
    """What selling the position back would pay now; no money moves."""
    position = _position_for(session, bet_id)
    quote = cashout.position_cash_out_quote(
        position=position, places=money.precision(session.currency), player_key=cash_out_player_key(session)
    )
    return CashOutPreview(
        position=position,
        cash_out_value=quote["cashOutValue"],
        margin=quote["margin"],
        original_stake=quote["originalStake"],
        current_odds=quote["currentOdds"],
        current_price=quote["currentPrice"],
        shares=quote["shares"],
    )


def cash_out(*, session: GameSession, bet_id: uuid.UUID | None, min_value: Decimal | None = None) -> CashedOut:
    """Sell the position back and credit the value as the round's win (one DB transaction); ``min_value`` (the
    previewed value the player accepted) refuses a sale for less.

    Money moves here without a bet, so the session is checked open here too (as ``wallet.bet_place`` does for
    bets), whoever the caller is; the Session API has already answered 410 for a closed one."""
    wallet.session_check_open(session)
    position = _position_for(session, bet_id)
    with transaction.atomic():
        sold = cashout.position_cash_out(
            position_id=position.pk,
            session_id=session.pk,
            min_value=min_value,
            places=money.precision(session.currency),
            actor=f"session:{session.pk}",
            player_key=cash_out_player_key(session),
        )
        if sold.cash_out_value is None:
            raise ValueError("a cashed-out position has its value")
        rnd = Round.objects.select_related("session").get(pk=sold.round_id)
        win = wallet.win_record(round=rnd, amount=sold.cash_out_value)
    balance = wallet.session_balance(session=session) if session.is_demo else None
    return CashedOut(position=sold, win=win, balance=balance)
