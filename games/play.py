"""Player actions behind the Session API (``integration_hub/session_api/views.py``): every stake, payout and refund
goes through the wallet services, so both protocols and demo sessions get the same game logic.

The edge parses the game page's bodies (``integration_hub/session_api/serializers.py``) and checks the session is
open; the functions here take typed arguments (``bet_market``, ``bet_jackpot``, ``cash_out_preview``,
``cash_out``, ``bet_get``, ``state``) and answer the response bodies (dicts in the shapes documented in
``integration_hub/openapi.py``: money as decimal strings at the currency's precision). TraderHero's timed rounds
are settled here too (``jackpot_settle``, published by task name through ``core.tasks.publish``)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from core.after_response import after_response
from core.errors import ApplicationError, NotFound
from core.tasks import publish
from wallet import currency as money
from wallet import services as wallet
from wallet.models import GameSession, Round

from . import locales
from . import selectors as sel
from .markets import services as markets
from .models import Game, JackpotRound, JackpotRoundStatus, Market, PositionStatus
from .traderhero import fairness as jackpot
from .traderhero import services as game_services
from .traderhero.settlement import settle_and_pay


def _s(value: Decimal | None, currency: str | None = None) -> str | None:
    if value is None:
        return None
    return money.money_str(value, currency) if currency else str(value)


def _balance_view(session: GameSession) -> tuple[Decimal | None, bool]:
    """Live balance for the page; the last known one (flagged stale) when the wallet is unreachable."""
    try:
        return wallet.session_balance(session=session), False
    except ApplicationError:
        fresh = GameSession.objects.values_list("last_balance", flat=True).get(pk=session.pk)
        return fresh, True


# ------------------------------------------------------------------ state --


def market_view(market: Market, currency: str, demo: bool) -> dict:
    """The market as a player in ``currency`` sees it (each currency trades against its own book; demo
    sessions against the demo book)."""
    yes, no = markets.book_prices(market, currency, demo=demo)
    return {
        "id": str(market.pk),
        "title": market.title,
        "yesPrice": str(yes),
        "noPrice": str(no),
        "status": market.status,
        "closeAt": market.close_at.isoformat().replace("+00:00", "Z"),
        "outcome": market.outcome,
    }


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


def position_view(
    position, with_quote: bool = True, player_key: str | None = None, cashouts_today: int | None = None
) -> dict:
    view = {
        "betId": str(position.pk),
        "marketId": str(position.market_id),
        "outcome": position.outcome,
        "stake": _s(position.stake, position.currency),
        "shares": str(position.shares),
        "status": position.status,
        "payout": _s(position.payout, position.currency),
        "cashOutValue": _s(position.cash_out_value, position.currency),
        "roundId": str(position.round_id),
    }
    if with_quote and position.status == PositionStatus.OPEN:
        try:
            quote = markets.position_cash_out_quote(
                position=position,
                places=money.precision(position.currency),
                player_key=player_key,
                cashouts_today=cashouts_today,
            )
            view["cashOutValue"] = _s(quote["cashOutValue"], position.currency)
        except ApplicationError:
            view["cashOutValue"] = None
    return view


def jackpot_view(rnd: JackpotRound) -> dict:
    view = {
        "betId": str(rnd.pk),
        "roundId": str(rnd.round_id),
        "direction": rnd.direction,
        "stake": _s(rnd.stake, rnd.currency),
        "status": rnd.status,
        "serverSeedHash": rnd.server_seed_hash,
        "clientSeed": rnd.client_seed,
        "nonce": rnd.nonce,
        "rtp": str(rnd.rtp),
        "settleAt": rnd.settle_at.isoformat().replace("+00:00", "Z"),
    }
    if rnd.status == JackpotRoundStatus.SETTLED:
        view.update(
            {
                "serverSeed": rnd.server_seed,
                "payout": _s(rnd.payout, rnd.currency),
                "tier": rnd.tier,
                "multiplier": str(rnd.multiplier),
                "path": rnd.path,
            }
        )
    return view


def jackpot_config(currency: str) -> dict:
    low, high = markets.stake_limits(currency)
    rtp = game_services.jackpot_rtp()
    return {
        "rtp": str(rtp),
        "table": jackpot.tier_table(rtp).as_dict(),
        "roundSeconds": round_seconds(),
        "minStake": _s(low, currency),
        "maxStake": _s(high, currency),
        "directions": list(jackpot.DIRECTIONS),
        "algorithm": jackpot.ALGORITHM_VERSION,
    }


def round_seconds() -> int:
    return int(settings.HUB_JACKPOT_ROUND_SECONDS)


def partner_config(session: GameSession) -> dict:
    """The partner config the game page needs (seed 000: "session state and partner config"): where the deposit
    and lobby buttons go, the player's locale and UI language, how to show the currency, the stake limits."""
    low, high = markets.stake_limits(session.currency)
    partner = session.partner
    return {
        "partner": partner.name if partner is not None else None,
        "depositUrl": session.deposit_url or None,
        "lobbyUrl": session.return_url or None,
        "locale": locales.resolve_locale(session.language) or locales.SOURCE_LOCALE,
        "language": locales.ui_language(session.language),
        "currency": money.display(session.currency),
        "limits": {
            "minStake": _s(low, session.currency),
            "maxStake": _s(high, session.currency),
            "cashOutsPerDay": markets.cashout_limit_per_day(),
        },
    }


