"""IGSP use cases: session creation (real and demo) and inbound wallet hooks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from core.errors import ApplicationError
from games import services as play
from integration_hub.session_api.launch import SESSION_KEY_PREFIX, launch_url
from tenants.validators import normalize_currency
from wallet import currency as money
from wallet import services as wallet_services
from wallet.models import GameSession, InboundHook, Protocol, SessionStatus, Transaction

if TYPE_CHECKING:
    from tenants.models import Partner

DEFAULT_DEMO_BALANCE = Decimal("1000.00")


@dataclass
class CreatedSession:
    session: GameSession
    launch_url: str

    def __repr__(self) -> str:
        return f"CreatedSession({self.session.pk})"


def _currency_for(data: dict[str, Any], allowed: list[str]) -> str:
    currency = normalize_currency(data["currency"])
    game = data["game_id"]
    if currency not in allowed or (game.currencies and currency not in game.currencies):
        raise ApplicationError(f"currency: {currency} is not supported.", code="currency_not_supported")
    return currency


def _check_precision(amount: Decimal, currency: str) -> None:
    if not money.has_valid_precision(amount, currency):
        raise ApplicationError(f"balance: {currency} allows at most {money.precision(currency)} decimals.")


def _session_open(
    *, partner: Partner | None, data: dict[str, Any], allowed: list[str], is_demo: bool
) -> CreatedSession:
    """Both IGSP session kinds: the request's fields, the currency and balance checked; demo money is ours."""
    currency = _currency_for(data, allowed)
    _check_precision(data["balance"], currency)
    country = (data.get("country") or "").upper()
    if play.country_is_restricted(data["game_id"], country):
        raise ApplicationError(
            f"country: play is not available in {country}.", code="country_restricted", status_code=403
        )
    created = wallet_services.session_create(
        protocol=Protocol.IGSP,
        partner=partner,
        game=data["game_id"],
        player_id=data["player_id"],
        player_name=data["player_name"],
        currency=currency,
        partner_session_ref=data["session_id"],
        device=data.get("device") or "mobile",
        language=data.get("language") or "en",
        return_url=data.get("return_url") or "",
        is_demo=is_demo,
        demo_balance=(data["balance"] or DEFAULT_DEMO_BALANCE) if is_demo else None,
        balance=None if is_demo else data["balance"],
        settings_snapshot={"country": country},
        key_prefix=SESSION_KEY_PREFIX,
    )
    return CreatedSession(created.session, launch_url(created))


def igsp_session_create(*, partner: Partner, data: dict[str, Any]) -> CreatedSession:
    return _session_open(partner=partner, data=data, allowed=partner.currencies, is_demo=bool(data.get("is_demo")))


def igsp_demo_session_create(*, data: dict) -> CreatedSession:
    """Public demo: no partner, demo money held by us, never calls a wallet."""
    from games import catalog

    return _session_open(partner=None, data=data, allowed=list(catalog.CURRENCIES), is_demo=True)


def _find_session(partner: Partner, data: dict[str, Any]) -> GameSession | None:
    qs = GameSession.objects.filter(partner=partner, protocol=Protocol.IGSP, is_demo=False)
    if data.get("session_id"):
        return qs.filter(partner_session_ref=data["session_id"]).first()
    return (
        qs.filter(
            player_id=data["player_id"], currency=normalize_currency(data["currency"]), status=SessionStatus.ACTIVE
        )
        .order_by("-created_at")
        .first()
    )


def _balance_apply(*, session: GameSession, amount: Decimal, reported_at: datetime) -> bool:
    """Record a reported balance unless the session's current one is newer; False when it was older.

    ``reported_at`` is the hook's X-Timestamp. The hub's own balance updates (session creation, wallet
    reads, bet answers) record their time too. IGSP timestamps have one-second resolution: a report
    within the same second as the current balance counts as newer (arrival order decides). One
    conditional UPDATE, so concurrent hooks cannot interleave a read and a write."""
    resolution = timedelta(seconds=1) if reported_at.microsecond == 0 else timedelta(microseconds=1)
    not_newer = Q(last_balance_at__isnull=True) | Q(last_balance_at__lt=reported_at + resolution)
    return bool(
        GameSession.objects.filter(not_newer, pk=session.pk).update(last_balance=amount, last_balance_at=reported_at)
    )


def inbound_hook_receive(
    *, partner: Partner, data: dict[str, Any], raw: dict[str, Any], reported_at: datetime
) -> tuple[dict, int]:
    """Reconcile a wallet event the partner reports. Idempotent per (partner, transaction_id):
    a replay answers exactly what the first delivery got. A balance report older than the session's
    current balance is answered (``stale: true``) but not applied."""
    tx_id = data.get("transaction_id")
    if tx_id:
        existing = InboundHook.objects.filter(partner=partner, transaction_id=tx_id).first()
        if existing:
            return existing.response, existing.response_status
    session = _find_session(partner, data)
    mismatch, reconciled, stale = False, False, False
    amount = data.get("amount")
    currency = normalize_currency(data["currency"])
    if session is not None and currency != session.currency:
        mismatch = True
    if data["action"] == "balance":
        if session is not None and amount is not None and not mismatch:
            reconciled = _balance_apply(session=session, amount=amount, reported_at=reported_at)
            stale = not reconciled
    else:
        ours = Transaction.objects.filter(partner=partner, pk=_uuid_or_none(tx_id)).first() if tx_id else None
        if ours is None:
            mismatch = True  # a movement on our game that our ledger does not know
        else:
            reconciled = True
            mismatch = mismatch or ours.kind != data["action"] or ours.amount != amount
            session = session or ours.session
    response = {
        "status": "ok",
        "reconciled": reconciled and not mismatch,
        "mismatch": mismatch,
        "session_id": str(session.pk) if session else None,
    }
    if data["action"] == "balance":
        response["stale"] = stale
    if mismatch and session is not None:
        GameSession.objects.filter(pk=session.pk).update(balance_mismatch=True)
    if tx_id:
        try:
            with transaction.atomic():
                InboundHook.objects.create(
                    partner=partner,
                    transaction_id=tx_id,
                    action=data["action"],
                    payload=_jsonable(raw),
                    response=response,
                    response_status=200,
                    session=session,
                    mismatch=mismatch,
                )
        except IntegrityError:  # a concurrent duplicate won: answer as it did
            first = InboundHook.objects.get(partner=partner, transaction_id=tx_id)
            return first.response, first.response_status
    return response, 200


def _uuid_or_none(value: object) -> uuid.UUID | None:
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value
