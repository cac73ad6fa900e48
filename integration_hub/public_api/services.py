"""Public API use cases: create-new-game, the games list, session termination (free rounds: ``freerounds/services.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from core.api.renderers import dumps_exact
from core.db import get_or_none
from core.errors import AccountBlocked, ApplicationError, NotFound
from games import catalog
from games import selectors as game_selectors
from games import services as play
from games.locales import resolve_locale
from games.markets.limits import stake_limits
from integration_hub.session_api.launch import SESSION_KEY_PREFIX, launch_url
from tenants import selectors as tenant_selectors
from tenants.models import ExtClient
from tenants.validators import normalize_currency
from wallet import currency as money
from wallet import services as wallet_services
from wallet.models import Protocol

if TYPE_CHECKING:
    from tenants.models import Partner

DEMO_BALANCE_USD = Decimal("10000.00")
# Rough USD equivalents for demo money only (no FX feed): units per 10,000 USD.
DEMO_BALANCE = {
    "BTC": Decimal("0.1"),
    "uBTC": Decimal("100000"),
    "mBTC": Decimal("100"),
    "ETH": Decimal("3"),
    "mETH": Decimal("3000"),
    "LTC": Decimal("100"),
    "mLTC": Decimal("100000"),
    "DOGE": Decimal("50000"),
    "TRX": Decimal("40000"),
    "SOL": Decimal("50"),
    "BNB": Decimal("15"),
    "TON": Decimal("2000"),
    "JPY": Decimal("1500000"),
    "KRW": Decimal("13000000"),
    "IDR": Decimal("160000000"),
    "VND": Decimal("250000000"),
    "INR": Decimal("850000"),
    "UZS": Decimal("125000000"),
}
GAMES_CACHE_VERSION_KEY = "public_api:games:version"


@dataclass
class CreatedGame:
    session: object
    launch_url: str


def create_new_game(*, partner: Partner, data: dict[str, Any]) -> CreatedGame:
    if partner.is_blocked:
        raise AccountBlocked("The account is blocked.", code="account_blocked")
    ext = tenant_selectors.ext_client_active_get(partner=partner, ext_cid=data["extCID"])
    game = game_selectors.game_get(data["gameID"])
    if game is None or game.status != "active":
        raise NotFound(f"Game {data['gameID']!r} not found.", code="game_not_found")
    currency = normalize_currency(data["currency"])
    if currency not in tenant_selectors.ext_client_currencies(ext) or (
        game.currencies and currency not in game.currencies
    ):
        raise ApplicationError(f"Currency {currency} is not supported.", code="currency_not_supported")
    locale = resolve_locale(data["locale"])
    if locale is None or (game.locales and locale not in game.locales):
        raise ApplicationError(f"Locale {data['locale']!r} is not supported.", code="locale_not_supported")
    demo = data["demo"]
    user = data.get("user") or {}
    if play.country_is_restricted(game, user.get("country")):
        raise ApplicationError(
            f"Play is not available in the player's country ({user['country'].upper()}).",
            code="country_restricted",
            status_code=403,
        )
    demo_balance = None
    if demo:
        demo_balance = (
            Decimal(data["initDemoBalance"])
            if data.get("initDemoBalance")
            else DEMO_BALANCE.get(currency, DEMO_BALANCE_USD)
        )
        # The contract: "Must be greater than the minimum bet."
        min_bet, _ = stake_limits(currency)
        if (
            demo_balance <= min_bet
            or demo_balance >= wallet_services.MAX_AMOUNT
            or not money.has_valid_precision(demo_balance, currency)
        ):
            raise ApplicationError(
                f"initDemoBalance must be greater than the minimum bet ({money.money_str(min_bet, currency)} "
                f"{currency}) and in the currency's precision.",
                details="initDemoBalance",
            )
    created = wallet_services.session_create(
        protocol=Protocol.PUBLIC_API,
        partner=partner,
        ext_client=ext,
        game=game,
        player_id=user.get("id") or f"demo-{timezone.now():%Y%m%d%H%M%S%f}",
        player_name=user.get("nickName") or user.get("firstName") or "",
        currency=currency,
        partner_session_ref=data.get("sessionID") or "",
        device=data["platform"],
        language=locale,
        return_url=data.get("returnURL") or "",
        deposit_url=data.get("depositURL") or "",
        is_demo=demo,
        demo_balance=demo_balance,
        settings_snapshot={"country": (user.get("country") or "").upper()},
        key_prefix=SESSION_KEY_PREFIX,
    )
    return CreatedGame(created.session, launch_url(created))


# ------------------------------------------------------------------ games --


def games_cache_bump() -> None:
    try:
        cache.incr(GAMES_CACHE_VERSION_KEY)
    except ValueError:
        cache.set(GAMES_CACHE_VERSION_KEY, 2, None)


def games_info_json(*, partner: Partner, ext_cid: str, exclude_bet_lines: bool) -> bytes:
    """The GameInfo array for an ExtCID, cached and invalidated when the catalog changes."""
    ext = tenant_selectors.ext_client_active_get(partner=partner, ext_cid=ext_cid)
    version = cache.get_or_set(GAMES_CACHE_VERSION_KEY, 1, None)
    key = f"public_api:games:{version}:{ext.pk}:{ext.updated_at.timestamp()}:{int(exclude_bet_lines)}"
    raw = cache.get(key)
    if raw is None:
        raw = dumps_exact(_games_info(ext, exclude_bet_lines))
        cache.set(key, raw, 3600)
    return raw


def _games_info(ext: ExtClient, exclude_bet_lines: bool) -> list[dict]:
    allowed = set(tenant_selectors.ext_client_currencies(ext))
    out = []
    for game in game_selectors.games_with_bet_lines():
        if game.status != "active":
            continue
        images = {**catalog.game_images(game.slug), **(game.images or {})}
        if images.get("baseURL", "").startswith("/"):
            images["baseURL"] = settings.HUB_PUBLIC_URL + images["baseURL"]
        currencies = [c for c in (game.currencies or sorted(allowed)) if c in allowed]
        info = {
            "title": game.name,
            "id": game.slug,
            "locales": game.locales,
            "currencies": currencies,
            "images": images,
            "platforms": game.platforms,
            "hasFreeSpins": bool(game.has_free_spins) and not exclude_bet_lines,
            "rtp": int((game.rtp * 100).to_integral_value()),
        }
        if not exclude_bet_lines:
            grouped: dict[str, list] = {}
            for line in game.bet_lines.all():
                if line.currency in allowed:
                    grouped.setdefault(line.currency, []).append(line)
            info["betLines"] = [
                {
                    "currency": cur,
                    "values": [
                        {"maxBet": money.money_str(line.max_bet, cur), "maxCoeff": str(line.max_multiplier)}
                        for line in lines
                    ],
                }
                for cur, lines in sorted(grouped.items())
            ]
            info["hasFreeSpins"] = bool(info["betLines"])
        out.append(info)
    return out


def sessions_terminate(*, partner: Partner, data: dict[str, Any]) -> list:
    """``POST /terminate-sessions``: close the open Public API sessions of one of the partner's ExtCIDs.

    A user id (or a partner sessionID) is only unique within one casino, and an aggregator's ExtCIDs are
    different casinos: ``extCID`` names the one, required when the partner has more than one ExtCID (active
    or not: a deactivated casino's sessions may still be open), implied when it has exactly one. An ExtCID that
    is not the partner's answers 404; nothing is closed by a refused request. IGSP sessions are never closed
    here (their player ids are another namespace): the IGSP terminate closes those."""
    ext_cid = data.get("extCID")
    if ext_cid:
        ext = get_or_none(ExtClient.objects.all(), partner=partner, ext_cid=ext_cid)
        if ext is None:
            raise NotFound(f"extCID {ext_cid!r} is not configured for this client.", code="ext_cid_not_found")
    else:
        ext_clients = list(ExtClient.objects.filter(partner=partner).order_by("pk")[:2])
        if len(ext_clients) > 1:
            raise ApplicationError(
                "extCID is required: this cID has several ExtCIDs, name the one whose sessions to close.",
                code="ext_cid_required",
            )
        if not ext_clients:
            return []
        ext = ext_clients[0]
    return wallet_services.sessions_terminate(
        partner=partner,
        actor=f"partner:{partner.slug}",
        player_id=data.get("userID"),
        session_ref=data.get("sessionID"),
        session_id=data.get("gsID"),
        protocol=Protocol.PUBLIC_API,
        ext_client_id=ext.pk,
        reason=data.get("reason", ""),
    )
