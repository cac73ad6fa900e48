"""Unknown-player cases: calls for a player or session the wallet does not know are refused, never created."""

from __future__ import annotations

from .base import IGSP, PUBLIC, STAKE, Context, Result, case, new_id, refused, show, unknown_player


@case(
    "unknown_player_bet",
    "unknown",
    "A bet for an unknown player / session is refused",
    "Refuse (4xx; Public API 404 session_not_found) a bet for a player or session you do not know; never create one.",
)
def unknown_player_bet(ctx: Context) -> Result:
    exchange, _tx = ctx.bet(STAKE, player_id=unknown_player())
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
    exchange = ctx.balance_call(player_id=unknown_player())
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
    player = unknown_player()
    payload = ctx.driver.money_payload(
        ctx, new_id(), STAKE, {"type": "win", "round_id": new_id(), "finished": True}, player
    )
    exchange = ctx.record(ctx.driver.call("win", payload))
    return refused(exchange), "HTTP 4xx", show(exchange)