def state(*, session: GameSession) -> dict:
    balance, stale = _balance_view(session)
    game: Game = session.game
    body = {
        "session": {
            "id": str(session.pk),
            "status": session.status,
            "protocol": session.protocol,
            "isDemo": session.is_demo,
            "device": session.device,
            "language": session.language,
            "returnUrl": session.return_url or None,
            "depositUrl": session.deposit_url or None,
            "expiresAt": session.expires_at.isoformat().replace("+00:00", "Z"),
        },
        "player": {"id": session.player_id, "name": session.player_name},
        "currency": session.currency,
        "balance": _s(balance, session.currency),
        "balanceStale": stale,
        "game": {"id": str(game.pk), "slug": game.slug, "name": game.name, "rtp": str(game.rtp)},
        "config": partner_config(session),
    }
    if game.slug == Game.PREDICTION_MARKETS:
        low, high = markets.stake_limits(session.currency)
        body["markets"] = [
            market_view(m, session.currency, session.is_demo)
            for m in markets.with_books(list(sel.markets_list()), session.currency, demo=session.is_demo)
        ]
        # Up to 50 positions with live cash-out quotes: markets, books and today's cash-outs read once.
        positions = list(sel.positions_for_session(session_id=session.pk)[:50])
        markets.with_books([p.market for p in positions], session.currency, demo=session.is_demo)
        key = cash_out_player_key(session)
        done = markets.cashouts_today(key or f"session:{session.pk}")
        body["positions"] = [position_view(p, player_key=key, cashouts_today=done) for p in positions]
        body["limits"] = {
            "minStake": _s(low, session.currency),
            "maxStake": _s(high, session.currency),
            "cashOutsPerDay": markets.cashout_limit_per_day(),
            "margin": str(markets.market_margin()),
        }
    else:
        from freerounds import selectors as free_rounds

        body["jackpot"] = jackpot_config(session.currency)
        body["freeRounds"] = free_rounds.free_rounds_left_for_session(session)
        rounds = JackpotRound.objects.filter(session_id=session.pk).order_by("-created_at")[:20]
        body["rounds"] = [jackpot_view(r) for r in rounds]
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


