"""Balance cases: the test player's balance, in the contract's shape and the currency's precision."""

from __future__ import annotations

from .base import PUBLIC, Context, Result, case, ok_with_balance, refused, show, unknown_player


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
    exchange = ctx.balance_call(player_id=unknown_player())
    passed = refused(exchange)
    if ctx.protocol == PUBLIC:
        passed = passed and exchange.status == 404 and ctx.driver.error_code(exchange) == "session_not_found"
        return passed, "HTTP 404 code session_not_found", show(exchange)
    return passed, "HTTP 4xx", show(exchange)
