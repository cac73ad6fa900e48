"""Round details: everything a partner's support agent or the player needs to answer "did I win?" about one
wallet round, read in one place for the signed page (``pages.views.round_details``) and both protocols' APIs.

The round is found through ``wallet.selectors`` (scoped by partner for the APIs; by the signed token for the
page). What it holds: the game, the stake(s), the outcome and payout, every transaction with its status and
timestamps; for TraderHero the server seed (once the round is settled), its hash as committed before the
round, the client seed and nonce; for prediction markets the position, the price paid, the cash-out or the
market's resolution. Money as decimal strings at the currency's precision; times as ISO-8601 UTC.
"""

from __future__ import annotations

from decimal import Decimal

from catalog.models import Game
from wallet import currency as money
from wallet.models import Round, Transaction, TxKind, TxStatus

from .models import JackpotRound, JackpotRoundStatus, Position
from .traderhero import fairness


def _iso(dt) -> str | None:
    return dt.isoformat().replace("+00:00", "Z") if dt is not None else None


def _m(value: Decimal | None, currency: str) -> str | None:
    return money.money_str(value, currency) if value is not None else None


def transaction_view(tx: Transaction) -> dict:
    return {
        "id": str(tx.pk),
        "kind": tx.kind,
        "type": tx.tx_type,
        "amount": _m(tx.amount, tx.currency),
        "currency": tx.currency,
        "status": tx.status,
        "partnerTxId": tx.partner_tx_id or None,
        "refundsTxId": str(tx.refunds_id) if tx.refunds_id else None,
        "attempts": tx.attempts,
        "errorCode": tx.error_code or None,
        "createdAt": _iso(tx.created_at),
        "confirmedAt": _iso(tx.confirmed_at),
    }


def _jackpot(rnd: JackpotRound) -> dict:
    settled = rnd.status == JackpotRoundStatus.SETTLED
    return {
        "betId": str(rnd.pk),
        "direction": rnd.direction,
        "stake": _m(rnd.stake, rnd.currency),
        "status": rnd.status,
        "rtp": str(rnd.rtp),
        "algorithm": fairness.ALGORITHM_VERSION,
        "serverSeedHash": rnd.server_seed_hash,
        # The seed stays secret until the round is settled: revealing it earlier would tell the outcome.
        "serverSeed": rnd.server_seed if settled else None,
        "clientSeed": rnd.client_seed,
        "nonce": rnd.nonce,
        "tier": rnd.tier or None,
        "multiplier": str(rnd.multiplier) if rnd.multiplier is not None else None,
        "payout": _m(rnd.payout, rnd.currency),
        "settleAt": _iso(rnd.settle_at),
        "settledAt": _iso(rnd.settled_at),
    }


def _position(pos: Position) -> dict:
    market = pos.market
    price = (pos.stake / pos.shares).quantize(Decimal("0.000001")) if pos.shares else None
    return {
        "betId": str(pos.pk),
        "marketId": str(market.pk),
        "marketTitle": market.title,
        "marketStatus": market.status,
        "marketOutcome": market.outcome,
        "resolvedAt": _iso(market.resolved_at),
        "outcome": pos.outcome,
        "stake": _m(pos.stake, pos.currency),
        "shares": str(pos.shares),
        "pricePaid": str(price) if price is not None else None,
        "status": pos.status,
        "cashOutValue": _m(pos.cash_out_value, pos.currency),
        "payout": _m(pos.payout, pos.currency),
        "settledAt": _iso(pos.settled_at),
    }


def _outcome(rnd: Round, txs: list[Transaction], stake: Decimal, payout: Decimal) -> str:
    """One word for the round: open, won, lost, refunded, cancelled, bonus (a free-rounds withdrawal)."""
    if rnd.status == "cancelled" or any(t.kind == TxKind.REFUND for t in txs):
        return "refunded"
    if not any(t.kind == TxKind.BET for t in txs):
        return "bonus" if rnd.free_rounds_id else "payout"
    if rnd.status == "open":
        return "open"
    return "won" if payout > 0 else "lost"


def round_details(*, rnd: Round) -> dict:
    session = rnd.session
    game: Game = session.game
    txs = list(rnd.transactions.order_by("created_at", "pk"))
    currency = session.currency
    live = (TxStatus.PENDING, TxStatus.CONFIRMED, TxStatus.RESOLVED)
    stake = sum((t.amount for t in txs if t.kind == TxKind.BET and t.status != TxStatus.DECLINED), Decimal(0))
    payout = sum((t.amount for t in txs if t.kind == TxKind.WIN and t.status in live), Decimal(0))
    body = {
        "roundId": str(rnd.pk),
        "status": rnd.status,
        "outcome": _outcome(rnd, txs, stake, payout),
        "game": {"id": str(game.pk), "slug": game.slug, "name": game.name},
        "playerId": session.player_id,
        "sessionId": str(session.pk),
        "partnerSessionId": session.partner_session_ref or None,
        "protocol": session.protocol,
        "isDemo": session.is_demo,
        "currency": currency,
        "stake": _m(stake, currency),
        "payout": _m(payout, currency),
        "freeRoundsId": rnd.free_rounds_id or None,
        "createdAt": _iso(rnd.created_at),
        "settledAt": _iso(rnd.settled_at),
        "transactions": [transaction_view(t) for t in txs],
        "traderhero": None,
        "market": None,
    }
    jr = JackpotRound.objects.filter(round_id=rnd.pk).first()
    if jr is not None:
        body["traderhero"] = _jackpot(jr)
    pos = Position.objects.select_related("market").filter(round_id=rnd.pk).first()
    if pos is not None:
        body["market"] = _position(pos)
    return body


def round_language(rnd: Round) -> str:
    """The player's language for the page: the session's (IGSP ``language``, Public API ``locale``)."""
    return (rnd.session.language or "en").replace("_", "-").lower()