def bet_market(*, session: GameSession, market_id: uuid.UUID | None, outcome: str, amount: Decimal) -> dict:
    """Buy ``amount`` of ``outcome`` (YES|NO) in a market: the stake is debited through the wallet (which refuses
    a closed session) and the position opens in the bet's confirmation."""
    if session.game.slug != Game.PREDICTION_MARKETS:
        raise ApplicationError("This game takes no bets.", code="invalid_request")
    check_country_allowed(session)
    market = sel.market_get(market_id)
    if market is None:
        raise NotFound("marketId: market not found.", code="market_not_found")
    places = money.precision(session.currency)
    markets.market_quote_bet(
        market=market, outcome=outcome, amount=amount, currency=session.currency, demo=session.is_demo, places=places
    )  # validates before any money moves
    opened = {}

    def on_confirm(rnd: Round, tx) -> None:
        opened["position"] = markets.position_open(
            market_id=market.pk,
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

    result = wallet.bet_place(session=session, amount=amount, on_confirm=on_confirm)
    position = opened["position"]
    market = position.market  # as locked and moved by the trade (its book attached): no re-read
    return {
        "betId": str(position.pk),
        "marketId": str(market.pk),
        "outcome": outcome,
        "amount": _s(amount, session.currency),
        "shares": str(position.shares),
        "transactionId": str(result.transaction.pk),
        "roundId": str(result.round.pk),
        "balance": _s(result.balance, session.currency),
        "market": market_view(market, session.currency, session.is_demo),
    }


def bet_jackpot(
    *, session: GameSession, direction: str, amount: Decimal | None, client_seed: str | None = None
) -> dict:
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
        low, high = markets.stake_limits(session.currency)
        if amount < low:
            raise ApplicationError(f"amount: the minimum stake is {low} {session.currency}.", code="stake_too_low")
        if amount > high:
            raise ApplicationError(f"amount: the maximum stake is {high} {session.currency}.", code="stake_too_high")
    if client_seed is not None and not 0 < len(client_seed) <= 64:  # before any money moves, whoever calls
        raise ApplicationError("clientSeed: 1–64 characters.", code="invalid_client_seed")
    created = {}
    settle_now = round_seconds() <= 0

    def on_confirm(rnd: Round, tx) -> None:
        if campaign is not None:
            free_rounds.free_round_take(campaign=campaign, session=session)
        jr = game_services.jackpot_round_open(
            session_id=session.pk,
            round_id=rnd.pk,
            direction=direction,
            stake=amount,
            currency=session.currency,
            client_seed=client_seed,
            places=money.precision(session.currency),
            rtp=session.game.rtp,
            new_round=True,
        )
        if settle_now:  # the round plays out in the bet's own transaction: bet, outcome and win commit together
            jr = settle_and_pay(jr, rnd, force=True)
        created["round"] = jr

    result = wallet.bet_place(
        session=session, amount=amount, tx_type=tx_type, free_rounds_id=fr_id, on_confirm=on_confirm
    )
    jr = created["round"]
    if not settle_now:
        bet_id = str(jr.pk)
        # Published once the player has the answer (the periodic sweep settles the round if it never is).
        transaction.on_commit(lambda: after_response(lambda: _safe_publish(bet_id, round_seconds())))
    body = jackpot_view(jr)
    balance = result.balance
    if jr.status == JackpotRoundStatus.SETTLED and session.is_demo:
        balance = wallet.session_balance(session=session)
    body.update(
        {
            "transactionId": str(result.transaction.pk),
            "balance": _s(balance, session.currency),
            "freeRound": campaign is not None,
        }
    )
    return body


def _safe_publish(bet_id: str, countdown: int) -> None:
    try:
        publish("games.settle_jackpot_round", bet_id, countdown=countdown)
    except Exception:  # noqa: BLE001 - the periodic sweep settles due rounds anyway
        pass


def bet_get(*, session: GameSession, bet_id: str) -> dict:
    """One of the session's bets (a position or a TraderHero round); another session's id is not found."""
    if session.game.slug == Game.PREDICTION_MARKETS:
        position = sel.position_get(bet_id=bet_id, session_id=session.pk)
        if position is None:
            raise NotFound("Bet not found.", code="bet_not_found")
        return position_view(position, player_key=cash_out_player_key(session))
    jr = sel.jackpot_round_get(bet_id=bet_id, session_id=session.pk)
    if jr is None:
        raise NotFound("Bet not found.", code="bet_not_found")
    return jackpot_view(jr)


# -------------------------------------------------------------- cash-out --


def _position_for(session: GameSession, bet_id: uuid.UUID | None):
    if session.game.slug != Game.PREDICTION_MARKETS:
        raise ApplicationError("Cash-out is available in prediction markets only.", code="cash_out_unavailable")
    position = sel.position_get(bet_id=bet_id, session_id=session.pk)
    if position is None:
        raise NotFound("betId: bet not found.", code="bet_not_found")
    return position


def cash_out_preview(*, session: GameSession, bet_id: uuid.UUID | None) -> dict:
    """What selling the position back would pay now; no money moves."""
    position = _position_for(session, bet_id)
    quote = markets.position_cash_out_quote(
        position=position, places=money.precision(session.currency), player_key=cash_out_player_key(session)
    )
    return {
        "betId": str(position.pk),
        "cashOutValue": _s(quote["cashOutValue"], session.currency),
        "margin": str(quote["margin"]),
        "originalStake": _s(quote["originalStake"], session.currency),
        "currentOdds": str(quote["currentOdds"]),
        "currentPrice": str(quote["currentPrice"]),
        "shares": str(quote["shares"]),
        "currency": session.currency,
    }


def cash_out(*, session: GameSession, bet_id: uuid.UUID | None, min_value: Decimal | None = None) -> dict:
    """Sell the position back and credit the value as the round's win (one DB transaction); ``min_value`` (the
    previewed value the player accepted) refuses a sale for less.

    Money moves here without a bet, so the session is checked open here too (as ``wallet.bet_place`` does for
    bets), whoever the caller is; the Session API has already answered 410 for a closed one."""
    wallet.session_check_open(session)
    position = _position_for(session, bet_id)
    with transaction.atomic():
        sold = markets.position_cash_out(
            position_id=position.pk,
            session_id=session.pk,
            min_value=min_value,
            places=money.precision(session.currency),
            actor=f"session:{session.pk}",
            player_key=cash_out_player_key(session),
        )
        rnd = Round.objects.select_related("session").get(pk=sold.round_id)
        win = wallet.win_record(round=rnd, amount=sold.cash_out_value)
    balance = wallet.session_balance(session=session) if session.is_demo else None
    return {
        "betId": str(sold.pk),
        "cashOutValue": _s(sold.cash_out_value, session.currency),
        "transactionId": str(win.pk),
        "status": sold.status,
        "delivery": win.status,
        "balance": _s(balance, session.currency),
    }
