"""Public API use cases: create-new-game, the games list, free-rounds campaigns, session termination."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.api.renderers import dumps_exact
from core.db import get_or_none
from core.errors import AccountBlocked, ApplicationError, Conflict, NotFound
from freerounds.models import CampaignStatus, FreeRoundsCampaign
from games import catalog, play
from games import selectors as game_selectors
from games.locales import resolve_locale
from games.markets.services import stake_limits
from tenants.models import ExtClient
from tenants.validators import normalize_currency
from wallet import currency as money
from wallet import services as wallet_services
from wallet.models import Protocol

if TYPE_CHECKING:
    from games.models import BetLine, Game
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


def _ext_client(partner: Partner, ext_cid: str) -> ExtClient:
    ext = get_or_none(ExtClient.objects.all(), partner=partner, ext_cid=ext_cid)
    if ext is None or not ext.is_active:
        raise NotFound(f"extCID {ext_cid!r} is not configured for this client.", code="ext_cid_not_found")
    return ext


def ext_currencies(ext: ExtClient) -> list[str]:
    return list(ext.currencies or ext.partner.currencies)


def create_new_game(*, partner: Partner, data: dict[str, Any]) -> CreatedGame:
    if partner.is_blocked:
        raise AccountBlocked("The account is blocked.", code="account_blocked")
    ext = _ext_client(partner, data["extCID"])
    game = game_selectors.game_get(data["gameID"])
    if game is None or game.status != "active":
        raise NotFound(f"Game {data['gameID']!r} not found.", code="game_not_found")
    currency = normalize_currency(data["currency"])
    if currency not in ext_currencies(ext) or (game.currencies and currency not in game.currencies):
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
    )
    return CreatedGame(created.session, wallet_services.launch_url(created))


# ------------------------------------------------------------------ games --


def games_cache_bump() -> None:
    try:
        cache.incr(GAMES_CACHE_VERSION_KEY)
    except ValueError:
        cache.set(GAMES_CACHE_VERSION_KEY, 2, None)


def games_info_json(*, partner: Partner, ext_cid: str, exclude_bet_lines: bool) -> bytes:
    """The GameInfo array for an ExtCID, cached and invalidated when the catalog changes."""
    ext = _ext_client(partner, ext_cid)
    version = cache.get_or_set(GAMES_CACHE_VERSION_KEY, 1, None)
    key = f"public_api:games:{version}:{ext.pk}:{ext.updated_at.timestamp()}:{int(exclude_bet_lines)}"
    raw = cache.get(key)
    if raw is None:
        raw = dumps_exact(_games_info(ext, exclude_bet_lines))
        cache.set(key, raw, 3600)
    return raw


def _games_info(ext: ExtClient, exclude_bet_lines: bool) -> list[dict]:
    allowed = set(ext_currencies(ext))
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


# ------------------------------------------------------------ free rounds --


def free_rounds_create(*, partner: Partner, data: dict[str, Any]) -> FreeRoundsCampaign:
    ext = _ext_client(partner, data["extCID"])
    currency = normalize_currency(data["currency"])
    if currency not in ext_currencies(ext):
        raise ApplicationError(f"Currency {currency} is not supported.", code="currency_not_supported")
    games = []
    for ref in data.get("gameIDs") or []:
        game = game_selectors.game_get(ref)
        if game is None:
            raise NotFound(f"Game {ref!r} not found.", code="game_not_found")
        games.append(game)
    position = data["betLine"]
    if games:
        # Named games: each must have the line (the campaign may start in any of them).
        line = None
        for game in games:
            match = _bet_line(game, currency, position)
            if match is None:
                raise ApplicationError(
                    f"Bet line {position} is not configured for {game.slug} in {currency}.", details="betLine"
                )
            line = line or match
    else:
        # No gameIDs: "the campaign can be started in any game", i.e. every live game with free spins and the
        # line (a game without free spins is not a reason to refuse). The eligible games are stored, so a game
        # without the line never plays it.
        eligible = [
            (game, match)
            for game in game_selectors.games_with_bet_lines(currencies=[currency])
            if game.status == "active"
            and game.has_free_spins
            and (match := next((bl for bl in game.bet_lines.all() if bl.position == position), None))
        ]
        if not eligible:
            raise ApplicationError(f"No game with free spins has bet line {position} in {currency}.", details="betLine")
        games = [game for game, _ in eligible]
        line = eligible[0][1]
    try:
        with transaction.atomic():
            return FreeRoundsCampaign.objects.create(
                partner=partner,
                ext_client=ext,
                ext_id=data["extID"],
                game_ids=[str(g.pk) for g in games],
                user_ids=list(dict.fromkeys(data.get("userIDs") or [])),
                currency=currency,
                quantity=data["quantity"],
                bet_line=data["betLine"],
                bet_amount=line.max_bet,
                max_multiplier=line.max_multiplier,
                valid_from=data["validFrom"],
                valid_until=data.get("validUntil"),
            )
    except IntegrityError as exc:
        raise Conflict(f"A free rounds campaign with extID {data['extID']!r} already exists.") from exc


def _bet_line(game: Game, currency: str, position: int) -> BetLine | None:
    lines = game_selectors.bet_lines_for(game=game, currency=currency).get(currency, [])
    return next((bl for bl in lines if bl.position == position), None)


def free_rounds_cancel(*, partner: Partner, data: dict[str, Any]) -> FreeRoundsCampaign:
    _ext_client(partner, data["extCID"])
    qs = FreeRoundsCampaign.objects.filter(partner=partner, ext_client__ext_cid=data["extCID"])
    if data.get("id"):
        qs = qs.filter(pk=data["id"])
    if data.get("extID"):
        qs = qs.filter(ext_id=data["extID"])
    campaign = qs.first()
    if campaign is None:
        raise NotFound("Free rounds campaign not found.")
    if campaign.status != CampaignStatus.CANCELLED:
        from freerounds.services import campaign_cancelled

        with transaction.atomic():
            FreeRoundsCampaign.objects.filter(pk=campaign.pk).update(
                status=CampaignStatus.CANCELLED, cancelled_at=timezone.now()
            )
            campaign.refresh_from_db()
            campaign_cancelled(campaign=campaign)
    return campaign


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
